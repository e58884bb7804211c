"""Writes of report intake: each report's envelope and its outcome in one transaction, in batches.

A `Plan` is everything one report will write, prepared (and validated) by `services` without
touching the database: the raw envelope (`Submission`), its evidence files' rows (the files are
already on disk), and either the typed record(s) or the problems that become a `Rejection`.
`write` hands the plan to a process-wide `GroupCommit`, so reports arriving together share one
transaction: one duplicate probe, one multi-row INSERT per table, one ledger append, one commit.

Nothing is acknowledged before its transaction has committed, and every envelope is written
together with its outcome, so a received report is never lost and never left without a verdict.
The envelope and its files enter the hash-chained ledger in that same transaction.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import connection, models, transaction

from baqylau.db import insert_rows
from baqylau.evidence import ledger
from baqylau.evidence.models import LedgerEntry, MediaFile
from baqylau.intake.group_commit import GroupCommit
from baqylau.intake.models import Rejection, Submission
from baqylau.observers.models import AuditEvent
from baqylau.observers.services import audit_event
from baqylau.reports.messages import LANGS
from baqylau.reports.outcome import Outcome, Problem

logger = logging.getLogger(__name__)

#: The same sender sending the same payload within this window is told "already received".
DUPLICATE_WINDOW = dt.timedelta(minutes=10)


@dataclass
class Plan:
    """One report's writes. ``outcome`` None: store the envelope alone (no verdict yet)."""

    submission: Submission
    outcome: Outcome | None = None
    record: Any = None  # what the parser made: one row, or a list (a checklist's answers)
    media: list[MediaFile] = field(default_factory=list)
    actor: Any = None
    actor_label: str = ""
    audit_action: str = ""
    audit_after: dict[str, Any] | None = None

    @property
    def records(self) -> list[models.Model]:
        if self.record is None:
            return []
        return self.record if isinstance(self.record, list) else [self.record]

    def reject(self, problems: list[Problem]) -> None:
        """Turn the plan into a rejection (the records are not written)."""
        self.record = None
        if self.outcome is not None:
            self.outcome.record, self.outcome.ack = None, None
            self.outcome.problems = problems


def write(plan: Plan) -> Plan:
    """Write one plan (batched with concurrent ones); returns it once committed."""
    return _group.submit(plan)


def write_batch(plans: Sequence[Plan]) -> None:
    """All the plans' rows in one transaction (see the module docstring)."""
    with transaction.atomic():
        _mark_duplicates(plans)
        insert_rows([p.submission for p in plans])
        media = [m for p in plans for m in p.media]
        insert_rows(media)
        by_model: dict[type[models.Model], list[models.Model]] = defaultdict(list)
        for plan in plans:
            for record in plan.records:
                by_model[type(record)].append(record)
        for records in by_model.values():
            insert_rows(records)
        insert_rows([_rejection(p) for p in plans if p.outcome is not None and p.outcome.problems])
        insert_rows([_audit(p) for p in plans if p.outcome is not None])
        ledger.append_new(
            [(LedgerEntry.Kind.SUBMISSION, p.submission) for p in plans]
            + [(LedgerEntry.Kind.MEDIA, m) for m in media]
        )
    for plan in plans:
        if plan.outcome is not None:
            plan.outcome.record = plan.record


def write_one(plan: Plan) -> None:
    """A plan alone; when even that fails (a bug, a constraint), the envelope is still stored,
    rejected as ``internal_error``, so that nothing received is lost."""
    for row in [*plan.records, *plan.media]:  # ids a failed batch may have handed out
        row.pk, row._state.adding = None, True
    try:
        write_batch([plan])
    except Exception:
        if plan.outcome is None:
            raise
        logger.exception(
            "report %s could not be written; storing it as rejected", plan.submission.pk
        )
        plan.reject([Problem("internal_error")])
        plan.media = []  # the files stay on disk, named in the envelope's manifest
        write_batch([plan])


_group: GroupCommit[Plan] = GroupCommit(write_batch, write_one)


def _mark_duplicates(plans: Sequence[Plan]) -> None:
    """Plans whose sender sent the same payload within the window, and had it accepted (earlier,
    or earlier in this batch), are rejected as duplicates. One query for the whole batch."""
    candidates = [p for p in plans if p.outcome is not None and p.records and p.submission.sender]
    if not candidates:
        return
    times = [p.submission.received_at for p in candidates]
    earlier = _accepted_since(
        {p.submission.sender for p in candidates},
        {p.submission.payload_sha256 for p in candidates},
        min(times) - DUPLICATE_WINDOW,
    )
    first_of: dict[tuple[str, str], Any] = {}
    for pk, sender, sha in earlier:
        first_of.setdefault((sender, sha), pk)
    found = Submission.objects.in_bulk(set(first_of.values())) if first_of else {}
    for plan in candidates:
        key = (plan.submission.sender, plan.submission.payload_sha256)
        if key in first_of:
            plan.reject([Problem("duplicate")])
            plan.outcome.duplicate_of = found.get(first_of[key], plan.submission)
        else:
            first_of[key] = plan.submission.pk  # a later plan of this batch is its duplicate
            found[plan.submission.pk] = plan.submission


def _accepted_since(senders: set[str], digests: set[str], since: dt.datetime) -> list[tuple]:
    """(id, sender, payload SHA-256) of accepted submissions since `since`, oldest first. Written
    out because it runs on every batch and the ORM's query building cost more than the query
    (an indexed probe: sender, payload_sha256, received_at)."""
    received_at = Submission._meta.get_field("received_at")
    params = [*senders, *digests, received_at.get_db_prep_value(since, connection)]
    with connection.cursor() as cursor:
        cursor.execute(_accepted_since_sql(len(senders), len(digests)), params)
        rows = cursor.fetchall()
    to_id = Submission._meta.pk.to_python
    return [(to_id(pk), sender, sha) for pk, sender, sha in rows]


@functools.cache
def _accepted_since_sql(senders: int, digests: int) -> str:
    sub, rej = Submission._meta, Rejection._meta
    q = connection.ops.quote_name
    col = {f.name: q(f.column) for f in sub.concrete_fields}
    link = q(rej.get_field("submission").column)
    return (
        f"SELECT s.{col['id']}, s.{col['sender']}, s.{col['payload_sha256']}"
        f" FROM {q(sub.db_table)} s"
        f" WHERE s.{col['sender']} IN ({', '.join(['%s'] * senders)})"
        f" AND s.{col['payload_sha256']} IN ({', '.join(['%s'] * digests)})"
        f" AND s.{col['received_at']} >= %s"
        f" AND NOT EXISTS (SELECT 1 FROM {q(rej.db_table)} r WHERE r.{link} = s.{col['id']})"
        f" ORDER BY s.{col['received_at']}"
    )


def _rejection(plan: Plan) -> Rejection:
    problems = plan.outcome.problems
    return Rejection(
        submission=plan.submission,
        code=problems[0].code,
        messages={
            **{lang: "\n".join(p.message(lang) for p in problems) for lang in LANGS},
            "problems": [p.as_dict() for p in problems],
        },
    )


def _audit(plan: Plan) -> AuditEvent:
    if plan.records:
        return audit_event(
            action=plan.audit_action,
            obj=plan.records[0],
            actor=plan.actor,
            actor_label=plan.actor_label,
            after=plan.audit_after,
        )
    return audit_event(
        action="report.reject",
        object_type="intake.submission",
        object_id=plan.submission.pk,
        actor=plan.actor,
        actor_label=plan.actor_label or plan.submission.sender,
        after={"codes": [p.code for p in plan.outcome.problems]},
    )
