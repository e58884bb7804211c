"""A small election with everything the public pages show: protocol copies (settled, disputed,
rejected), crowd ballots, violations, turnout counts — and personal data (observers' names and
phones, voters' numbers) that must never appear on a public page or in a download.

Copies, reports and decisions go through the same services as in production (the intake, the
moderators' decisions), then the background jobs run: the pages read what the tally counted.
Only the voters' ballot photos are written directly (105 of them through the bot would test the
bot, which tests/crowd does).

    Station 101  two observers' copies agree (settled): Tokayev 480 and L5 586 against the
                 official 510 and 616 → station_differs; 102 voters photographed a ballot for
                 Kossanov against the official 101 → crowd_exceeds_official; one confirmed
                 violation, one violation report still waiting; two turnout counts.
    Station 102  one copy with one page only: failed the checks, rejected by a moderator.
    Station 201  two copies that pass the checks but disagree (Tokayev 510 / 500): waiting for a
                 moderator, never compared with the official result.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import random

from django.contrib.auth import get_user_model
from django.utils import timezone
from PIL import Image
from tests.factories import make_small_election

from baqylau.crowd.models import CrowdBallot, CrowdVoter
from baqylau.evidence.models import MediaFile
from baqylau.intake.models import Submission
from baqylau.jobs.worker import run_until_idle
from baqylau.moderation.models import IncidentDecision, RejectReason
from baqylau.moderation.services import decision_create, incident_decide
from baqylau.observers.models import Organisation
from baqylau.observers.services import assign_observer, create_observer
from baqylau.protocols.intake import submit_protocol_copy
from baqylau.reports.models import ViolationType
from baqylau.reports.services import submit_report
from baqylau.tally.tasks import recount_election

OBSERVER_NAMES = ["Айгүл Серікқызы Нұрланова", "Timur Bekovich Akhmetov"]
OBSERVER_PHONES = ["+7 701 555 12 34", "+7 777 123 45 67"]
VOTER_PHONE = "+77071234567"

#: The copies of station 101 (both observers): consistent, but Tokayev 480 and L5 586 where the
#: official result says 510 and 616.
COPY_101 = (
    {"L1": 1000, "L2": 1000, "L3": 600, "L4": 0, "L5": 586, "L7": 5, "L8": 400},
    {"tokayev": 480, "kossanov": 101},
)
#: Station 201 (official Tokayev 510, Kossanov 102): two consistent copies that disagree.
COPY_201 = [
    ({"L1": 1000, "L2": 1000, "L3": 620, "L4": 0, "L5": 617, "L7": 5, "L8": 380},
     {"tokayev": 510, "kossanov": 102}),
    ({"L1": 1000, "L2": 1000, "L3": 610, "L4": 0, "L5": 607, "L7": 5, "L8": 390},
     {"tokayev": 500, "kossanov": 102}),
]  # fmt: skip


def jpeg(seed: int) -> bytes:
    """A distinct small photo."""
    rng = random.Random(seed)
    image = Image.new("RGB", (8, 8))
    image.putdata([tuple(rng.randrange(256) for _ in range(3)) for _ in range(64)])
    out = io.BytesIO()
    image.resize((64, 64), Image.Resampling.NEAREST).save(out, format="JPEG", quality=90)
    return out.getvalue()


def send_copy(election, observer, station, lines, votes, *, pages=2, seed=0):
    """An observer's protocol copy through the intake (Telegram), with a photo of each page."""
    outcome = submit_protocol_copy(
        channel="telegram",
        sender=observer.public_id,
        source="observer",
        payload={
            "election": election.code,
            "station_id": station.pk,
            "lines": lines,
            "votes": votes,
        },
        photos=[(jpeg(seed * 10 + page), "image/jpeg", page) for page in range(1, pages + 1)],
        election=election,
    )
    assert outcome.record is not None, outcome.messages_all()
    return outcome.record


def send_report(election, observer, station, kind, data):
    outcome = submit_report(
        kind=kind,
        data={"election": election.code, "station": station.code, **data},
        observer=observer,
        channel="telegram",
    )
    assert outcome.record is not None, outcome.messages_all()
    return outcome.record


def make_observed_election(code: str = "test-kz") -> dict:
    data = make_small_election(code)
    election, contest = data["election"], data["contest"]
    other = data["choices"][1]
    s101, s102, s201 = data["stations"][0], data["stations"][1], data["stations"][2]
    day = timezone.make_aware(dt.datetime.combine(election.date, dt.time(0, 0)), election.zone)
    org = Organisation.objects.create(code="echo", kind="ngo", name_en="Echo")
    observers = [
        create_observer(organisation=org, name=name, phone=phone)
        for name, phone in zip(OBSERVER_NAMES, OBSERVER_PHONES, strict=True)
    ]
    placements = (
        {"count": s101, "afternoon": s201},
        {"count": s101, "opening": s102, "afternoon": s201},
    )
    for observer, shifts in zip(observers, placements, strict=True):
        for shift, station in shifts.items():
            assign_observer(observer=observer, station=station, shift=shift)
    moderator = get_user_model().objects.create_user("moderator", password="x")

    # station 101: two observers' copies that agree (settled), differing from the official result
    copies = [
        send_copy(election, observer, s101, *COPY_101, seed=i)
        for i, observer in enumerate(observers)
    ]
    # station 102: one page only; failed the checks, rejected by a moderator
    rejected = send_copy(election, observers[1], s102, *COPY_101, pages=1, seed=5)
    reason, _ = RejectReason.objects.get_or_create(
        code="only_one_page", defaults={"name_en": "Only one page of the protocol"}
    )
    decision_create(copy=rejected, moderator=moderator, verdict="reject", reason=reason)
    # station 201: two copies that pass the checks and disagree: waiting for a moderator
    disputed = [
        send_copy(election, observer, s201, lines, votes, seed=7 + i)
        for i, (observer, (lines, votes)) in enumerate(zip(observers, COPY_201, strict=True))
    ]

    # a violation confirmed by a moderator (the observer's name in its free text: never shown),
    # and one still waiting for a moderator (not counted, not shown)
    ViolationType.objects.get_or_create(
        code="stuffing", defaults={"name_en": "Ballot stuffing, falsification"}
    )
    text = f"Seen by {OBSERVER_NAMES[0]}, call {OBSERVER_PHONES[0]}"
    incident = send_report(
        election,
        observers[0],
        s101,
        "incident",
        {"violation": "stuffing", "at": "11:00", "text": text},
    )
    incident_decide(
        incident=incident,
        moderator=moderator,
        verdict=IncidentDecision.Verdict.CONFIRM,
        reason=IncidentDecision.Reason.EVIDENCE,
    )
    waiting = send_report(
        election,
        observers[1],
        s102,
        "incident",
        {"violation": "stuffing", "at": "12:00", "text": text},
    )

    # observers' turnout counts at 10:00 and 13:00 (commission's figures 160 and 450)
    for hour, count, announced in ((10, 150, 160), (13, 400, 450)):
        send_report(
            election,
            observers[0],
            s101,
            "turnout",
            {"count": count, "commission_count": announced, "at": f"{hour}:00"},
        )

    # 102 phone-verified voters photographed a ballot for Kossanov at station 101 (official: 101)
    # + 3 spam
    ballots = []
    for i in range(105):
        at = day + dt.timedelta(hours=9, minutes=i)
        sender = hashlib.sha256(f"{VOTER_PHONE}{i}".encode()).hexdigest()
        payload = {"from": VOTER_PHONE}
        sub = Submission.objects.create(
            election=election, channel="telegram", kind="crowd_ballot", sender=sender,
            payload=payload, payload_sha256=hashlib.sha256(repr(payload).encode()).hexdigest(),
            received_at=at,
        )  # fmt: skip
        voter = CrowdVoter.objects.create(voter_hash=sender, election=election, station=s101)
        media = MediaFile.objects.create(
            submission=sub, sha256=sender, content_type="image/jpeg", size=10,
            original=f"originals/{sender}", display=f"display/{sender}", display_sha256=sender,
        )  # fmt: skip
        spam = i >= 102
        ballots.append(
            CrowdBallot(
                submission=sub,
                voter=voter,
                contest=contest,
                station=s101,
                category="spam" if spam else "valid",
                choice=None if spam else other,
                photo=media,
                counted=not spam,
                tier="unverified" if spam else "phone_verified",
                created_at=at,
            )  # fmt: skip
        )
    CrowdBallot.objects.bulk_create(ballots)
    CrowdBallot.objects.filter(contest=contest).update(created_at=day + dt.timedelta(hours=9))

    # what production does by itself: the jobs the intake and the decisions queued (recounts of
    # the stations, summaries), and the full recount an import of official results queues
    recount_election(election.pk, forensics=False)
    run_until_idle()
    data |= {
        "observers": observers,
        "moderator": moderator,
        "copies": copies,
        "rejected": rejected,
        "disputed": disputed,
        "incident": incident,
        "waiting_incident": waiting,
        "station": s101,
        "disputed_station": s201,
    }
    return data
