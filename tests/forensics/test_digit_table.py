"""The standard digit table (Mebane; the Election Forensics Toolkit) against the Toolkit's own
published table: Albania 2013, turnout per prefecture (`albania2013_stations.csv`, the data the
Toolkit ships).

The published values are those of the table image in the EFToolkit repository
(kkalininMI/EFToolkit, `inst/figures/EFT_table.png`, shown in its README under
`BasicElectionForensics(dat, Candidates=c("C035", "C050"), Level="Prefectures",
TotalReg="Registered", TotalVotes="Ballots", ..., R=100)`), transcribed by hand for the six
prefectures it shows. Point values are deterministic and must agree to the published 3 decimals;
the intervals are bootstrap intervals (the Toolkit's from only 100 resamples), so ours must agree
within their Monte-Carlo noise."""

from __future__ import annotations

import csv

import numpy as np
import pytest

from baqylau.forensics.data import StationArrays
from baqylau.forensics.digits import REFERENCE, digit_table, standard_statistics
from tests.conftest import shared_file

# prefecture: (stations, {statistic: (value, low, high)}, dip-test p)
PUBLISHED = {
    "BERAT": (
        300,
        {
            "2bl": (4.244, 3.92, 4.561),
            "p05": (0.197, 0.149, 0.254),
            "c05": (0.217, 0.162, 0.263),
            "skew": (0.261, -0.121, 0.617),
            "kurtosis": (3.474, 2.265, 4.374),
        },
        0.651,
    ),
    "DIBER": (
        258,
        {
            "2bl": (4.167, 3.75, 4.52),
            "p05": (0.221, 0.173, 0.267),
            "c05": (0.225, 0.169, 0.273),
            "skew": (1.685, 1.314, 2.025),
            "kurtosis": (4.954, 2.718, 6.392),
        },
        0.0,
    ),
    "DURRES": (
        444,
        {
            "2bl": (4.572, 4.242, 4.812),
            "p05": (0.173, 0.131, 0.207),
            "c05": (0.194, 0.159, 0.231),
            "skew": (1.354, 1.078, 1.617),
            "kurtosis": (3.211, 2.212, 3.956),
        },
        0.0,
    ),
    "ELBASAN": (
        516,
        {
            "2bl": (4.345, 4.153, 4.632),
            "p05": (0.217, 0.184, 0.249),
            "c05": (0.196, 0.16, 0.226),
            "skew": (1.5, 1.245, 1.705),
            "kurtosis": (4.086, 2.87, 4.84),
        },
        0.0,
    ),
    "FIER": (
        558,
        {
            "2bl": (4.373, 4.105, 4.655),
            "p05": (0.208, 0.172, 0.239),
            "c05": (0.181, 0.153, 0.208),
            "skew": (1.582, 1.342, 1.777),
            "kurtosis": (4.572, 3.435, 5.355),
        },
        0.0,
    ),
    "GJIROKASTER": (
        237,
        {
            "2bl": (4.549, 4.008, 4.879),
            "p05": (0.287, 0.227, 0.342),
            "c05": (0.228, 0.175, 0.28),
            "skew": (0.72, 0.445, 0.954),
            "kurtosis": (2.166, 1.529, 2.624),
        },
        0.0,
    ),
}


@pytest.fixture(scope="module")
def albania(shared_data) -> StationArrays:
    """The table as published, read with the csv module: turnout = Ballots / Registered, the
    parties' columns as choices (their two `NA` cells unknown, never 0: they play no part in
    turnout, and the two parties' rows leave those stations out)."""
    path = shared_file(shared_data, "albania2013/albania2013_stations.csv")
    with path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh))
    header, data = rows[0], rows[1:]
    parties = [i for i, h in enumerate(header) if h.startswith("C0")]
    ballots = np.array([int(r[header.index("Ballots")]) for r in data])
    known = np.array([[r[i] != "NA" for i in parties] for r in data])
    votes = np.array([[int(r[i]) if r[i] != "NA" else 0 for i in parties] for r in data])
    return StationArrays(
        registered=np.array([int(r[header.index("Registered")]) for r in data]),
        issued=ballots,
        received=ballots,
        valid=votes.sum(axis=1),
        invalid=np.clip(ballots - votes.sum(axis=1), 0, None),
        votes=votes,
        choices=tuple(header[i] for i in parties),
        leader=int(np.argmax(votes.sum(axis=0))),
        units={"region": np.array([r[header.index("Prefectures")] for r in data])},
        known={"votes": known, "valid": known.all(axis=1), "invalid": known.all(axis=1)},
    )


@pytest.fixture(scope="module")
def table(albania):
    return digit_table(albania, level="region", choices=["C035", "C050"], draws=2000, seed=5)


def test_reference_values():
    assert REFERENCE["2bl"] == pytest.approx(4.187, abs=5e-4)  # Benford's second-digit mean
    assert (REFERENCE["last_digit"], REFERENCE["c05"], REFERENCE["p05"]) == (4.5, 0.2, 0.2)
    assert (REFERENCE["skew"], REFERENCE["kurtosis"]) == (0.0, 3.0)


@pytest.mark.realdata
@pytest.mark.parametrize("prefecture", sorted(PUBLISHED))
def test_turnout_per_prefecture_as_published(table, prefecture):
    (row,) = [r for r in table["rows"] if r["variable"] == "turnout" and r["unit"] == prefecture]
    assert_as_published(row, prefecture)


def assert_as_published(row: dict, prefecture: str) -> None:
    """A turnout row of the digit table against the Toolkit's published row."""
    stations, published, dip = PUBLISHED[prefecture]
    assert row["stations"] == stations
    for name, (value, low, high) in published.items():
        cell = row[name]
        assert round(cell["value"], 3) == pytest.approx(value, abs=1e-9), name
        assert cell["reference"] == REFERENCE[name]
        # the published interval rests on 100 resamples: its ends move by roughly a fifth of
        # its width from one run to the next; ours (2,000 resamples) must be that close
        ours_low, ours_high = cell["interval"]
        width = high - low
        assert abs(ours_low - low) < 0.3 * width and abs(ours_high - high) < 0.3 * width, name
        assert cell["departs"] == (not ours_low <= REFERENCE[name] <= ours_high)
    assert round(row["dip_p"]["value"], 3) == pytest.approx(dip, abs=1e-9)


@pytest.mark.realdata
def test_every_unit_and_choice_has_rows(table, albania):
    assert table["variables"] == ["turnout", "C035", "C050"]
    units = {r["unit"] for r in table["rows"]}
    assert units == {""} | set(np.unique(albania.units["region"]))
    whole = [r for r in table["rows"] if r["unit"] == "" and r["variable"] == "C050"][0]
    assert whole["stations"] == albania.n_stations
    # a choice's share is its votes over the ballots: the same c05 as counting by hand
    c050 = albania.votes[:, albania.choices.index("C050")]
    assert whole["c05"]["value"] == pytest.approx(np.isin(c050 % 10, (0, 5)).mean())
    assert whole["last_digit"]["value"] == pytest.approx((c050 % 10).mean())


@pytest.mark.realdata
def test_a_choice_unknown_at_a_station_is_left_out_of_its_row(albania):
    """C011 and C067 are `NA` at one station each: their rows rest on the other stations (an
    unknown figure counted as 0 would "end in 0")."""
    table = digit_table(albania, level="region", choices=["C011", "C067"], draws=20)
    rows = {(r["variable"], r["unit"]): r for r in table["rows"]}
    n = albania.n_stations
    assert rows[("turnout", "")]["stations"] == n
    assert rows[("C011", "")]["stations"] == rows[("C067", "")]["stations"] == n - 1
    assert rows[("C067", "DIBER")]["stations"] == rows[("turnout", "DIBER")]["stations"] - 1
    k = albania.choices.index("C067")
    known = albania.choice_known(k)
    c067 = albania.votes[known, k]
    assert rows[("C067", "")]["c05"]["value"] == pytest.approx(np.isin(c067 % 10, (0, 5)).mean())


def test_invented_counts_depart():
    """Counts written by people (many ending in 0 or 5) and a second mode: the table says so;
    honest binomial counts stay near the references."""
    rng = np.random.default_rng(3)
    registered = rng.integers(500, 3000, 4000)
    honest = rng.binomial(registered, rng.uniform(0.35, 0.75, registered.size))
    clean = standard_statistics(honest, honest / registered, draws=400, rng=rng)
    # (each interval is a 95 % one: a single honest statistic departs one time in twenty, so
    # the honest values are checked against their references, not against `departs`)
    assert abs(clean["last_digit"]["value"] - 4.5) < 0.15
    for name in ("c05", "p05"):
        assert abs(clean[name]["value"] - 0.2) < 0.02, name
    assert clean["dip_p"]["value"] > 0.05  # a uniform spread of rates has one (flat) mode
    invented = honest.copy()
    pick = rng.random(registered.size) < 0.4
    invented[pick] = np.round(registered[pick] * 0.9 / 5) * 5  # "90 %", rounded to a 5
    bad = standard_statistics(invented, invented / registered, draws=400, rng=rng)
    assert bad["c05"]["departs"] and bad["c05"]["value"] > 0.4
    assert bad["dip_p"]["value"] < 0.05
