"""API endpoint for protocol copies. Thin: the work is done by `protocols.intake`.

Status codes, as for every intake endpoint (`intake.outcome.http_status`): 201 recorded (whether
the copy passed the checks or failed them, `checks` says which, with the findings); 200 the same
copy was already received from this sender (the first copy's receipt); 403 the sender may not
record a copy there (not an observer, not placed at that station, not entitled to enter it on an
observer's behalf: `intake.access`); 422 not recorded, with the reasons; 400 the body could not
be read. Whatever was received is stored in every case, rejected ones with their reasons.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.http import HttpRequest
from ninja import File, Form, Router, Schema, Status, UploadedFile

from baqylau.api_schemas import intake_responses
from baqylau.i18n import LANGUAGES, request_language
from baqylau.intake.access import Recorder, recorder_for
from baqylau.intake.models import Submission
from baqylau.intake.outcome import http_status, problems_body
from baqylau.intake.parsing import read_json
from baqylau.intake.services import manifest, new_submission, store_rejected
from baqylau.protocols.intake import submit_protocol_copy
from baqylau.protocols.models import ProtocolCopy

router = Router(tags=["protocols"])


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


class CopyRecordedOut(Schema):
    receipt: int
    submission: UUID
    status: str  # "recorded", or "duplicate" (already received: the first copy's receipt)
    checks: str  # passed | failed
    language: str
    message: str
    messages: dict[str, str]
    findings: list[FindingOut]


def _findings(items, lang: str) -> list[dict[str, Any]]:
    return [{**item, "message": item["messages"][lang]} for item in items]


@router.post(
    "/protocols",
    response=intake_responses(CopyRecordedOut),
    summary="Submit a protocol copy (figures as JSON, photos of its pages)",
    description=(
        "Multipart form: `data` is the JSON object of the protocol (`election`, `contest`, "
        "`station_id` or `station`, `lines` by line code, `votes` by choice code); `photos` are "
        "the pages in order (JPEG, PNG or WebP, at most 15 MB each); `lang` (kk, ru, en) or "
        "Accept-Language chooses the language of the messages. The submission is stored before "
        "it is answered. 201: recorded (`checks` passed or failed, with the findings; a copy "
        "that failed waits for a moderator); 200: this sender already sent these figures (the "
        "first copy's receipt); 403: the sender may not record a copy there (only an observer "
        "placed at the station, or a coordinator entering it with `on_behalf_of`: the observer's "
        "pseudonym); 422: kept but not recorded, with the reasons; 400: the data is not readable "
        "JSON. The source of the copy is set from the token, never from the data."
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
    parsed, _problem = read_json(data)
    recorder = recorder_for(request.auth, parsed)
    if not isinstance(recorder, Recorder):  # refused at the door: kept, with the reason
        submission = new_submission(
            kind=Submission.Kind.PROTOCOL,
            channel=Submission.Channel.API,
            payload={"data": parsed, "attachments": manifest(files)},
            sender=f"user:{request.auth.pk}",
            user=request.auth,
            language=language,
        )
        outcome = store_rejected(submission, [recorder], actor=request.auth)
        return Status(403, problems_body(submission, outcome.problems, language))
    outcome = submit_protocol_copy(
        channel=Submission.Channel.API,
        sender=recorder.sender,
        source=ProtocolCopy.Source.OBSERVER,
        placed_at=recorder.placed_at,
        user=request.auth,
        payload=data,
        photos=files,
        language=language,
        actor_label=recorder.audit_label,
    )
    copy = outcome.record
    if copy is None:
        return Status(
            http_status(outcome), problems_body(outcome.submission, outcome.problems, language)
        )
    body = {
        "receipt": copy.pk,
        "submission": outcome.submission.pk,
        "status": "duplicate" if outcome.duplicate_of is not None else "recorded",
        "checks": copy.checks,
        "language": language,
        "message": "\n".join(outcome.messages(language)),
        "messages": {lang_: "\n".join(outcome.messages(lang_)) for lang_ in LANGUAGES},
        "findings": _findings(copy.findings, language),
    }
    return Status(http_status(outcome), body)
