"""Simulated incidents for the legal tests: three incidents at two stations (237, 238) of the
observers' test world, each with a photo stored as evidence (and recorded in the ledger), sent
through the report intake and confirmed by a moderator, as in production."""

from __future__ import annotations

import io

from PIL import Image, ImageDraw

from baqylau.moderation.models import IncidentDecision
from baqylau.moderation.services import incident_decide
from baqylau.reports.models import Incident, ViolationType
from baqylau.reports.services import submit_report


def photo(seed: int) -> bytes:
    image = Image.new("RGB", (320, 240), (seed * 40 % 256, 90, 160))
    ImageDraw.Draw(image).rectangle((10 + seed, 10, 200, 120 + seed), fill=(250, 250, seed % 256))
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=85)
    return out.getvalue()


# The catalogue rows the tests use, as the reports migration seeds them (a transactional test
# elsewhere may have flushed the seeded rows).
CATALOGUE = {
    "stuffing": ("election_law 41; criminal_code 151", "Вброс бюллетеней, фальсификация"),
    "multiple_voting": (
        "election_law 41(1,2); election_law 42; election_law 25-3",
        "Многократное голосование, несколько бюллетеней в одни руки, «карусель»",
    ),
    "protocol_refused": ("election_law 43(8-1)", "Отказ выдать копию протокола или данные о явке"),
}


def violation(code: str) -> ViolationType:
    article, name_ru = CATALOGUE[code]
    return ViolationType.objects.get_or_create(
        code=code, defaults={"law_article": article, "name_ru": name_ru, "name_en": code}
    )[0]


def make_incident(world, observer_key, station_code, violation_code, hour, minute, text, seed):
    """A violation report with its photo, sent by the observer through the report intake (the web
    app), and confirmed by a moderator (only a confirmed violation reaches the lawyers)."""
    violation(violation_code)
    outcome = submit_report(
        kind="incident",
        data={
            "election": world.election.code,
            "station": station_code,
            "violation": violation_code,
            "at": f"{hour:02d}:{minute:02d}",
            "text": text,
        },
        observer=world.observers[observer_key],
        channel="web",
        files=[(photo(seed), "image/jpeg")],
    )
    assert outcome.record is not None, outcome.messages_all()
    incident = outcome.record
    incident_decide(
        incident=incident,
        moderator=world.users["moderator"],
        verdict=IncidentDecision.Verdict.CONFIRM,
        reason=IncidentDecision.Reason.EVIDENCE,
    )
    incident.refresh_from_db()
    return incident


def make_incidents(world) -> list[Incident]:
    """Station 237: stuffing at 10:15 (observer A1, witnessed by nobody else at the opening shift);
    station 238: multiple voting at 14:40 (A2 at the opening has left; L1 is on the afternoon
    shift and consented) and protocol refused at 21:30 (count shift: C1 of another organisation
    is there)."""
    return [
        make_incident(
            world,
            "A1",
            "237",
            "stuffing",
            10,
            15,
            "Член комиссии опустил в урну пачку бюллетеней. Сайлау учаскесі: ә ғ қ ң ө ұ ү һ і.",
            1,
        ),
        make_incident(
            world,
            "A2",
            "238",
            "multiple_voting",
            14,
            40,
            "Избиратель получил пять бюллетеней в одни руки («карусель»).",
            2,
        ),
        make_incident(
            world,
            "A2",
            "238",
            "protocol_refused",
            21,
            30,
            "Председатель отказал в выдаче копии протокола.",
            3,
        ),
    ]


#: Station 237's signed protocol (as both observers' copies give it) and what the commission
#: published: 428 more voters who took part, all of them for candidate A.
SIGNED_237 = (
    {"L1": 2170, "L2": 1300, "L3": 1250, "L4": 0, "L5": 812, "L7": 12, "L8": 50},
    {"cand-a": 500, "cand-b": 300},
)
OFFICIAL_237 = ({"L1": 2170, "L5": 1240, "L7": 12}, {"cand-a": 928, "cand-b": 300})


def make_station_finding(world) -> list:
    """Station 237's official result differs from the protocol copies of two observers (which
    agree): the tally's findings, as the background jobs write them."""
    from baqylau.elections.models import OfficialLine, OfficialResult, OfficialVote
    from baqylau.jobs.worker import run_until_idle
    from baqylau.protocols.intake import submit_protocol_copy
    from baqylau.tally.models import Finding
    from baqylau.tally.tasks import recount_election

    station = world.stations["237"]
    result = OfficialResult.objects.create(contest=world.contest, unit=station, source="CEC")
    lines, votes = OFFICIAL_237
    for line, value in lines.items():
        OfficialLine.objects.create(result=result, line=line, value=value)
    for choice in world.contest.choices.all():
        OfficialVote.objects.create(result=result, choice=choice, votes=votes[choice.code])
    recount_election(world.election.pk, forensics=False)  # as an import of official results
    lines, votes = SIGNED_237
    for n, key in enumerate(("A1", "C1")):
        outcome = submit_protocol_copy(
            channel="web",
            sender=world.observers[key].public_id,
            source="observer",
            payload={"station_id": station.pk, "lines": lines, "votes": votes},
            photos=[(photo(20 + 2 * n + page), "image/jpeg", page) for page in (1, 2)],
        )
        assert outcome.record is not None and outcome.record.checks == "passed", outcome
    run_until_idle()
    return list(Finding.objects.filter(unit=station, kind="station_differs").order_by("line"))
