"""The README's commands on a simulated election: `simulate --copies K` sends observers' copies
through the real intake (so the ledger holds them), then `tally recount` counts them; `tally
recount` on an election with no copy at all says so and succeeds."""

import re

import pytest
from typer.testing import CliRunner

from baqylau.cli import app
from baqylau.elections.models import Contest
from baqylau.intake.models import Submission
from baqylau.protocols.models import ProtocolCopy
from baqylau.tally.models import StationResult, UnitCount

pytestmark = pytest.mark.django_db


@pytest.fixture
def data_dir(settings, tmp_path):
    settings.DATA_DIR = tmp_path
    return tmp_path


def _run(*args: str) -> str:
    result = CliRunner().invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def test_simulate_with_copies_then_tally_recount(data_dir):
    output = _run(
        "simulate", "--stations", "300", "--seed", "5", "--election", "sim-copies",
        "--copies", "3", "--typo-rate", "0.05",
    )  # fmt: skip
    sent = int(re.search(r"([\d,]+) protocol copies sent through", output)[1].replace(",", ""))
    contest = Contest.objects.get(election__code="sim-copies")
    assert sent > 0 and ProtocolCopy.objects.filter(contest=contest).count() == sent
    # each copy came through the intake: its envelope, from a pseudonymous simulated observer
    envelopes = Submission.objects.filter(election=contest.election, kind="protocol")
    assert envelopes.count() == sent
    assert set(envelopes.values_list("sender", flat=True)) == {
        "sim-observer-1",
        "sim-observer-2",
        "sim-observer-3",
    }

    output = _run("tally", "recount", "--election", "sim-copies")
    assert "no copies" not in output
    assert f"copies {sent:,}" in output
    statuses = set(StationResult.objects.filter(contest=contest).values_list("status", flat=True))
    assert "agreed" in statuses and statuses <= {"agreed", "conflict", "single"}
    root = UnitCount.objects.get(contest=contest, unit__parent__isnull=True)
    assert root.stations_covered == StationResult.objects.filter(status="agreed").count()
    assert f"counted (settled) {root.stations_covered:,} of 300 stations" in output
    assert root.copies["received"] == sent

    output = _run("ledger", "verify")  # the simulated copies are evidence like any other
    assert "the ledger is intact" in output


def test_tally_recount_without_copies_says_so(data_dir):
    _run("simulate", "--stations", "300", "--seed", "6", "--election", "sim-none")
    output = _run("tally", "recount", "--election", "sim-none")
    assert "no copies" in output
    assert "counted (settled) 0 of 300 stations" in output
    contest = Contest.objects.get(election__code="sim-none")
    root = UnitCount.objects.get(contest=contest, unit__parent__isnull=True)
    assert root.stations_covered == 0 and root.official["stations"] == 300
    assert not StationResult.objects.filter(contest=contest).exists()
