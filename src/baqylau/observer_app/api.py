"""The observer app's own small API, at /<lang>/observe/api/ (inside the service worker's scope).

POST login          username + password → an API token the phone keeps (shown once)
POST logout         revokes the token the request carries
GET  me             the observer's placements and the catalogues (cached on the phone)
POST reports/{kind} one outbox item: `Idempotency-Key: <uuid>` (or a `client_id` field) and the
                    data, as JSON ``{"data": {...}}`` or multipart (`data` = JSON text, `photos`)
GET  recent         the observer's last answers, by client key

Reports go through `observer_app.services.submit_once` (idempotent by client key) and from there
through `reports.services.submit_report`, like every other channel. Status codes: 201 recorded ·
200 already recorded (the stored answer, ``replayed``) · 409 being processed (retry) · 422 stored
but rejected, with kk/ru/en reasons · 400 unreadable · 401 no valid token · 403 not an observer.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from django.contrib.auth import authenticate
from django.db.utils import InterfaceError, OperationalError
from django.http import HttpRequest, JsonResponse
from django.urls import path
from ninja import NinjaAPI, Schema
from ninja.errors import AuthenticationError, ValidationError

from baqylau.accounts.auth import ApiTokenAuth
from baqylau.accounts.models import ApiToken, hash_token
from baqylau.accounts.services import api_token_create, api_token_revoke
from baqylau.api_schemas import ErrorOut, errors
from baqylau.errors import unavailable
from baqylau.intake.messages import render_all
from baqylau.intake.models import Submission
from baqylau.intake.outcome import Problem
from baqylau.intake.parsing import read_json
from baqylau.intake.services import manifest, new_submission, store_rejected
from baqylau.observer_app import selectors, services
from baqylau.observers.selectors import observer_for_user
from baqylau.reports.services import SUBMISSION_KIND

api = NinjaAPI(
    title="Baqylau observer app",
    version="1",
    description="The outbox of the observers' offline web app (idempotent by client key).",
    auth=ApiTokenAuth(),
    urls_namespace="observe_api",
    docs_url=None,
)

TEXTS = {
    "unauthorized": {
        "kk": "Қайта кіріңіз: кілт жарамсыз немесе қайтарып алынған",
        "ru": "Войдите снова: ключ недействителен или отозван",
        "en": "Please log in again: the token is invalid or revoked",
    },
    "bad_login": {
        "kk": "Логин немесе құпиясөз қате",
        "ru": "Неверный логин или пароль",
        "en": "Wrong username or password",
    },
    "bad_request": {
        "kk": "Сұраныс дұрыс құрылмаған",
        "ru": "Неверно составленный запрос",
        "en": "The request is malformed",
    },
}


def _error(status: int, code: str, messages: dict[str, str] | None = None, **extra) -> JsonResponse:
    messages = messages or TEXTS[code]
    body = {
        "status": "rejected" if status in (400, 403, 422) else "error",
        "code": code,
        "message": messages,
        "errors": [{"code": code, "field": "", **messages}],
        **extra,
    }
    return JsonResponse(body, status=status)


@api.exception_handler(AuthenticationError)
def _unauthorized(request, exc):
    return _error(401, "unauthorized")


@api.exception_handler(OperationalError)
@api.exception_handler(InterfaceError)
def _database_away(request, exc):
    return unavailable(request)


@api.exception_handler(ValidationError)
def _bad_request(request, exc):
    return _error(400, "bad_request")


def _language(request: HttpRequest) -> str:
    lang = getattr(request, "LANGUAGE_CODE", "ru")
    return lang if lang in ("kk", "ru", "en") else "ru"


def _observer_or_403(request):
    observer = observer_for_user(request.auth)
    if observer is None:
        return None, _error(403, "not_an_observer", render_all("not_an_observer"))
    return observer, None


class LoginOut(Schema):
    token: str
    profile: dict[str, Any]


class OutboxReplyOut(Schema):
    """The answer to one outbox item; replayed when the key was already answered."""

    client_id: str
    status: str
    kind: str | None = None
    submission: str | None = None
    id: int | None = None
    message: dict[str, str] | str
    errors: list[Any] = []
    replayed: bool | None = None


@api.post(
    "/login",
    auth=None,
    response={201: LoginOut, **errors(400, 401, 403)},
    summary="Log in once; returns a token kept on the phone",
)
def login(request):
    try:
        body = json.loads(request.body or b"{}")
    except ValueError:
        return _error(400, "bad_request")
    if not isinstance(body, dict):
        return _error(400, "bad_request")
    user = authenticate(
        request, username=str(body.get("username", "")), password=str(body.get("password", ""))
    )
    if user is None:
        return _error(401, "bad_login")
    observer = observer_for_user(user)
    if observer is None:
        return _error(403, "not_an_observer", render_all("not_an_observer"))
    _, key = api_token_create(user=user, name="observer app")
    return JsonResponse({"token": key, "profile": selectors.profile(observer)}, status=201)


@api.post(
    "/logout", response={200: dict[str, bool], **errors()}, summary="Revoke this phone's token"
)
def logout(request):
    header = request.headers.get("Authorization", "")
    key = header.split(" ", 1)[1].strip() if " " in header else ""
    token = ApiToken.objects.filter(key_hash=hash_token(key), user=request.auth).first()
    if token is not None:
        api_token_revoke(token=token)
    return JsonResponse({"ok": True})


@api.get(
    "/me",
    response={200: dict[str, Any], **errors(403)},
    summary="Placements and catalogues for the phone to cache",
)
def me(request):
    observer, denied = _observer_or_403(request)
    if denied:
        return denied
    return JsonResponse(selectors.profile(observer))


@api.get(
    "/recent",
    response={200: dict[str, Any], **errors(400, 403)},
    summary="The observer's latest answers by client key",
)
def recent(request, limit: int = 50):
    observer, denied = _observer_or_403(request)
    if denied:
        return denied
    limit = max(1, min(limit, 200))
    return JsonResponse({"results": services.recent_receipts(observer, limit)})


def _read(request: HttpRequest) -> tuple[Any, list[tuple[bytes, str]], str]:
    """(data, files, client key text) from a JSON or multipart request. Data that cannot be read
    is returned as received (`intake.parsing.read_json`: text, or bytes that are not UTF-8)."""
    content_type = request.content_type or ""
    if content_type.startswith("multipart/form-data"):
        raw = request.POST.get("data", "")
        files = [(f.read(), f.content_type or "") for f in request.FILES.getlist("photos")]
        key = request.headers.get("Idempotency-Key") or request.POST.get("client_id", "")
        data, _problem = read_json(raw) if raw else ({}, None)
        return data, files, key
    body, problem = read_json(request.body or b"null")
    key = request.headers.get("Idempotency-Key", "")
    if problem is not None or not isinstance(body, dict):
        return body, [], key
    return body.get("data", {}), [], key or str(body.get("client_id", ""))


def _refused(request, kind: str, data: Any, files, key: str, problem: Problem, status: int):
    """An outbox item refused before its key could be claimed (no valid key, no such kind, not
    an observer): kept as a rejected envelope all the same, answered in the outbox's format."""
    observer = observer_for_user(request.auth)
    submission = new_submission(
        kind=SUBMISSION_KIND.get(kind, Submission.Kind.NOTE),
        channel=Submission.Channel.WEB,
        payload={"report": kind, "data": data, "attachments": manifest(files), "client_id": key},
        sender=observer.public_id if observer else f"user:{request.auth.pk}",
        user=request.auth,
        language=_language(request),
    )
    outcome = store_rejected(submission, [problem], actor=request.auth)
    body = {
        "client_id": key,
        "kind": kind,
        "submission": str(submission.pk),
        "status": "rejected",
        "errors": [p.as_dict() for p in outcome.problems],
        "message": outcome.messages_all(),
    }
    return JsonResponse(body, status=status)


@api.post(
    "/reports/{kind}",
    response={
        201: OutboxReplyOut,
        200: OutboxReplyOut,
        **{status: OutboxReplyOut for status in (400, 403, 404, 409, 422)},
        **{status: ErrorOut for status in (401, 429, 503)},
    },
    summary="Send one outbox item (idempotent by its client key)",
    description="201 recorded · 200 this key was already answered (the same answer again) · "
    "409 this key is being handled right now (retry) · 400 no key or an unreadable body · "
    "403 not an observer, or not placed at that station · 404 no such kind of report · "
    "422 kept but not recorded (the reasons) · 503 the database is briefly away (retry). "
    "Whatever is sent is kept: a refused item too, with its reasons (errors).",
)
def submit(request, kind: str):
    data, files, key_text = _read(request)
    if kind not in services.KINDS:
        return _refused(request, kind, data, files, key_text, Problem("unknown_kind"), 404)
    observer = observer_for_user(request.auth)
    if observer is None:
        return _refused(request, kind, data, files, key_text, Problem("not_an_observer"), 403)
    try:
        key = uuid.UUID(str(key_text))
    except ValueError:
        return _refused(request, kind, data, files, key_text, Problem("bad_key"), 400)
    if isinstance(data, dict):
        data.pop("lang", None)
    # Unreadable data is passed on as received: stored, then rejected as malformed (never dropped).
    reply = services.submit_once(
        observer=observer,
        user=request.auth,
        key=key,
        kind=kind,
        data=data,
        files=files,
        language=_language(request),
    )
    return JsonResponse(reply.body, status=reply.status)


urlpatterns = [path("", api.urls)]
