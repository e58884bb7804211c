"""Broken files: every bad row is reported with line, column and reason, and nothing is written."""

from __future__ import annotations

import copy
import zipfile

import pytest

from baqylau.elections.importing import Problem, run_import

from .helpers import HEADER, ROWS, csv_text, db_state, mapping, write_csv

pytestmark = pytest.mark.django_db


def _rows(**edits):
    """ROWS with cells replaced: edits = {"r1c10": "value"} (0-based row and column)."""
    rows = copy.deepcopy(ROWS)
    for key, value in edits.items():
        r, c = key[1:].split("c")
        rows[int(r)][int(c)] = value
    return rows


def _import_broken(tmp_path, rows=ROWS, header=HEADER, **kwargs):
    before = db_state()
    report = run_import(write_csv(tmp_path / "broken.csv", rows, header), mapping(), **kwargs)
    assert not report.ok
    assert db_state() == before, "a rejected file must not change the database"
    assert report.import_run_id is None
    return report.problems


def test_negative_and_non_numeric_figures_each_reported(tmp_path):
    rows = _rows(r0c10="-5", r2c12="12a", r3c13="7.5")
    problems = _import_broken(tmp_path, rows)
    assert problems == [
        Problem("broken.csv", 2, "took_part", "negative figure: -5"),
        Problem("broken.csv", 4, "1. Alpha Alphaeva", "not a number: '12a'"),
        Problem("broken.csv", 5, "2. Beta Betov", "not a whole number: '7.5'"),
    ]


def test_empty_figure_and_empty_code(tmp_path):
    problems = _import_broken(tmp_path, _rows(r1c11="", r2c3=""))
    assert Problem("broken.csv", 3, "invalid", "empty figure") in problems
    assert Problem("broken.csv", 4, "station", "empty station code") in problems
    assert len(problems) == 2


def test_missing_columns_reported_from_header(tmp_path):
    header = [h if h != "took_part" else "turnout" for h in HEADER]
    header = [h for h in header if h != "lat"]
    rows = [[c for i, c in enumerate(r) if HEADER[i] != "lat"] for r in ROWS]
    problems = _import_broken(tmp_path, rows, header)
    assert {(p.line, p.column, p.reason) for p in problems} == {
        (1, "lat", "missing column"),
        (1, "took_part", "missing column"),
    }


def test_duplicate_station_reports_both_lines(tmp_path):
    rows = [*ROWS, list(ROWS[1])]
    problems = _import_broken(tmp_path, rows)
    assert len(problems) == 1
    p = problems[0]
    assert (p.line, p.column) == (6, "station")
    assert "duplicate station 'KZ/01/Kokshetau/2'" in p.reason and "line 3" in p.reason


def test_bad_encoding_reports_the_line(tmp_path):
    path = tmp_path / "latin.csv"
    text = csv_text(_rows(r2c2="Степногорск"))
    path.write_bytes(
        text.encode("utf-8").replace("Степногорск".encode(), "Степногорск".encode("cp1251"))
    )
    before = db_state()
    report = run_import(path, mapping())
    assert not report.ok and db_state() == before
    assert [(p.line, p.column) for p in report.problems] == [(4, "*")]
    assert report.problems[0].reason.startswith("not valid utf-8: byte 0x")


def test_wrong_delimiter_and_short_rows(tmp_path):
    path = tmp_path / "semicolon.csv"
    path.write_text(csv_text(delimiter=";"), encoding="utf-8")
    report = run_import(path, mapping())
    assert not report.ok
    assert report.problems[0].line == 1 and report.problems[0].reason == "missing column"

    rows = copy.deepcopy(ROWS)
    rows[1] = rows[1][:5]
    problems = _import_broken(tmp_path, rows)
    assert problems == [Problem("broken.csv", 3, "*", "5 fields where the header has 15")]


def test_unknown_station_with_existing_units(tmp_path):
    # First create the units from a clean file, then import results that name a station that
    # does not exist: with existing units, that is an error.
    assert run_import(write_csv(tmp_path / "ok.csv"), mapping()).ok
    rows = _rows(r3c3="99", r0c2="Nowhere")
    problems = _import_broken(tmp_path, rows, existing_units=True)
    assert [(p.line, p.column) for p in problems] == [(2, "station"), (5, "station")]
    assert problems[0].reason == "unknown station 'KZ/01/Nowhere/1'"


def test_out_of_range_coordinates_and_bad_flags(tmp_path):
    problems = _import_broken(tmp_path, _rows(r0c5="95", r1c7="maybe", r2c8="prison"))
    assert [(p.line, p.column) for p in problems] == [(2, "lat"), (3, "abroad"), (4, "closed")]


def test_many_problems_all_listed(tmp_path):
    rows = [list(r) for r in ROWS]
    for r in rows:
        r[9] = "-1"
        r[12] = "n/a"
    problems = _import_broken(tmp_path, rows)
    assert len(problems) == 8
    assert {p.line for p in problems} == {2, 3, 4, 5}


def test_zip_without_csv_member(tmp_path):
    path = tmp_path / "empty.zip"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("readme.txt", "")
        z.writestr("other.txt", "")
    report = run_import(path, mapping())
    assert not report.ok and "expected exactly one .csv member" in report.problems[0].reason
