"""The HTTP API (django-ninja), mounted at /api/v1/ outside the language prefixes.

Every endpoint needs an API token (`Authorization: Bearer <token>`, see `accounts.services`),
except the public figures under /api/v1/public/. The OpenAPI schema is at /api/v1/openapi.json
and the docs at /api/v1/docs (assets served locally because "ninja" is in INSTALLED_APPS).

Every operation is throttled (`baqylau.throttling`): per token, and per client address for
requests without a valid token (failed authentications count too). A throttled request gets 429
with Retry-After; a body above `DATA_UPLOAD_MAX_MEMORY_SIZE` gets 413 (a form with too many fields
or files, 400), its size and the SHA-256 of its first bytes kept in a rejected submission. All
answer in JSON, in the sender's language.
"""

import hashlib

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.db.utils import InterfaceError, OperationalError
from django.urls import path
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, Throttled, ValidationError

from baqylau.accounts.auth import ApiTokenAuth
from baqylau.errors import unavailable
from baqylau.i18n import request_language
from baqylau.intake.models import Submission
from baqylau.intake.outcome import Problem, problems_body
from baqylau.intake.services import new_submission, store_rejected
from baqylau.observers.selectors import observer_for_user
from baqylau.protocols.api import router as protocols_router
from baqylau.tally.api import elections_router
from baqylau.tally.api import router as tally_router
from baqylau.throttling import AddressThrottle, TokenThrottle, refused_by_address

#: What a refused oversized body keeps: the SHA-256 of at most this many first bytes.
OVERSIZED_HEAD_BYTES = 65_536


class BaqylauAPI(NinjaAPI):
    def get_openapi_schema(self, **kwargs):
        """The schema, with the answers every operation may give besides its own (429, and 413
        for those that take a body) documented."""
        schema = super().get_openapi_schema(**kwargs)
        for operations in schema.get("paths", {}).values():
            for method, operation in operations.items():
                # ninja keys statuses by int: one key per status (a 429 and a "429" would be
                # written twice in the JSON, which Swagger UI's parser refuses)
                responses = {str(k): v for k, v in operation.get("responses", {}).items()}
                operation["responses"] = responses
                responses.setdefault("429", _error_response("Too many requests (Retry-After)"))
                if method in ("post", "put", "patch"):
                    responses.setdefault("413", _error_response("The request body is too large"))
        return schema


def _error_response(description: str) -> dict:
    return {
        "description": description,
        "content": {
            "application/json": {
                "schema": {
                    "type": "object",
                    "properties": {
                        "detail": {"type": "string"},
                        "code": {"type": "string"},
                        "message": {"type": "string"},
                        "messages": {"type": "object", "additionalProperties": {"type": "string"}},
                    },
                    "required": ["code", "messages"],
                }
            }
        },
    }


api = BaqylauAPI(
    title="Baqylau API",
    version="1",
    description="Protocol copies from observers, station status, the independent count.",
    auth=ApiTokenAuth(),
    throttle=[TokenThrottle(), AddressThrottle()],
    urls_namespace="api",
)
api.add_router("/", protocols_router)
api.add_router("/", tally_router)
api.add_router("/elections", elections_router)
api.add_router("/public", "baqylau.dashboard.api.router")  # public figures and open data
api.add_router("/", "baqylau.reports.api.router")  # election-day reports (observers)
api.add_router("/", "baqylau.crowd.api.router")  # crowd platforms' counts (staff)

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


TOO_MANY_REQUESTS = {
    "kk": "Сұраныстар тым көп. {seconds} секундтан кейін қайталаңыз.",
    "ru": "Слишком много запросов. Повторите через {seconds} с.",
    "en": "Too many requests. Try again in {seconds} s.",
}


@api.exception_handler(AuthenticationError)
def unauthorized(request, exc):
    wait = refused_by_address(request)  # failed authentications count against the address
    if wait is not None:
        return throttled(request, Throttled(wait=wait))
    lang = request_language(request)
    return api.create_response(
        request,
        {"detail": UNAUTHORIZED[lang], "code": "unauthorized", "messages": UNAUTHORIZED},
        status=401,
    )


@api.exception_handler(Throttled)
def throttled(request, exc):
    """429 in the sender's language; Retry-After says when to send again (whole seconds)."""
    seconds = max(1, round(exc.wait or 1))
    messages = {lang: text.format(seconds=seconds) for lang, text in TOO_MANY_REQUESTS.items()}
    lang = request_language(request)
    response = api.create_response(
        request,
        {
            "detail": messages[lang],
            "code": "throttled",
            "message": messages[lang],
            "messages": messages,
            "retry_after": seconds,
        },
        status=429,
    )
    response["Retry-After"] = str(seconds)
    return response


@api.exception_handler(RequestDataTooBig)
def too_large(request, exc):
    """413 in JSON instead of Django's bare HTML 400; what can be kept of the body is stored."""
    size = request.META.get("CONTENT_LENGTH") or "?"
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    return _refused(request, Problem("body_too_large", params={"size": size, "limit": limit}), 413)


@api.exception_handler(TooManyFieldsSent)
@api.exception_handler(TooManyFilesSent)
def too_many_parts(request, exc):
    """A form with more fields or files than Django reads: 400 in JSON, stored the same way."""
    limit = (
        settings.DATA_UPLOAD_MAX_NUMBER_FILES
        if isinstance(exc, TooManyFilesSent)
        else settings.DATA_UPLOAD_MAX_NUMBER_FIELDS
    )
    return _refused(request, Problem("too_many_parts", params={"limit": limit}), 400)


def _refused(request, problem: Problem, status: int):
    lang = request_language(request)
    submission = _store_oversized(request, problem, lang)
    return api.create_response(request, problems_body(submission, [problem], lang), status=status)


def _store_oversized(request, problem: Problem, lang: str) -> Submission:
    """A rejected envelope of a body too large to read: its declared size and type, and the
    SHA-256 of its first bytes when they are still unread (a JSON body; not a form cut short)."""
    head = None
    if not getattr(request, "_read_started", True):
        head = request.read(OVERSIZED_HEAD_BYTES)
    segments = [part for part in request.path.split("/") if part]
    kind = next(
        (k for k in reversed(segments) if k in Submission.Kind.values),
        "protocol" if "protocols" in segments else Submission.Kind.OTHER,
    )
    user = getattr(request, "auth", None)
    observer = observer_for_user(user) if user is not None else None
    payload = {
        "refused": problem.code,
        "method": request.method,
        "path": request.path[:200],
        "content_type": request.META.get("CONTENT_TYPE", "")[:200],
        "content_length": request.META.get("CONTENT_LENGTH", ""),
        "head": None
        if head is None
        else {"bytes": len(head), "sha256": hashlib.sha256(head).hexdigest()},
    }
    submission = new_submission(
        kind=kind,
        channel=Submission.Channel.API,
        payload=payload,
        sender=observer.public_id if observer else (f"user:{user.pk}" if user else ""),
        user=user,
        language=lang,
    )
    store_rejected(submission, [problem])
    return submission


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
