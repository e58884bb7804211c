"""API endpoints of the independent count: a station's copies and reconciled result, the count of
a unit, and the comparison findings. Reads only, through `tally.selectors`."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema, Status
from ninja.errors import HttpError

from baqylau.api_schemas import errors
from baqylau.i18n import request_language
from baqylau.protocols import selectors as copies
from baqylau.protocols.api import FindingOut
from baqylau.tally import selectors

router = Router(tags=["count"])
elections_router = Router(tags=["count"])


def _findings(items, lang: str) -> list[dict[str, Any]]:
    return [{**item, "message": item["messages"][lang]} for item in items]


class CopyOut(Schema):
    id: int
    contest: str
    received_at: datetime
    source: str
    checks: str
    moderation: str
    pages_received: int
    lines: dict[str, int]
    votes: dict[str, int]
    findings: list[FindingOut]


class ConflictOut(Schema):
    contest: str
    line: str
    choice: str | None = None
    values: list[dict[str, Any]]
    resolved_value: int | None = None


class ResultOut(Schema):
    contest: str
    status: str  # agreed | single | conflict | resolved | checked
    settled: bool
    copies: list[int]
    lines: dict[str, int]
    votes: dict[str, int]


class StationOut(Schema):
    id: int
    code: str
    path: str
    name: str
    election: str
    registered_voters: int | None = None


class StationStatusOut(Schema):
    station: StationOut
    copies_received: int
    copies: list[CopyOut]
    results: list[ResultOut]
    conflicts: list[ConflictOut]


@router.get(
    "/stations/{station_id}/status",
    response={200: StationStatusOut, **errors(400, 404)},
    summary="Copies received for a station, their states, the reconciled result, conflicts",
)
def station_status(request: HttpRequest, station_id: int, lang: str = ""):
    language = request_language(request, lang)
    station = copies.station_get(station_id)
    if station is None:
        return Status(404, {"detail": "station not found"})
    status = selectors.station_status(station)
    return Status(
        200,
        {
            "station": {
                "id": station.pk,
                "code": station.code,
                "path": station.path,
                "name": station.localized_name,
                "election": station.election.code,
                "registered_voters": station.registered_voters,
            },
            "copies_received": len(status.copies),
            "copies": [
                {
                    "id": copy.pk,
                    "contest": copy.contest.code,
                    "received_at": copy.received_at,
                    "source": copy.source,
                    "checks": copy.checks,
                    "moderation": copy.moderation,
                    "pages_received": copy.pages_received,
                    "lines": copies.copy_lines(copy),
                    "votes": {choice.code: votes for choice, votes in copies.copy_votes(copy)},
                    "findings": _findings(copy.findings, language),
                }
                for copy in status.copies
            ],
            "results": [
                {
                    "contest": result.contest.code,
                    "status": result.status,
                    "settled": result.settled,
                    "copies": selectors.result_copy_ids(result),
                    "lines": dict(result.lines or {}),
                    "votes": selectors.result_votes(result),
                }
                for result in status.results
            ],
            "conflicts": [
                {
                    "contest": conflict.result.contest.code,
                    "line": conflict.line,
                    "choice": conflict.choice.code if conflict.choice else None,
                    "values": conflict.values,
                    "resolved_value": conflict.resolved_value,
                }
                for conflict in status.conflicts
            ],
        },
    )


# ---------------------------------------------------------------------------------------------
# The independent count and the comparison with the official results


class UnitCountOut(Schema):
    contest: str
    unit_id: int
    unit_code: str
    unit_path: str
    unit_name: str
    stations_total: int
    stations_covered: int
    registered_total: int
    registered_covered: int
    lines: dict[str, int]
    votes: dict[str, int]
    turnout: float | None = None
    official: dict[str, Any]
    announced: dict[str, Any]
    official_at_covered: dict[str, Any]
    results: dict[str, int]
    copies: dict[str, int]
    findings: dict[str, int]
    #: From voters: {"declared", "photo"} by choice code, the stations they rest on
    #: ("stations", "stations_photo", "compared") and the stations where they exceed the official
    #: votes ("exceeds", "exceeds_by_choice"); {} when no voter sent anything under the unit.
    crowd: dict[str, Any] = {}
    computed_at: datetime


class EstimateOut(Schema):
    contest: str
    unit_id: int
    choice: str
    share: float
    margin: float
    stations_used: int
    random_sample: bool


class CountOut(Schema):
    election: str
    unit_id: int | None = None
    counts: list[UnitCountOut]
    estimates: list[EstimateOut]


class ComparisonOut(Schema):
    id: int
    contest: str
    unit_id: int
    unit_path: str
    kind: str
    line: str
    choice: str | None = None
    observed: int | None = None
    official: int | None = None
    difference: int | None = None
    details: dict[str, Any]


class ComparisonsOut(Schema):
    election: str
    total: int
    limit: int
    offset: int
    items: list[ComparisonOut]


def _election_or_404(code: str):
    election = selectors.election_by_code(code)
    if election is None:
        raise HttpError(404, "election not found")
    return election


@elections_router.get(
    "/{code}/count",
    response={200: CountOut, **errors(400, 404)},
    summary="The observed count of a unit (default: the top units) and of its sub-units",
)
def election_count(request: HttpRequest, code: str, unit: int | None = None):
    election = _election_or_404(code)
    view = selectors.election_count(election, unit_id=unit)
    if view is None:
        return Status(404, {"detail": "unit not found"})
    return Status(200, {"election": election.code, "unit_id": unit, **view})


@elections_router.get(
    "/{code}/comparisons",
    response={200: ComparisonsOut, **errors(400, 404)},
    summary="Findings of the comparison between the observed count and the official results",
)
def election_comparisons(
    request: HttpRequest,
    code: str,
    kind: str = "",
    unit: int | None = None,
    limit: int = 100,
    offset: int = 0,
):
    election = _election_or_404(code)
    limit = max(1, min(limit, 1000))
    offset = max(0, offset)
    total, items = selectors.election_comparisons(
        election, kind=kind or None, unit_id=unit, limit=limit, offset=offset
    )
    return Status(
        200,
        {
            "election": election.code,
            "total": total,
            "limit": limit,
            "offset": offset,
            "items": items,
        },
    )
