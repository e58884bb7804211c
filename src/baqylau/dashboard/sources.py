"""What the dashboard reads from the other apps about election-day activity, as plain rows for
the vectorised roll-up (the count and the comparison it reads from the tally's own records).

Every function returns lists of tuples keyed by station id and never any personal data: senders
are only counted (distinct users of each bot), never kept.
"""

from __future__ import annotations

import datetime as dt

from django.db.models import Q

from baqylau.crowd.models import CrowdBallot
from baqylau.elections.models import Election
from baqylau.observers.models import Assignment
from baqylau.protocols.models import ProtocolCopy
from baqylau.reports.models import CheckIn, Incident, TurnoutCount
from baqylau.tally.selectors import CROWD_HEADLINE, crowd_standing

#: Crowd categories that are not a choice (the "from voters" column's other rows): the votes by
#: choice, with and without a photo, are the tally's (`UnitCount.crowd`).
CROWD_CATEGORIES = ("against_all", "spoiled", "spam", "pending")


def copy_stations(election: Election) -> list[int]:
    """Stations with at least one protocol copy received."""
    return list(
        ProtocolCopy.objects.filter(contest__election=election)
        .values_list("station_id", flat=True)
        .distinct()
    )


def incidents(election: Election) -> list[tuple[int, str]]:
    """(station id, violation code) of the violations a moderator confirmed."""
    return list(
        Incident.objects.filter(
            election=election, moderation=Incident.Moderation.ACCEPTED
        ).values_list("station_id", "violation__code")
    )


def observer_bot_users(election: Election) -> list[tuple[int, str]]:
    """(station id, sender) of everything observers sent through the Telegram bot."""
    telegram = Q(submission__channel="telegram")
    rows = list(
        ProtocolCopy.objects.filter(telegram, contest__election=election).values_list(
            "station_id", "submission__sender"
        )
    )
    for model in (Incident, TurnoutCount, CheckIn):
        rows += model.objects.filter(telegram, election=election).values_list(
            "station_id", "submission__sender"
        )
    return [(s, sender) for s, sender in rows if sender]


def observed_stations(election: Election) -> set[int]:
    """Stations with an observer placed or any observer report (the coverage table's column)."""
    stations: set[int] = set()
    for model in (Assignment, CheckIn, TurnoutCount):
        stations.update(
            model.objects.filter(election=election).values_list("station_id", flat=True)
        )
    return stations


def turnout_counts(election: Election) -> list[tuple[int, dt.datetime, int, int | None]]:
    """(station id, time, observer's count, commission's figure) of observers' turnout counts."""
    return list(
        TurnoutCount.objects.filter(election=election).values_list(
            "station_id", "at", "observer_count", "commission_count"
        )
    )


def crowd_rows(
    election: Election,
) -> list[tuple[int, int, str, bool, dt.datetime | None, str, str, str]]:
    """(station id, contest id, key, confirmed, received at, voter, standing, tier) of the
    voters' ballot photos.

    `key` is a choice id (as a string) for a ballot that gives a choice (with or without a
    photo), else its category (`CROWD_CATEGORIES`). `standing` is the tally's rule
    (`tally.selectors.crowd_standing`): only "headline" ballots make the "from voters" figures
    (whose votes by choice are the tally's, `UnitCount.crowd`). Confirmed: a headline ballot with
    a photo.
    The voter is the crowd app's voter row id (itself a keyed hash), only ever counted.
    """
    rows = (
        CrowdBallot.objects.filter(contest__election=election, station__isnull=False)
        .values_list(
            "station_id",
            "contest_id",
            "category",
            "choice_id",
            "photo_id",
            "counted",
            "created_at",
            "voter_id",
            "tier",
            "held",
        )
        .iterator(chunk_size=20_000)
    )
    out = []
    for station, contest, category, choice, photo, counted, at, voter, tier, held in rows:
        given = category in ("valid", "against_all", "no_photo") and choice is not None
        key = str(choice) if given else category
        standing = crowd_standing(category, tier, bool(counted), bool(held))
        confirmed = standing == CROWD_HEADLINE and photo is not None
        out.append((station, contest, key, confirmed, at, str(voter), standing, tier))
    return out
