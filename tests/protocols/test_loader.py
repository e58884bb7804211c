"""The form loader: every shipped form loads; every kind of malformed definition is rejected."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml

from baqylau.protocols.engine import (
    FORMS_DIR,
    FormDefinitionError,
    available_forms,
    forms,
    load_form,
    load_form_file,
)

SHIPPED = {"kz_president", "kz_mazhilis", "ru_uik_2018", "ru_uik_2011"}


def test_every_shipped_form_loads() -> None:
    assert {code for code, _ in available_forms()} >= SHIPPED
    for code, version in available_forms():
        form = load_form(code, version)
        assert (form.code, form.version) == (code, version)
        assert form.relations, f"{form} has no relations"
        assert len(form.digest) == 64
        for relation in form.relations:
            for lang in ("kk", "ru", "en"):
                assert relation.message.get(lang)


def test_kazakh_line_codes_are_stable() -> None:
    # Other modules depend on these codes.
    for code in ("kz_president", "kz_mazhilis"):
        form = load_form(code)
        assert {"L1", "L2", "L3", "L4", "L5", "L7", "L8"} <= set(form.line_codes)
        assert form.choices.code == "L6"
        assert form.pages == 2
        assert {
            "ballots_balance",
            "votes_balance",
            "took_part_le_issued",
            "issued_le_registered",
            "took_part_le_registered",
            "choice_le_took_part",
            "choice_le_registered",
            "outside_le_took_part",
        } <= {r.id for r in form.relations}
        assert all(r.severity == "error" for r in form.relations)
    assert load_form("kz_mazhilis").choices.kind == "party"
    assert load_form("kz_president").choices.kind == "candidate"


def test_russian_forms_have_source_columns_for_every_line() -> None:
    for code in ("ru_uik_2018", "ru_uik_2011"):
        form = load_form(code)
        assert all(line.source_column for line in form.lines)
        assert len(form.source_columns()) == len(form.lines)
    assert len(load_form("ru_uik_2018").lines) == 12
    assert len(load_form("ru_uik_2011").lines) == 18


def test_load_form_picks_the_latest_version_and_reports_unknown(monkeypatch, tmp_path) -> None:
    base = yaml.safe_load((FORMS_DIR / "kz_president_v1.yaml").read_text(encoding="utf-8"))
    for version in (1, 2):
        data = dict(base, version=version)
        (tmp_path / f"kz_president_v{version}.yaml").write_text(
            yaml.safe_dump(data, allow_unicode=True), encoding="utf-8"
        )
    monkeypatch.setattr(forms, "FORMS_DIR", tmp_path)
    forms._registry.cache_clear()
    try:
        assert load_form("kz_president").version == 2
        assert load_form("kz_president", 1).version == 1
        with pytest.raises(LookupError, match="no version 3"):
            load_form("kz_president", 3)
        with pytest.raises(LookupError, match="no protocol form 'xx'"):
            load_form("xx")
        (tmp_path / "misnamed.yaml").write_text(yaml.safe_dump(base, allow_unicode=True))
        forms._registry.cache_clear()
        with pytest.raises(FormDefinitionError, match="file name must be kz_president_v1.yaml"):
            available_forms()
    finally:
        forms._registry.cache_clear()


# ---------------------------------------------------------------------------------------------
# Malformed definitions


def _base() -> dict[str, Any]:
    return yaml.safe_load((FORMS_DIR / "kz_mazhilis_v1.yaml").read_text(encoding="utf-8"))


def _relation(data: dict[str, Any], relation_id: str) -> dict[str, Any]:
    return next(r for r in data["relations"] if r["id"] == relation_id)


def _set_expr(expr: str):
    def change(data: dict[str, Any]) -> None:
        _relation(data, "ballots_balance")["expr"] = expr

    return change


BROKEN = {
    "unknown top-level key": (
        lambda d: d.update(colour="red"),
        "unknown key(s) colour in the form",
    ),
    "unknown key in a line": (
        lambda d: d["lines"][0].update(colour="red"),
        "unknown key(s) colour in lines[0]",
    ),
    "unknown key in a relation": (
        lambda d: d["relations"][0].update(weight=1),
        "unknown key(s) weight in relations[0]",
    ),
    "missing key": (lambda d: d.pop("relations"), "missing key(s) relations in the form"),
    "missing language in a form name": (
        lambda d: d["name"].pop("kk"),
        "name: missing language(s) kk",
    ),
    "missing language in a line name": (
        lambda d: d["lines"][1]["name"].pop("en"),
        "lines[1] (L2).name: missing language(s) en",
    ),
    "missing language in a message": (
        lambda d: _relation(d, "votes_balance")["message"].pop("ru"),
        "relation votes_balance.message: missing language(s) ru",
    ),
    "unknown language": (
        lambda d: d["name"].update(de="Protokoll"),
        "name: unknown language(s) de",
    ),
    "empty text": (lambda d: d["lines"][0]["name"].update(kk=""), "name.kk must be a non-empty"),
    "duplicate line code": (
        lambda d: d["lines"][1].update(code="L1"),
        "duplicate line code L1",
    ),
    "choices code clashes with a line": (
        lambda d: d["choices"].update(code="L7"),
        "duplicate line code L7",
    ),
    "bad line code": (lambda d: d["lines"][0].update(code="voters"), "line code must look like"),
    "duplicate relation id": (
        lambda d: d["relations"][1].update(id=d["relations"][0]["id"]),
        "duplicate relation id ballots_balance",
    ),
    "unknown line in a relation": (_set_expr("L2 == L3 + L99"), "unknown line L99"),
    "expression does not parse": (_set_expr("L2 == == L3"), "does not parse"),
    "float constant": (_set_expr("L2 == 1.5 * L3"), "only integer constants are allowed"),
    "boolean constant": (_set_expr("L2 == True"), "only integer constants are allowed"),
    "string constant": (_set_expr("L2 == 'L3'"), "only integer constants are allowed"),
    "division": (_set_expr("L2 == L3 / 2"), "operator Div is not allowed"),
    "power": (_set_expr("L2 == L3 ** 2"), "operator Pow is not allowed"),
    "product of two lines": (
        _set_expr("L2 == L3 * L8"),
        "multiplication is allowed only by an integer constant",
    ),
    "other function": (
        _set_expr("L2 == max(L3, L8)"),
        "the only functions are sum(choices) and each(choice)",
    ),
    "sum of something else": (
        _set_expr("L2 == sum(L3)"),
        "the only functions are sum(choices) and each(choice)",
    ),
    "attribute access": (_set_expr("L2.__class__ == L3"), "Attribute is not allowed"),
    "subscript": (_set_expr("L2 == L3[0]"), "Subscript is not allowed"),
    "lambda": (_set_expr("L2 == (lambda: 1)()"), "the only functions"),
    "unknown name": (_set_expr("L2 == voters"), "'voters' is not a line code"),
    "bare choices": (_set_expr("L2 == choices"), "write sum(choices) or each(choice)"),
    "per-choice line used directly": (_set_expr("L6 <= L5"), "L6 is the per-choice line"),
    "no comparison": (_set_expr("L2 + L3"), "a relation must compare two sides"),
    "boolean operators": (_set_expr("L1 >= L3 and L1 >= L5"), "a relation must compare two sides"),
    "chained comparison": (_set_expr("L1 >= L3 >= L5"), "chained comparisons are not allowed"),
    "not-equal": (_set_expr("L2 != L3"), "comparison NotEq is not allowed"),
    "nested comparison": (_set_expr("L2 == (L3 < L8)"), "a comparison is allowed only once"),
    "constants only": (_set_expr("1 == 1"), "refers to no line"),
    "bad severity": (
        lambda d: d["relations"][0].update(severity="warning"),
        "severity must be 'error' or 'flag', not 'warning'",
    ),
    "negative tolerance": (
        lambda d: d["relations"][0].update(tolerance=-1),
        "tolerance must not be negative (-1)",
    ),
    "non-integer tolerance": (
        lambda d: d["relations"][0].update(tolerance=0.5),
        "tolerance must be an integer",
    ),
    "unknown placeholder": (
        lambda d: _relation(d, "ballots_balance")["message"].update(en="Off by {delta}"),
        "message.en: unknown placeholder(s) {delta}",
    ),
    "choice placeholder outside a per-choice relation": (
        lambda d: _relation(d, "ballots_balance")["message"].update(ru="Партия {choice}"),
        "message.ru: unknown placeholder(s) {choice}",
    ),
    "version zero": (lambda d: d.update(version=0), "version must be >= 1"),
    "pages zero": (lambda d: d.update(pages=0), "pages must be >= 1"),
    "bad turnout": (
        lambda d: d.update(turnout={"voters": "L5 / L1", "registered": "L1"}),
        "turnout.voters",
    ),
    "relations not a list": (lambda d: d.update(relations={"a": 1}), "relations must be a list"),
}


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_malformed_definition_is_rejected_with_its_message(case: str, tmp_path: Path) -> None:
    change, expected = BROKEN[case]
    data = copy.deepcopy(_base())
    change(data)
    path = tmp_path / "broken.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with pytest.raises(FormDefinitionError) as info:
        load_form_file(path)
    assert str(path) in str(info.value)
    assert expected in str(info.value), str(info.value)


def test_the_untouched_base_loads(tmp_path: Path) -> None:
    path = tmp_path / "ok.yaml"
    path.write_text(yaml.safe_dump(_base(), allow_unicode=True), encoding="utf-8")
    assert load_form_file(path).code == "kz_mazhilis"


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("code: [unclosed", "not valid YAML"),
        ("", "the form must be a mapping, not NoneType"),
        ("- just\n- a list\n", "the form must be a mapping, not list"),
    ],
)
def test_unreadable_files_are_rejected(content: str, expected: str, tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(FormDefinitionError, match=expected.replace("(", r"\(")):
        load_form_file(path)


def test_missing_file_is_reported(tmp_path: Path) -> None:
    with pytest.raises(FormDefinitionError, match="cannot read the file"):
        load_form_file(tmp_path / "nope.yaml")
