"""Writes for observers: people, roles, placement, targets, bulk import, and the audit trail."""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.db.models import Model
from django.utils.translation import gettext as _

from baqylau.elections.importing.readers import (
    SNIFF_BYTES,
    ReaderError,
    refuse_binary,
    workbook_rows,
)
from baqylau.elections.models import AdminUnit
from baqylau.observers import crypto
from baqylau.observers.models import (
    LANGUAGES,
    Assignment,
    AuditEvent,
    Membership,
    Observer,
    Organisation,
    Shift,
    StationTarget,
)

# Fields of an observer that may appear in the audit trail. Personal data never does: the trail
# records that it changed, not what it became.
_PUBLIC_FIELDS = (
    "public_id",
    "organisation_id",
    "accreditation_body_kind",
    "accreditation_body_name",
    "accreditation_number",
    "accreditation_date",
    "training",
    "languages",
    "language",
    "availability",
    "consent_lawyers",
    "active",
)
_PERSONAL_FIELDS = ("name", "phone", "document")


def _jsonable(value: Any) -> Any:
    if isinstance(value, dt.date | dt.datetime | dt.time):
        return value.isoformat()
    return value


def snapshot(obj: Model, fields: tuple[str, ...]) -> dict[str, Any]:
    return {f: _jsonable(getattr(obj, f)) for f in fields}


def audit_event(
    *,
    action: str,
    obj: Model | None = None,
    object_type: str = "",
    object_id: Any = "",
    actor=None,
    actor_label: str = "",
    before: dict | None = None,
    after: dict | None = None,
) -> AuditEvent:
    """An unsaved audit event (for callers that insert in batches); see `record_audit`."""
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id or obj.pk
    if actor is not None and not getattr(actor, "is_authenticated", False):
        actor = None
    return AuditEvent(
        actor=actor,
        actor_label=actor_label,
        action=action,
        object_type=object_type,
        object_id=str(object_id),
        before=before,
        after=after,
    )


def record_audit(**kwargs: Any) -> AuditEvent:
    """Append one audit event (arguments as `audit_event`). Call inside the transaction of the
    change it records."""
    event = audit_event(**kwargs)
    event.save(force_insert=True)
    return event


class ServiceError(ValueError):
    """A write refused by a rule that the database cannot express."""


def authorize(actor, *, organisation_id: int, station: AdminUnit | None = None) -> None:
    """Refuse (PermissionDenied) a change the actor's own roles do not allow: the roles come from
    the actor's memberships (`selectors.may_manage`), never from the request. ``actor=None`` is
    the system itself (the CLI, the demo, migrations)."""
    if actor is None:
        return
    from baqylau.observers.selectors import may_manage

    if not may_manage(actor, organisation_id=organisation_id, station=station):
        raise PermissionDenied


def _unique_public_id() -> str:
    from baqylau.observers.models import new_public_id

    for _attempt in range(20):
        candidate = new_public_id()
        if not Observer.objects.filter(public_id=candidate).exists():
            return candidate
    raise RuntimeError("could not allocate a unique observer id")  # 32^5 ids: practically never


@transaction.atomic
def create_observer(*, organisation: Organisation, actor=None, **data: Any) -> Observer:
    personal = {k: data.pop(k) for k in _PERSONAL_FIELDS if k in data}
    observer = Observer(organisation=organisation, public_id=_unique_public_id(), **data)
    for key, value in personal.items():
        setattr(observer, key, value or "")
    observer.full_clean(exclude=["name_encrypted", "phone_encrypted", "document_encrypted"])
    observer.save()
    record_audit(
        action="observer.create",
        obj=observer,
        actor=actor,
        after={**snapshot(observer, _PUBLIC_FIELDS), "personal_data_set": sorted(personal)},
    )
    return observer


@transaction.atomic
def update_observer(*, observer: Observer, actor=None, **data: Any) -> Observer:
    authorize(actor, organisation_id=observer.organisation_id)
    before = snapshot(observer, _PUBLIC_FIELDS)
    changed_personal = []
    for key, value in data.items():
        if key in _PERSONAL_FIELDS:
            changed_personal.append(key)
        setattr(observer, key, value)
    observer.full_clean(exclude=["name_encrypted", "phone_encrypted", "document_encrypted"])
    try:
        with transaction.atomic():
            observer.save()
    except IntegrityError as exc:  # observer_phone_unique
        raise ServiceError(_("This phone number belongs to another observer.")) from exc
    record_audit(
        action="observer.update",
        obj=observer,
        actor=actor,
        before=before,
        after={**snapshot(observer, _PUBLIC_FIELDS), "personal_data_changed": changed_personal},
    )
    return observer


def observer_by_phone(raw_phone: str) -> Observer | None:
    digest = crypto.phone_hash(raw_phone)
    if not digest:
        return None
    return Observer.objects.filter(phone_hash=digest, active=True).first()


@transaction.atomic
def add_membership(
    *, user, organisation: Organisation, role: str, region=None, observer=None, actor=None
) -> Membership:
    if region is not None and region.kind == AdminUnit.Kind.STATION:
        raise ServiceError("a regional coordinator's region must be above the stations")
    if observer is not None and observer.organisation_id != organisation.id:
        raise ServiceError("the observer belongs to another organisation")
    membership = Membership.objects.create(
        user=user, organisation=organisation, role=role, region=region, observer=observer
    )
    record_audit(
        action="membership.create",
        obj=membership,
        actor=actor,
        after={
            "user_id": user.pk,
            "organisation_id": organisation.pk,
            "role": role,
            "region_id": getattr(region, "pk", None),
            "observer": getattr(observer, "public_id", None),
        },
    )
    return membership


@transaction.atomic
def assign_observer(
    *, observer: Observer, station: AdminUnit, shift: str, actor=None
) -> Assignment:
    if station.kind != AdminUnit.Kind.STATION:
        raise ServiceError("observers are assigned to polling stations")
    if shift not in Shift.values:
        raise ServiceError(f"unknown shift {shift!r}")
    authorize(actor, organisation_id=observer.organisation_id, station=station)
    assignment = Assignment.objects.create(
        election_id=station.election_id,
        observer=observer,
        station=station,
        organisation_id=observer.organisation_id,
        shift=shift,
    )
    record_audit(
        action="assignment.create",
        obj=assignment,
        actor=actor,
        after={"observer": observer.public_id, "station_id": station.pk, "shift": shift},
    )
    return assignment


@transaction.atomic
def remove_assignment(*, assignment: Assignment, actor=None) -> None:
    authorize(actor, organisation_id=assignment.organisation_id, station=assignment.station)
    before = {
        "observer": assignment.observer.public_id,
        "station_id": assignment.station_id,
        "shift": assignment.shift,
    }
    pk = assignment.pk
    assignment.delete()
    record_audit(
        action="assignment.delete",
        object_type="observers.assignment",
        object_id=pk,
        actor=actor,
        before=before,
    )


@transaction.atomic
def set_station_target(
    *, station: AdminUnit, observers: int, shift: str = "", actor=None
) -> StationTarget:
    """Observers wanted at `station` for `shift` ("" = every shift without its own target)."""
    if shift and shift not in Shift.values:
        raise ServiceError(f"unknown shift {shift!r}")
    if actor is not None:
        from baqylau.observers.selectors import may_plan

        if not may_plan(actor, station):
            raise PermissionDenied
    target, _created = StationTarget.objects.update_or_create(
        station=station, shift=shift, defaults={"observers": observers}
    )
    record_audit(
        action="target.set", obj=target, actor=actor, after={"observers": observers, "shift": shift}
    )
    return target


# --- bulk import --------------------------------------------------------------------------------

IMPORT_COLUMNS = (
    "name",
    "phone",
    "document",
    "accreditation_body_kind",
    "accreditation_body_name",
    "accreditation_number",
    "accreditation_date",
    "training",
    "languages",
    "language",
    "availability",
    "consent_lawyers",
)
_REQUIRED = ("name", "phone")
_TRUE = {"1", "yes", "y", "true", "да", "иә", "ия", "+"}
_FALSE = {"", "0", "no", "n", "false", "нет", "жоқ", "-"}


@dataclass(frozen=True)
class RowError:
    """One problem of an import file; `reason` is already in the reader's language."""

    line: int  # 1-based line of the file (the header is line 1); 0: the file as a whole
    column: str
    reason: str

    def __str__(self) -> str:
        if self.line == 0:  # the file as a whole
            return self.reason
        if not self.column:
            return _("line %(line)s: %(reason)s") % {"line": self.line, "reason": self.reason}
        return _("line %(line)s, column %(column)s: %(reason)s") % {
            "line": self.line,
            "column": self.column,
            "reason": self.reason,
        }


class ImportFailed(Exception):
    def __init__(self, errors: list[RowError]):
        super().__init__(f"{len(errors)} error(s)")
        self.errors = errors


def _cell_text(cell: Any) -> str:
    if cell is None:
        return ""
    if isinstance(cell, dt.datetime):
        return cell.date().isoformat()
    if isinstance(cell, dt.date):
        return cell.isoformat()
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))
    return str(cell)


def _read_rows(content: bytes, filename: str) -> list[list[str]]:
    """Every row of a CSV (UTF-8, delimiter sniffed) or XLSX file; `ReaderError` names the file
    and what is wrong when it is not a table (a photo, a damaged workbook, another encoding)."""
    if filename.lower().endswith(".xlsx"):
        with workbook_rows(io.BytesIO(content), filename, skip_blank=False) as rows:
            return [[_cell_text(cell) for cell in cells] for _n, cells in rows]
    refuse_binary(filename, content[:SNIFF_BYTES])
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = content[: exc.start].count(b"\n") + 1
        raise ReaderError(
            _("%(file)s: line %(line)s is not UTF-8 text; save the table as CSV (UTF-8)")
            % {"file": filename, "line": line}
        ) from exc
    dialect = csv.Sniffer().sniff(text.split("\n", 1)[0], delimiters=",;\t")
    return [row for row in csv.reader(io.StringIO(text), dialect)]


def _parse_list(value: str, allowed: tuple[str, ...] | list[str]) -> list[str] | None:
    items = [v.strip().lower() for v in value.replace(";", ",").split(",") if v.strip()]
    return items if all(i in allowed for i in items) else None


def _one_of(values) -> str:
    return _("one of: %(values)s") % {"values": ", ".join(values)}


def _parse_row(line: int, row: dict[str, str], errors: list[RowError]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for column in _REQUIRED:
        if not row.get(column, "").strip():
            errors.append(RowError(line, column, _("required")))
    out["name"] = row.get("name", "").strip()
    phone = row.get("phone", "").strip()
    if phone:
        if not crypto.normalise_phone(phone):
            errors.append(
                RowError(line, "phone", _("not a phone number: %(value)s") % {"value": phone})
            )
        out["phone"] = phone
    out["document"] = row.get("document", "").strip()
    kind = row.get("accreditation_body_kind", "").strip().lower()
    if kind and kind not in Observer.BodyKind.values:
        errors.append(RowError(line, "accreditation_body_kind", _one_of(Observer.BodyKind.values)))
    out["accreditation_body_kind"] = kind
    out["accreditation_body_name"] = row.get("accreditation_body_name", "").strip()
    out["accreditation_number"] = row.get("accreditation_number", "").strip()
    date = row.get("accreditation_date", "").strip()
    out["accreditation_date"] = None
    if date:
        for fmt in ("%Y-%m-%d", "%d.%m.%Y"):
            try:
                out["accreditation_date"] = dt.datetime.strptime(date, fmt).date()
                break
            except ValueError:
                continue
        else:
            errors.append(
                RowError(line, "accreditation_date", _("a date as YYYY-MM-DD or DD.MM.YYYY"))
            )
    training = row.get("training", "").strip().lower() or Observer.Training.NONE
    if training not in Observer.Training.values:
        errors.append(RowError(line, "training", _one_of(Observer.Training.values)))
    out["training"] = training
    languages = _parse_list(row.get("languages", ""), LANGUAGES)
    if languages is None:
        errors.append(RowError(line, "languages", _one_of(LANGUAGES)))
    out["languages"] = languages or []
    language = row.get("language", "").strip().lower() or (languages or ["ru"])[0]
    if language not in LANGUAGES:
        errors.append(RowError(line, "language", _one_of(LANGUAGES)))
    out["language"] = language
    availability = _parse_list(row.get("availability", ""), Shift.values)
    if availability is None:
        errors.append(RowError(line, "availability", _one_of(Shift.values)))
    out["availability"] = availability or []
    consent = row.get("consent_lawyers", "").strip().lower()
    if consent not in _TRUE | _FALSE:
        errors.append(RowError(line, "consent_lawyers", _("yes or no")))
    out["consent_lawyers"] = consent in _TRUE
    return out


def check_import(content: bytes, filename: str) -> list[dict[str, Any]]:
    """Every row of an import file, checked and parsed, without writing anything (the web
    import's preview); raises `ImportFailed` with every row error in the active language."""
    try:
        rows = _read_rows(content, filename)
    except ReaderError as exc:  # not a table: one error about the whole file
        raise ImportFailed([RowError(0, "", str(exc))]) from exc
    except (csv.Error, ValueError) as exc:  # e.g. the delimiter cannot be told
        raise ImportFailed(
            [RowError(1, "", _("%(file)s: cannot read the file") % {"file": filename})]
        ) from exc
    if not rows:
        raise ImportFailed([RowError(1, "", _("the file is empty"))])
    header = [h.strip().lower() for h in rows[0]]
    errors: list[RowError] = []
    for column in _REQUIRED:
        if column not in header:
            errors.append(RowError(1, column, _("missing column")))
    unknown = [h for h in header if h and h not in IMPORT_COLUMNS]
    errors.extend(RowError(1, h, _("unknown column")) for h in unknown)
    if errors:
        raise ImportFailed(errors)

    parsed: list[dict[str, Any]] = []
    seen_phones: dict[str, int] = {}
    for index, raw in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in raw):
            continue
        row = {header[i]: (raw[i] if i < len(raw) else "") for i in range(len(header))}
        data = _parse_row(index, row, errors)
        digest = crypto.phone_hash(data.get("phone", ""))
        if digest:
            if digest in seen_phones:
                errors.append(
                    RowError(
                        index,
                        "phone",
                        _("same phone as line %(line)s") % {"line": seen_phones[digest]},
                    )
                )
            elif Observer.objects.filter(phone_hash=digest).exists():
                errors.append(RowError(index, "phone", _("already registered")))
            seen_phones.setdefault(digest, index)
        parsed.append(data)
    if not parsed:
        errors.append(RowError(1, "", _("the file has no observers")))
    if errors:
        raise ImportFailed(errors)
    return parsed


def import_observers(
    *, organisation: Organisation, content: bytes, filename: str, actor=None
) -> list[Observer]:
    """Import observers from CSV or XLSX; every row is checked first and nothing is written
    unless all rows are valid (raises `ImportFailed` with every row error otherwise)."""
    authorize(actor, organisation_id=organisation.pk)
    parsed = check_import(content, filename)
    with transaction.atomic():
        observers = [create_observer(organisation=organisation, actor=actor, **d) for d in parsed]
        record_audit(
            action="observer.import",
            obj=organisation,
            actor=actor,
            after={"file": filename, "rows": len(observers)},
        )
    return observers


# --- placement in bulk ----------------------------------------------------------------------------


@transaction.atomic
def assign_many(
    *, pairs: list[tuple[Observer, AdminUnit]], shift: str, actor=None
) -> list[Assignment]:
    """Place every (observer, station) pair for one shift, or none: a pair the actor may not make,
    or an observer already placed for the shift, refuses the whole batch (ServiceError listing
    each)."""
    if shift not in Shift.values:
        raise ServiceError(_("Choose a shift."))
    if not pairs:
        raise ServiceError(_("Nobody to place."))
    problems: list[str] = []
    busy = set(
        Assignment.objects.filter(
            shift=shift,
            observer__in=[o for o, _s in pairs],
            election_id__in={s.election_id for _o, s in pairs},
        ).values_list("observer_id", "election_id")
    )
    seen: set[tuple[int, int]] = set()
    for observer, station in pairs:
        authorize(actor, organisation_id=observer.organisation_id, station=station)
        key = (observer.pk, station.election_id)
        if key in busy or key in seen:
            problems.append(
                _("%(observer)s is already placed for this shift") % {"observer": observer}
            )
        seen.add(key)
    if problems:
        raise ServiceError("; ".join(problems))
    return [assign_observer(observer=o, station=s, shift=shift, actor=actor) for o, s in pairs]


def spread(
    observers: list[Observer], stations: list[AdminUnit]
) -> list[tuple[Observer, AdminUnit]]:
    """Observers over stations in turn (one each, then a second each, ...), so that every station
    has someone before any has two."""
    if not stations:
        return []
    return [(o, stations[i % len(stations)]) for i, o in enumerate(observers)]


@transaction.atomic
def set_targets(*, stations: list[AdminUnit], observers: int, shift: str = "", actor=None) -> int:
    """One target for many stations (a district at once); returns how many were set."""
    for station in stations:
        set_station_target(station=station, observers=observers, shift=shift, actor=actor)
    return len(stations)
