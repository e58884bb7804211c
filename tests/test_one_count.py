"""One count, one comparison: the stations the public pages, the PDF report, the API and the open
data call "different from the official result" are exactly the tally's findings, on a simulated
election with typos (copies that disagree), single copies, and injected fraud, and they are
exactly the stations where the simulation's ground truth says the commission changed the signed
protocol (no false accusation, nothing missed among settled stations).
"""

from __future__ import annotations

import csv
import io
import subprocess

import numpy as np
import pytest
from django.contrib.auth import get_user_model

from baqylau.accounts.services import api_token_create
from baqylau.dashboard import pdf
from baqylau.dashboard.models import UnitStats
from baqylau.elections.models import AdminUnit
from baqylau.jobs.worker import run_until_idle
from baqylau.simulate.copies import make_copies
from baqylau.simulate.engine import SimulationConfig, simulate
from baqylau.simulate.intake import submit_copies
from baqylau.simulate.loader import load_simulation
from baqylau.tally.models import Finding, StationResult
from tests.programs import needs_programs

pytestmark = pytest.mark.django_db


@pytest.fixture
def counted():
    sim = simulate(SimulationConfig(seed=41, n_stations=800, rewriting=0.15, inflation=0.05))
    election = load_simulation(sim, election_code="one-count")
    contest = election.contests.get()
    observed = np.flatnonzero(sim.observed)
    three, one = observed[: observed.size * 3 // 4], observed[observed.size * 3 // 4 :]
    submit_copies(contest, sim, make_copies(sim, k=3, typo_rate=0.08, seed=5, stations=three))
    submit_copies(contest, sim, make_copies(sim, k=1, seed=6, stations=one))
    run_until_idle()  # the jobs the intake queued: recounts, then the public summaries
    return sim, election, contest


def _station_ids(sim, election) -> np.ndarray:
    by_path = dict(
        AdminUnit.objects.filter(election=election, kind="station").values_list("path", "id")
    )
    return np.array([by_path[str(p)] for p in sim.station_paths()])


def test_every_public_list_of_differing_stations_is_the_tallys(counted, client):
    sim, election, contest = counted
    tally = set(
        Finding.objects.filter(contest=contest, kind="station_differs").values_list(
            "unit_id", flat=True
        )
    )
    statuses = dict(
        StationResult.objects.filter(contest=contest).values_list("station_id", "status")
    )
    assert {"agreed", "single", "conflict"} <= set(statuses.values())  # the case is exercised

    # the ground truth: settled stations whose official figures differ from the signed protocol
    ids = _station_ids(sim, election)
    changed = (sim.votes("official") != sim.votes("signed")).any(axis=1) | (
        sim.lines("official") != sim.lines("signed")
    ).any(axis=1)
    settled = np.array([statuses.get(int(i)) in ("agreed", "resolved") for i in ids])
    assert tally == {int(i) for i in ids[changed & settled]}
    assert tally, "the simulation put fraud at observed stations"
    waiting = {s for s, status in statuses.items() if status in ("conflict", "single")}
    assert not tally & waiting  # a station whose copies disagree, or with one copy, accuses none

    # the public pages: every unit's count is the number of its stations in the tally's set
    paths = dict(AdminUnit.objects.filter(election=election).values_list("id", "path"))
    for stats in UnitStats.objects.filter(election=election).exclude(unit__kind="station"):
        block = stats.data["contests"][str(contest.pk)]
        prefix = paths[stats.unit_id] + "/"
        expected = sum(1 for s in tally if paths[s].startswith(prefix))
        assert block["findings"].get("station_differs", 0) == expected, paths[stats.unit_id]
    root = AdminUnit.objects.get(election=election, parent__isnull=True)
    page = client.get(f"/en/e/{election.code}/u/{root.pk}/").content.decode()
    assert f"{len(tally)} stations where the official result differs" in page

    # the open data
    response = client.get(f"/en/e/{election.code}/u/{root.pk}/data/findings.csv")
    rows = list(
        csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig")))
    )
    assert {int(r["unit_id"]) for r in rows if r["kind"] == "station_differs"} == tally

    # the API (paged)
    user = get_user_model().objects.create_user(username="analyst")
    token = api_token_create(user=user)[1]
    found, offset = set(), 0
    while True:
        body = client.get(
            f"/api/v1/elections/{election.code}/comparisons",
            {"kind": "station_differs", "limit": 100, "offset": offset},
            HTTP_AUTHORIZATION=f"Bearer {token}",
        ).json()
        found |= {item["unit_id"] for item in body["items"]}
        offset += 100
        if offset >= body["total"]:
            break
    assert found == tally


@needs_programs("pdftotext")
def test_the_pdf_report_counts_the_tallys_findings(counted, tmp_path):
    _sim, election, contest = counted
    n = Finding.objects.filter(contest=contest, kind="station_differs").count()
    differing = (
        Finding.objects.filter(contest=contest, kind="station_differs")
        .values("unit_id")
        .distinct()
        .count()
    )
    assert n >= differing > 0
    path = tmp_path / "report.pdf"
    path.write_bytes(pdf.election_report(election, "en"))
    text = subprocess.run(["pdftotext", str(path), "-"], check=True, capture_output=True).stdout
    text = " ".join(text.decode().split())
    assert (
        f"Stations where the official result differs from the settled copies: {differing}" in text
    )
