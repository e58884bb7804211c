"""The append-only, hash-chained ledger of everything received and decided.

Each entry records one record's content (a dict of plain JSON values) by the SHA-256 of its
canonical JSON, and links to the previous entry::

    content_hash = sha256(canonical_json(content))
    entry_hash   = sha256(canonical_json([prev_hash, seq, kind, ref, content_hash, created_at]))

``created_at`` is UTC ISO 8601 with microseconds and a ``Z``; the first entry's ``prev_hash`` is
64 zeros. So anyone holding a published digest or a signed checkpoint (`evidence.checkpoints`)
can re-check the chain up to it.

**Canonical form: RFC 8785 (JCS).** Keys sorted by UTF-16 code units, no spaces, UTF-8, strings
with only the required escapes, numbers in ECMAScript notation. It is a standard, so an outsider
re-hashes with any JCS tool (the tests check ours against an independent implementation, the
``rfc8785`` package; ours is written here because it must also carry integers beyond 2**53
exactly, where JCS stops, and because ``json.dumps`` in C writes the same text for the values
the intake hashes on every report: 12 µs against 29 µs a payload). Numbers
are where a database can change what was hashed: PostgreSQL's jsonb keeps a number's decimal
value but not its text (``1e16`` comes back as ``10000000000000000``, ``-0.0`` as ``0.0``,
``1e300`` as a 301-digit integer). So:

* every number is written as the decimal value its JSON text denotes (`number_text`): a float by
  its shortest round-trip digits, an integer exactly. For a double this *is* JCS; an integer
  beyond 2**53 (outside JCS's domain) is written exactly in the same notation. A value keeps its
  canonical text through jsonb whatever text the database gives back;
* what the ledger itself stores as content is plain JSON every reader keeps as it is: strings,
  integers within ±(2**53 − 1), booleans, null (`_plain`: a float or a larger integer in a
  record becomes its `number_text` string, a time its UTC ISO string). For such content JCS is
  exactly ``json.dumps(sort_keys=True, separators=(",", ":"), ensure_ascii=False)``;
* at the boundary, the intake refuses what cannot be kept exactly (`intake.services.
  screen_payload`): NaN and ±Infinity (jsonb cannot store them), numbers beyond ±(2**53 − 1)
  (JavaScript readers would round them; no election figure is that large), text with a NUL or a
  lone surrogate. The envelope is stored with the value as its JSON text, rejected
  (``number_out_of_range`` / ``text_unstorable``, in kk/ru/en).

**What is recorded** (`TRACKED_MODELS`, `content_of`): envelopes and their rejections, evidence
files (and `verify` re-hashes their bytes), reports of every kind, protocol copies with their
lines and votes and moderation state, moderators' decisions on copies and violations, the
incidents' moderation state, the checks policies, official results with their figures (written
by the importer in bulk and recorded at the end of its transaction), and moderators' choices of
disputed figures (audit events). The intake writer records a batch's rows from the objects in
hand, in the batch's transaction; a record that legitimately changes (a copy's or an incident's
moderation state) gets a new entry, which supersedes the old one; a deletion on purpose gets a
``{"deleted": true}`` entry (`record_deletions`).

**Station results are derived, not recorded**: they are rebuilt by every recount, and a digest
per recount would have to read every station of the contest under the ledger's lock. Instead
`verify` re-derives each station's result from its contest's copies (all in the ledger, with their
figures and states) with the tally's own arithmetic (`tally.reconciliation.derive`) and compares
it with the stored row (stations waiting for a recount are left out); a moderator's chosen value
kept on a disputed figure must be the one a ledgered decision gave.

Appends are serialised by locking the single `LedgerHead` row (``SELECT … FOR UPDATE`` on
PostgreSQL; SQLite's ``BEGIN IMMEDIATE`` takes the database write lock). Call the ``record_*``
helpers inside the transaction that creates the record, so the record and its entry commit
together.

`verify` recomputes the chain, re-reads every recorded record (and the evidence files' bytes),
reports tracked rows no entry names, re-derives the station results and compares the chain with
signed checkpoints kept outside the database, naming each entry, record, result or file that
changed, disappeared, was inserted, or contradicts a checkpoint.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import json
import math
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.apps import apps
from django.db import IntegrityError, connection, models, transaction
from django.db.models import Max
from django.utils import timezone

from baqylau.db import insert_rows
from baqylau.evidence.models import GENESIS_HASH, LedgerDigest, LedgerEntry, LedgerHead

#: Records whose every row must be in the ledger (`verify` reports the ones that are not): every
#: record a published figure or a legal document rests on. Their content is `content_of`; a copy's
#: and an official result's lines and votes are part of it. Station results are derived, and
#: checked by re-deriving them (`verify`, see the module docstring).
TRACKED_MODELS = (
    "intake.submission",
    "intake.rejection",
    "evidence.mediafile",
    "reports.checkin",
    "reports.turnoutcount",
    "reports.incident",
    "reports.checklistanswer",
    "reports.note",
    "protocols.protocolcopy",
    "protocols.electionpolicy",
    "moderation.decision",
    "moderation.incidentdecision",
    "elections.officialresult",
    "crowd.crowdcount",
)

#: The entry kind of each tracked model (any other record: "record").
KIND_OF = {
    "intake.submission": "submission",
    "intake.rejection": "rejection",
    "evidence.mediafile": "media",
    "reports.checkin": "report",
    "reports.turnoutcount": "report",
    "reports.incident": "report",
    "reports.checklistanswer": "report",
    "reports.note": "report",
    "protocols.protocolcopy": "protocol",
    "protocols.electionpolicy": "record",
    "moderation.decision": "decision",
    "moderation.incidentdecision": "decision",
    "elections.officialresult": "official",
}


def kind_of(instance: models.Model) -> str:
    return KIND_OF.get(instance._meta.label_lower, "record")


_CHUNK = 1000


# ---------------------------------------------------------------------------------------------
# canonical form

#: Integers a JSON number carries exactly in every reader (IEEE-754 doubles): RFC 8785's domain.
SAFE_INTEGER = 2**53 - 1


def number_text(value: int | float | Decimal) -> str:
    """A number in RFC 8785 (JCS) notation, i.e. ECMAScript's ``Number.prototype.toString``, of
    the decimal value its JSON text denotes: a float by its shortest round-trip digits (what
    ``json.dumps`` wrote), an integer or a `Decimal` exactly. For a double this is exactly JCS;
    beyond JCS's domain (integers past 2**53, 1e300 read back from PostgreSQL as an integer) the
    same notation carries the exact value, so a number keeps its canonical text through jsonb.
    """
    if isinstance(value, bool):
        raise TypeError("a boolean is not a number")
    if isinstance(value, int) and -(10**21) < value < 10**21:
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"{value!r} is not a JSON number")
        value = Decimal(repr(value))
    sign, digit_tuple, exponent = Decimal(value).as_tuple()
    if not isinstance(exponent, int):
        raise ValueError(f"{value!r} is not a JSON number")
    digits = "".join(map(str, digit_tuple)).lstrip("0")
    stripped = digits.rstrip("0")
    if not stripped:
        return "0"
    exponent += len(digits) - len(stripped)
    k, n = len(stripped), len(stripped) + exponent  # value = 0.<stripped> × 10**n
    if k <= n <= 21:
        text = stripped + "0" * (n - k)
    elif 0 < n <= 21:
        text = stripped[:n] + "." + stripped[n:]
    elif -6 < n <= 0:
        text = "0." + "0" * -n + stripped
    else:
        mantissa = stripped if k == 1 else stripped[0] + "." + stripped[1:]
        text = f"{mantissa}e{'+' if n - 1 > 0 else '-'}{abs(n - 1)}"
    return "-" + text if sign else text


def _plain(value: Any) -> Any:
    """A recorded value as plain JSON that every JSON reader keeps as it is: strings, integers
    within ±(2**53 − 1), booleans, null, lists and objects. Floats, larger integers and decimals
    become their `number_text` (a string), times UTC ISO 8601 strings, bytes their SHA-256."""
    if value is None or isinstance(value, bool | str):
        return value
    if isinstance(value, int):
        return value if -SAFE_INTEGER <= value <= SAFE_INTEGER else number_text(value)
    if isinstance(value, float):
        return number_text(value) if math.isfinite(value) else repr(value)
    if isinstance(value, Decimal):
        return number_text(value) if value.is_finite() else str(value)
    if isinstance(value, dt.datetime):
        if timezone.is_aware(value):
            value = value.astimezone(dt.UTC)
        return value.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, uuid.UUID | Path):
        return str(value)
    if isinstance(value, bytes | memoryview):
        return "sha256:" + hashlib.sha256(bytes(value)).hexdigest()
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        items = [_plain(v) for v in value]
        return sorted(items, key=canonical_json) if isinstance(value, set | frozenset) else items
    if isinstance(value, models.Model):
        return _plain(value.pk)
    return str(value)


def _json_value(value: Any, simple: list[bool]) -> Any:
    """``value`` with what is not a JSON value made `_plain`, numbers kept as numbers; clears
    ``simple[0]`` when ``json.dumps`` would not write it as RFC 8785 does (a float, an integer of
    21 digits or more, a key with a character outside the Basic Multilingual Plane)."""
    if value is None or isinstance(value, bool | str):
        return value
    if isinstance(value, int):
        if not -(10**21) < value < 10**21:
            simple[0] = False
        return value
    if isinstance(value, float):
        simple[0] = False
        return value
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            key = key if isinstance(key, str) else str(_plain(key))
            if not key.isascii() and max(key) > "\uffff":
                simple[0] = False
            out[key] = _json_value(item, simple)
        return out
    if isinstance(value, list | tuple):
        return [_json_value(v, simple) for v in value]
    return _plain(value)


def _utf16_key(key: str) -> bytes:
    return key.encode("utf-16-be", "surrogatepass")


def _jcs(value: Any) -> str:
    if value is None:
        return "null"
    if value is True or value is False:
        return "true" if value else "false"
    if isinstance(value, int | float):
        return number_text(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list):
        return "[" + ",".join(_jcs(v) for v in value) + "]"
    keys = sorted(value, key=_utf16_key)
    return (
        "{" + ",".join(json.dumps(k, ensure_ascii=False) + ":" + _jcs(value[k]) for k in keys) + "}"
    )


def canonical_json(value: Any) -> str:
    """The RFC 8785 (JCS) text of a JSON value: keys sorted by UTF-16 code units, no spaces,
    strings as JSON with only the required escapes, numbers in `number_text` notation. The form
    every hash in the ledger is taken of (see the module docstring).

    Values that are not JSON (times, UUIDs, model instances, ...) are written as `_plain` gives
    them. Nearly every value has no float and only BMP keys: ``json.dumps`` with sorted keys
    writes exactly the JCS text then, and does it in C.
    """
    simple = [True]
    prepared = _json_value(value, simple)
    if simple[0]:
        return json.dumps(prepared, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return _jcs(prepared)


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def content_hash(content: Any) -> str:
    """SHA-256 of the canonical JSON of a value (a record's content, an envelope's payload)."""
    return sha256_text(canonical_json(content))


def compute_entry_hash(
    prev_hash: str, seq: int, kind: str, ref: str, content_sha: str, created_at: dt.datetime
) -> str:
    return sha256_text(canonical_json([prev_hash, seq, kind, ref, content_sha, created_at]))


def ref_for(instance: models.Model) -> str:
    """``"app_label.model:pk"``, e.g. ``"intake.submission:5f0c…"``."""
    return f"{instance._meta.label_lower}:{instance.pk}"


# ---------------------------------------------------------------------------------------------
# what is recorded of each record

ContentFunc = Callable[..., dict]
_CONTENT: dict[str, ContentFunc] = {}
#: model label → the related names of the rows recorded as part of its content (a copy's lines).
_CHILDREN: dict[str, tuple[str, ...]] = {}
#: Children of records, by related name: {"lines": [CopyLine, ...], "votes": [...]}.
Children = dict[str, list[models.Model]]

#: The content of a record deleted through the platform (`record_deletions`).
DELETED = {"deleted": True}


def register_content(model_label: str, func: ContentFunc, children: tuple[str, ...] = ()) -> None:
    """Use ``func(instance) -> dict`` as the recorded content of a model (``"app.model"``).

    With ``children`` (related names, e.g. ``("lines", "votes")``), the rows pointing at the
    record belong to its content: ``func(instance, children)`` gets them by name, so that a
    changed, deleted or added child row changes the record's content.
    """
    _CONTENT[model_label.lower()] = func
    if children:
        _CHILDREN[model_label.lower()] = tuple(children)


def child_names(instance_or_model: models.Model | type[models.Model]) -> tuple[str, ...]:
    return _CHILDREN.get(instance_or_model._meta.label_lower, ())


def children_from(instance: models.Model, rows: Iterable[models.Model]) -> Children:
    """The children of ``instance`` among ``rows`` (rows just written with it: no query)."""
    out: Children = {}
    rows = list(rows)
    for name in child_names(instance):
        rel = instance._meta.get_field(name)
        out[name] = [
            row
            for row in rows
            if isinstance(row, rel.related_model) and getattr(row, rel.field.attname) == instance.pk
        ]
    return out


def load_children(model: type[models.Model], pks: list[Any]) -> dict[Any, Children]:
    """The children of many records of ``model``: one query per kind of child and 900 records."""
    names = _CHILDREN.get(model._meta.label_lower, ())
    out: dict[Any, Children] = {pk: {name: [] for name in names} for pk in pks}
    for name in names:
        rel = model._meta.get_field(name)
        attname = rel.field.attname
        for start in range(0, len(pks), 900):
            rows = rel.related_model._base_manager.filter(
                **{f"{attname}__in": pks[start : start + 900]}
            )
            for row in rows:
                out[getattr(row, attname)][name].append(row)
    return out


def fields_content(instance: models.Model) -> dict:
    """Default content: every concrete field's stored value (foreign keys as their ids)."""
    return {
        f.attname: _plain(f.value_from_object(instance)) for f in instance._meta.concrete_fields
    }


def content_of(instance: models.Model, children: Children | None = None) -> dict:
    """The content recorded for a record: a registered function, else the instance's
    ``ledger_content()`` method, else all its concrete fields. The children of a model registered
    with some are loaded when not given."""
    label = instance._meta.label_lower
    func = _CONTENT.get(label)
    if func is not None:
        if label in _CHILDREN:
            if children is None:
                children = load_children(type(instance), [instance.pk])[instance.pk]
            return _plain(func(instance, children))
        return _plain(func(instance))
    if callable(getattr(instance, "ledger_content", None)):
        return _plain(instance.ledger_content())
    return fields_content(instance)


def _submission_content(submission) -> dict:
    return {
        "id": submission.pk,
        "election": submission.election_id,
        "channel": submission.channel,
        "kind": submission.kind,
        "sender": submission.sender,
        "received_at": submission.received_at,
        "language": submission.language,
        "payload_sha256": submission.payload_sha256,
        # recomputed from the stored payload: an UPDATE of the payload changes it
        "payload_canonical_sha256": content_hash(submission.payload),
    }


def _media_content(media) -> dict:
    return {
        "id": media.pk,
        "submission": media.submission_id,
        "sha256": media.sha256,
        "content_type": media.content_type,
        "size": media.size,
        "page": media.page,
        "original": media.original,
        "display": media.display,
        "display_sha256": media.display_sha256,
        "received_at": media.received_at,
    }


def _figures_content(record, children: Children, *, skip: tuple[str, ...] = ()) -> dict:
    """A record with figures (a protocol copy, an official result): its fields and its lines
    ``{line: value}`` and votes ``{choice id: votes}``."""
    content = {
        f.attname: _plain(f.value_from_object(record))
        for f in record._meta.concrete_fields
        if f.name not in skip
    }
    content["lines"] = {row.line: row.value for row in children["lines"]}
    content["votes"] = {str(row.choice_id): row.votes for row in children["votes"]}
    return content


def _copy_content(copy, children: Children) -> dict:
    # the reviewer's lock changes all day long and decides nothing
    return _figures_content(copy, children, skip=("locked_by", "locked_until"))


register_content("intake.submission", _submission_content)
register_content("evidence.mediafile", _media_content)
register_content("protocols.protocolcopy", _copy_content, children=("lines", "votes"))
register_content("elections.officialresult", _figures_content, children=("lines", "votes"))


# ---------------------------------------------------------------------------------------------
# appending


@functools.cache
def _head_sql(lock: bool) -> str:
    """Written out (once): it runs on every append, where the ORM's query building cost more than
    the query itself."""
    meta = LedgerHead._meta
    q = connection.ops.quote_name
    sql = (
        f"SELECT {q(meta.get_field('seq').column)}, {q(meta.get_field('entry_hash').column)}"
        f" FROM {q(meta.db_table)} WHERE {q(meta.pk.column)} = 1"
    )
    return sql + (" FOR UPDATE" if lock and connection.features.has_select_for_update else "")


def _lock_head() -> LedgerHead:
    """The head row, locked until the end of the caller's transaction (SQLite: the write lock
    that every transaction takes at its start, `transaction_mode` IMMEDIATE)."""
    with connection.cursor() as cursor:
        cursor.execute(_head_sql(lock=True))
        row = cursor.fetchone()
    if row is not None:
        return LedgerHead(pk=1, seq=row[0], entry_hash=row[1])
    last = LedgerEntry.objects.order_by("-seq").values_list("seq", "entry_hash").first()
    seq, entry_hash = last or (0, GENESIS_HASH)
    try:
        with transaction.atomic():
            LedgerHead.objects.create(pk=1, seq=seq, entry_hash=entry_hash)
    except IntegrityError:
        pass  # another writer created it
    return LedgerHead.objects.select_for_update().get(pk=1)


def _latest_hashes(refs: list[str]) -> dict[str, tuple[str, int]]:
    """ref → (content_hash, seq) of its latest entry."""
    latest: dict[str, tuple[str, int]] = {}
    for start in range(0, len(refs), 500):
        rows = LedgerEntry.objects.filter(ref__in=refs[start : start + 500]).values_list(
            "ref", "content_hash", "seq"
        )
        for ref, chash, seq in rows:
            if ref not in latest or latest[ref][1] < seq:
                latest[ref] = (chash, seq)
    return latest


def _new_entry(head: LedgerHead, kind: str, ref: str, content: dict) -> LedgerEntry:
    kind = str(kind)
    text = canonical_json(content)
    plain = json.loads(text)  # canonical_json(plain) == text: the hash is taken of the text
    chash = sha256_text(text)
    seq = head.seq + 1
    created = timezone.now()
    entry = LedgerEntry(
        seq=seq,
        kind=kind,
        ref=ref,
        content=plain,
        content_hash=chash,
        prev_hash=head.entry_hash,
        entry_hash=compute_entry_hash(head.entry_hash, seq, kind, ref, chash, created),
        created_at=created,
    )
    head.seq, head.entry_hash, head.updated_at = seq, entry.entry_hash, created
    return entry


_HEAD_FIELDS = ("seq", "entry_hash", "updated_at")


@functools.cache
def _save_head_sql() -> str:
    meta = LedgerHead._meta
    q = connection.ops.quote_name
    sets = ", ".join(f"{q(meta.get_field(name).column)} = %s" for name in _HEAD_FIELDS)
    return f"UPDATE {q(meta.db_table)} SET {sets} WHERE {q(meta.pk.column)} = 1"


def _save_head(head: LedgerHead) -> None:
    fields = [LedgerHead._meta.get_field(name) for name in _HEAD_FIELDS]
    values = [f.get_db_prep_value(getattr(head, f.attname), connection) for f in fields]
    with connection.cursor() as cursor:
        cursor.execute(_save_head_sql(), values)


def append(kind: str, ref: str, content: dict) -> LedgerEntry:
    """Append one entry (always, even if the same content was recorded before)."""
    with transaction.atomic():
        head = _lock_head()
        entry = _new_entry(head, kind, ref, content)
        entry.save(force_insert=True)
        _save_head(head)
    return entry


def append_new(
    items: Iterable[tuple[str, models.Model] | tuple[str, models.Model, Children]],
) -> list[LedgerEntry]:
    """Record records just inserted in the caller's transaction, under one lock (batched intake).

    Unlike `record`, nothing is re-read: the caller has just written these very instances (and
    gives the children of a record with children, e.g. a copy's lines and votes, as a third item),
    and `verify` re-reads them later anyway. Each item gets a new entry, in order.
    """
    items = list(items)
    if not items:
        return []
    with transaction.atomic():
        head = _lock_head()
        batch = [
            _new_entry(head, item[0], ref_for(item[1]), content_of(item[1], *item[2:]))
            for item in items
        ]
        insert_rows(batch)
        _save_head(head)
    return batch


def _fresh_contents(model: type[models.Model], pks: list[Any]) -> list[tuple[str, dict]]:
    """(ref, content) of the records of ``model`` as stored now (missing ones left out)."""
    fresh = model._base_manager.in_bulk(pks)
    children = load_children(model, list(fresh)) if model._meta.label_lower in _CHILDREN else {}
    return [
        (ref_for(fresh[pk]), content_of(fresh[pk], children.get(pk))) for pk in pks if pk in fresh
    ]


def record_many(instances: Iterable[models.Model], *, kind: str | None = None) -> list[LedgerEntry]:
    """Record several records in one transaction and one lock (bulk imports).

    Records whose latest entry already has the same content are skipped (idempotent).
    Each record is re-read from the database, so what is hashed is what is stored.
    """
    by_model: dict[type[models.Model], list] = defaultdict(list)
    for instance in instances:
        by_model[type(instance)].append(instance.pk)
    return record_pks({model: pks for model, pks in by_model.items()}, kind=kind)


def record_pks(
    pks_by_model: dict[type[models.Model], list[Any]], *, kind: str | None = None
) -> list[LedgerEntry]:
    """`record_many` by primary keys (an import knows the ids of what it wrote). The records are
    read and hashed before the ledger's lock is taken: the lock is held only to chain and insert
    the entries, so a large import holds up the intake for as short a time as possible."""
    pending: list[tuple[str, str, dict]] = []
    for model, pks in pks_by_model.items():
        model_kind = kind or KIND_OF.get(model._meta.label_lower, LedgerEntry.Kind.RECORD)
        for start in range(0, len(pks), _CHUNK):
            items = _fresh_contents(model, list(pks[start : start + _CHUNK]))
            latest = _latest_hashes([ref for ref, _ in items])
            for ref, content in items:
                known = latest.get(ref)
                if not (known and known[0] == content_hash(content)):
                    pending.append((model_kind, ref, content))
    created: list[LedgerEntry] = []
    if not pending:
        return created
    with transaction.atomic():
        head = _lock_head()
        for start in range(0, len(pending), _CHUNK):
            batch = [_new_entry(head, *item) for item in pending[start : start + _CHUNK]]
            insert_rows(batch)
            created.extend(batch)
        _save_head(head)
    return created


def record_deletions(model: type[models.Model], pks: Iterable[Any], *, reason: str) -> None:
    """Record that records deleted through the platform (e.g. a simulated election replaced)
    are gone on purpose: their latest entry becomes ``{"deleted": true, "reason": ...}``, so
    that `verify` expects them absent. Call in the transaction that deletes them."""
    label = model._meta.label_lower
    pks = list(pks)
    if not pks:
        return
    with transaction.atomic():
        head = _lock_head()
        for start in range(0, len(pks), _CHUNK):
            insert_rows(
                [
                    _new_entry(
                        head, "deletion", f"{label}:{pk}", {**DELETED, "reason": str(reason)}
                    )
                    for pk in pks[start : start + _CHUNK]
                ]
            )
        _save_head(head)


def record(instance: models.Model, *, kind: str | None = None) -> LedgerEntry:
    """Record a model instance's content (see `content_of`); returns its entry.

    Idempotent: when the record's latest entry already has this content, that entry is
    returned. A changed record gets a new entry, which supersedes the old one in `verify`
    (call it in the transaction that changes a tracked record, e.g. a copy's moderation state).
    """
    with transaction.atomic():
        head = _lock_head()
        ((ref, content),) = _fresh_contents(type(instance), [instance.pk])
        latest = LedgerEntry.objects.filter(ref=ref).order_by("-seq").first()
        if latest is not None and latest.content_hash == content_hash(content):
            return latest
        entry = _new_entry(head, kind or kind_of(instance), ref, content)
        entry.save(force_insert=True)
        _save_head(head)
    return entry


def record_submission(submission) -> LedgerEntry:
    """Record a `Submission`: id, election, channel, kind, sender, received_at, language and
    the payload's SHA-256 (stored and recomputed from the payload)."""
    return record(submission, kind=LedgerEntry.Kind.SUBMISSION)


def record_media(media) -> LedgerEntry:
    """Record a `MediaFile` (its SHA-256, type, size, page and paths) as it is stored now.
    `store_media` appends a new file's entry with `append_new`; `display_complete` records the
    file again when its display copy is added."""
    return record(media, kind=LedgerEntry.Kind.MEDIA)


def record_decision(decision) -> LedgerEntry:
    """Record a moderation decision, or any other record that must never change silently."""
    return record(decision, kind=LedgerEntry.Kind.DECISION)


def head() -> tuple[int, str]:
    """(sequence number, hash) of the chain's head."""
    row = LedgerHead.objects.filter(pk=1).values_list("seq", "entry_hash").first()
    return row or (0, GENESIS_HASH)


def publish_digest() -> LedgerDigest:
    """Store (and return) the current head as a root digest for the public site."""
    seq, entry_hash = head()
    return LedgerDigest.objects.create(seq=seq, head_hash=entry_hash)


# ---------------------------------------------------------------------------------------------
# verification


@dataclass
class Problem:
    code: str
    message: str
    seq: int | None = None
    ref: str = ""


@dataclass
class VerifyReport:
    entries: int = 0
    head_seq: int = 0
    head_hash: str = GENESIS_HASH
    records_checked: int = 0
    files_checked: int = 0
    results_checked: int = 0
    checkpoints_checked: int = 0
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def codes(self) -> set[str]:
        return {p.code for p in self.problems}

    def as_dict(self) -> dict:
        return {**asdict(self), "ok": self.ok}


def _verify_chain(report: VerifyReport) -> None:
    expected_seq, prev = 1, GENESIS_HASH
    rows = LedgerEntry.objects.order_by("seq").values_list(
        "seq", "kind", "ref", "content", "content_hash", "prev_hash", "entry_hash", "created_at"
    )
    problems = report.problems
    for seq, kind, ref, content, chash, prev_hash, entry_hash, created in rows.iterator(
        chunk_size=_CHUNK
    ):
        report.entries += 1
        gap = seq != expected_seq
        if gap:
            missing = f"#{expected_seq}" + (f"–#{seq - 1}" if seq - 1 > expected_seq else "")
            problems.append(
                Problem("entries_missing", f"ledger entries {missing} are missing (deleted)", seq)
            )
        if content_hash(content) != chash:
            problems.append(
                Problem(
                    "entry_content_altered",
                    f"entry #{seq} ({ref}): its recorded content no longer matches its hash",
                    seq,
                    ref,
                )
            )
        if compute_entry_hash(prev_hash, seq, kind, ref, chash, created) != entry_hash:
            problems.append(
                Problem(
                    "entry_altered",
                    f"entry #{seq} ({ref}): its hash does not match its fields "
                    "(sequence, kind, reference, time or hashes were changed)",
                    seq,
                    ref,
                )
            )
        if prev_hash != prev and not gap:
            problems.append(
                Problem(
                    "chain_broken",
                    f"entry #{seq} ({ref}) does not follow entry #{seq - 1}: "
                    "an entry was altered, inserted or reordered",
                    seq,
                    ref,
                )
            )
        expected_seq, prev = seq + 1, entry_hash
    last_seq = expected_seq - 1

    head_row = LedgerHead.objects.filter(pk=1).first()
    if head_row is None:
        if last_seq:
            problems.append(Problem("head_missing", "the ledger head row is missing"))
        return
    report.head_seq, report.head_hash = head_row.seq, head_row.entry_hash
    if head_row.seq > last_seq:
        problems.append(
            Problem(
                "entries_missing",
                f"ledger entries #{last_seq + 1}–#{head_row.seq} at the end are missing "
                f"(deleted; the head is at #{head_row.seq})",
                last_seq + 1,
            )
        )
    elif head_row.seq < last_seq:
        problems.append(
            Problem(
                "head_behind",
                f"entries after the head (#{head_row.seq}) up to #{last_seq} were added "
                "outside the ledger's append",
                head_row.seq + 1,
            )
        )
    elif head_row.entry_hash != prev:
        problems.append(
            Problem("head_mismatch", f"the head hash differs from entry #{last_seq}'s hash")
        )


def _verify_digests(report: VerifyReport) -> None:
    digests = list(LedgerDigest.objects.order_by("seq", "id"))
    seqs = {d.seq for d in digests if d.seq}
    hashes: dict[int, str] = {}
    seq_list = sorted(seqs)
    for start in range(0, len(seq_list), 500):
        hashes.update(
            LedgerEntry.objects.filter(seq__in=seq_list[start : start + 500]).values_list(
                "seq", "entry_hash"
            )
        )
    for digest in digests:
        if digest.seq == 0:
            continue
        if hashes.get(digest.seq) != digest.head_hash:
            report.problems.append(
                Problem(
                    "digest_mismatch",
                    f"the digest published {digest.created_at:%Y-%m-%d %H:%M} for entry "
                    f"#{digest.seq} no longer matches the ledger: history was rewritten",
                    digest.seq,
                )
            )


def _model_for(ref: str) -> tuple[type[models.Model] | None, str]:
    label, sep, pk = ref.partition(":")
    if not sep or "." not in label:
        return None, ""
    try:
        return apps.get_model(label), pk
    except (LookupError, ValueError):
        return None, ""


def _changed_keys(old: dict, new: dict) -> list[str]:
    keys = set(old) | set(new)
    return sorted(k for k in keys if old.get(k, object()) != new.get(k, object()))


def _verify_files(
    report: VerifyReport, seq: int, ref: str, content: dict, cache: dict[str, str | None]
) -> None:
    from baqylau.evidence.services import EvidenceError, resolve, sha256_file

    for path_key, hash_key, label in (
        ("original", "sha256", "original"),
        ("display", "display_sha256", "display copy"),
    ):
        relative, expected = content.get(path_key), content.get(hash_key)
        if not relative or not expected:
            continue
        if relative not in cache:
            try:
                path = resolve(relative)
                cache[relative] = sha256_file(path) if path.is_file() else None
            except (EvidenceError, OSError):
                cache[relative] = None
            report.files_checked += 1
        actual = cache[relative]
        if actual is None:
            report.problems.append(
                Problem("file_missing", f"{ref}: the {label} file {relative} is missing", seq, ref)
            )
        elif actual != expected:
            report.problems.append(
                Problem(
                    "file_changed",
                    f"{ref}: the bytes of the {label} file {relative} changed "
                    f"(SHA-256 {actual[:16]}…, recorded {expected[:16]}…)",
                    seq,
                    ref,
                )
            )


def _verify_records(report: VerifyReport, check_files: bool) -> None:
    latest_seqs = LedgerEntry.objects.values("ref").annotate(last=Max("seq")).values("last")
    rows = (
        LedgerEntry.objects.filter(seq__in=latest_seqs)
        .order_by("seq")
        .values_list("seq", "ref", "content", "content_hash")
    )
    file_cache: dict[str, str | None] = {}
    batch: list[tuple] = []

    def flush() -> None:
        groups: dict[type[models.Model], list[tuple]] = defaultdict(list)
        for item in batch:
            model, pk = _model_for(item[1])
            if model is not None:
                groups[model].append((*item, pk))
        for model, items in groups.items():
            pk_field = model._meta.pk
            keys = {}
            for item in items:
                try:
                    keys[item[4]] = pk_field.to_python(item[4])
                except Exception:  # noqa: BLE001 - an unparseable pk is a missing record
                    keys[item[4]] = None
            found = model._base_manager.in_bulk([k for k in keys.values() if k is not None])
            children = load_children(model, list(found)) if child_names(model) else {}
            by_str = {str(pk): obj for pk, obj in found.items()}
            for seq, ref, content, chash, pk in items:
                report.records_checked += 1
                instance = by_str.get(str(keys[pk]))
                deleted = content.get("deleted") is True and set(content) <= {"deleted", "reason"}
                if instance is None:
                    if not deleted:
                        report.problems.append(
                            Problem("record_deleted", f"{ref} (entry #{seq}) was deleted", seq, ref)
                        )
                    continue
                if deleted:
                    report.problems.append(
                        Problem(
                            "record_changed",
                            f"{ref} was recorded as deleted (entry #{seq}) but is back",
                            seq,
                            ref,
                        )
                    )
                    continue
                current = content_of(instance, children.get(instance.pk))
                if content_hash(current) != chash:
                    changed = ", ".join(_changed_keys(content, current)) or "?"
                    report.problems.append(
                        Problem(
                            "record_changed",
                            f"{ref} changed since entry #{seq}: {changed}",
                            seq,
                            ref,
                        )
                    )
                if check_files and model._meta.label_lower == "evidence.mediafile":
                    _verify_files(report, seq, ref, content, file_cache)
        batch.clear()

    for row in rows.iterator(chunk_size=_CHUNK):
        batch.append(row)
        if len(batch) >= _CHUNK:
            flush()
    flush()


def _verify_unrecorded(report: VerifyReport) -> None:
    """Rows of the tracked models that no entry names (inserted behind the platform's back). One
    pass over the entries' references, one over each model's keys."""
    recorded: dict[str, set[str]] = {label: set() for label in TRACKED_MODELS}
    for ref in (
        LedgerEntry.objects.order_by().values_list("ref", flat=True).iterator(chunk_size=5000)
    ):
        label, _, pk = ref.partition(":")
        if label in recorded:
            recorded[label].add(pk)
    for label in TRACKED_MODELS:
        try:
            model = apps.get_model(label)
        except LookupError:
            continue
        known = recorded[label]
        missing = [
            str(pk)
            for pk in model._base_manager.order_by()
            .values_list("pk", flat=True)
            .iterator(chunk_size=5000)
            if str(pk) not in known
        ]
        if missing:
            shown = ", ".join(missing[:10]) + (" …" if len(missing) > 10 else "")
            report.problems.append(
                Problem(
                    "unrecorded",
                    f"{len(missing)} {label} record(s) are not in the ledger: {shown}",
                    None,
                    label,
                )
            )


def _verify_station_results(report: VerifyReport) -> None:
    """Station results are derived: each is re-derived from its contest's copies (ledgered, with
    their lines, votes and moderation states, checked above) and compared with the stored row.
    Stations waiting for a recount are left out; they are rebuilt by it."""
    from baqylau.elections.models import Contest
    from baqylau.protocols.models import ProtocolCopy
    from baqylau.tally.models import PendingRecount, StationResult
    from baqylau.tally.reconciliation import check_results

    contest_ids = set(ProtocolCopy.objects.values_list("contest_id", flat=True).distinct())
    contest_ids |= set(StationResult.objects.values_list("contest_id", flat=True).distinct())
    for contest in Contest.objects.filter(pk__in=contest_ids).select_related("election"):
        waiting = set(
            PendingRecount.objects.filter(contest=contest).values_list("station_id", flat=True)
        )
        for station, code, detail in check_results(contest, waiting):
            ref = f"tally.stationresult:{contest.pk}/{station}"
            text = {
                "result_changed": f"the stored result of station {station} ({contest}) is not "
                f"what its copies give: {detail}",
                "result_missing": f"the result of station {station} ({contest}) was deleted: "
                f"{detail}",
                "result_unfounded": f"a result of station {station} ({contest}) was inserted: "
                f"{detail}",
            }[code]
            report.problems.append(Problem(code, text, None, ref))
        report.results_checked += StationResult.objects.filter(contest=contest).count()


def _verify_resolutions(report: VerifyReport) -> None:
    """A disputed figure's chosen value (kept on the derived `Conflict` row) must be the one a
    moderator's ledgered decision gave (`tally.services.resolve_conflict`)."""
    from baqylau.tally.models import Conflict

    decided: dict[tuple, tuple[int, Any, Any]] = {}
    entries = LedgerEntry.objects.filter(ref__startswith="observers.auditevent:").values_list(
        "seq", "content"
    )
    for seq, content in entries.iterator(chunk_size=_CHUNK):
        after = content.get("after") if isinstance(content, dict) else None
        if content.get("action") != "tally.conflict.resolve" or not isinstance(after, dict):
            continue
        key = (after.get("station_id"), after.get("line") or "", after.get("choice_id"))
        for contest in (after.get("contest_id"), None):
            if seq > decided.get((contest, *key), (0,))[0]:
                decided[(contest, *key)] = (seq, after.get("resolved_value"), after.get("values"))
    rows = Conflict.objects.filter(resolved_value__isnull=False).values_list(
        "pk",
        "result__contest_id",
        "result__station_id",
        "line",
        "choice_id",
        "resolved_value",
        "values",
    )
    for pk, contest_id, station_id, line, choice_id, value, values in rows:
        key = (station_id, line or "", choice_id)
        found = decided.get((contest_id, *key)) or decided.get((None, *key))
        if found is None or found[1] != value or found[2] != values:
            report.problems.append(
                Problem(
                    "resolution_unrecorded",
                    f"the chosen value {value} of {line or f'choice {choice_id}'} at station "
                    f"{station_id} is not a moderator's recorded decision",
                    None,
                    f"tally.conflict:{pk}",
                )
            )


def _verify_checkpoints(report: VerifyReport, path: Path, keys: Iterable[str] | None) -> None:
    from baqylau.evidence.checkpoints import verify_against

    found = verify_against(path, keys)
    report.checkpoints_checked += found.checked
    for code, text, seq in found.problems:
        report.problems.append(Problem(code, text, seq))


def verify(
    *,
    check_records: bool = True,
    check_files: bool = True,
    check_unrecorded: bool = True,
    check_results: bool = True,
    checkpoints: Path | None = None,
    keys: Iterable[str] | None = None,
) -> VerifyReport:
    """Recompute the chain and re-read the recorded records and files; re-derive the station
    results; compare the chain with signed ``checkpoints`` (a file, see `evidence.checkpoints`,
    signed by one of ``keys``, default the platform's key); name every problem.

    Problem codes: entries_missing, entry_content_altered, entry_altered, chain_broken,
    head_missing, head_behind, head_mismatch, digest_mismatch, record_deleted, record_changed,
    file_missing, file_changed, unrecorded, result_changed, result_missing, result_unfounded,
    resolution_unrecorded, checkpoint_mismatch, checkpoint_ahead, checkpoint_forged,
    checkpoint_untrusted, checkpoint_unreadable.
    """
    report = VerifyReport()
    _verify_chain(report)
    _verify_digests(report)
    if checkpoints is not None:
        _verify_checkpoints(report, checkpoints, keys)
    if check_records:
        _verify_records(report, check_files)
    if check_unrecorded:
        _verify_unrecorded(report)
    if check_results:
        _verify_resolutions(report)
        _verify_station_results(report)
    return report
