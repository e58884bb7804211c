"""The unit page shows the tally's stored estimate (post-stratified, with its interval) and the
coverage diagnostic: observed stations against all, by town or village and by station size,
in kk/ru/en. A simulated election, its observers' copies through the intake, the jobs count."""

from __future__ import annotations

import re
from html import unescape

import numpy as np
import pytest

from baqylau.elections.models import AdminUnit
from baqylau.jobs.worker import run_until_idle
from baqylau.simulate.copies import make_copies
from baqylau.simulate.engine import SimulationConfig, simulate
from baqylau.simulate.intake import submit_copies
from baqylau.simulate.loader import load_simulation
from baqylau.tally.models import Estimate

pytestmark = pytest.mark.django_db

WORDS = {
    "en": ["Estimate from the observed stations", "Towns", "Villages", "post-stratified"],
    "ru": ["Оценка по наблюдаемым участкам", "Города", "Сёла", "постстратификацией"],
    "kk": ["Байқалған учаскелер бойынша бағалау", "Қалалар", "Ауылдар", "стратификациядан"],
}


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html)))


@pytest.fixture
def counted(settings, tmp_path):
    settings.DATA_DIR = tmp_path
    sim = simulate(SimulationConfig(seed=11, n_stations=600))
    election = load_simulation(sim, election_code="sim-est")
    submit_copies(election.contests.get(), sim, make_copies(sim, k=2, typo_rate=0.0, seed=1))
    run_until_idle()
    return sim, election


def test_estimate_and_coverage_diagnostic_on_the_country_page(client, counted):
    sim, election = counted
    country = AdminUnit.objects.get(election=election, parent=None)
    leader = election.contests.get().choices.get(code=sim.choice_code[sim.leader])
    row = Estimate.objects.get(unit=country, choice=leader)
    assert row.details["method"] == "post-stratified ratio estimator"
    settlement = {c["class"]: c for c in row.details["coverage"]["settlement"]}
    # the diagnostic is the simulation's own coverage, counted independently here
    open_ = ~sim.station_abroad & (sim.station_closed == 0)  # abroad, closed: classes of their own
    towns, villages = open_ & sim.station_urban, open_ & ~sim.station_urban
    assert settlement["urban"]["stations"] == int(towns.sum())
    assert settlement["urban"]["observed"] == int((sim.observed & towns).sum())
    assert settlement["rural"]["observed"] == int((sim.observed & villages).sum())
    assert settlement["closed"]["observed"] == 0  # observers never get into closed stations
    assert row.stations_used == int(sim.observed.sum())
    assert row.share - row.margin < row.share < row.share + row.margin
    towns_of_observed = settlement["urban"]["observed"] / row.stations_used
    assert towns_of_observed > np.mean(sim.station_urban)  # coverage biased to towns
    for lang, words in WORDS.items():
        page = _text(client.get(f"/{lang}/e/sim-est/u/{country.pk}/").content.decode())
        for word in words:
            assert word in page, (lang, word)
        assert f"{settlement['urban']['observed']}" in page
