"""API endpoints for protocol copies, station status and the independent count. Thin: the work is
done by `intake.services` and read through selectors."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from django.http import HttpRequest
from ninja import File, Form, Router, Schema, Status, UploadedFile
from ninja.errors import HttpError

from baqylau.intake import services as intake
from baqylau.intake.models import Submission
from baqylau.protocols import selectors

router = Router(tags=["protocols"])
elections_router = Router(tags=["count"])

LANGUAGES = ("kk", "ru", "en")


def request_language(request: HttpRequest, explicit: str | None = None) -> str:
    """kk, ru or en: the `lang` field first, then the best match of Accept-Language, else ru."""
    if explicit and explicit.strip()[:2].lower() in LANGUAGES:
        return explicit.strip()[:2].lower()
    ranked = []
    for position, part in enumerate(request.headers.get("Accept-Language", "").split(",")):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        code = tag.strip()[:2].lower()
        if code in LANGUAGES and quality > 0:
            ranked.append((-quality, position, code))
    return min(ranked)[2] if ranked else "ru"


# ---------------------------------------------------------------------------------------------
# Schemas


class FindingOut(Schema):
    code: str
    kind: str
    severity: str
    lines: list[str]
    choice: str | None = None
    expected: str | None = None
    left: float | None = None
    right: float | None = None
    difference: float | None = None
    message: str
    messages: dict[str, str]


class ProtocolResultOut(Schema):
    receipt: int
    submission: UUID
    status: str
    language: str
    findings: list[FindingOut]


class ProblemOut(Schema):
    code: str
    field: str
    message: str
    messages: dict[str, str]


class IntakeErrorOut(Schema):
    submission: UUID | None = None
    status: str = "invalid"
    language: str
    code: str
    message: str
    messages: dict[str, str]
    problems: list[ProblemOut] = []


def _findings(items, lang: str) -> list[dict[str, Any]]:
    rows = []
    for item in items:
        row = dict(item)
        row["message"] = item["messages"][lang]
        rows.append(row)
    return rows


@router.post(
    "/protocols",
    response={
        201: ProtocolResultOut,
        202: ProtocolResultOut,
        422: ProtocolResultOut,
        400: IntakeErrorOut,
    },
    summary="Submit a protocol copy (figures as JSON, photos of its pages)",
    description=(
        "Multipart form: `data` is the JSON object of the protocol (`election`, `contest`, "
        "`station` or `station_id`, `lines` by line code, `votes` by choice code); `photos` are "
        "the pages in order (JPEG, PNG or WebP, at most 15 MB each); `lang` (kk, ru, en) or "
        "Accept-Language chooses the language of the messages. The submission is stored before "
        "anything is checked. 201: the copy adds up; 202: recorded, needs a moderator's review; "
        "422: recorded, but the control relations are broken (every finding is listed); "
        "400: the submission is kept but could not become a protocol copy."
    ),
)
def submit_protocol(
    request: HttpRequest,
    data: Form[str] = "",
    lang: Form[str] = "",
    photos: File[list[UploadedFile]] = None,
):
    language = request_language(request, lang)
    files = [(upload.read(), upload.content_type or "") for upload in photos or []]
    result = intake.submit_protocol_copy(
        channel=Submission.Channel.API,
        sender=f"user:{request.auth.pk}",
        user=request.auth,
        payload=data,
        photos=files,
        language=language,
    )
    if not result.is_record:
        return Status(
            400,
            {
                "submission": result.submission_id,
                "language": language,
                "code": result.rejection_code,
                "message": "\n".join(result.messages(language)),
                "messages": {
                    code: "\n".join(p["messages"][code] for p in result.problems)
                    for code in LANGUAGES
                },
                "problems": [{**p, "message": p["messages"][language]} for p in result.problems],
            },
        )
    status = {"accepted": 201, "review": 202}.get(result.status, 422)
    return Status(
        status,
        {
            "receipt": result.copy_id,
            "submission": result.submission_id,
            "status": result.status,
            "language": language,
            "findings": _findings(result.findings, language),
        },
    )


# ---------------------------------------------------------------------------------------------
# Station status


class CopyOut(Schema):
    id: int
    contest: str
    received_at: datetime
    source: str
    validation: str
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
    status: str
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


class NotFoundOut(Schema):
    detail: str


@router.get(
    "/stations/{station_id}/status",
    response={200: StationStatusOut, 404: NotFoundOut},
    summary="Copies received for a station, their states, the reconciled result, conflicts",
)
def station_status(request: HttpRequest, station_id: int, lang: str = ""):
    language = request_language(request, lang)
    station = selectors.station_get(station_id)
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
                    "validation": copy.validation,
                    "moderation": copy.moderation,
                    "pages_received": copy.pages_received,
                    "lines": selectors.copy_lines(copy),
                    "votes": {choice.code: votes for choice, votes in selectors.copy_votes(copy)},
                    "findings": _findings(copy.findings, language),
                }
                for copy in status.copies
            ],
            "results": [
                {
                    "contest": result.contest.code,
                    "status": result.status,
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
    response={200: CountOut, 404: NotFoundOut},
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
    response={200: ComparisonsOut, 404: NotFoundOut},
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
