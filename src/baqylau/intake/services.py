"""The envelope of everything received, and its files, before any kind-specific parsing.

Every channel builds its `Submission` with `new_submission` (the sender's data exactly as received,
with a manifest of the attached files), writes the files durably with `prepare_files`, lets the
kind's parser turn the data into a `writer.Plan` (`reports.services`, `protocols.intake`,
`crowd.services`), and hands the plan to `writer.write`. Envelopes that cannot be parsed at all go
through `store_rejected`; envelopes kept for a later step through `store_envelope`.

Stored payload of a submission with files::

    {..., "attachments": [{"index": 0, "page": 1, "size": 123, "sha256": "…",
                           "declared_type": "image/jpeg"}, …]}
"""

from __future__ import annotations

import hashlib
import json
import math
import uuid
from collections.abc import Iterable, Sequence
from typing import Any

from django.utils import timezone

from baqylau.elections.models import Election
from baqylau.evidence import ledger
from baqylau.evidence.models import MediaFile
from baqylau.evidence.services import EvidenceRejected, prepare_media
from baqylau.i18n import normalize_language
from baqylau.intake import writer
from baqylau.intake.models import Submission
from baqylau.intake.outcome import Outcome, Problem

#: One attached file as a channel received it: (bytes, declared type) or (bytes, type, page).
File = Sequence[Any]


def canonical_sha256(payload: Any) -> str:
    """SHA-256 of the canonical JSON of a payload (the ledger's canonical form)."""
    return ledger.content_hash(payload)


def new_submission(
    *,
    kind: str,
    channel: str,
    payload: Any,
    sender: str,
    user=None,
    language: str | None = "ru",
    election: Election | None = None,
) -> Submission:
    """The raw envelope, not yet saved: its id and reception time are fixed here, its payload's
    SHA-256 taken of the canonical JSON. Every channel builds its envelope with this.

    Values that cannot be kept exactly (`screen_payload`) are stored as their JSON text and
    listed in ``submission.refused_values``: the writer rejects the envelope for them, whatever
    the kind's parser made of the rest."""
    payload, refused = screen_payload(payload)
    submission = Submission(
        id=uuid.uuid4(),
        election=election,
        channel=channel,
        kind=kind,
        sender=sender[:128],
        user=user if getattr(user, "is_authenticated", False) else None,
        received_at=timezone.now(),
        payload=payload,
        payload_sha256=canonical_sha256(payload),
        language=normalize_language(language),
    )
    submission.refused_values = refused
    return submission


#: At most this many refused values are named in a rejection (the rest are still kept as text).
_REFUSED_SHOWN = 10


def screen_payload(payload: Any) -> tuple[Any, list[Problem]]:
    """The payload as it can be stored and hashed exactly, and the problems of what could not.

    The boundary of the ledger's number rule (`evidence.ledger`): a number received must be an
    integer within ±(2**53 − 1) or a finite float within the same range; NaN, ±Infinity, 1e300
    or a 20-digit integer is refused (`number_out_of_range`). A string must be storable in
    PostgreSQL's jsonb and UTF-8: no NUL character and no lone surrogate (`text_unstorable`).
    A refused value is kept as its JSON text (``"NaN"``, ``"1e+300"``, ``"a\\u0000b"``) and, when
    the payload is an object, its path is listed under ``"refused"``: the envelope is stored,
    rejected, and nothing received is lost.
    """
    problems: list[Problem] = []
    paths: list[dict[str, str]] = []

    def refuse(code: str, path: str, name: str, text: str) -> str:
        paths.append({"path": path, "code": code})
        if len(problems) < _REFUSED_SHOWN:
            params = {"field": name}
            if code == "number_out_of_range":
                params["value"] = text if len(text) <= 40 else text[:37] + "…"
            problems.append(Problem(code, path, params))
        return text

    def text_ok(text: str) -> bool:
        if "\x00" in text:
            return False
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            return False
        return True

    def escaped(text: str) -> str:
        return json.dumps(text, ensure_ascii=True)[1:-1]

    def walk(value: Any, path: str, name: str) -> Any:
        if value is None or isinstance(value, bool):
            return value
        if isinstance(value, int):
            if -ledger.SAFE_INTEGER <= value <= ledger.SAFE_INTEGER:
                return value
            return refuse("number_out_of_range", path, name, str(value))
        if isinstance(value, float):
            if math.isfinite(value) and abs(value) <= ledger.SAFE_INTEGER:
                return value
            return refuse("number_out_of_range", path, name, json.dumps(value))
        if isinstance(value, str):
            return (
                value if text_ok(value) else refuse("text_unstorable", path, name, escaped(value))
            )
        if isinstance(value, dict):
            out = {}
            for key, item in value.items():
                key = str(key)
                if not text_ok(key):
                    key = refuse(
                        "text_unstorable", f"{path}.{escaped(key)}".lstrip("."), "", escaped(key)
                    )
                out[key] = walk(item, f"{path}.{key}".lstrip("."), key)
            return out
        if isinstance(value, list | tuple):
            return [walk(item, f"{path}[{i}]", name) for i, item in enumerate(value)]
        return value

    screened = walk(payload, "", "")
    if paths and isinstance(screened, dict):
        screened["refused"] = paths
    return screened, problems


def manifest(files: Iterable[File]) -> list[dict[str, Any]]:
    """What the envelope says of each file received: size, SHA-256, declared type, page."""
    rows = []
    for index, item in enumerate(files):
        content = bytes(item[0])
        row = {
            "index": index,
            "size": len(content),
            "sha256": hashlib.sha256(content).hexdigest(),
            "declared_type": str(item[1] or "")[:100],
        }
        if len(item) > 2:
            row["page"] = item[2]
        rows.append(row)
    return rows


def prepare_files(
    submission: Submission, files: Iterable[File]
) -> tuple[list[MediaFile], list[Problem]]:
    """Write attachments durably to the evidence store; their rows are inserted with the envelope
    (`writer`). A refused file is a problem, never lost silently: its size and digest stay in the
    manifest. The same bytes twice are one file."""
    media, problems, seen = [], [], set()
    for index, item in enumerate(files, start=1):
        content, declared = bytes(item[0]), str(item[1] or "")[:100]
        page = item[2] if len(item) > 2 else None
        if page is not None and (isinstance(page, bool) or not isinstance(page, int) or page < 1):
            problems.append(Problem("photo_bad_page", "photos", {"index": index, "value": page}))
            page = None
        try:
            row = prepare_media(submission, content, declared_type=declared, page=page)
        except EvidenceRejected as exc:
            problems.append(
                Problem("file_refused", "photos", {"index": index, "reason": exc.messages})
            )
            continue
        if not row.is_image:
            row.page = None  # a video is kept as evidence but is not a page of a protocol
        if row.sha256 not in seen:
            seen.add(row.sha256)
            media.append(row)
    return media, problems


def store_envelope(**envelope: Any) -> Submission:
    """Store an envelope (`new_submission`'s arguments) alone, with its ledger entry and no
    verdict yet (e.g. a bot update kept while the bot is paused)."""
    submission = new_submission(**envelope)
    writer.write(writer.Plan(submission))
    return submission


def store_rejected(submission: Submission, problems: list[Problem], *, actor=None) -> Outcome:
    """Store a new envelope (`new_submission`) together with its rejection."""
    outcome = Outcome(submission=submission, kind="", problems=problems)
    writer.write(writer.Plan(submission, outcome, actor=actor))
    return outcome
