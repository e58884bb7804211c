"""Building elections and protocol copies by hand for the tally tests."""

from __future__ import annotations

import datetime as dt
import itertools
import uuid

from django.utils import timezone

from baqylau.elections.models import (
    AdminUnit,
    Choice,
    Contest,
    Election,
    OfficialLine,
    OfficialResult,
    OfficialVote,
)
from baqylau.intake.models import Submission
from baqylau.intake.services import canonical_sha256
from baqylau.protocols.models import CopyLine, CopyVote, ProtocolCopy

_serial = itertools.count(1)


def make_election(choices=("kossanov", "tokayev", "espayeva"), threshold=50, form="kz_president"):
    n = next(_serial)
    election = Election.objects.create(
        code=f"t-{n}", date=dt.date(2019, 6, 9), kind="presidential", country="KZ"
    )
    contest = Contest.objects.create(
        election=election,
        code="president",
        kind="presidential",
        protocol_form=form,
        majority_threshold=threshold,
    )
    for i, code in enumerate(choices, start=1):
        Choice.objects.create(contest=contest, code=code, number=i, name_en=code.title())
    country = AdminUnit.objects.create(
        election=election, kind="country", depth=0, code="KZ", path="KZ"
    )
    return election, contest, country


def add_unit(parent: AdminUnit, code: str, kind: str, registered: int | None = None) -> AdminUnit:
    return AdminUnit.objects.create(
        election=parent.election,
        parent=parent,
        kind=kind,
        depth=parent.depth + 1,
        code=code,
        path=f"{parent.path}/{code}",
        registered_voters=registered,
    )


def add_stations(parent: AdminUnit, n: int, registered: int = 1000) -> list[AdminUnit]:
    return AdminUnit.objects.bulk_create(
        [
            AdminUnit(
                election=parent.election,
                parent=parent,
                kind="station",
                depth=parent.depth + 1,
                code=f"{parent.code}-{i}",
                path=f"{parent.path}/{parent.code}-{i}",
                registered_voters=registered,
            )
            for i in range(n)
        ]
    )


def protocol(registered: int, votes: dict[str, int], invalid: int = 0, outside: int = 0):
    """A protocol that adds up: (lines, votes)."""
    took_part = sum(votes.values()) + invalid
    received = registered
    return (
        {
            "L1": registered,
            "L2": received,
            "L3": took_part,
            "L4": outside,
            "L5": took_part,
            "L7": invalid,
            "L8": received - took_part,
        },
        dict(votes),
    )


def add_copy(
    contest: Contest,
    station: AdminUnit,
    lines: dict[str, int],
    votes: dict[str, int],
    checks: str = "passed",
    moderation: str = "pending",
    sender: str = "",
) -> ProtocolCopy:
    """A copy written straight to the tables (not through the intake: the tests choose its
    checks and moderation). ``sender`` is its pseudonymous sender; by default every copy has a
    sender of its own, so copies that agree settle their station."""
    payload = {"data": {"station_id": station.pk, "lines": lines, "votes": votes}}
    submission = Submission.objects.create(
        id=uuid.uuid4(),
        election=contest.election,
        channel="web",
        kind="protocol",
        payload=payload,
        payload_sha256=canonical_sha256(payload),
    )
    copy = ProtocolCopy.objects.create(
        submission=submission,
        contest=contest,
        station=station,
        source="observer",
        source_ref=sender,
        received_at=timezone.now(),
        pages_received=2,
        checks=checks,
        moderation=moderation,
    )
    choice_ids = dict(contest.choices.values_list("code", "id"))
    CopyLine.objects.bulk_create(CopyLine(copy=copy, line=k, value=v) for k, v in lines.items())
    CopyVote.objects.bulk_create(
        CopyVote(copy=copy, choice_id=choice_ids[k], votes=v) for k, v in votes.items()
    )
    return copy


def set_official(contest: Contest, unit: AdminUnit, lines: dict[str, int], votes: dict[str, int]):
    result = OfficialResult.objects.create(contest=contest, unit=unit)
    choice_ids = dict(contest.choices.values_list("code", "id"))
    OfficialLine.objects.bulk_create(
        OfficialLine(result=result, line=k, value=v) for k, v in lines.items()
    )
    OfficialVote.objects.bulk_create(
        OfficialVote(result=result, choice_id=choice_ids[k], votes=v) for k, v in votes.items()
    )
    return result
