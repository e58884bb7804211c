"""Simulated observers' protocol copies, sent through the real intake: each copy gets its envelope,
its checks, its ledger entry and its audit event exactly as a copy sent by an observer would
(`protocols.intake.plan_copy`, written in batches by `intake.writer`), so a simulated election is
evidence like any other (`baqylau ledger verify` holds on it) and the tally's jobs count it.
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from baqylau.elections.models import AdminUnit, Contest
from baqylau.intake import writer
from baqylau.intake.models import Submission
from baqylau.intake.services import new_submission
from baqylau.protocols.engine import load_form
from baqylau.protocols.intake import ParsedProtocol, plan_copy
from baqylau.protocols.models import ProtocolCopy
from baqylau.simulate.copies import SimulatedCopies
from baqylau.simulate.engine import SimulatedElection


def submit_copies(
    contest: Contest,
    sim: SimulatedElection,
    copies: SimulatedCopies,
    *,
    received_at: dt.datetime | None = None,
    batch_size: int = 500,
) -> int:
    """Send every simulated copy through the intake (as a bulk import of observers' copies:
    channel "import", source "observer", one pseudonymous sender per copy number). Returns how
    many copies were recorded."""
    election = contest.election
    if not copies.size:
        return 0
    stations = {
        unit.path: unit
        for unit in AdminUnit.objects.filter(election=election, kind=AdminUnit.Kind.STATION)
    }
    station_paths = sim.station_paths()[copies.station]
    choices = {c.code: c for c in contest.choices.all()}
    choice_list = [choices[str(code)] for code in sim.choice_code]
    form = load_form(contest.protocol_form, contest.protocol_form_version)
    line_codes = [code for code in copies.line_codes if code in form.line_codes]
    line_at = [list(copies.line_codes).index(code) for code in line_codes]
    received_at = received_at or timezone.make_aware(
        dt.datetime.combine(election.date, dt.time(21, 0)), election.zone
    )
    lines_all, votes_all = copies.lines.tolist(), copies.votes.tolist()
    numbers = copies.number.tolist()
    plans = []
    for i in range(copies.size):
        station = stations[str(station_paths[i])]
        lines = {code: lines_all[i][j] for code, j in zip(line_codes, line_at, strict=True)}
        votes = dict(zip(choice_list, votes_all[i], strict=True))
        data = {
            "election": election.code,
            "contest": contest.code,
            "station_id": station.pk,
            "lines": lines,
            "votes": {c.code: v for c, v in votes.items()},
        }
        submission = new_submission(
            kind=Submission.Kind.PROTOCOL,
            channel=Submission.Channel.IMPORT,
            payload={"data": data, "attachments": []},
            sender=f"sim-observer-{numbers[i] + 1}",
            language="ru",
            election=election,
        )
        submission.received_at = received_at
        parsed = ParsedProtocol(election, contest, station, form, lines, votes)
        # a simulated copy stands for a photographed protocol: as many pages as the form has
        plans.append(
            plan_copy(
                submission, parsed, source=ProtocolCopy.Source.OBSERVER, pages=form.pages or 1
            )
        )
    writer.write_many(plans, batch_size=batch_size)
    return sum(1 for p in plans if p.recorded)
