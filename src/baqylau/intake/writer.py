"""The one writer of everything received: each envelope with its outcome in one transaction, in
batches. Every channel (API, observer app, bots, SMS, imports) and every kind (reports, protocol
copies, voters' ballot photos) writes through `write`.

A `Plan` is everything one submission will write, prepared (parsed and checked) without touching
the database: the raw envelope (`Submission`), its evidence files' rows (the files are already on
disk), and either the typed records or the problems that become a `Rejection`. `write` hands the
plan to a process-wide `GroupCommit`, so submissions arriving together share one transaction: one
duplicate probe, one multi-row INSERT per table, one ledger append, one commit.

Nothing is acknowledged before its transaction has committed, and every envelope is written
together with its outcome, so a received submission is never lost and never left without a
verdict. The envelope and its files enter the hash-chained ledger in that same transaction, and so
do the follow-up jobs a plan asks for (e.g. the tally's recount of a station), so that a job is
never lost either.

Duplicates: the same sender sending the same content (`Plan.dedupe_key`, by default the payload's
SHA-256) that was recorded before is the same record. The new envelope is kept, rejected as a
duplicate, and points to the first (`Outcome.duplicate_of`). Reports compare within a window (a
turnout count sent twice an hour apart may be two counts); protocol copies and ballot photos for
ever (`Plan.dedupe_window` None). The check holds across processes: a batch first locks each of
its (sender, key) pairs until it commits (`_lock_dedupe_keys`), so the same content arriving at
two server processes at once (a resend while the first is still being written) is written once.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import connection, models, transaction

from baqylau.db import advisory_lock, insert_rows
from baqylau.errors import database_unavailable
from baqylau.evidence import ledger
from baqylau.evidence.models import LedgerEntry, MediaFile
from baqylau.intake.group_commit import GroupCommit
from baqylau.intake.models import Rejection, Submission
from baqylau.intake.outcome import Outcome, Problem, rejection_messages
from baqylau.observers.models import AuditEvent
from baqylau.observers.services import audit_event

logger = logging.getLogger(__name__)

#: Reports: the same sender sending the same payload within this window is told "already received".
REPORT_DUPLICATE_WINDOW = dt.timedelta(minutes=10)

#: Called once per batch, inside its transaction, with the plans that named it (see `Plan.follow_ups`).
FollowUp = Callable[[Sequence["Plan"]], None]


@dataclass(eq=False)
class Plan:
    """One submission's writes. ``outcome`` None: store the envelope alone (no verdict yet)."""

    submission: Submission
    outcome: Outcome | None = None
    record: Any = None  # what the parser made: one row, or a list (a checklist's answers)
    #: Rows that belong to the record and are inserted after it (a copy's lines and votes);
    #: their foreign keys to the record are filled once it has its id.
    children: list[models.Model] = field(default_factory=list)
    media: list[MediaFile] = field(default_factory=list)
    actor: Any = None
    actor_label: str = ""
    audit_action: str = ""
    audit_after: dict[str, Any] | None = None
    #: What makes two submissions of one sender the same record (default: the payload's SHA-256).
    dedupe_key: str = ""
    dedupe_window: dt.timedelta | None = REPORT_DUPLICATE_WINDOW
    #: Work the record sets off (e.g. a recount), run in the batch's transaction when recorded.
    follow_ups: tuple[FollowUp, ...] = ()

    def __post_init__(self) -> None:
        if not self.dedupe_key:
            self.dedupe_key = self.submission.payload_sha256
        self.submission.dedupe_key = self.dedupe_key

    @property
    def records(self) -> list[models.Model]:
        if self.record is None:
            return []
        return self.record if isinstance(self.record, list) else [self.record]

    @property
    def recorded(self) -> bool:
        return self.outcome is not None and not self.outcome.problems and bool(self.records)

    def reject(self, problems: list[Problem]) -> None:
        """Turn the plan into a rejection (the records are not written)."""
        self.record = None
        self.children = []
        if self.outcome is not None:
            self.outcome.record, self.outcome.ack = None, None
            self.outcome.problems = problems


def write(plan: Plan) -> Plan:
    """Write one plan (batched with concurrent ones); returns it once committed."""
    return _group.submit(plan)


def write_many(plans: Sequence[Plan], batch_size: int = 500) -> None:
    """Write many plans of one caller (an import) in batches; each batch as `write_batch`."""
    for start in range(0, len(plans), batch_size):
        batch = plans[start : start + batch_size]
        try:
            write_batch(batch)
        except Exception:  # noqa: BLE001 - settled plan by plan, as the group commit does
            for plan in batch:
                write_one(plan)


def write_batch(plans: Sequence[Plan]) -> None:
    """All the plans' rows in one transaction (see the module docstring)."""
    with transaction.atomic():
        _refuse_unsafe(plans)
        _mark_duplicates(plans)
        insert_rows([p.submission for p in plans])
        media = [m for p in plans for m in p.media]
        insert_rows(media)
        by_model: dict[type[models.Model], list[models.Model]] = defaultdict(list)
        for plan in plans:
            for row in [*plan.records, *plan.children]:
                by_model[type(row)].append(row)
        for rows in by_model.values():  # parents first: a plan lists its record before children
            insert_rows(rows)
        rejections = [_rejection(p) for p in plans if p.outcome is not None and p.outcome.problems]
        insert_rows(rejections)
        insert_rows([_audit(p) for p in plans if p.outcome is not None])
        ledger.append_new(_ledger_items(plans, media, rejections))
        _run_follow_ups([p for p in plans if p.recorded])
    for plan in plans:
        if plan.outcome is not None:
            plan.outcome.record = plan.record


def _refuse_unsafe(plans: Sequence[Plan]) -> None:
    """A plan whose envelope held values that cannot be kept exactly (a number out of range,
    see `intake.services.screen_payload`) is rejected for that, whatever its parser made of it."""
    for plan in plans:
        refused = getattr(plan.submission, "refused_values", None)
        if refused and plan.outcome is not None:
            others = [p for p in plan.outcome.problems if p.code != "internal_error"]
            plan.reject([*refused, *[p for p in others if p not in refused]])


def _ledger_items(
    plans: Sequence[Plan], media: list[MediaFile], rejections: list[Rejection]
) -> list[tuple]:
    """The ledger entries of a batch: every envelope, file, tracked record (with the children
    that are part of its content, e.g. a copy's lines and votes) and rejection, built from the
    rows in hand (no query)."""
    items: list[tuple] = [(LedgerEntry.Kind.SUBMISSION, p.submission) for p in plans]
    items += [(LedgerEntry.Kind.MEDIA, m) for m in media]
    tracked = set(ledger.TRACKED_MODELS)
    for plan in plans:
        for row in plan.records:
            if row._meta.label_lower in tracked:
                items.append((ledger.kind_of(row), row, ledger.children_from(row, plan.children)))
    items += [(ledger.kind_of(r), r) for r in rejections]
    return items


def _run_follow_ups(plans: Sequence[Plan]) -> None:
    """Each follow-up once, with its plans, in a savepoint: a follow-up that fails (say, a job
    that cannot be queued) is logged and never costs a record; the jobs' periodic sweep catches
    up with what it missed."""
    named: dict[FollowUp, list[Plan]] = {}
    for plan in plans:
        for follow_up in plan.follow_ups:
            named.setdefault(follow_up, []).append(plan)
    for follow_up, its_plans in named.items():
        try:
            with transaction.atomic():
                follow_up(its_plans)
        except Exception:  # noqa: BLE001 - see the docstring
            logger.exception("follow-up %s of %d submission(s) failed", follow_up, len(its_plans))


def write_one(plan: Plan) -> None:
    """A plan alone; when even that fails (a bug, a constraint), the envelope is still stored,
    rejected as ``internal_error``, so that nothing received is lost. A database that is away
    (or a connection it dropped) is no reason to reject: the error goes to the sender, who is
    told to retry (503), and nothing was acknowledged."""
    for row in [plan.submission, *plan.records, *plan.children, *plan.media]:
        if row is not plan.submission:  # ids a failed batch may have handed out
            row.pk = None
        row._state.adding = True
    try:
        write_batch([plan])
    except Exception as exc:
        if plan.outcome is None or database_unavailable(exc):
            raise
        logger.exception(
            "submission %s could not be written; storing it as rejected", plan.submission.pk
        )
        plan.reject([Problem("internal_error")])
        plan.media = []  # the files stay on disk, named in the envelope's manifest
        plan.submission._state.adding = True
        write_batch([plan])


_group: GroupCommit[Plan] = GroupCommit(write_batch, write_one)


def _mark_duplicates(plans: Sequence[Plan]) -> None:
    """Plans whose sender sent the same content before, and had it recorded (earlier, or earlier
    in this batch), are rejected as duplicates. One query for the whole batch."""
    candidates = [p for p in plans if p.outcome is not None and p.records and p.submission.sender]
    if not candidates:
        return
    _lock_dedupe_keys({(p.submission.sender, p.dedupe_key) for p in candidates})
    windows = [p.dedupe_window for p in candidates]
    since = None
    if all(w is not None for w in windows):
        since = min(p.submission.received_at - p.dedupe_window for p in candidates)
    earlier = _recorded_since(
        {p.submission.sender for p in candidates}, {p.dedupe_key for p in candidates}, since
    )
    first_of: dict[tuple[str, str], tuple[Any, dt.datetime]] = {}
    for pk, sender, key, received_at in earlier:
        first_of.setdefault((sender, key), (pk, received_at))
    found = Submission.objects.in_bulk({pk for pk, _ in first_of.values()}) if first_of else {}
    for plan in candidates:
        key = (plan.submission.sender, plan.dedupe_key)
        earlier_one = first_of.get(key)
        window = plan.dedupe_window
        if earlier_one is not None and (
            window is None or earlier_one[1] >= plan.submission.received_at - window
        ):
            plan.reject([Problem("duplicate")])
            plan.outcome.duplicate_of = found.get(earlier_one[0], plan.submission)
        else:
            first_of[key] = (plan.submission.pk, plan.submission.received_at)
            found[plan.submission.pk] = plan.submission


def _lock_dedupe_keys(pairs: set[tuple[str, str]]) -> None:
    """Lock each (sender, dedupe key) until the caller's transaction ends: a concurrent batch with
    the same content, in another process, waits for this one to commit and then finds it."""
    advisory_lock(*(f"intake.dedupe\0{sender}\0{key}" for sender, key in pairs))


def _recorded_since(senders: set[str], keys: set[str], since: dt.datetime | None) -> list[tuple]:
    """(id, sender, dedupe key, received at) of recorded submissions (no rejection) since `since`
    (or ever), oldest first. Written out because it runs on every batch and the ORM's query
    building cost more than the query (an indexed probe: sender, dedupe_key, received_at)."""
    received_at = Submission._meta.get_field("received_at")
    params: list[Any] = [*senders, *keys]
    if since is not None:
        params.append(received_at.get_db_prep_value(since, connection))
    with connection.cursor() as cursor:
        cursor.execute(_recorded_since_sql(len(senders), len(keys), since is not None), params)
        rows = cursor.fetchall()
    to_id = Submission._meta.pk.to_python
    to_time = _time_converter()
    return [(to_id(pk), sender, key, to_time(at)) for pk, sender, key, at in rows]


def _time_converter() -> Callable[[Any], dt.datetime]:
    """The database's timestamp as an aware datetime (SQLite returns text)."""
    field_ = Submission._meta.get_field("received_at")
    converters = connection.ops.get_db_converters(field_.get_col(Submission._meta.db_table))
    expression = field_.get_col(Submission._meta.db_table)

    def convert(value: Any) -> dt.datetime:
        for converter in converters:
            value = converter(value, expression, connection)
        return value

    return convert


@functools.cache
def _recorded_since_sql(senders: int, keys: int, windowed: bool) -> str:
    sub, rej = Submission._meta, Rejection._meta
    q = connection.ops.quote_name
    col = {f.name: q(f.column) for f in sub.concrete_fields}
    link = q(rej.get_field("submission").column)
    return (
        f"SELECT s.{col['id']}, s.{col['sender']}, s.{col['dedupe_key']}, s.{col['received_at']}"
        f" FROM {q(sub.db_table)} s"
        f" WHERE s.{col['sender']} IN ({', '.join(['%s'] * senders)})"
        f" AND s.{col['dedupe_key']} IN ({', '.join(['%s'] * keys)})"
        + (f" AND s.{col['received_at']} >= %s" if windowed else "")
        + f" AND NOT EXISTS (SELECT 1 FROM {q(rej.db_table)} r WHERE r.{link} = s.{col['id']})"
        f" ORDER BY s.{col['received_at']}"
    )


def _rejection(plan: Plan) -> Rejection:
    problems = plan.outcome.problems
    return Rejection(
        submission=plan.submission, code=problems[0].code, messages=rejection_messages(problems)
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
        action="intake.reject",
        object_type="intake.submission",
        object_id=plan.submission.pk,
        actor=plan.actor,
        actor_label=plan.actor_label or plan.submission.sender,
        after={"codes": [p.code for p in plan.outcome.problems]},
    )
