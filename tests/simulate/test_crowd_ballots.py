"""Simulated voters' ballots: drawn from the true votes (pure), and sent through the voters' bot's
services so that spam and duplicates are set aside as in real life and the tally counts the rest,
choice by choice, with and without a photo."""

from __future__ import annotations

import numpy as np
import pytest

from baqylau.crowd import services as crowd_services
from baqylau.crowd.models import CrowdBallot
from baqylau.jobs.worker import run_until_idle
from baqylau.simulate.crowd import KINDS, ballot_photo, make_crowd_ballots
from baqylau.simulate.engine import SimulationConfig, simulate
from baqylau.simulate.intake import submit_crowd_ballots
from baqylau.simulate.loader import load_simulation
from baqylau.tally.models import UnitCount


@pytest.fixture(scope="module")
def sim():
    return simulate(SimulationConfig(seed=7, n_stations=200))


def test_genuine_voters_never_outnumber_the_true_votes(sim):
    crowd = make_crowd_ballots(sim, seed=3, station_share=0.2, voter_share=0.05)
    genuine = crowd.kind == KINDS.index("genuine")
    counts = np.zeros_like(sim.votes("true"), dtype=np.int64)
    np.add.at(counts, (crowd.station[genuine], crowd.choice[genuine]), 1)
    assert counts.sum() > 0 and (counts <= sim.votes("true")).all()
    assert len(set(crowd.voter[genuine].tolist())) == int(genuine.sum())  # one ballot each
    for kind in ("duplicate", "copied", "flood"):
        assert crowd.count(kind) > 0, kind
    assert 0 < crowd.photo[genuine].mean() < 1  # with and without a photo
    assert 0 < crowd.phone[genuine].mean() < 1  # most, not all, genuine voters share their phone
    assert not crowd.phone[~genuine & (crowd.kind != KINDS.index("duplicate"))].any()
    again = make_crowd_ballots(sim, seed=3, station_share=0.2, voter_share=0.05)
    assert np.array_equal(again.choice, crowd.choice)  # the seed decides
    assert ballot_photo(1) != ballot_photo(2) and ballot_photo(1) == ballot_photo(1)


@pytest.mark.django_db
def test_ballots_go_through_the_bot_spam_and_duplicates_are_set_aside(sim, settings, tmp_path):
    settings.DATA_DIR = tmp_path
    crowd_services.cache_clear()
    election = load_simulation(sim, election_code="sim-crowd")
    contest = election.contests.get()
    crowd = make_crowd_ballots(sim, seed=5, station_share=0.1, voter_share=0.02, max_voters=80)
    sent = submit_crowd_ballots(contest, sim, crowd)
    run_until_idle()  # the recounts the counted ballots queued
    genuine = crowd.kind == KINDS.index("genuine")
    # every genuine voter counts once: whoever sent a photo first is not judged by who copied it
    assert CrowdBallot.objects.filter(counted=True).count() == int(genuine.sum())
    assert sent["counted"] == int(genuine.sum())
    assert CrowdBallot.objects.filter(category="spam").exists()
    assert sent["counted"] + sent["not_counted"] == crowd.size
    # genuine voters who shared their contact are phone-verified; no spam account is
    assert sent["phone_verified"] == len(set(crowd.voter[genuine & crowd.phone].tolist())) > 0
    assert not (crowd.phone & (crowd.kind >= KINDS.index("copied"))).any()
    assert not CrowdBallot.objects.filter(category="spam", tier="phone_verified").exists()

    # the headline "from voters" figures: the phone-verified genuine voters, non-zero, no spam
    root = UnitCount.objects.get(contest=contest, unit__depth=0).crowd
    counted = genuine & crowd.phone
    assert sum(root["declared"].values()) == int(counted.sum()) > 0
    unverified = genuine & ~crowd.phone  # counted, but shown apart
    assert sum(root["unverified"].values()) == int(unverified.sum())
    by_code = {c.code: str(c.pk) for c in contest.choices.all()}
    for j, code in enumerate(sim.choice_code):
        mine = counted & (crowd.choice == j)
        assert root["declared"][by_code[str(code)]] == int(mine.sum())
        assert root["photo"][by_code[str(code)]] == int((mine & crowd.photo).sum())
    assert root["stations"] == len(set(crowd.station[counted].tolist()))
    crowd_services.cache_clear()
