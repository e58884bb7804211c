"""Successful imports: units, results, upsert semantics, idempotence, formats, all-or-nothing."""

from __future__ import annotations

import copy
import zipfile

import openpyxl
import pytest

from baqylau.elections.importing import load_mapping, run_import, shipped_mappings
from baqylau.elections.importing import writer as writer_module
from baqylau.elections.models import AdminUnit, Choice, ImportRun, OfficialLine, OfficialVote
from baqylau.elections.selectors import election_totals
from baqylau.tally.models import UnitCount
from baqylau.tally.services import recount

from .helpers import HEADER, ROWS, csv_text, db_state, mapping, snapshot, write_csv


@pytest.mark.django_db
def test_import_builds_tree_results_and_registered(tmp_path):
    report = run_import(write_csv(tmp_path / "t.csv"), mapping())
    assert report.ok, report.problems
    assert report.rows == 4
    assert election_totals(report_election()) == {"stations": 4, "registered": 3050}
    station = AdminUnit.objects.get(path="KZ/01/Kokshetau/2")
    assert station.name_ru == "Участок №2"
    assert station.parent.path == "KZ/01/Kokshetau" and station.parent.kind == "district"
    assert station.parent.parent.name_ru == "Akmola" and station.depth == 3
    assert (station.closed, station.latitude, station.address) == ("hospital", 53.29, "School 2")
    assert AdminUnit.objects.get(path="KZ/02/Aktobe city/4").is_abroad
    alpha = Choice.objects.get(code="alpha-alphaeva")
    assert (alpha.number, alpha.name_ru) == (1, "Alpha Alphaeva")
    lines = OfficialLine.objects.filter(result__unit=station).values_list("line", "value")
    votes = OfficialVote.objects.filter(result__unit=station).values_list("choice__code", "votes")
    assert dict(lines) == {"L1": 800, "L5": 500, "L7": 5}
    assert dict(votes) == {"alpha-alphaeva": 300, "beta-betov": 195}
    # the tally adds the official station results up (the recount the import queues)
    recount(alpha.contest)
    root = UnitCount.objects.get(contest=alpha.contest, unit__parent__isnull=True)
    codes = {str(pk): code for pk, code in Choice.objects.values_list("pk", "code")}
    assert {codes[k]: v for k, v in root.official["votes"].items()} == {
        "alpha-alphaeva": 1220,
        "beta-betov": 585,
    }
    assert root.official["stations"] == 4 and root.stations_covered == 0
    run = ImportRun.objects.get()
    assert (run.rows, run.units_created, run.results_written) == (4, 1 + 2 + 3 + 4, 4)
    assert len(run.sha256) == 64


def report_election():
    from baqylau.elections.models import Election

    return Election.objects.get(code="t2024")


@pytest.mark.django_db
def test_second_run_changes_nothing(tmp_path):
    path = write_csv(tmp_path / "t.csv")
    first = run_import(path, mapping())
    assert first.counts.created > 0
    before, state = snapshot(), db_state()
    second = run_import(path, mapping())
    assert second.ok and not second.changed
    assert (second.counts.created, second.counts.updated) == (0, 0)
    assert "0 created, 0 updated" in second.summary()
    assert snapshot() == before
    state["ImportRun"] += 1  # every run is recorded, with the same digest
    assert db_state() == state
    assert ImportRun.objects.values("sha256").distinct().count() == 1


@pytest.mark.django_db
def test_changed_file_updates_only_what_changed(tmp_path):
    run_import(write_csv(tmp_path / "t.csv"), mapping())
    rows = copy.deepcopy(ROWS)
    rows[0][12] = "401"  # one vote figure
    rows[1][9] = "801"  # registered (L1) of another station
    rows[2][4] = "New school"
    rows.append(
        ["02", "Aktobe", "Aktobe city", "5", "", "", "", "", "", "10", "5", "0", "3", "2", ""]
    )
    report = run_import(write_csv(tmp_path / "t2.csv", rows), mapping())
    c = report.counts
    assert (c.units_created, c.units_updated) == (1, 2)
    assert (c.results_created, c.results_changed) == (1, 2)
    assert (c.figures_updated, c.figures_created) == (2, 5)
    assert AdminUnit.objects.get(path="KZ/01/Kokshetau/2").registered_voters == 801
    assert OfficialLine.objects.filter(line="L1", value=801).count() == 1


@pytest.mark.django_db
def test_empty_figures_skipped_when_mapping_allows(tmp_path):
    run_import(write_csv(tmp_path / "t.csv"), mapping())
    rows = copy.deepcopy(ROWS)
    rows[0][11] = ""
    data = mapping()
    data.empty_figures = "skip"
    report = run_import(write_csv(tmp_path / "t2.csv", rows), data)
    assert report.ok and report.counts.figures_deleted == 1
    assert not OfficialLine.objects.filter(
        result__unit__path="KZ/01/Kokshetau/1", line="L7"
    ).exists()


@pytest.mark.django_db
def test_zip_and_xlsx_give_the_same_database(tmp_path):
    archive = tmp_path / "t.csv.zip"
    with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_DEFLATED) as z:
        z.writestr("data.csv", csv_text())
    assert run_import(archive, mapping()).ok
    from_zip = snapshot()

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(HEADER)
    for row in ROWS:  # typed cells, as spreadsheets hold them
        typed = [int(c) if c.isdigit() and i >= 9 else c for i, c in enumerate(row)]
        typed[5] = float(row[5]) if row[5] else None
        typed[6] = float(row[6]) if row[6] else None
        sheet.append(typed)
    xlsx = tmp_path / "t.xlsx"
    book.save(xlsx)
    report = run_import(xlsx, mapping())
    assert report.ok, report.problems
    assert not report.changed, "the XLSX holds the same data as the zipped CSV"
    assert snapshot() == from_zip


@pytest.mark.django_db
def test_xlsx_problems_use_sheet_rows(tmp_path):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(HEADER)
    for row in ROWS:
        sheet.append(row)
    sheet["K3"] = -3
    path = tmp_path / "bad.xlsx"
    book.save(path)
    report = run_import(path, mapping())
    assert [(p.line, p.column, p.reason) for p in report.problems] == [
        (3, "took_part", "negative figure: -3")
    ]


@pytest.mark.django_db(transaction=True)
def test_failure_while_writing_rolls_back_everything(tmp_path, monkeypatch):
    path = write_csv(tmp_path / "t.csv")
    calls = {"n": 0}
    original = writer_module.Writer.write

    def failing(self, rows):
        calls["n"] += 1
        if calls["n"] == 2:
            raise RuntimeError("disk full")
        return original(self, rows)

    monkeypatch.setattr(writer_module.Writer, "write", failing)
    before = db_state()
    with pytest.raises(RuntimeError, match="disk full"):
        run_import(path, mapping(), batch_size=2)
    assert db_state() == before
    monkeypatch.undo()
    assert run_import(path, mapping(), batch_size=2).ok
    assert OfficialVote.objects.count() == 8


@pytest.mark.django_db
def test_results_for_existing_units(tmp_path):
    run_import(write_csv(tmp_path / "units.csv"), mapping())
    units_before = list(AdminUnit.objects.values_list("id", "path"))
    rows = copy.deepcopy(ROWS)
    rows[0][13] = "191"
    report = run_import(write_csv(tmp_path / "res.csv", rows), mapping(), existing_units=True)
    assert report.ok and report.counts.units_created == 0 and report.counts.figures_updated == 1
    assert list(AdminUnit.objects.values_list("id", "path")) == units_before


def test_shipped_mappings_load():
    names = shipped_mappings()
    assert {"ru2011", "ru2012", "ru2018", "ru2020", "ru2021", "kz2019_regions"} <= set(names)
    for name in names:
        m = load_mapping(name)
        assert (m.levels or m.announced) and (m.lines or m.choices)
    ru = load_mapping("ru2018")
    assert ru.registered_line == "L1" and list(ru.lines)[-1] == "L12"
    assert ru.contest["protocol_form"] == "ru_uik_2018"


@pytest.mark.django_db
def test_kz2019_regions(shared_data):
    from tests.conftest import shared_file

    path = shared_file(shared_data, "kazakhstan/kz2019_president_official_regions.csv")
    report = run_import(path, load_mapping("kz2019_regions"))
    assert report.ok, report.problems
    assert AdminUnit.objects.filter(election__code="kz2019", kind="region").count() == 17
    almaty = AdminUnit.objects.get(election__code="kz2019", path="KZ/almaty-city")
    assert (almaty.name_en, almaty.name_ru) == ("Almaty city", "город Алматы")
    vote = OfficialVote.objects.get(result__unit=almaty, choice__code="kossanov")
    assert vote.votes == 50366
    assert OfficialLine.objects.get(result__unit=almaty, line="valid").value == 587693
    assert not run_import(path, load_mapping("kz2019_regions")).changed


@pytest.mark.django_db
def test_town_or_village_is_imported_for_the_estimate(tmp_path):
    """A station's settlement (town or village, in the words a table uses) is a station field:
    the tally's estimate is post-stratified by it; a word it does not know is refused."""
    header = [*HEADER, "settlement"]
    words = ["город", "ауыл", "", "town"]
    rows = [[*row, word] for row, word in zip(ROWS, words, strict=True)]
    station = {**mapping().station, "settlement": "settlement"}
    report = run_import(write_csv(tmp_path / "t.csv", rows, header), mapping(station=station))
    assert report.ok, report.problems
    got = dict(
        AdminUnit.objects.filter(kind="station").values_list("code", "settlement").order_by("code")
    )
    assert got == {"1": "urban", "2": "rural", "3": "", "4": "urban"}
    bad = [[*row, "metropolis"] for row in ROWS]
    refused = run_import(write_csv(tmp_path / "b.csv", bad, header), mapping(station=station))
    assert not refused.ok and "not a town or village: 'metropolis'" in str(refused.problems[0])
