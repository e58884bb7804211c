"""Protocol forms as versioned data: dataclasses and a strict YAML loader.

A form file (``src/baqylau/protocols/forms/<code>_v<version>.yaml``) describes one paper protocol:
its numbered count lines, the per-choice block (one line per candidate or party; the choices
themselves come from the contest at run time), the number of pages, and the control relations with
their tolerance, severity and kk/ru/en messages. The loader rejects anything malformed with a
message that names the file and the problem.
"""

from __future__ import annotations

import hashlib
import re
import string
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from .expressions import (
    LINE_CODE_RE,
    Comparison,
    Expression,
    ExpressionError,
    parse_expression,
    parse_relation,
)

LANGUAGES = ("kk", "ru", "en")
FORMS_DIR = Path(__file__).resolve().parent.parent / "forms"
CODE_RE = re.compile(r"^[a-z][a-z0-9_]*$")
#: Placeholders a relation message may use (``choice`` only in per-choice relations).
MESSAGE_PLACEHOLDERS = frozenset({"left", "right", "difference", "tolerance", "choice"})


class Severity(StrEnum):
    ERROR = "error"  # the protocol is rejected
    FLAG = "flag"  # the protocol needs a person's review


class FormDefinitionError(ValueError):
    """A malformed form definition; ``str()`` names the file and the problem."""

    def __init__(self, source: str, problem: str):
        self.source = source
        self.problem = problem
        super().__init__(f"{source}: {problem}")


@dataclass(frozen=True)
class LocalizedText:
    kk: str
    ru: str
    en: str

    def get(self, lang: str) -> str:
        """The text in ``lang`` (``kk``, ``ru``, ``en``; a regional suffix is ignored)."""
        code = (lang or "ru")[:2].lower()
        if code not in LANGUAGES:
            raise ValueError(f"unsupported language {lang!r} (use one of {', '.join(LANGUAGES)})")
        return getattr(self, code)


@dataclass(frozen=True)
class Line:
    code: str
    number: str
    name: LocalizedText
    required: bool = True
    source_column: str | None = None


@dataclass(frozen=True)
class ChoicesBlock:
    """The per-choice lines: one line per candidate/party, numbered under one section."""

    code: str
    number: str
    name: LocalizedText
    kind: str = "candidate"
    required: bool = True


@dataclass(frozen=True)
class Relation:
    id: str
    expr: str
    comparison: Comparison
    severity: Severity
    message: LocalizedText
    tolerance: int = 0

    @property
    def lines(self) -> tuple[str, ...]:
        """Count lines the relation refers to."""
        return self.comparison.lines

    @property
    def per_choice(self) -> bool:
        return self.comparison.per_choice

    @property
    def uses_choices(self) -> bool:
        return self.comparison.per_choice or self.comparison.uses_choices_sum


@dataclass(frozen=True)
class Turnout:
    """How turnout is computed on this form: ``voters / registered``."""

    voters: Expression
    registered: Expression


@dataclass(frozen=True)
class ProtocolForm:
    code: str
    version: int
    name: LocalizedText
    lines: tuple[Line, ...]
    choices: ChoicesBlock
    relations: tuple[Relation, ...]
    pages: int | None = None
    turnout: Turnout | None = None
    source: str = "<dict>"
    digest: str = ""

    @property
    def line_codes(self) -> tuple[str, ...]:
        return tuple(line.code for line in self.lines)

    def line(self, code: str) -> Line:
        for line in self.lines:
            if line.code == code:
                return line
        raise KeyError(f"form {self.code} v{self.version} has no line {code}")

    def relation(self, relation_id: str) -> Relation:
        for relation in self.relations:
            if relation.id == relation_id:
                return relation
        raise KeyError(f"form {self.code} v{self.version} has no relation {relation_id}")

    def relation_lines(self, relation: Relation) -> tuple[str, ...]:
        """Lines involved in a relation, the per-choice line included when choices are used."""
        return relation.lines + ((self.choices.code,) if relation.uses_choices else ())

    def source_columns(self) -> dict[str, str]:
        """Mapping of source (CSV) column header → line code, for importers."""
        return {line.source_column: line.code for line in self.lines if line.source_column}

    def __str__(self) -> str:
        return f"{self.code} v{self.version}"


# ---------------------------------------------------------------------------------------------
# Loader


class _Checker:
    def __init__(self, source: str):
        self.source = source

    def fail(self, problem: str) -> FormDefinitionError:
        return FormDefinitionError(self.source, problem)

    def mapping(self, value: Any, where: str) -> Mapping[str, Any]:
        if not isinstance(value, Mapping):
            raise self.fail(f"{where} must be a mapping, not {type(value).__name__}")
        return value

    def keys(
        self,
        value: Mapping[str, Any],
        where: str,
        required: set[str],
        optional: set[str] = frozenset(),
    ) -> None:
        unknown = sorted(str(key) for key in value.keys() - required - optional)
        if unknown:
            allowed = ", ".join(sorted(required | optional))
            raise self.fail(f"unknown key(s) {', '.join(unknown)} in {where} (allowed: {allowed})")
        missing = sorted(required - value.keys())
        if missing:
            raise self.fail(f"missing key(s) {', '.join(missing)} in {where}")

    def text(self, value: Any, where: str) -> str:
        if not isinstance(value, str) or not value.strip():
            raise self.fail(f"{where} must be a non-empty string")
        return value

    def localized(self, value: Any, where: str) -> LocalizedText:
        value = self.mapping(value, where)
        unknown = sorted(str(key) for key in value.keys() - set(LANGUAGES))
        if unknown:
            raise self.fail(f"{where}: unknown language(s) {', '.join(unknown)} (use kk, ru, en)")
        missing = [lang for lang in LANGUAGES if lang not in value]
        if missing:
            raise self.fail(f"{where}: missing language(s) {', '.join(missing)}")
        return LocalizedText(
            **{lang: self.text(value[lang], f"{where}.{lang}") for lang in LANGUAGES}
        )

    def integer(self, value: Any, where: str, minimum: int) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.fail(f"{where} must be an integer, not {value!r}")
        if value < minimum:
            raise self.fail(f"{where} must be >= {minimum}, not {value}")
        return value

    def boolean(self, value: Any, where: str) -> bool:
        if not isinstance(value, bool):
            raise self.fail(f"{where} must be true or false, not {value!r}")
        return value

    def number(self, value: Any, where: str) -> str:
        if isinstance(value, bool) or not isinstance(value, int | str) or not str(value).strip():
            raise self.fail(f"{where} must be the line number as printed (e.g. 7 or '5a')")
        return str(value)


def _placeholders(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name is not None}


def parse_form(data: Any, source: str = "<dict>", digest: str = "") -> ProtocolForm:
    """Build a :class:`ProtocolForm` from parsed YAML/JSON data, checking everything."""
    check = _Checker(source)
    data = check.mapping(data, "the form")
    check.keys(
        data,
        "the form",
        {"code", "version", "name", "lines", "choices", "relations"},
        {"pages", "turnout", "description"},
    )
    code = check.text(data["code"], "code")
    if not CODE_RE.match(code):
        raise check.fail(f"code {code!r} must be lower-case letters, digits and underscores")
    version = check.integer(data["version"], "version", 1)
    name = check.localized(data["name"], "name")
    if "description" in data:
        check.text(data["description"], "description")
    pages = None if data.get("pages") is None else check.integer(data["pages"], "pages", 1)

    raw_lines = data["lines"]
    if not isinstance(raw_lines, list) or not raw_lines:
        raise check.fail("lines must be a non-empty list")
    lines: list[Line] = []
    seen_numbers: set[str] = set()
    seen_columns: set[str] = set()
    for index, raw in enumerate(raw_lines):
        where = f"lines[{index}]"
        raw = check.mapping(raw, where)
        check.keys(raw, where, {"code", "number", "name"}, {"required", "source_column"})
        line_code = check.text(raw["code"], f"{where}.code")
        where = f"{where} ({line_code})"
        if not LINE_CODE_RE.match(line_code):
            raise check.fail(f"{where}: line code must look like L1, L12 or L5a")
        if any(line.code == line_code for line in lines):
            raise check.fail(f"duplicate line code {line_code}")
        number = check.number(raw["number"], f"{where}.number")
        if number in seen_numbers:
            raise check.fail(f"{where}: duplicate line number {number}")
        seen_numbers.add(number)
        column = None
        if "source_column" in raw:
            column = check.text(raw["source_column"], f"{where}.source_column")
            if column in seen_columns:
                raise check.fail(f"{where}: duplicate source_column {column!r}")
            seen_columns.add(column)
        lines.append(
            Line(
                code=line_code,
                number=number,
                name=check.localized(raw["name"], f"{where}.name"),
                required=check.boolean(raw.get("required", True), f"{where}.required"),
                source_column=column,
            )
        )

    raw_choices = check.mapping(data["choices"], "choices")
    check.keys(raw_choices, "choices", {"code", "number", "name"}, {"kind", "required"})
    choices_code = check.text(raw_choices["code"], "choices.code")
    if not LINE_CODE_RE.match(choices_code):
        raise check.fail("choices.code must look like L6")
    if any(line.code == choices_code for line in lines):
        raise check.fail(f"duplicate line code {choices_code} (choices.code is also a count line)")
    choices_number = check.number(raw_choices["number"], "choices.number")
    if choices_number in seen_numbers:
        raise check.fail(f"choices.number {choices_number} is also a count line's number")
    kind = check.text(raw_choices.get("kind", "candidate"), "choices.kind")
    if kind not in ("candidate", "party", "option"):
        raise check.fail(f"choices.kind must be candidate, party or option, not {kind!r}")
    choices = ChoicesBlock(
        code=choices_code,
        number=choices_number,
        name=check.localized(raw_choices["name"], "choices.name"),
        kind=kind,
        required=check.boolean(raw_choices.get("required", True), "choices.required"),
    )

    known = {line.code for line in lines}
    raw_relations = data["relations"]
    if not isinstance(raw_relations, list):
        raise check.fail("relations must be a list")
    relations: list[Relation] = []
    for index, raw in enumerate(raw_relations):
        where = f"relations[{index}]"
        raw = check.mapping(raw, where)
        check.keys(raw, where, {"id", "expr", "severity", "message"}, {"tolerance", "note"})
        relation_id = check.text(raw["id"], f"{where}.id")
        where = f"relation {relation_id}"
        if not CODE_RE.match(relation_id):
            raise check.fail(f"{where}: id must be lower-case letters, digits and underscores")
        if any(relation.id == relation_id for relation in relations):
            raise check.fail(f"duplicate relation id {relation_id}")
        expr = check.text(raw["expr"], f"{where}.expr")
        try:
            comparison = parse_relation(expr, known, choices_code=choices_code)
        except ExpressionError as exc:
            raise check.fail(f"{where}: {exc}") from None
        severity = raw["severity"]
        if severity not in set(Severity):
            raise check.fail(f"{where}: severity must be 'error' or 'flag', not {severity!r}")
        tolerance = raw.get("tolerance", 0)
        if isinstance(tolerance, bool) or not isinstance(tolerance, int):
            raise check.fail(f"{where}: tolerance must be an integer, not {tolerance!r}")
        if tolerance < 0:
            raise check.fail(f"{where}: tolerance must not be negative ({tolerance})")
        if "note" in raw:
            check.text(raw["note"], f"{where}.note")
        message = check.localized(raw["message"], f"{where}.message")
        allowed = MESSAGE_PLACEHOLDERS - (set() if comparison.per_choice else {"choice"})
        for lang in LANGUAGES:
            try:
                used = _placeholders(message.get(lang))
            except ValueError as exc:
                raise check.fail(
                    f"{where}.message.{lang}: bad placeholder syntax ({exc})"
                ) from None
            bad = sorted(used - allowed)
            if bad:
                raise check.fail(
                    f"{where}.message.{lang}: unknown placeholder(s) "
                    f"{', '.join('{' + b + '}' for b in bad)} (allowed: "
                    f"{', '.join('{' + a + '}' for a in sorted(allowed))})"
                )
        relations.append(
            Relation(
                id=relation_id,
                expr=expr,
                comparison=comparison,
                severity=Severity(severity),
                message=message,
                tolerance=tolerance,
            )
        )

    turnout = None
    if data.get("turnout") is not None:
        raw_turnout = check.mapping(data["turnout"], "turnout")
        check.keys(raw_turnout, "turnout", {"voters", "registered"})
        parts = {}
        for key in ("voters", "registered"):
            text = check.text(raw_turnout[key], f"turnout.{key}")
            try:
                parts[key] = parse_expression(text, known, choices_code=choices_code)
            except ExpressionError as exc:
                raise check.fail(f"turnout.{key}: {exc}") from None
            if parts[key].per_choice:
                raise check.fail(f"turnout.{key}: each(choice) makes no sense here")
        turnout = Turnout(**parts)

    return ProtocolForm(
        code=code,
        version=version,
        name=name,
        lines=tuple(lines),
        choices=choices,
        relations=tuple(relations),
        pages=pages,
        turnout=turnout,
        source=source,
        digest=digest,
    )


def load_form_file(path: str | Path) -> ProtocolForm:
    """Load and check one form file (YAML or JSON)."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise FormDefinitionError(str(path), f"cannot read the file ({exc.strerror})") from None
    try:
        data = yaml.safe_load(raw)
    except yaml.YAMLError as exc:
        raise FormDefinitionError(str(path), f"not valid YAML: {exc}") from None
    return parse_form(data, source=str(path), digest=hashlib.sha256(raw).hexdigest())


@lru_cache(maxsize=1)
def _registry() -> dict[tuple[str, int], ProtocolForm]:
    forms: dict[tuple[str, int], ProtocolForm] = {}
    for path in sorted(FORMS_DIR.glob("*.yaml")):
        form = load_form_file(path)
        expected = f"{form.code}_v{form.version}.yaml"
        if path.name != expected:
            raise FormDefinitionError(str(path), f"file name must be {expected}")
        forms[(form.code, form.version)] = form
    return forms


def available_forms() -> list[tuple[str, int]]:
    """(code, version) of every shipped form, sorted."""
    return sorted(_registry())


def load_form(code: str, version: int | None = None) -> ProtocolForm:
    """A shipped form; the latest version unless ``version`` is given."""
    forms = _registry()
    versions = sorted(v for (c, v) in forms if c == code)
    if not versions:
        known = ", ".join(sorted({c for c, _ in forms}))
        raise LookupError(f"no protocol form {code!r} (available: {known})")
    if version is None:
        version = versions[-1]
    if (code, version) not in forms:
        raise LookupError(
            f"no version {version} of protocol form {code!r} (available: "
            f"{', '.join(map(str, versions))})"
        )
    return forms[(code, version)]
