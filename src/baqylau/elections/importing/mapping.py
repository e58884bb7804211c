"""Import mappings: the data that tells the one generic importer how to read a table.

A mapping is YAML (or the equivalent dict built from command options); nothing here is specific
to a country. Example (abridged)::

    election: {code: ru2018, kind: presidential, country: RU, date: 2018-03-18,
               names: {ru: "Выборы Президента РФ", en: "Russian presidential election"}}
    contest: {code: president, kind: presidential, protocol_form: ru_uik_2018,
              majority_threshold: 50}
    file: {format: zip, encoding: utf-8, delimiter: ","}
    units:
      root: {code: RU, kind: country, names: {ru: Россия, en: Russia, kk: Ресей}}
      levels:                                   # from the top; the last level is what a row is
        - {kind: region, code: region, names: {ru: region}}
        - {kind: district, code: tik, names: {ru: tik}}
        - {kind: station, code: uik, code_regex: '^(?:УИК №)?(\\d+)$', if_empty: oik}
    station: {registered: L1}                   # a line code or a column
    lines: {L1: "Число избирателей, включенных в список избирателей", ...}
    choices: {remaining: true, except: [url], kind: candidate}

Figures announced for units that already exist, at any level (a national or a regional total
published by a commission), use ``units: {existing: true, unit: COLUMN}`` instead of levels: the
column holds each row's unit path (``KZ``, ``KZ/almaty-city``), the election and the contest are
named by their codes only, and the choices by their codes (see ``mappings/kz2019_announced.yaml``).

`choices` is either an explicit list of ``{column, code, names, number, kind}`` or
``{remaining: true, except: [...]}``: every column not used elsewhere, the code derived from the
header and the ballot number parsed from a leading ``"N. "``.

Tables as published are rarely clean; three things are said in the mapping, never by editing the
file:

* **missing-value markers** — ``file: {missing_values: ["NA", "", "-"]}``: a cell holding one of
  them is *no figure* (nothing is stored for that line or choice: unknown, never 0);
* **computed lines** — ``lines: {L5: {sum: [VALID, INVALID]}}``: a protocol line the table does
  not have, the sum of columns (no figure when any part is missing);
* **unnamed columns** — a column with an empty header is called ``#N`` (N = its position, from
  1), e.g. a row-number column ``#1`` used as a station code; unnamed columns are never choices.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import yaml
from django.utils.text import slugify

LANGUAGES = ("kk", "ru", "en")
FORMATS = ("csv", "zip", "xlsx")
STATION_FIELDS = (
    "registered",
    "address",
    "latitude",
    "longitude",
    "abroad",
    "closed",
    "settlement",
)
UNIT_KINDS = ("country", "region", "district", "subdistrict", "station")
CHOICE_KINDS = ("candidate", "party", "against_all", "option")
MAPPINGS_DIR = Path(__file__).resolve().parent.parent / "mappings"

_NUMBERED = re.compile(r"^\s*(\d+)\s*[.)]\s*(.+?)\s*$")
_UNNAMED = re.compile(r"^#\d+$")


def column_names(header: list[str]) -> list[str]:
    """The names mappings use for a header's columns: the header text, or ``#N`` (N = position,
    from 1) for a column whose header is empty."""
    return [h if h.strip() else f"#{i}" for i, h in enumerate(header, start=1)]


class MappingError(ValueError):
    """The mapping itself is malformed (not a problem of the data file)."""


@dataclass
class RootSpec:
    code: str
    kind: str = "country"
    names: dict[str, str] = field(default_factory=dict)


@dataclass
class LevelSpec:
    kind: str
    code: str  # column holding the code
    names: dict[str, str] = field(default_factory=dict)  # language -> column, or template "{code}"
    code_regex: str | None = None  # first group (or whole match) becomes the code when it matches
    if_empty: str | None = None  # column whose value is used when the code cell is empty
    slugify: bool = False  # make the code a slug ("Almaty city" -> "almaty-city")

    def __post_init__(self) -> None:
        self._regex = re.compile(self.code_regex) if self.code_regex else None

    def code_of(self, raw: str, fallback: str | None) -> str:
        value = raw.strip()
        if not value and fallback is not None:
            value = fallback.strip()
        if value and self._regex is not None and (m := self._regex.match(value)):
            value = m.group(1) if m.groups() else m.group(0)
        if value and self.slugify:
            value = slugify(value, allow_unicode=True)
        return value


@dataclass
class ChoiceSpec:
    column: str
    code: str
    names: dict[str, str] = field(default_factory=dict)
    number: int | None = None
    kind: str = "candidate"


@dataclass
class RemainingChoices:
    except_: list[str] = field(default_factory=list)
    kind: str = "candidate"
    language: str = "ru"  # the language of the headers, for the choices' names
    number_from_position: bool = False  # ballot number = position among the choices' columns


@dataclass
class CrowdSpec:
    """A crowd platform's per-station counts instead of official results: for each choice, the
    column of the voters who declared it (``declared``) and of those who confirmed it with a
    ballot photo (``photo``), as templates with ``{code}`` (the choice's code). Rows are stations
    that already exist; the choices are the contest's."""

    source: str
    declared: str | None = None
    photo: str | None = None

    def columns(self, code: str) -> tuple[str | None, str | None]:
        return (
            self.declared.replace("{code}", code) if self.declared else None,
            self.photo.replace("{code}", code) if self.photo else None,
        )


@dataclass
class Mapping:
    election: dict[str, Any]
    contest: dict[str, Any]
    root: RootSpec
    levels: list[LevelSpec]
    lines: dict[str, str]
    choices: list[ChoiceSpec] | RemainingChoices
    station: dict[str, str] = field(default_factory=dict)
    computed: dict[str, list[str]] = field(default_factory=dict)  # line code -> columns summed
    missing_values: frozenset[str] = frozenset()  # cells meaning "no figure"
    format: str | None = None  # None: from the file name
    encoding: str = "utf-8"
    delimiter: str = ","
    member: str | None = None  # member of a zip archive (default: the only .csv in it)
    sheet: str | None = None  # XLSX sheet (default: the first)
    empty_figures: str = "error"  # "error" or "skip" (an empty cell means "no figure")
    negative_figures: str = "error"  # "error" or "skip" (a negative cell: a transcription error)
    existing_units: bool = False  # results for units that must already exist
    unit_column: str | None = None  # rows name existing units of any level by path
    source: str = ""  # where the data came from (stored on each result)
    name: str = ""  # file name of the mapping, for messages
    crowd: CrowdSpec | None = None  # a crowd platform's counts, not official results

    @property
    def row_kind(self) -> str:
        return self.levels[-1].kind if self.levels else "unit"

    @property
    def announced(self) -> bool:
        """Rows name existing units of any level (announced totals), see the module doc."""
        return self.unit_column is not None

    @property
    def line_codes(self) -> list[str]:
        """Every protocol line the import writes: read from a column or computed."""
        return [*self.lines, *self.computed]

    @property
    def registered_line(self) -> str | None:
        ref = self.station.get("registered")
        return ref if ref in self.line_codes else None

    def station_columns(self) -> dict[str, str]:
        """Station fields read from a column (not from a protocol line)."""
        return {
            key: col
            for key, col in self.station.items()
            if not (key == "registered" and col in self.line_codes)
        }

    def used_columns(self) -> list[str]:
        cols: list[str] = [self.unit_column] if self.unit_column else []
        for level in self.levels:
            cols.append(level.code)
            if level.if_empty:
                cols.append(level.if_empty)
            cols.extend(v for v in level.names.values() if "{" not in v)
        cols.extend(self.station_columns().values())
        cols.extend(self.lines.values())
        for parts in self.computed.values():
            cols.extend(parts)
        if isinstance(self.choices, list):
            for c in self.choices:
                if self.crowd is None:
                    cols.append(c.column)
                else:
                    cols.extend(col for col in self.crowd.columns(c.code) if col)
        return list(dict.fromkeys(cols))

    def resolve_choices(self, header: list[str]) -> list[ChoiceSpec]:
        """The choices of this file: explicit, or derived from the remaining header columns."""
        if isinstance(self.choices, list):
            return self.choices
        used = set(self.used_columns()) | set(self.choices.except_)
        specs: list[ChoiceSpec] = []
        seen: set[str] = set()
        columns = [h for h in header if h not in used and h.strip() and not _UNNAMED.match(h)]
        for position, column in enumerate(columns, start=1):
            number, name = parse_choice_header(column)
            if number is None and self.choices.number_from_position:
                number = position
            code = slugify(name, allow_unicode=True)[:100].strip("-") or f"choice-{position}"
            base, n = code, 2
            while code in seen:
                code = f"{base[:95]}-{n}"
                n += 1
            seen.add(code)
            specs.append(
                ChoiceSpec(
                    column=column,
                    code=code,
                    names={self.choices.language: name},
                    number=number,
                    kind=self.choices.kind,
                )
            )
        return specs


def parse_choice_header(header: str) -> tuple[int | None, str]:
    """ "3. Партия ЛДПР" -> (3, "Партия ЛДПР"); "Путин В. В." -> (None, "Путин В. В.")."""
    if m := _NUMBERED.match(header):
        return int(m.group(1)), m.group(2)
    return None, header.strip()


def _names(raw: Any, where: str) -> dict[str, str]:
    if raw is None:
        return {}
    if isinstance(raw, str):
        return {"ru": raw}
    if not isinstance(raw, dict):
        raise MappingError(f"{where}: names must be a mapping language -> text")
    bad = set(raw) - set(LANGUAGES)
    if bad:
        raise MappingError(f"{where}: unknown language(s) {sorted(bad)}; use {LANGUAGES}")
    return {k: str(v) for k, v in raw.items() if v is not None}


def _require(data: dict, key: str, where: str) -> Any:
    if key not in data or data[key] in (None, ""):
        raise MappingError(f"{where}: '{key}' is required")
    return data[key]


def mapping_from_dict(data: dict[str, Any], name: str = "") -> Mapping:
    """Build and check a mapping from plain data (parsed YAML or command options)."""
    if not isinstance(data, dict):
        raise MappingError("a mapping must be a YAML mapping")
    units = _require(data, "units", "mapping")
    unit_column = units.get("unit") if isinstance(units, dict) else None
    election = dict(_require(data, "election", "mapping"))
    # announced totals name an election and a contest that exist: their codes are enough
    for key in ("code",) if unit_column else ("code", "date", "kind", "country"):
        _require(election, key, "election")
    if isinstance(election.get("date"), str):
        election["date"] = dt.date.fromisoformat(election["date"])
    election["names"] = _names(election.get("names"), "election")
    contest = dict(_require(data, "contest", "mapping"))
    for key in ("code",) if unit_column else ("code", "kind", "protocol_form"):
        _require(contest, key, "contest")
    contest["names"] = _names(contest.get("names"), "contest")
    if contest.get("majority_threshold") is not None:
        contest["majority_threshold"] = Decimal(str(contest["majority_threshold"]))

    file = data.get("file") or {}
    fmt = file.get("format")
    if fmt is not None and fmt not in FORMATS:
        raise MappingError(f"file.format must be one of {FORMATS}")
    empty = file.get("empty_figures", "error")
    if empty not in ("error", "skip"):
        raise MappingError("file.empty_figures must be 'error' or 'skip'")
    negative = file.get("negative_figures", "error")
    if negative not in ("error", "skip"):
        raise MappingError("file.negative_figures must be 'error' or 'skip'")

    if unit_column:
        if units.get("existing") is False or units.get("levels"):
            raise MappingError("units.unit: rows that name units by path need existing units")
        units = {**units, "existing": True}
        root_data = units.get("root") or {}
        root_code = str(root_data.get("code", ""))
    else:
        root_data = _require(units, "root", "units")
        root_code = str(_require(root_data, "code", "units.root"))
    root = RootSpec(
        code=root_code,
        kind=root_data.get("kind", "country"),
        names=_names(root_data.get("names"), "units.root"),
    )
    levels: list[LevelSpec] = []
    for i, lv in enumerate([] if unit_column else _require(units, "levels", "units")):
        where = f"units.levels[{i}]"
        kind = _require(lv, "kind", where)
        if kind not in UNIT_KINDS:
            raise MappingError(f"{where}: kind must be one of {UNIT_KINDS}")
        try:
            levels.append(
                LevelSpec(
                    kind=kind,
                    code=str(_require(lv, "code", where)),
                    names=_names(lv.get("names"), where),
                    code_regex=lv.get("code_regex"),
                    if_empty=lv.get("if_empty"),
                    slugify=bool(lv.get("slugify", False)),
                )
            )
        except re.error as exc:
            raise MappingError(f"{where}: bad code_regex: {exc}") from exc
    if root.kind not in UNIT_KINDS:
        raise MappingError(f"units.root: kind must be one of {UNIT_KINDS}")

    station = {str(k): str(v) for k, v in (data.get("station") or {}).items()}
    bad = set(station) - set(STATION_FIELDS)
    if bad:
        raise MappingError(f"station: unknown field(s) {sorted(bad)}; use {STATION_FIELDS}")
    if station and (not levels or levels[-1].kind != "station"):
        raise MappingError("station: fields are only allowed when rows describe stations")

    lines: dict[str, str] = {}
    computed: dict[str, list[str]] = {}
    for key, value in (data.get("lines") or {}).items():
        code = str(key)
        if len(code) > 16:
            raise MappingError(f"lines: code {code!r} is longer than 16 characters")
        if isinstance(value, dict):
            parts = value.get("sum")
            if set(value) != {"sum"} or not isinstance(parts, list) or not parts:
                raise MappingError(f"lines.{code}: a computed line is {{sum: [column, ...]}}")
            computed[code] = [str(p) for p in parts]
        else:
            lines[code] = str(value)
    missing = file.get("missing_values", [])
    if not isinstance(missing, list):
        raise MappingError("file.missing_values must be a list of cell texts, e.g. [NA, '']")

    raw_choices = data.get("choices")
    choices: list[ChoiceSpec] | RemainingChoices
    if isinstance(raw_choices, dict) and raw_choices.get("remaining"):
        choices = RemainingChoices(
            except_=[str(c) for c in raw_choices.get("except", [])],
            kind=raw_choices.get("kind", "candidate"),
            language=raw_choices.get("language", "ru"),
            number_from_position=bool(raw_choices.get("number_from_position", False)),
        )
        if choices.kind not in CHOICE_KINDS:
            raise MappingError(f"choices.kind must be one of {CHOICE_KINDS}")
    elif isinstance(raw_choices, list):
        choices = []
        for i, ch in enumerate(raw_choices):
            where = f"choices[{i}]"
            column = str(_require(ch, "column", where))
            number, header_name = parse_choice_header(column)
            code = ch.get("code") or slugify(header_name, allow_unicode=True)[:100]
            kind = ch.get("kind", "candidate")
            if kind not in CHOICE_KINDS:
                raise MappingError(f"{where}: kind must be one of {CHOICE_KINDS}")
            choices.append(
                ChoiceSpec(
                    column=column,
                    code=str(code),
                    names=_names(ch.get("names"), where) or {"ru": header_name},
                    number=ch.get("number", number),
                    kind=kind,
                )
            )
        codes = [c.code for c in choices]
        if len(set(codes)) != len(codes):
            raise MappingError("choices: codes must be unique")
    elif raw_choices is None:
        choices = []
    else:
        raise MappingError("choices must be a list or {remaining: true, except: [...]}")
    if not lines and not computed and not choices:
        raise MappingError("a mapping needs protocol lines or choices")
    crowd = None
    if data.get("crowd") is not None:
        raw = data["crowd"]
        if not isinstance(raw, dict) or not (raw.get("declared") or raw.get("photo")):
            raise MappingError("crowd: needs 'declared' and/or 'photo' column templates")
        if not isinstance(choices, list) or lines:
            raise MappingError("crowd: needs an explicit list of choices and no protocol lines")
        if levels[-1].kind != "station":
            raise MappingError("crowd: rows must be stations")
        crowd = CrowdSpec(
            source=str(raw.get("source") or data.get("source") or name)[:100],
            declared=raw.get("declared"),
            photo=raw.get("photo"),
        )

    return Mapping(
        election=election,
        contest=contest,
        root=root,
        levels=levels,
        lines=lines,
        choices=choices,
        station=station,
        computed=computed,
        missing_values=frozenset("" if v is None else str(v).strip() for v in missing),
        format=fmt,
        encoding=file.get("encoding", "utf-8"),
        delimiter=file.get("delimiter", ","),
        member=file.get("member"),
        sheet=file.get("sheet"),
        empty_figures=empty,
        negative_figures=negative,
        existing_units=bool(units.get("existing", False)) or crowd is not None,
        unit_column=str(unit_column) if unit_column else None,
        source=str(data.get("source", "")),
        name=name,
        crowd=crowd,
    )


def load_mapping(path: str | Path) -> Mapping:
    """Read a mapping YAML; a bare name ("ru2018") means a shipped mapping."""
    path = Path(path)
    if not path.exists() and not path.suffix:
        path = MAPPINGS_DIR / f"{path}.yaml"
    if not path.exists():
        raise MappingError(f"mapping not found: {path}")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise MappingError(f"{path.name}: not valid YAML: {exc}") from exc
    return mapping_from_dict(data, name=path.name)


def shipped_mappings() -> list[str]:
    return sorted(p.stem for p in MAPPINGS_DIR.glob("*.yaml"))
