"""A small election with everything the public pages show: copies, crowd ballots, violations,
turnout counts — and personal data (observers' names and phones, voters' numbers) that must
never appear on a public page or in a download."""

from __future__ import annotations

import datetime as dt
import hashlib

from django.contrib.auth import get_user_model
from django.utils import timezone
from tests.factories import make_small_election

from baqylau.crowd.models import CrowdBallot, CrowdVoter
from baqylau.evidence.models import MediaFile
from baqylau.intake.models import Submission
from baqylau.moderation.models import Decision, RejectReason
from baqylau.observers.models import Organisation
from baqylau.observers.services import create_observer
from baqylau.protocols.models import (
    CopyLine,
    CopyVote,
    ProtocolCopy,
    StationResult,
)
from baqylau.reports.models import Incident, TurnoutCount, ViolationType

OBSERVER_NAMES = ["Айгүл Серікқызы Нұрланова", "Timur Bekovich Akhmetov"]
OBSERVER_PHONES = ["+7 701 555 12 34", "+7 777 123 45 67"]
VOTER_PHONE = "+77071234567"


def _submission(election, kind: str, sender: str, payload: dict, at) -> Submission:
    return Submission.objects.create(
        election=election,
        channel="telegram",
        kind=kind,
        sender=sender,
        payload=payload,
        payload_sha256=hashlib.sha256(repr(payload).encode()).hexdigest(),
        received_at=at,
    )


def make_observed_election(code: str = "test-kz") -> dict:
    data = make_small_election(code)
    election, contest = data["election"], data["contest"]
    lead, other = data["choices"]
    station = data["stations"][0]  # Station 101: official Tokayev 510, Kossanov 101
    day = timezone.make_aware(dt.datetime.combine(election.date, dt.time(0, 0)))
    org = Organisation.objects.create(code="echo", kind="ngo", name_en="Echo")
    observers = [
        create_observer(organisation=org, name=name, phone=phone)
        for name, phone in zip(OBSERVER_NAMES, OBSERVER_PHONES, strict=True)
    ]
    user = get_user_model().objects.create_user("moderator", password="x")

    # an accepted copy whose Tokayev figure (480) differs from the official one (510)
    copy_figures = {"L1": 1000, "L5": 586, "L7": 5}
    payload = {"text": f"protocol from {OBSERVER_NAMES[0]} {OBSERVER_PHONES[0]}"}
    sub = _submission(
        election,
        "protocol",
        observers[0].public_id,
        payload,
        day + dt.timedelta(hours=20, minutes=30),
    )
    copy = ProtocolCopy.objects.create(
        submission=sub, contest=contest, station=station, source="observer",
        source_ref=observers[0].public_id, received_at=sub.received_at, pages_received=2,
        validation="accepted", moderation="accepted",
    )  # fmt: skip
    for line, value in copy_figures.items():
        CopyLine.objects.create(copy=copy, line=line, value=value)
    CopyVote.objects.create(copy=copy, choice=lead, votes=480)
    CopyVote.objects.create(copy=copy, choice=other, votes=101)
    StationResult.objects.create(
        contest=contest,
        station=station,
        status="agreed",
        copies_count=1,
        lines=dict(copy_figures),
        votes={str(lead.pk): 480, str(other.pk): 101},
        copy_ids=[copy.pk],
    )

    # a rejected copy (one page only)
    sub2 = _submission(
        election,
        "protocol",
        observers[1].public_id,
        {"phone": OBSERVER_PHONES[1]},
        day + dt.timedelta(hours=21),
    )
    rejected = ProtocolCopy.objects.create(
        submission=sub2, contest=contest, station=data["stations"][1], source="observer",
        source_ref=observers[1].public_id, received_at=sub2.received_at, pages_received=1,
        validation="rejected", moderation="rejected",
    )  # fmt: skip
    reason, _ = RejectReason.objects.get_or_create(
        code="only_one_page", defaults={"name_en": "Only one page of the protocol"}
    )
    Decision.objects.create(copy=rejected, verdict="reject", reason=reason, moderator=user)

    # a confirmed violation, with the observer's name in its free text (never shown)
    stuffing, _ = ViolationType.objects.get_or_create(
        code="stuffing", defaults={"name_en": "Ballot stuffing, falsification"}
    )
    sub3 = _submission(
        election,
        "incident",
        observers[0].public_id,
        {"text": OBSERVER_NAMES[0]},
        day + dt.timedelta(hours=11),
    )
    Incident.objects.create(
        submission=sub3, election=election, observer=observers[0], station=station,
        received_at=sub3.received_at, violation=stuffing, occurred_at=sub3.received_at,
        text=f"Seen by {OBSERVER_NAMES[0]}, call {OBSERVER_PHONES[0]}", moderation="accepted",
    )  # fmt: skip

    # observers' turnout counts at 10:00 and 13:00
    for hour, count, announced in ((10, 150, 160), (13, 400, 450)):
        at = day + dt.timedelta(hours=hour)
        sub4 = _submission(election, "turnout", observers[0].public_id, {"n": count}, at)
        TurnoutCount.objects.create(
            submission=sub4, election=election, observer=observers[0], station=station,
            received_at=at, at=at, observer_count=count, commission_count=announced,
        )  # fmt: skip

    # 102 voters photographed a ballot for Kossanov at station 101 (official: 101) + 3 spam
    voters, ballots = [], []
    for i in range(105):
        at = day + dt.timedelta(hours=9, minutes=i)
        sender = hashlib.sha256(f"{VOTER_PHONE}{i}".encode()).hexdigest()
        sub5 = _submission(election, "crowd_ballot", sender, {"from": VOTER_PHONE}, at)
        voter = CrowdVoter.objects.create(voter_hash=sender, election=election, station=station)
        media = MediaFile.objects.create(
            submission=sub5, sha256=sender, content_type="image/jpeg", size=10,
            original=f"originals/{sender}", display=f"display/{sender}", display_sha256=sender,
        )  # fmt: skip
        spam = i >= 102
        ballots.append(
            CrowdBallot(
                submission=sub5,
                voter=voter,
                contest=contest,
                station=station,
                category="spam" if spam else "valid",
                choice=None if spam else other,
                photo=media,
                counted=not spam,
                created_at=at,
            )  # fmt: skip
        )
        voters.append(voter)
    CrowdBallot.objects.bulk_create(ballots)
    CrowdBallot.objects.filter(contest=contest).update(created_at=day + dt.timedelta(hours=9))
    data |= {"observers": observers, "copy": copy, "station": station}
    return data
