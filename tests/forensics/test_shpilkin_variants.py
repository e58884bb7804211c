"""Shpilkin's clean region on real data: ru2020's others' votes peak at 80.75 % turnout (a
stuffing peak, above the overall 67.7 %); the clean mode is chosen below the overall turnout, and
both published variants (peak, plateau) are reported with the chosen one."""

from __future__ import annotations

import numpy as np
import pytest

from baqylau.forensics.data import StationArrays
from baqylau.forensics.shpilkin import shpilkin_estimate
from tests.conftest import shared_file

pytestmark = pytest.mark.realdata


@pytest.fixture(scope="module")
def ru2020(shared_data):
    return StationArrays.from_russian_csv(shared_file(shared_data, "russia/ru2020.csv.zip"), 2020)


def test_ru2020_clean_mode_is_not_the_stuffing_peak(ru2020):
    result = shpilkin_estimate(ru2020)
    official = ru2020.issued.sum() / ru2020.registered.sum()
    assert result["official_turnout"] == pytest.approx(official, abs=1e-3)
    assert result["unrestricted_mode_turnout"] == pytest.approx(0.8075)  # the old choice
    assert result["clean_mode_turnout"] < official
    assert result["variant"] == "peak"
    assert result["clean_limit_turnout"] == result["clean_mode_turnout"]
    # the "yes" share at the clean mode is what the low-turnout stations give, computed here
    # directly: the votes-weighted "yes" share of stations with turnout up to the clean limit
    ok = (ru2020.registered > 0) & (ru2020.received > 0)
    turnout = ru2020.issued / np.maximum(ru2020.registered, 1)
    low = ok & (np.minimum((turnout * 200).astype(int), 199) <= result["clean_limit_turnout"] * 200)
    yes = ru2020.leader_votes[low].sum()
    assert result["clean_leader_share"] == pytest.approx(yes / ru2020.valid[low].sum(), rel=1e-9)
    assert 0.55 < result["clean_leader_share"] < 0.72  # official: 77.9 % "yes"


def test_both_variants_are_reported(ru2020):
    peak = shpilkin_estimate(ru2020, variant="peak")
    plateau = shpilkin_estimate(ru2020, variant="plateau")
    assert peak["variants"] == plateau["variants"]
    assert set(peak["variants"]) == {"peak", "plateau"}
    assert plateau["variant"] == "plateau"
    assert plateau["clean_limit_turnout"] >= plateau["clean_mode_turnout"]
    assert plateau["anomalous_votes"] == plateau["variants"]["plateau"]["anomalous_votes"]
    # the plateau's clean region is wider, so it counts fewer anomalous votes
    assert plateau["anomalous_votes"] <= peak["anomalous_votes"]
    with pytest.raises(ValueError, match="variant"):
        shpilkin_estimate(ru2020, variant="mode")


@pytest.mark.parametrize("year", [2018])
def test_ru2018_order_of_magnitude(shared_data, year):
    """Shpilkin's own 2018 figure is about 10 million anomalous votes for Putin (as reported by
    RFE/RL, "Shpilkin's Razor", 2024); both variants land within 8-12 million."""
    a = StationArrays.from_russian_csv(shared_file(shared_data, f"russia/ru{year}.csv.zip"), year)
    result = shpilkin_estimate(a)
    for variant in result["variants"].values():
        assert 8e6 < variant["anomalous_votes"] < 12e6
