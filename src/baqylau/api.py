"""The HTTP API (django-ninja), mounted at /api/v1/ outside the language prefixes.

Every endpoint needs an API token (`Authorization: Bearer <token>`, see `accounts.services`).
The OpenAPI schema is at /api/v1/openapi.json and the docs at /api/v1/docs (assets served
locally because "ninja" is in INSTALLED_APPS).
"""

from django.db.utils import InterfaceError, OperationalError
from django.urls import path
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError

from baqylau.accounts.auth import ApiTokenAuth
from baqylau.errors import unavailable
from baqylau.i18n import request_language
from baqylau.protocols.api import router as protocols_router
from baqylau.tally.api import elections_router
from baqylau.tally.api import router as tally_router

api = NinjaAPI(
    title="Baqylau API",
    version="1",
    description="Protocol copies from observers, station status, the independent count.",
    auth=ApiTokenAuth(),
    urls_namespace="api",
)
api.add_router("/", protocols_router)
api.add_router("/", tally_router)
api.add_router("/elections", elections_router)
api.add_router("/public", "baqylau.dashboard.api.router")  # public figures and open data
api.add_router("/", "baqylau.reports.api.router")  # election-day reports (observers)

UNAUTHORIZED = {
    "kk": "API кілті жоқ немесе жарамсыз (Authorization: Bearer <кілт>)",
    "ru": "Нет действующего API-ключа (Authorization: Bearer <ключ>)",
    "en": "A valid API token is required (Authorization: Bearer <token>)",
}
BAD_REQUEST = {
    "kk": "Сұраныс дұрыс құрылмаған",
    "ru": "Неверно составленный запрос",
    "en": "The request is malformed",
}


@api.exception_handler(AuthenticationError)
def unauthorized(request, exc):
    lang = request_language(request)
    return api.create_response(
        request,
        {"detail": UNAUTHORIZED[lang], "code": "unauthorized", "messages": UNAUTHORIZED},
        status=401,
    )


@api.exception_handler(ValidationError)
def bad_request(request, exc):
    """Input that does not fit the endpoint's parameters is a 400 (422 means: checks failed)."""
    lang = request_language(request)
    return api.create_response(
        request,
        {
            "detail": BAD_REQUEST[lang],
            "code": "bad_request",
            "messages": BAD_REQUEST,
            "errors": exc.errors,
        },
        status=400,
    )


@api.exception_handler(OperationalError)
@api.exception_handler(InterfaceError)
def database_away(request, exc):
    """The database is restarting or down: 503 with Retry-After (clients retry)."""
    return unavailable(request)


@api.exception_handler(HttpError)
def http_error(request, exc):
    return api.create_response(request, {"detail": exc.message}, status=exc.status_code)


urlpatterns = [path("", api.urls)]
