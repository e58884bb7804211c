"""Response schemas every API operation shares, so that the OpenAPI schema documents every status
an operation can answer (schemathesis checks each response against it: tests/test_api_schema.py).
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from ninja import Schema


class ErrorOut(Schema):
    """An error that is not about a submission: 400 unreadable parameters, 401 no valid token,
    404 not found, 429 too many requests, 503 the database is briefly away (retry)."""

    detail: str | None = None
    code: str | None = None
    status: str | None = None
    message: str | dict[str, str] | None = None
    messages: dict[str, str] | None = None
    errors: list[Any] | None = None
    retry_after: int | None = None


class ProblemOut(Schema):
    code: str
    field: str
    message: str
    messages: dict[str, str]


class RejectedOut(Schema):
    """A submission that was kept but not recorded (`intake.outcome.problems_body`)."""

    submission: UUID
    status: str = "rejected"
    language: str
    code: str
    message: str
    messages: dict[str, str]
    problems: list[ProblemOut] = []


def errors(*statuses: int) -> dict[int, type[Schema]]:
    """The error responses of an operation: always 401 (token), 429 (throttled) and 503 (the
    database is away), plus the statuses given."""
    return {status: ErrorOut for status in (401, 429, 503, *statuses)}


def intake_responses(recorded: type[Schema]) -> dict[int, type[Schema]]:
    """The one status semantics of every intake endpoint (`intake.outcome.http_status`)."""
    return {
        201: recorded,
        200: recorded,
        400: RejectedOut,
        403: RejectedOut,
        422: RejectedOut,
        **{status: ErrorOut for status in (401, 429, 503)},
    }
