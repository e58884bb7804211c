"""Forensics on every Russian year: the file reader (`--file`), the integer-percentage excess, and
`forensics --election` on an imported slice of the 2020 vote (the form whose lines differ)."""

from __future__ import annotations

import json

import numpy as np
import pytest
from typer.testing import CliRunner

from baqylau.cli import app
from baqylau.forensics.data import RUSSIAN_YEARS, StationArrays
from baqylau.forensics.integer import integer_percent_excess
from tests.conftest import shared_file

pytestmark = pytest.mark.realdata

#: Stations and registered voters: 2011 and 2018 from ../shared/data's README; the others are the
#: sums of line 1 over each file (`unzip -p` and a one-line awk over the column).
TOTALS = {
    2011: (95_225, 109_229_337),
    2012: (95_415, 109_860_331),
    2018: (97_699, 109_008_428),
    2020: (96_765, 107_999_611),
    2021: (96_325, 109_204_662),
}
LEADERS = {2011: "ЕДИНАЯ РОССИЯ", 2012: "Путин", 2018: "Путин", 2020: "ДА", 2021: "ЕДИНАЯ РОССИЯ"}


@pytest.fixture(scope="module")
def russia(shared_data):
    return {
        year: StationArrays.from_russian_csv(
            shared_file(shared_data, f"russia/ru{year}.csv.zip"), year
        )
        for year in RUSSIAN_YEARS
    }


def test_every_year_is_read(russia):
    assert set(russia) == set(TOTALS)
    for year, arrays in russia.items():
        assert (arrays.n_stations, int(arrays.registered.sum())) == TOTALS[year], year
        assert LEADERS[year] in arrays.leader_code
        consistency = arrays.consistency()
        assert consistency["received != valid + invalid"] == 0
        assert consistency["sum(votes) != valid"] == 0
        assert consistency["issued > registered"] == 0
        # a station id per row, unique (2021's remote e-voting rows are named by their oik)
        assert np.unique(arrays.station_ids).size == arrays.n_stations, year


def test_2020_reads_the_vote_lines(russia):
    a = russia[2020]
    assert a.choices == ("ДА", "НЕТ")
    # turnout = ballots issued to participants / participants on the list: 67.97 % officially
    assert a.issued.sum() / a.registered.sum() == pytest.approx(0.68, abs=0.005)
    # "yes" share of ballots in the boxes: 77.92 % officially (invalid ballots included)
    assert a.leader_votes.sum() / a.received.sum() == pytest.approx(0.779, abs=0.003)


@pytest.mark.parametrize("year", RUSSIAN_YEARS)
def test_integer_percentage_excess(russia, year):
    """Every year has more stations at whole percents than binomial noise allows (Kobak,
    Shpilkin & Pshenichnikov): the exact excess is more than 5 null standard deviations."""
    result = integer_percent_excess(russia[year], draws=10, seed=0)
    assert result.exact_excess > 5 * result.exact_null_sd, (year, result.exact_excess)
    if year == 2018:  # the published figure (README): 1,708.8
        assert abs(result.exact_excess - 1708.8) < 1.0


@pytest.mark.slow  # every method on ~96,000 stations, five times (≈10-20 s each)
@pytest.mark.parametrize("year", RUSSIAN_YEARS)
def test_cli_file_every_year(shared_data, tmp_path, year):
    path = shared_file(shared_data, f"russia/ru{year}.csv.zip")
    out = tmp_path / "report"
    res = CliRunner().invoke(
        app, ["forensics", "--file", str(path), "--out", str(out), "--draws", "10", "--no-figures"]
    )
    assert res.exit_code == 0, res.output
    assert "Traceback" not in res.output
    report = json.loads((out / "report.json").read_text())
    assert report["summary"]["stations"] == TOTALS[year][0]


@pytest.mark.django_db
def test_cli_election_2020_slice(shared_data, tmp_path):
    """`forensics --election ru2020` reads the 2020 form's lines (not the UIK lines of 2018)."""
    from baqylau.elections.importing import load_mapping, run_import
    from tests.elections.test_russia_every_year import _slice

    path = shared_file(shared_data, "russia/ru2020.csv.zip")
    assert run_import(_slice(path, 300, tmp_path), load_mapping("ru2020")).ok
    out = tmp_path / "report"
    res = CliRunner().invoke(
        app, ["forensics", "--election", "ru2020", "--out", str(out), "--draws", "10"]
    )
    assert res.exit_code == 0, res.output
    report = json.loads((out / "report.json").read_text())
    expected = StationArrays.from_russian_csv(_slice(path, 300, tmp_path), 2020)
    assert report["summary"]["stations"] == 300
    assert report["summary"]["issued"] == int(expected.issued.sum())
    assert report["summary"]["received"] == int(expected.received.sum())
    assert report["summary"]["leader"] == "yes"
