"""What the server answers when it cannot answer: a database that is away (restarting, crashed,
locked) is a 503 with Retry-After, so that the observer app, the SMS gateway and API clients retry
(JSON for the API, a short page for browsers: neither needs the database); anything else is a 500.
"""

from __future__ import annotations

import sys

from django.db.utils import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.defaults import server_error as django_server_error

from baqylau.i18n import LANGUAGES, request_language

#: Seconds a client should wait before retrying while the database is away.
RETRY_AFTER = 5

UNAVAILABLE = {
    "kk": "Сервер уақытша қолжетімсіз; хабарламаңыз жоғалмайды, сәлден соң қайта жіберіңіз",
    "ru": "Сервер временно недоступен; ваше сообщение не потеряется, повторите чуть позже",
    "en": "The server is briefly unavailable; nothing is lost, please retry in a moment",
}


def database_unavailable(exc: BaseException | None) -> bool:
    return isinstance(exc, OperationalError | InterfaceError)


def _wants_json(request: HttpRequest) -> bool:
    path = request.path
    return (
        path.startswith(("/api/", "/sms/", "/bots/"))
        or "/observe/api/" in path
        or "application/json" in request.headers.get("Accept", "")
    )


def unavailable(request: HttpRequest) -> HttpResponse:
    """503 with Retry-After, in the requester's language."""
    try:
        lang = request_language(request)
    except Exception:  # noqa: BLE001 - the answer must not fail
        lang = "ru"
    if _wants_json(request):
        response = JsonResponse(
            {
                "status": "unavailable",
                "code": "unavailable",
                "message": UNAVAILABLE[lang],
                "messages": {code: UNAVAILABLE[code] for code in LANGUAGES},
                "retry_after": RETRY_AFTER,
            },
            status=503,
        )
    else:
        response = HttpResponse(
            f'<!doctype html><html lang="{lang}"><meta charset="utf-8">'
            '<meta name="viewport" content="width=device-width">'
            f"<title>Baqylau</title><h1>Baqylau</h1><p>{UNAVAILABLE[lang]}</p></html>",
            status=503,
            content_type="text/html; charset=utf-8",
        )
    response["Retry-After"] = str(RETRY_AFTER)
    response["Cache-Control"] = "no-store"
    return response


def server_error(request: HttpRequest, *args, **kwargs) -> HttpResponse:
    """handler500: a database that is away is a 503 (retry); anything else Django's 500."""
    if database_unavailable(sys.exc_info()[1]):
        return unavailable(request)
    return django_server_error(request, *args, **kwargs)
