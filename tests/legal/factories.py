"""Simulated incidents for the legal tests: three incidents at two stations (237, 238) of the
observers' test world, each with a photo stored as evidence (and recorded in the ledger)."""

from __future__ import annotations

import datetime as dt
import io

from django.utils import timezone
from PIL import Image, ImageDraw

from baqylau.evidence.ledger import record_submission
from baqylau.evidence.services import store_media
from baqylau.reports.models import Incident, ViolationType
from baqylau.reports.services import store_submission


def photo(seed: int) -> bytes:
    image = Image.new("RGB", (320, 240), (seed * 40 % 256, 90, 160))
    ImageDraw.Draw(image).rectangle((10 + seed, 10, 200, 120 + seed), fill=(250, 250, seed % 256))
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=85)
    return out.getvalue()


# The catalogue rows the tests use, as the reports migration seeds them (a transactional test
# elsewhere may have flushed the seeded rows).
CATALOGUE = {
    "stuffing": ("art. 41; Criminal Code art. 151", "Вброс бюллетеней, фальсификация"),
    "multiple_voting": (
        "art. 41 p.1–2, art. 42, art. 25-3",
        "Многократное голосование, несколько бюллетеней в одни руки, «карусель»",
    ),
    "protocol_refused": ("art. 43 p.8-1", "Отказ выдать копию протокола или данные о явке"),
}


def violation(code: str) -> ViolationType:
    article, name_ru = CATALOGUE[code]
    return ViolationType.objects.get_or_create(
        code=code, defaults={"law_article": article, "name_ru": name_ru, "name_en": code}
    )[0]


def make_incident(world, observer_key, station_code, violation_code, hour, minute, text, seed):
    observer = world.observers[observer_key]
    station = world.stations[station_code]
    payload = {
        "report": "incident",
        "data": {"station": station_code, "violation": violation_code},
    }
    submission = store_submission(
        kind="incident",
        channel="web",
        payload=payload,
        sender=observer.public_id,
        election=world.election,
    )
    record_submission(submission)
    store_media(submission, photo(seed), declared_type="image/jpeg", page=1)
    at = timezone.make_aware(dt.datetime.combine(world.election.date, dt.time(hour, minute)))
    return Incident.objects.create(
        submission=submission,
        election=world.election,
        observer=observer,
        station=station,
        received_at=at,
        violation=violation(violation_code),
        occurred_at=at,
        text=text,
        moderation=Incident.Moderation.ACCEPTED,
    )


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
