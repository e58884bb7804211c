"""Open-data exports: CSV and JSON round trips of stations and of long-format results."""

from __future__ import annotations

import csv
import io
import json

import pytest

from baqylau.elections.exporting import RESULT_COLUMNS, export_results, export_stations
from baqylau.elections.importing import run_import
from baqylau.elections.models import Election

from .helpers import ROWS, mapping, write_csv

pytestmark = pytest.mark.django_db


@pytest.fixture
def election(tmp_path):
    assert run_import(write_csv(tmp_path / "t.csv"), mapping()).ok
    return Election.objects.get(code="t2024")


def _both(func, election, **kwargs):
    as_csv, as_json = io.StringIO(), io.StringIO()
    n_csv = func(election, as_csv, fmt="csv", **kwargs)
    n_json = func(election, as_json, fmt="json", **kwargs)
    rows_csv = list(csv.DictReader(io.StringIO(as_csv.getvalue())))
    rows_json = json.loads(as_json.getvalue())
    assert n_csv == n_json == len(rows_csv) == len(rows_json)
    return rows_csv, rows_json


def test_stations_round_trip(election):
    rows_csv, rows_json = _both(export_stations, election)
    assert [r["path"] for r in rows_json] == sorted(f"KZ/{r[0]}/{r[2]}/{r[3]}" for r in ROWS)
    first = rows_json[0]
    assert first["region_code"] == "01" and first["region_name"] == "Akmola"
    assert first["district_name"] == "Kokshetau" and first["country_code"] == "KZ"
    assert first["registered_voters"] == 1000 and first["latitude"] == 53.28
    # CSV holds the same values as text
    for c, j in zip(rows_csv, rows_json, strict=True):
        assert c.keys() == j.keys()
        assert {k: ("" if v is None else str(v)) for k, v in j.items()} == c
    assert sum(r["registered_voters"] for r in rows_json) == 3050
    assert [r["closed"] for r in rows_json] == ["", "hospital", "", ""]
    assert [r["is_abroad"] for r in rows_json] == [False, False, False, True]


def test_station_results_long_format_round_trip(election):
    rows_csv, rows_json = _both(export_results, election, level="station")
    assert list(rows_csv[0]) == RESULT_COLUMNS
    assert len(rows_json) == 4 * (3 + 2)
    back = {(r["unit_path"], r["item"]): r["value"] for r in rows_json}
    for row in ROWS:
        path = f"KZ/{row[0]}/{row[2]}/{row[3]}"
        assert back[(path, "L1")] == int(row[9])
        assert back[(path, "L5")] == int(row[10])
        assert back[(path, "L7")] == int(row[11])
        assert back[(path, "alpha-alphaeva")] == int(row[12])
        assert back[(path, "beta-betov")] == int(row[13])
    assert {(r["unit_path"], r["item"]): int(r["value"]) for r in rows_csv} == back
    assert {r["basis"] for r in rows_json} == {"official"}
    alpha = next(r for r in rows_json if r["item"] == "alpha-alphaeva")
    assert (alpha["item_type"], alpha["item_name"]) == ("choice", "Alpha Alphaeva")


@pytest.mark.parametrize(
    ("level", "expected"),
    [
        ("country", {"KZ": 1220}),
        ("region", {"KZ/01": 1200, "KZ/02": 20}),
        ("district", {"KZ/01/Kokshetau": 700, "KZ/01/Stepnogorsk": 500, "KZ/02/Aktobe city": 20}),
    ],
)
def test_aggregated_levels(election, level, expected):
    _csv, rows = _both(export_results, election, level=level)
    alpha = {r["unit_path"]: r["value"] for r in rows if r["item"] == "alpha-alphaeva"}
    assert alpha == expected
    assert {r["basis"] for r in rows} == {"stations"}
    registered = {r["unit_path"]: r["value"] for r in rows if r["item"] == "L1"}
    assert sum(registered.values()) == 3050


def test_official_result_above_stations_is_exported_beside_the_sum(election, tmp_path):
    """A region-level official result (as for Kazakhstan 2019) sits beside the stations' sum."""
    region_mapping = mapping(
        units={
            "root": {"code": "KZ", "kind": "country"},
            "levels": [{"kind": "region", "code": "region_code", "names": {"ru": "region"}}],
        },
        station={},
        lines={"L7": "invalid"},
        choices=[{"column": "1. Alpha Alphaeva"}, {"column": "2. Beta Betov"}],
    )
    rows = [["01", "Akmola", "", "", "", "", "", "", "", "0", "0", "35", "1300", "565", ""]]
    report = run_import(write_csv(tmp_path / "regions.csv", rows), region_mapping)
    assert report.ok, report.problems
    _csv, out = _both(export_results, election, level="region")
    akmola = {(r["basis"], r["item"]): r["value"] for r in out if r["unit_path"] == "KZ/01"}
    assert akmola[("official", "alpha-alphaeva")] == 1300
    assert akmola[("stations", "alpha-alphaeva")] == 1200
    assert akmola[("official", "L7")] == akmola[("stations", "L7")] == 35


def test_empty_export_is_valid_json(tmp_path):
    e = Election.objects.create(code="empty", date="2024-01-01", kind="local", country="KZ")
    out = io.StringIO()
    assert export_results(e, out, fmt="json") == 0
    assert json.loads(out.getvalue()) == []
