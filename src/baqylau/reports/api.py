"""The reports API (django-ninja router, mounted under /api/v1/ by `baqylau.api`).

Every POST stores the sender's body (even when it cannot be read) with its verdict before
answering, with the one status semantics of the intake (`intake.outcome.http_status`): 201
recorded · 200 the same report was already received (idempotent retries) · 403 the sender may not
record it (not an observer, not placed at that station, or not entitled to enter it on an
observer's behalf with `on_behalf_of`: `intake.access`) · 422 stored but not recorded, with the
reasons in the sender's language · 400 the body cannot be read · 401 no valid token. Language:
`lang` (body or query), then Accept-Language, then the observer's own language.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpRequest, JsonResponse
from ninja import Router, Schema
from ninja.security import django_auth

from baqylau.accounts.auth import ApiTokenAuth
from baqylau.api_schemas import errors, intake_responses
from baqylau.i18n import accept_language, normalize_language
from baqylau.intake.access import Recorder, recorder_for
from baqylau.intake.messages import render
from baqylau.intake.models import Submission
from baqylau.intake.outcome import Problem, http_status, problems_body
from baqylau.intake.parsing import read_json
from baqylau.intake.services import manifest, new_submission, store_rejected
from baqylau.legal.citations import refs_by_language
from baqylau.observers.selectors import observer_card, visible_observers
from baqylau.reports import forms, selectors, services
from baqylau.reports.models import ViolationType

router = Router(tags=["reports"], auth=[ApiTokenAuth(), django_auth])

_OBJ = {"type": "object"}
_SCHEMAS: dict[str, dict[str, Any]] = {
    "checkin": {
        "type": "object",
        "required": ["station", "status"],
        "properties": {
            "station": {"type": "string", "example": "237"},
            "status": {"enum": ["admitted", "not_admitted", "removed", "left", "in", "out"]},
            "reason": {"type": "string"},
            "at": {"type": "string", "example": "07:05"},
            "election": {"type": "string"},
            "lang": {"enum": ["kk", "ru", "en"]},
        },
    },
    "turnout": {
        "type": "object",
        "required": ["station", "at", "count"],
        "properties": {
            "station": {"type": "string"},
            "at": {"type": "string", "example": "10:30"},
            "count": {"type": "integer", "minimum": 0},
            "commission_count": {"type": "integer", "minimum": 0},
            "election": {"type": "string"},
            "lang": {"enum": ["kk", "ru", "en"]},
        },
    },
    "checklist": {
        "type": "object",
        "required": ["station", "answers"],
        "properties": {
            "station": {"type": "string"},
            "form": {"type": "string", "example": "opening"},
            "answers": {"type": "object", "additionalProperties": {"type": "boolean"}},
            "lang": {"enum": ["kk", "ru", "en"]},
        },
    },
    "note": {
        "type": "object",
        "required": ["station", "text"],
        "properties": {"station": {"type": "string"}, "text": {"type": "string"}},
    },
    "incident": {
        "type": "object",
        "required": ["station", "violation"],
        "properties": {
            "station": {"type": "string"},
            "violation": {"type": "string", "example": "stuffing"},
            "at": {"type": "string", "example": "14:15"},
            "text": {"type": "string"},
            "photos": {"type": "array", "items": {"type": "string", "format": "binary"}},
            "lang": {"enum": ["kk", "ru", "en"]},
        },
    },
}


def _json(status: int, body: dict[str, Any]) -> JsonResponse:
    return JsonResponse(body, status=status, encoder=DjangoJSONEncoder)


def _read_body(request: HttpRequest) -> tuple[Any, Problem | None, list]:
    """The data (a dict; what was received when it cannot be read), the problem, and files."""
    content_type = request.content_type or ""
    if content_type.startswith(("multipart/form-data", "application/x-www-form-urlencoded")):
        data = {k: request.POST.get(k) for k in request.POST}
        files = [(f.read(), f.content_type or "") for f in request.FILES.getlist("photos")]
        return data, None, files
    data, problem = read_json(request.body or b"null")
    if problem is None and not isinstance(data, dict):
        problem = Problem("malformed", "", {"detail": "not a JSON object"})
    return data, problem, []


def _submit(request: HttpRequest, kind: str) -> JsonResponse:
    data, problem, files = _read_body(request)
    recorder = recorder_for(request.auth, data if problem is None else None)
    own = recorder.observer.language if isinstance(recorder, Recorder) else None
    lang = normalize_language(
        data.get("lang") if isinstance(data, dict) else None,
        request.GET.get("lang"),
        accept_language(request.headers.get("Accept-Language", "")),
        own,
    )
    if problem is not None or not isinstance(recorder, Recorder):
        submission = new_submission(
            kind=services.SUBMISSION_KIND[kind],
            channel=Submission.Channel.API,
            payload={"report": kind, "data": data, "attachments": manifest(files)},
            sender=recorder.sender if isinstance(recorder, Recorder) else f"user:{request.auth.pk}",
            user=request.auth,
            language=lang,
        )
        outcome = store_rejected(
            submission, [problem if problem is not None else recorder], actor=request.auth
        )
        return _json(http_status(outcome), problems_body(submission, outcome.problems, lang))
    data.pop("lang", None)
    outcome = services.submit_report(
        kind=kind,
        data=data,
        observer=recorder.observer,
        channel=Submission.Channel.API,
        user=request.auth,
        language=lang,
        files=files,
        placed_at=recorder.placed_at if recorder.entered_by is not None else None,
        actor_label=recorder.audit_label,
    )
    status = http_status(outcome)
    if outcome.duplicate_of is not None:
        return _json(
            status,
            {
                "submission": outcome.submission.pk,
                "status": "duplicate",
                "duplicate_of": outcome.duplicate_of.pk,
                "id": getattr(outcome.first_record, "pk", None),
                "message": render("duplicate", lang),
            },
        )
    if not outcome.ok:
        return _json(status, problems_body(outcome.submission, outcome.problems, lang))
    return _json(
        status,
        {
            "submission": outcome.submission.pk,
            "status": "recorded",
            "kind": kind,
            "id": outcome.first_record.pk,
            "message": "\n".join(outcome.messages(lang)),
        },
    )


class ReportRecordedOut(Schema):
    submission: UUID
    status: str  # "recorded", or "duplicate" (already received)
    kind: str | None = None
    id: int | None = None
    duplicate_of: UUID | None = None
    message: str


class ReportsOut(Schema):
    count: int
    results: list[dict[str, Any]]


class FormsOut(Schema):
    forms: list[dict[str, Any]]
    violation_types: list[dict[str, Any]]


class ObserversOut(Schema):
    results: list[dict[str, Any]]


REPORT_RESPONSES = intake_responses(ReportRecordedOut)


def _body(kind: str, multipart: bool = False) -> dict[str, Any]:
    content = {"application/json": {"schema": _SCHEMAS[kind]}}
    if multipart:
        content["multipart/form-data"] = {"schema": _SCHEMAS[kind]}
    return {"requestBody": {"required": True, "content": content}}


@router.post(
    "/reports/checkin",
    response=REPORT_RESPONSES,
    openapi_extra=_body("checkin"),
    summary="Check-in",
)
def post_checkin(request):
    return _submit(request, "checkin")


@router.post(
    "/reports/turnout",
    response=REPORT_RESPONSES,
    openapi_extra=_body("turnout"),
    summary="Turnout count",
)
def post_turnout(request):
    return _submit(request, "turnout")


@router.post(
    "/reports/incident",
    response=REPORT_RESPONSES,
    openapi_extra=_body("incident", multipart=True),
    summary="Violation",
)
def post_incident(request):
    return _submit(request, "incident")


@router.post(
    "/reports/checklist",
    response=REPORT_RESPONSES,
    openapi_extra=_body("checklist"),
    summary="Checklist answers",
)
def post_checklist(request):
    return _submit(request, "checklist")


@router.post(
    "/reports/note", response=REPORT_RESPONSES, openapi_extra=_body("note"), summary="Free text"
)
def post_note(request):
    return _submit(request, "note")


@router.get(
    "/reports/forms",
    response={200: FormsOut, **errors()},
    summary="Report forms (data) and the violation catalogue",
)
def get_forms(request):
    return {
        "forms": [forms.load_form(code) for code in forms.form_codes()],
        "violation_types": [
            {
                "code": v.code,
                "law_article": refs_by_language(v.law_article),
                "law_references": v.law_article,
                "name": {"kk": v.name_kk, "ru": v.name_ru, "en": v.name_en},
            }
            for v in ViolationType.objects.filter(active=True)
        ],
    }


@router.get(
    "/reports",
    response={200: ReportsOut, **errors(400, 404)},
    summary="Reports of one kind the caller may read (scoped by role)",
)
def list_reports(request, kind: str = "incident", limit: int = 100, offset: int = 0):
    if kind not in selectors.MODELS:
        return _json(404, {"errors": [{"code": "unknown_kind", "message": kind}]})
    offset = max(0, min(offset, 10**9))
    qs = selectors.visible_reports(request.auth, kind).order_by("-received_at", "-id")
    if kind == "incident":
        qs = qs.select_related("violation")
    limit = max(1, min(limit, 500))
    rows = [selectors.report_row(kind, r) for r in qs[offset : offset + limit]]
    return _json(200, {"count": qs.count(), "results": rows})


@router.get(
    "/observers",
    response={200: ObserversOut, **errors()},
    summary="Observers the caller may see (identity only where allowed)",
)
def list_observers(request):
    return _json(
        200,
        {"results": [observer_card(request.auth, o) for o in visible_observers(request.auth)]},
    )
