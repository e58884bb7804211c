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
from baqylau.intake.parsing import screen_payload

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

    Values that cannot be stored exactly (`parsing.screen_payload`) are kept as their JSON text
    and listed in ``submission.refused_values``: the writer rejects the envelope for them,
    whatever the kind's parser made of the rest."""
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
