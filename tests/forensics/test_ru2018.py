"""ru2018: the published integer-percentage figures (Kobak, Shpilkin & Pshenichnikov 2018)."""

import numpy as np
import pytest

from baqylau.forensics.data import StationArrays, kobak_inclusion
from baqylau.forensics.integer import integer_percent_excess, near_whole_percent
from tests.conftest import shared_file

pytestmark = pytest.mark.realdata

DRAWS = 400
PUBLISHED_EXCESS = 1708.8
PUBLISHED_SD = 117.0


@pytest.fixture(scope="module")
def ru2018(shared_data):
    return StationArrays.from_russian_csv(shared_file(shared_data, "russia/ru2018.csv.zip"), 2018)


@pytest.fixture(scope="module")
def result(ru2018):
    return integer_percent_excess(ru2018, draws=DRAWS, seed=0)


def test_reader_totals(ru2018):
    assert ru2018.n_stations == 97_699
    assert int(ru2018.registered.sum()) == 109_008_428
    assert ru2018.leader_code.startswith("Путин")
    assert ru2018.consistency()["received != valid + invalid"] == 0
    assert len(np.unique(ru2018.units["district"])) > 2_000


def test_exact_published_counts(ru2018, result):
    keep = kobak_inclusion(ru2018)
    assert keep.sum() == 91_152
    assert result.stations == 91_152
    assert result.observed == 19_271
    assert result.observed_leader == 10_116
    assert result.observed_turnout == 10_543


def test_boundary_is_inclusive(ru2018):
    """4 stations sit exactly 0.05 pp from a whole percent; the published count includes them."""
    a = ru2018.subset(kobak_inclusion(ru2018))
    t_in = near_whole_percent(a.issued, a.registered)
    l_in = near_whole_percent(a.leader_votes, a.received)
    t_ex = near_whole_percent(a.issued, a.registered, width_pp=0.0499999)
    l_ex = near_whole_percent(a.leader_votes, a.received, width_pp=0.0499999)
    assert (t_in | l_in).sum() == 19_271
    assert (t_ex | l_ex).sum() == 19_267


def test_excess_within_monte_carlo_noise(result):
    # The exact null (no Monte-Carlo noise): E = 17,562.40, sd = 117.38, excess = 1,708.60;
    # the published 1,708.8 is itself a Monte-Carlo mean, 0.2 away.
    assert result.exact_null_sd == pytest.approx(PUBLISHED_SD, abs=1.0)
    assert abs(result.exact_excess - PUBLISHED_EXCESS) < 1.0
    # Our mean over DRAWS draws has standard error sd/sqrt(DRAWS) ≈ 5.9: allow 4 of them (plus
    # the published value's own ~0.2 offset), i.e. a false alarm about once in 15,000 runs.
    tolerance = 4 * PUBLISHED_SD / np.sqrt(DRAWS) + 1.0
    assert abs(result.excess - PUBLISHED_EXCESS) < tolerance
    assert abs(result.excess - result.exact_excess) < 4 * result.exact_null_sd / np.sqrt(DRAWS)
    # the spread of single draws matches the exact sd (sample sd of 400 draws: ±3.5 % se)
    assert result.null_sd == pytest.approx(result.exact_null_sd, rel=0.15)
    assert result.p_value < 0.01


def test_bernoulli_method_agrees(ru2018, result):
    fast = integer_percent_excess(ru2018, draws=DRAWS, seed=1, method="bernoulli")
    assert fast.observed == result.observed
    se = result.exact_null_sd * np.sqrt(2 / DRAWS)
    assert abs(fast.null_mean - result.null_mean) < 4 * se


def test_cli_file(shared_data, tmp_path):
    from typer.testing import CliRunner

    from baqylau.cli import app

    path = shared_file(shared_data, "russia/ru2018.csv.zip")
    out = tmp_path / "report"
    res = CliRunner().invoke(
        app, ["forensics", "--file", str(path), "--out", str(out), "--draws", "20", "--no-figures"]
    )
    assert res.exit_code == 0, res.output
    assert "19,271" in res.output
    assert (out / "report.json").exists()
