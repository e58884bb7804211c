"""API endpoint for a crowd platform's per-station counts (staff with the right to import them).
Thin: the work is done by `crowd.intake`. Status codes as for every intake endpoint
(`intake.outcome.http_status`): 201 recorded, 200 the same counts already received, 403 the token
may not send crowd counts, 422 kept but not recorded (every bad row named, in kk/ru/en), 400 the
body is not JSON."""

from __future__ import annotations

from uuid import UUID

from django.http import HttpRequest
from ninja import Router, Schema, Status

from baqylau.api_schemas import intake_responses
from baqylau.crowd.intake import submit_crowd_counts
from baqylau.i18n import LANGUAGES, request_language
from baqylau.intake.outcome import http_status, problems_body

router = Router(tags=["crowd"])


class CrowdCountsRecordedOut(Schema):
    submission: UUID
    status: str  # "recorded", or "duplicate" (already received: the first submission's receipt)
    rows: int
    language: str
    message: str
    messages: dict[str, str]


_SCHEMA = {
    "type": "object",
    "required": ["election", "source", "counts"],
    "properties": {
        "election": {"type": "string", "description": "Election code"},
        "contest": {"type": "string", "description": "Contest code (if the election has several)"},
        "source": {"type": "string", "description": "The crowd platform the counts are from"},
        "counts": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["station", "choice"],
                "properties": {
                    "station": {"type": "string", "description": "Station code or path"},
                    "choice": {"type": "string", "description": "Choice code"},
                    "declared": {
                        "type": "integer",
                        "minimum": 0,
                        "description": "Voters who declared the choice (with or without a photo)",
                    },
                    "photo": {
                        "type": "integer",
                        "minimum": 0,
                        "description": "Of them, those who confirmed it with a ballot photo",
                    },
                },
            },
        },
    },
}


@router.post(
    "/crowd/counts",
    response=intake_responses(CrowdCountsRecordedOut),
    openapi_extra={
        "requestBody": {"required": True, "content": {"application/json": {"schema": _SCHEMA}}}
    },
    summary="Submit a crowd platform's per-station counts by choice (declared, photo-confirmed)",
    description=(
        "For staff allowed to import crowd counts (the right is taken from the token, never "
        "from the body). Each row: a station, a choice, `declared` (voters registered on the "
        "platform who declared the choice, with or without a photo) and/or `photo` (those who "
        "confirmed it with a ballot photo). Nothing is recorded unless every row is valid; the "
        "counts enter the ledger and the stations are recounted by the background job. `lang` "
        "(kk, ru, en) or Accept-Language chooses the language of the messages."
    ),
)
def submit_counts(request: HttpRequest, lang: str = ""):
    language = request_language(request, lang)
    outcome = submit_crowd_counts(user=request.auth, body=request.body, language=language)
    status = http_status(outcome)
    if outcome.duplicate_of is None and not outcome.ok:
        return Status(status, problems_body(outcome.submission, outcome.problems, language))
    rows = len(outcome.record) if isinstance(outcome.record, list) else 0
    return Status(
        status,
        {
            "submission": outcome.submission.pk,
            "status": "duplicate" if outcome.duplicate_of is not None else "recorded",
            "rows": rows,
            "language": language,
            "message": "\n".join(outcome.messages(language)),
            "messages": {lang_: "\n".join(outcome.messages(lang_)) for lang_ in LANGUAGES},
        },
    )
