"""Every Russian CEC file (2011, 2012, 2018, 2020, 2021): its mapping names a shipped protocol
form whose lines are the file's columns; every row of every file validates; the form's control
relations hold at every station (the official data break none); an imported slice of each year
is checked by the tally (no finding on the real rows, one on a row altered by the test)."""

from __future__ import annotations

import csv
import io
import zipfile
from pathlib import Path

import numpy as np
import pytest

from baqylau.elections.importing import load_mapping, validate_file
from baqylau.protocols.engine import load_form, validate_arrays
from tests.conftest import shared_file

YEARS = (2011, 2012, 2018, 2020, 2021)
#: Data rows of each file (the README gives 2011 and 2018; the others are the files' line counts
#: less the header, counted with `unzip -p ruYYYY.csv.zip | wc -l`).
ROWS = {2011: 95_225, 2012: 95_415, 2018: 97_699, 2020: 96_765, 2021: 96_325}
FORMS = {
    2011: "ru_uik_2011",
    2012: "ru_uik_2012",
    2018: "ru_uik_2018",
    2020: "ru_vote_2020",
    2021: "ru_uik_2021",
}


@pytest.mark.parametrize("year", YEARS)
def test_mapping_names_a_shipped_form_with_the_files_lines(year):
    mapping = load_mapping(f"ru{year}")
    assert mapping.contest["protocol_form"] == FORMS[year]
    form = load_form(mapping.contest["protocol_form"])
    assert set(mapping.lines) == set(form.line_codes)
    for code, column in mapping.lines.items():
        assert form.line(code).source_column == column, code
    assert [r for r in form.relations if str(r.severity) == "error"]


def _station_figures(path: Path, year: int) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """Every row of the file read with the csv module (not the importer): each mapped line's
    column by its header, and the choices (the columns between the last line and `url`)."""
    mapping = load_mapping(f"ru{year}")
    with zipfile.ZipFile(path) as zf:
        (member,) = [n for n in zf.namelist() if n.endswith(".csv")]
        with zf.open(member) as raw:
            reader = csv.reader(io.TextIOWrapper(raw, encoding="utf-8", newline=""))
            header = next(reader)
            rows = list(reader)
    columns = [header.index(column) for column in mapping.lines.values()]
    first_choice = max(columns) + 1
    table = np.array([[int(row[i]) for i in columns] for row in rows])
    votes = np.array([row[first_choice : header.index("url")] for row in rows], dtype=np.int64)
    return dict(zip(mapping.lines, table.T, strict=True)), votes


@pytest.mark.slow  # reads and validates ~96,000 rows per year (10-25 s each)
@pytest.mark.realdata
@pytest.mark.parametrize("year", YEARS)
def test_every_row_validates_and_the_control_relations_hold(shared_data, year):
    path = shared_file(shared_data, f"russia/ru{year}.csv.zip")
    rows, problems = validate_file(path, load_mapping(f"ru{year}"))
    assert (rows, problems.total) == (ROWS[year], 0), problems.items[:5]

    lines, votes = _station_figures(path, year)
    form = load_form(FORMS[year])
    found = validate_arrays(form, lines, votes)
    errors = {
        rid: int(m.violated.sum())
        for rid, m in found.relations.items()
        if str(m.severity) == "error"
    }
    assert errors and set(errors.values()) == {0}, errors
    # the relations are not vacuous: one station with an extra valid ballot breaks them
    bad_votes = votes.copy()
    bad_votes[7, 0] += 1
    broken = validate_arrays(form, lines, bad_votes)
    assert sum(int(m.violated.sum()) for m in broken.relations.values()) >= 1


def _slice(path: Path, rows: int, tmp: Path, alter_row: int | None = None) -> Path:
    """The header and the first `rows` rows of a CEC file, zipped like the original; with
    `alter_row`, that row's first choice gets one more vote (breaking its control relations)."""
    with zipfile.ZipFile(path) as zf:
        (member,) = [n for n in zf.namelist() if n.endswith(".csv")]
        with zf.open(member) as raw:
            reader = csv.reader(io.TextIOWrapper(raw, encoding="utf-8", newline=""))
            header = next(reader)
            data = [next(reader) for _ in range(rows)]
    if alter_row is not None:
        # the choices end just before `url`: the last one gets one more vote
        last_choice = header.index("url") - 1
        data[alter_row][last_choice] = str(int(data[alter_row][last_choice]) + 1)
    out = tmp / f"slice-{path.name}"
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows([header, *data])
    with zipfile.ZipFile(out, "w") as zf:
        zf.writestr(member, buffer.getvalue())
    return out


@pytest.mark.realdata
@pytest.mark.django_db
@pytest.mark.parametrize("year", YEARS)
def test_an_imported_slice_is_checked_by_the_tally(shared_data, tmp_path, year):
    from baqylau.elections.importing import run_import
    from baqylau.elections.models import Contest
    from baqylau.jobs.worker import run_until_idle
    from baqylau.tally.models import Finding

    path = shared_file(shared_data, f"russia/ru{year}.csv.zip")
    report = run_import(_slice(path, 200, tmp_path, alter_row=5), load_mapping(f"ru{year}"))
    assert report.ok, report.problems[:5]
    assert report.rows == 200
    run_until_idle()
    contest = Contest.objects.get(election__code=f"ru{year}")
    assert contest.protocol_form == FORMS[year]
    found = Finding.objects.filter(contest=contest, kind="official_inconsistent")
    assert found.count() == 1  # the altered row only: the 199 real rows break no relation
    finding = found.get()
    assert "valid_votes_balance" in finding.details["relations"] or (
        "boxes_balance" in finding.details["relations"]
    )
    assert set(finding.details["message"]) == {"kk", "ru", "en"}
