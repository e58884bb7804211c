"""The reports API (django-ninja router, mounted under /api/v1/ by `baqylau.api`).

Every POST stores the sender's body (even when it is not JSON) with its verdict before answering:
201 recorded · 200 the same report was already received (idempotent retries) · 422 stored but
rejected, with the reasons in the sender's language · 400 not a JSON object · 401 no valid token ·
403 the account is not an observer's. Language: `lang` (body or query), then Accept-Language, then
the observer's own language.
"""

from __future__ import annotations

import json
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpRequest, JsonResponse
from ninja import Router
from ninja.security import django_auth

from baqylau.accounts.auth import ApiTokenAuth
from baqylau.i18n import accept_language, normalize_language
from baqylau.intake.messages import render
from baqylau.intake.models import Submission
from baqylau.intake.outcome import Problem, problems_body
from baqylau.intake.services import new_submission, store_rejected
from baqylau.observers.selectors import observer_card, observer_for_user, visible_observers
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


def _read_body(request: HttpRequest, kind: str) -> tuple[Any, str | None, list]:
    """The data (a dict, or the raw text when unreadable), an error detail, and files."""
    content_type = request.content_type or ""
    if content_type.startswith(("multipart/form-data", "application/x-www-form-urlencoded")):
        data = {k: request.POST.get(k) for k in request.POST}
        files = [(f.read(), f.content_type or "") for f in request.FILES.getlist("photos")]
        return data, None, files
    text = request.body.decode("utf-8", "replace")
    try:
        data = json.loads(text or "null")
    except ValueError as exc:
        return text, f"not JSON ({exc})", []
    if not isinstance(data, dict):
        return data, "not a JSON object", []
    return data, None, []


def _submit(request: HttpRequest, kind: str) -> JsonResponse:
    observer = observer_for_user(request.auth)
    data, error, files = _read_body(request, kind)
    lang = normalize_language(
        data.get("lang") if isinstance(data, dict) else None,
        request.GET.get("lang"),
        accept_language(request.headers.get("Accept-Language", "")),
        observer.language if observer else None,
    )
    if observer is None:
        return _json(
            403,
            {"errors": [{"code": "not_an_observer", "message": render("not_an_observer", lang)}]},
        )
    if error is not None:
        submission = new_submission(
            kind=services.SUBMISSION_KIND[kind],
            channel=Submission.Channel.API,
            payload={"report": kind, "data": data},
            sender=observer.public_id,
            user=request.auth,
            language=lang,
        )
        problems = [Problem("malformed", "", {"detail": error})]
        store_rejected(submission, problems, actor=request.auth)
        return _json(400, problems_body(submission, problems, lang))
    if isinstance(data, dict):
        data.pop("lang", None)
    outcome = services.submit_report(
        kind=kind,
        data=data,
        observer=observer,
        channel=Submission.Channel.API,
        user=request.auth,
        language=lang,
        files=files,
    )
    if outcome.duplicate_of is not None:
        return _json(
            200,
            {
                "submission": outcome.submission.pk,
                "duplicate_of": outcome.duplicate_of.pk,
                "message": render("duplicate", lang),
            },
        )
    if not outcome.ok:
        return _json(422, problems_body(outcome.submission, outcome.problems, lang))
    first = outcome.record[0] if isinstance(outcome.record, list) else outcome.record
    return _json(
        201,
        {
            "submission": outcome.submission.pk,
            "kind": kind,
            "id": first.pk,
            "message": "\n".join(outcome.messages(lang)),
        },
    )


def _body(kind: str, multipart: bool = False) -> dict[str, Any]:
    content = {"application/json": {"schema": _SCHEMAS[kind]}}
    if multipart:
        content["multipart/form-data"] = {"schema": _SCHEMAS[kind]}
    return {"requestBody": {"required": True, "content": content}}


@router.post("/reports/checkin", openapi_extra=_body("checkin"), summary="Check-in")
def post_checkin(request):
    return _submit(request, "checkin")


@router.post("/reports/turnout", openapi_extra=_body("turnout"), summary="Turnout count")
def post_turnout(request):
    return _submit(request, "turnout")


@router.post(
    "/reports/incident", openapi_extra=_body("incident", multipart=True), summary="Violation"
)
def post_incident(request):
    return _submit(request, "incident")


@router.post("/reports/checklist", openapi_extra=_body("checklist"), summary="Checklist answers")
def post_checklist(request):
    return _submit(request, "checklist")


@router.post("/reports/note", openapi_extra=_body("note"), summary="Free text")
def post_note(request):
    return _submit(request, "note")


@router.get("/reports/forms", summary="Report forms (data) and the violation catalogue")
def get_forms(request):
    return {
        "forms": [forms.load_form(code) for code in forms.form_codes()],
        "violation_types": [
            {
                "code": v.code,
                "law_article": v.law_article,
                "name": {"kk": v.name_kk, "ru": v.name_ru, "en": v.name_en},
            }
            for v in ViolationType.objects.filter(active=True)
        ],
    }


@router.get("/reports", summary="Reports of one kind the caller may read (scoped by role)")
def list_reports(request, kind: str = "incident", limit: int = 100, offset: int = 0):
    if kind not in selectors.MODELS:
        return _json(404, {"errors": [{"code": "unknown_kind", "message": kind}]})
    qs = selectors.visible_reports(request.auth, kind).order_by("-received_at", "-id")
    if kind == "incident":
        qs = qs.select_related("violation")
    limit = max(1, min(limit, 500))
    rows = [selectors.report_row(kind, r) for r in qs[offset : offset + limit]]
    return _json(200, {"count": qs.count(), "results": rows})


@router.get("/observers", summary="Observers the caller may see (identity only where allowed)")
def list_observers(request):
    return _json(
        200,
        {"results": [observer_card(request.auth, o) for o in visible_observers(request.auth)]},
    )
