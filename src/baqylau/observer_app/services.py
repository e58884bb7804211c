"""Idempotent report intake for the observer app: claim the client key, then the reports service.

`submit_once` is the whole contract of the outbox:

* a new key is claimed (a `ClientReceipt` row, unique per observer and key) and the report goes
  through `reports.services.submit_report` exactly like any other channel (envelope and verdict in one transaction);
* a key already accepted answers with the stored receipt (``replayed``) — a resend after a lost
  response never creates a second report;
* a key being processed right now answers "in progress" (the client retries later);
* a key that was rejected, or failed with a server error, is processed again (the observer fixed
  the item, or what made it fail was fixed) — every attempt keeps its own envelope.

The answer carries the messages in kk/ru/en, so the phone can show them in whatever language the
observer switches to later.
"""

from __future__ import annotations

import datetime as dt
import os
import secrets
import socket
import threading
import uuid
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from baqylau.intake.messages import render_all
from baqylau.intake.models import Submission
from baqylau.intake.outcome import http_status
from baqylau.observer_app.models import ClientReceipt
from baqylau.observers.models import Observer
from baqylau.reports import selectors as report_selectors
from baqylau.reports import services as reports

State = ClientReceipt.State
#: A claim older than this may be retaken by a retry even if its holder may still be alive (the
#: writer's duplicate check still makes a double write harmless): handling takes well under it.
STALE_CLAIM = dt.timedelta(seconds=5)
#: This process, as a claim's holder: host, pid, and a token of this process's life.
HOLDER = f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"
_in_flight: set[uuid.UUID] = set()
_in_flight_lock = threading.Lock()


def _holder_gone(holder: str, key: uuid.UUID) -> bool:
    """True when the claim's holder can no longer be handling the key: this very process is not
    handling it (its request failed: a database outage), or a process of this host that has died
    (a kill -9). A holder on another host is trusted until the claim is stale."""
    if holder == HOLDER:
        with _in_flight_lock:
            return key not in _in_flight
    host, _, rest = holder.partition(":")
    pid = rest.partition(":")[0]
    if host != socket.gethostname() or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


KINDS = ("checkin", "turnout", "incident", "checklist", "note")


@dataclass
class Reply:
    status: int
    body: dict[str, Any]


IN_PROGRESS = {
    "kk": "Бұл хабарлама қазір өңделуде, кейінірек қайта жіберіледі",
    "ru": "Это сообщение сейчас обрабатывается, оно будет отправлено повторно",
    "en": "This report is being processed right now; it will be sent again",
}
ALREADY = {
    "kk": "Бұл хабарлама бұрын алынған",
    "ru": "Это сообщение уже получено",
    "en": "This report was already received",
}


def _claim(observer: Observer, key: uuid.UUID, kind: str) -> ClientReceipt | Reply:
    """The receipt this request now owns, or the reply to give without processing."""
    try:
        with transaction.atomic():
            receipt = ClientReceipt.objects.create(
                observer=observer, key=key, kind=kind, state=State.PROCESSING, holder=HOLDER
            )
        return _hold(receipt)
    except IntegrityError:
        pass
    receipt = ClientReceipt.objects.get(observer=observer, key=key)
    if receipt.state in (State.RECORDED, State.WAITING):
        return Reply(200, {**receipt.response, "replayed": True})
    fresh = receipt.updated_at > timezone.now() - STALE_CLAIM
    if receipt.state == State.PROCESSING and fresh and not _holder_gone(receipt.holder, key):
        return Reply(409, _busy(key))
    # Rejected, failed, or a claim whose holder is gone: take it over, unless another request
    # just did.
    taken = ClientReceipt.objects.filter(
        pk=receipt.pk, state=receipt.state, updated_at=receipt.updated_at
    ).update(state=State.PROCESSING, kind=kind, updated_at=timezone.now(), holder=HOLDER)
    if not taken:
        return Reply(409, _busy(key))
    receipt.refresh_from_db()
    return _hold(receipt)


def _hold(receipt: ClientReceipt) -> ClientReceipt:
    with _in_flight_lock:
        _in_flight.add(receipt.key)
    return receipt


def _release(key: uuid.UUID) -> None:
    with _in_flight_lock:
        _in_flight.discard(key)


def _busy(key: uuid.UUID) -> dict[str, Any]:
    return {
        "client_id": str(key),
        "status": "in_progress",
        "message": IN_PROGRESS,
        "errors": [],
    }


def _record_of(kind: str, submission: Submission):
    model = report_selectors.MODELS[kind]
    return model.objects.filter(submission=submission).order_by("pk").first()


def _state_of(record: Any) -> str:
    """`waiting` when the record waits for a moderator (e.g. a violation report), else
    `recorded` (the glossary's "received": "accepted" is a moderator's word)."""
    if getattr(record, "moderation", None) == "pending":
        return State.WAITING
    return State.RECORDED


def submit_once(
    *,
    observer: Observer,
    user,
    key: uuid.UUID,
    kind: str,
    data: Any,
    files: list[tuple[bytes, str]] | None = None,
    language: str = "ru",
) -> Reply:
    """Receive one outbox item (see the module docstring)."""
    claimed = _claim(observer, key, kind)
    if isinstance(claimed, Reply):
        return claimed
    receipt = claimed
    if isinstance(data, dict):
        data = {**data, "client_id": str(key)}  # the envelope keeps the phone's key
    try:
        outcome = reports.submit_report(
            kind=kind,
            data=data,
            observer=observer,
            channel=Submission.Channel.WEB,
            user=user,
            language=language,
            files=files or [],
        )
    except BaseException:
        _release(key)  # a retry may take the key over at once, even if the next line fails
        ClientReceipt.objects.filter(pk=receipt.pk).update(state=State.FAILED)
        raise
    try:
        return _answer(receipt, key, kind, outcome)
    finally:
        _release(key)


def _answer(receipt: ClientReceipt, key: uuid.UUID, kind: str, outcome) -> Reply:
    body: dict[str, Any] = {
        "client_id": str(key),
        "kind": kind,
        "submission": str(outcome.submission.pk),
    }
    record = outcome.record
    if outcome.duplicate_of is not None:
        # The same payload (with this very key) was accepted before the receipt could say so.
        record = _record_of(kind, outcome.duplicate_of)
        body["submission"] = str(outcome.duplicate_of.pk)
        body["message"] = ALREADY
    if record is not None:
        first = record[0] if isinstance(record, list) else record
        state = _state_of(first)
        body |= {"status": state, "id": first.pk, "errors": []}
        if "message" not in body:
            body["message"] = render_all(outcome.ack[0], **outcome.ack[1]) if outcome.ack else {}
        status = 201
    else:
        state = State.REJECTED
        first = None
        body |= {
            "status": "rejected",
            "errors": [p.as_dict() for p in outcome.problems],
            "message": outcome.messages_all(),
        }
        status = http_status(outcome)
    ClientReceipt.objects.filter(pk=receipt.pk).update(
        state=state,
        submission=outcome.duplicate_of or outcome.submission,
        record_id=first.pk if first is not None else None,
        response=body,
        attempts=receipt.attempts + 1,
        updated_at=timezone.now(),
    )
    return Reply(status, body)


def recent_receipts(observer: Observer, limit: int = 50) -> list[dict[str, Any]]:
    rows = ClientReceipt.objects.filter(observer=observer).order_by("-updated_at")[:limit]
    return [
        {
            "client_id": str(r.key),
            "kind": r.kind,
            "status": r.state,
            "id": r.record_id,
            "message": r.response.get("message", {}),
            "updated_at": r.updated_at.isoformat(),
        }
        for r in rows
    ]
