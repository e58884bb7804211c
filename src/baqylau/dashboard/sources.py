"""What the dashboard reads from the other apps, as plain rows for the vectorised roll-up.

Every function returns lists of tuples keyed by station id and never any personal data: senders
are only counted (distinct users of each bot), never kept.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.db.models import Q

from baqylau.crowd.models import CrowdBallot
from baqylau.elections.models import AdminUnit, Contest, Election, OfficialLine, OfficialVote
from baqylau.observers.models import Assignment
from baqylau.reports.models import CheckIn, Incident, TurnoutCount

STATION = AdminUnit.Kind.STATION

#: Crowd categories that are not a choice (the "from voters" column of the seed's dashboard).
CROWD_CATEGORIES = ("against_all", "spoiled", "no_photo", "spam", "pending")


def official_station(contest: Contest) -> tuple[list, list]:
    """(station id, line, value) and (station id, choice id, votes) of station official results."""
    scope = {"result__contest": contest, "result__unit__kind": STATION}
    lines = list(
        OfficialLine.objects.filter(**scope).values_list("result__unit_id", "line", "value")
    )
    votes = list(
        OfficialVote.objects.filter(**scope).values_list("result__unit_id", "choice_id", "votes")
    )
    return lines, votes


def published_votes(contest: Contest) -> dict[int, dict[int, int]]:
    """Official votes published for units above stations: unit id → choice id → votes."""
    result: dict[int, dict[int, int]] = {}
    rows = (
        OfficialVote.objects.filter(result__contest=contest)
        .exclude(result__unit__kind=STATION)
        .values_list("result__unit_id", "choice_id", "votes")
    )
    for unit_id, choice_id, votes in rows:
        result.setdefault(unit_id, {})[choice_id] = votes
    return result


def observed_station(contest: Contest) -> tuple[list, list]:
    """Lines and votes of the reconciled observed result of each station (protocols app)."""
    from baqylau.protocols.models import StationResult

    lines, votes = [], []
    rows = StationResult.objects.filter(contest=contest).values_list("station_id", "lines", "votes")
    for station_id, line_map, vote_map in rows.order_by("id"):
        lines.extend((station_id, line, value) for line, value in (line_map or {}).items())
        votes.extend((station_id, int(choice), n) for choice, n in (vote_map or {}).items())
    return lines, votes


def _public_status(moderation: str, validation: str) -> str:
    """A moderator's decision wins; until there is one, a copy that passes the protocol checks
    counts as accepted (it is in the observed count), one that fails them as rejected, and one
    the checks sent to review is still waiting."""
    if moderation != "pending":
        return moderation
    return {"accepted": "accepted", "rejected": "rejected"}.get(validation, "pending")


def copies(election: Election) -> list[tuple[int, str, str]]:
    """(station id, public status, reject reason code) of every protocol copy received."""
    from baqylau.moderation.models import Decision
    from baqylau.protocols.models import ProtocolCopy

    rows = [
        (copy_id, station, _public_status(moderation, validation))
        for copy_id, station, moderation, validation in ProtocolCopy.objects.filter(
            contest__election=election
        ).values_list("id", "station_id", "moderation", "validation")
    ]
    reasons: dict[int, str] = {
        copy_id: "figures_do_not_add_up" for copy_id, _s, status in rows if status == "rejected"
    }
    decisions = (
        Decision.objects.filter(copy__contest__election=election)
        .order_by("copy_id", "decided_at", "id")
        .values_list("copy_id", "verdict", "reason__code")
    )
    for copy_id, verdict, reason in decisions:  # the latest decision wins
        reasons[copy_id] = (reason or "") if verdict == "reject" else ""
    return [(station, status, reasons.get(copy_id, "")) for copy_id, station, status in rows]


def incidents(election: Election) -> list[tuple[int, str]]:
    """(station id, violation code) of the violations confirmed by a moderator."""
    return list(
        Incident.objects.filter(election=election, moderation="accepted").values_list(
            "station_id", "violation__code"
        )
    )


def observer_bot_users(election: Election) -> list[tuple[int, str]]:
    """(station id, sender) of everything observers sent through the Telegram bot."""
    from baqylau.protocols.models import ProtocolCopy

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


# -- the crowd exit poll (voters' ballot photos) -------------------------------------------------


def crowd_rows(contest: Contest) -> list[tuple[int, str, bool, dt.datetime | None, str]]:
    """(station id, key, confirmed, received at, voter) of the voters' ballot photos.

    `key` is a choice id (as a string) for a valid ballot, else its category (`CROWD_CATEGORIES`
    or "pending"). Confirmed: counted (once per voter and station, not spam) with a photo.
    The voter is the crowd app's voter row id (itself a keyed hash), only ever counted.
    """
    rows = (
        CrowdBallot.objects.filter(contest=contest, station__isnull=False)
        .values_list(
            "station_id", "category", "choice_id", "photo_id", "counted", "created_at", "voter_id"
        )
        .iterator(chunk_size=20_000)
    )
    out = []
    for station, category, choice, photo, counted, at, voter in rows:
        key = str(choice) if category == "valid" and choice is not None else category
        out.append((station, key, bool(counted and photo), at, str(voter)))
    return out


def station_units(election: Election) -> Iterable[tuple]:
    return AdminUnit.objects.filter(election=election, kind=STATION).values_list("id", "path")
