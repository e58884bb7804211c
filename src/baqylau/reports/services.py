"""Election-day reports from every channel: validate, then write the envelope with its verdict.

Every report, from every channel (API, web app, SMS, bots), goes the same way:

1. the raw envelope (`Submission`: the sender's data exactly as received, plus a manifest of the
   attached files) is built, and its files are written durably to the evidence store;
2. the data is parsed and validated (`parse_*`), all problems collected with kk/ru/en messages;
3. the envelope is written together with either the typed record (`CheckIn`, `ChecklistAnswer`s,
   `TurnoutCount`, `Incident`, `Note`) or a `Rejection` with the reasons, an `AuditEvent` and the
   envelope's ledger entry, in one transaction (`writer`, batched with concurrent reports). Only
   then is the sender answered. Nothing received is ever dropped.

Stored payload of an API/web report: ``{"report": kind, "data": {...}, "attachments": [...]}``;
of an SMS: ``{"sms": text, "sender_hash": keyed hash of the phone}`` (see `sms.py`).
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import threading
import time
from collections.abc import Iterable
from typing import Any

from django.utils import timezone

from baqylau.elections.models import AdminUnit, Election
from baqylau.errors import database_unavailable
from baqylau.evidence.models import MediaFile
from baqylau.i18n import in_all_languages
from baqylau.intake import writer
from baqylau.intake.models import Submission
from baqylau.intake.outcome import Invalid, Outcome, Problem
from baqylau.intake.parsing import resolve_station, station_code, to_count
from baqylau.intake.services import manifest, new_submission, prepare_files
from baqylau.observers.models import Assignment, Observer
from baqylau.observers.selectors import observer_placements
from baqylau.observers.services import snapshot
from baqylau.reports import forms
from baqylau.reports.models import (
    CheckIn,
    ChecklistAnswer,
    Incident,
    Note,
    TurnoutCount,
    ViolationType,
)

logger = logging.getLogger(__name__)

REPORT_KINDS = ("checkin", "turnout", "incident", "checklist", "note")
SUBMISSION_KIND = {
    "checkin": Submission.Kind.CHECKIN,
    "turnout": Submission.Kind.TURNOUT,
    "incident": Submission.Kind.INCIDENT,
    "checklist": Submission.Kind.CHECKLIST,
    "note": Submission.Kind.NOTE,
}


# --- shared validation ----------------------------------------------------------------------------


def observer_elections(observer: Observer) -> list[Election]:
    ids = Assignment.objects.filter(observer=observer).values("election_id")
    return list(Election.objects.filter(id__in=ids).order_by("-date"))


def resolve_election(observer: Observer, code: str | None) -> Election:
    elections = observer_elections(observer)
    if code:
        for election in elections:
            if election.code == code:
                return election
        raise Invalid([Problem("no_election", "election")])
    if not elections:
        raise Invalid([Problem("no_election", "election")])
    today = timezone.localdate()
    for election in elections:
        if election.date == today:
            return election
    return elections[0]


def observer_station(
    election: Election, observer: Observer, data: dict[str, Any], placed_at=None
) -> AdminUnit:
    """The station a report names (its id, path or number), among the observer's own in the
    election, or among ``placed_at`` when given (`intake.access.Recorder`)."""
    placed = {s.pk for e, s in observer_placements(observer) if e.pk == election.pk}
    if placed_at is not None:
        placed &= set(placed_at)
    named = {k: data.get(k) for k in ("station_id", "station") if data.get(k) not in (None, "")}
    return resolve_station(election, named or {"station": ""}, placed_at=placed)


_TIME = re.compile(r"^(?P<h>\d{1,2})[:.]?(?P<m>\d{2})$")


def parse_time(
    value: Any, election: Election, default: dt.datetime, name: str = "at"
) -> dt.datetime:
    """`HH:MM`/`HHMM` on the election day, or an ISO datetime that must fall on it."""
    tz = election.zone  # "13:00" is 13:00 where the election is held, not on the server
    if value in (None, ""):
        when = default
    elif isinstance(value, str) and (m := _TIME.match(value.strip())):
        hour, minute = int(m["h"]), int(m["m"])
        if hour > 23 or minute > 59:
            raise Invalid([Problem("bad_time", name, {"value": value})])
        return timezone.make_aware(dt.datetime.combine(election.date, dt.time(hour, minute)), tz)
    else:
        try:
            when = dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
        except ValueError:
            raise Invalid([Problem("bad_time", name, {"value": value})]) from None
        if timezone.is_naive(when):
            when = timezone.make_aware(when, tz)
    local = timezone.localtime(when, tz)
    # The count may run past midnight: the election day plus the following morning (to 06:00).
    next_morning = local.date() == election.date + dt.timedelta(days=1) and local.hour < 6
    if local.date() != election.date and not next_morning:
        raise Invalid(
            [
                Problem(
                    "outside_election_day",
                    name,
                    {"time": local.strftime("%Y-%m-%d %H:%M"), "date": election.date.isoformat()},
                )
            ]
        )
    return when


def parse_count(value: Any, name: str, station: AdminUnit, problems: list[Problem], required=True):
    """A count (`intake.parsing.to_count`) that a station can hold (not above its voter list)."""
    number, problem = to_count(value, name)
    if problem is not None:
        problems.append(problem)
        return None
    if number is None:
        if required:
            problems.append(Problem("missing_field", name, {"field": name}))
        return None
    if station.registered_voters is not None and number > station.registered_voters:
        problems.append(
            Problem(
                "above_registered",
                name,
                {"field": name, "value": number, "registered": station.registered_voters},
            )
        )
        return None
    return number


def placement(observer: Observer, data: Any) -> tuple[Election, AdminUnit] | None:
    """Fast path: the observer's own placement matching the election code and the station (its
    id, or its path or number). None when it does not settle it (no election code, no or several
    matching stations): the detailed checks then find the place or the right problem."""
    if not isinstance(data, dict) or not isinstance(data.get("election"), str):
        return None
    station_id = data.get("station_id")
    code = station_code(data.get("station"))
    if not code and not isinstance(station_id, int):
        return None
    matches = {
        station.pk: (election, station)
        for election, station in observer_placements(observer)
        if election.code == data["election"]
        and (
            station.pk == station_id
            if isinstance(station_id, int) and not isinstance(station_id, bool)
            else code in (station.path, station.code)
        )
    }
    return next(iter(matches.values())) if len(matches) == 1 else None


def _common(
    observer: Observer, data: dict[str, Any], submission: Submission | None = None
) -> tuple[Election, AdminUnit]:
    placed = getattr(submission, "_placed_at", None)
    found = getattr(submission, "_placement", None) or placement(observer, data)
    if found is None:
        election = resolve_election(observer, data.get("election"))
        found = (election, observer_station(election, observer, data, placed_at=placed))
    if placed is not None and found[1].pk not in placed:
        raise Invalid([Problem("not_assigned", "station", {"station": found[1].code})])
    return found


def _base(submission: Submission, observer: Observer, election, station) -> dict[str, Any]:
    return {
        "submission": submission,
        "observer": observer,
        "election": election,
        "station": station,
        "received_at": submission.received_at,
    }


# --- the parsers: data → record (or Invalid) ------------------------------------------------------


def parse_checkin(submission: Submission, observer: Observer, data: dict) -> CheckIn:
    election, station = _common(observer, data, submission)
    status = str(data.get("status") or "").strip().lower()
    reason = str(data.get("reason") or "").strip()
    if status == "out":  # the SMS form: not admitted, or removed after being admitted
        admitted_before = CheckIn.objects.filter(
            observer=observer, station=station, status=CheckIn.Status.ADMITTED
        ).exists()
        status = CheckIn.Status.REMOVED if admitted_before else CheckIn.Status.NOT_ADMITTED
    elif status == "in":
        status = CheckIn.Status.ADMITTED
    problems = []
    if status not in CheckIn.Status.values:
        problems.append(
            Problem(
                "unknown_status",
                "status",
                {"value": status, "allowed": ", ".join(CheckIn.Status.values)},
            )
        )
    elif status in (CheckIn.Status.NOT_ADMITTED, CheckIn.Status.REMOVED) and not reason:
        problems.append(Problem("reason_required", "reason"))
    at = parse_time(data.get("at"), election, submission.received_at)
    if problems:
        raise Invalid(problems)
    return CheckIn(
        **_base(submission, observer, election, station), status=status, reason=reason, at=at
    )


def parse_turnout(submission: Submission, observer: Observer, data: dict) -> TurnoutCount:
    election, station = _common(observer, data, submission)
    problems: list[Problem] = []
    at = None
    try:
        at = parse_time(data.get("at"), election, submission.received_at)
    except Invalid as exc:
        problems += exc.problems
    count = parse_count(data.get("count"), "count", station, problems)
    commission = parse_count(
        data.get("commission_count"), "commission_count", station, problems, required=False
    )
    if problems:
        raise Invalid(problems)
    return TurnoutCount(
        **_base(submission, observer, election, station),
        at=at,
        observer_count=count,
        commission_count=commission,
    )


#: The active violation catalogue by lower-cased code, reloaded after `CATALOGUE_TTL` seconds or
#: when a violation type is saved or deleted (`clear_caches`).
CATALOGUE_TTL = 30.0
_catalogue: dict[str, Any] = {"at": None, "by_code": {}}
_catalogue_lock = threading.Lock()


def clear_caches(**_kwargs) -> None:
    _catalogue["at"] = None


def violation_by_code(code: str) -> ViolationType | None:
    key = code.strip().lower()
    now = time.monotonic()
    at = _catalogue["at"]
    if at is None or now - at > CATALOGUE_TTL:
        with _catalogue_lock:
            by_code = {v.code.lower(): v for v in ViolationType.objects.filter(active=True)}
            _catalogue["by_code"], _catalogue["at"] = by_code, now
    found = _catalogue["by_code"].get(key)
    if found is None:  # never trust a miss: a type may have been added a moment ago
        found = ViolationType.objects.filter(code__iexact=code.strip(), active=True).first()
    return found


def parse_incident(submission: Submission, observer: Observer, data: dict) -> Incident:
    election, station = _common(observer, data, submission)
    problems: list[Problem] = []
    code = str(data.get("violation") or "").strip()
    violation = violation_by_code(code) if code else None
    if not code:
        problems.append(Problem("missing_field", "violation", {"field": "violation"}))
    elif violation is None:
        examples = ", ".join(
            ViolationType.objects.filter(active=True).values_list("code", flat=True)[:5]
        )
        problems.append(
            Problem("unknown_violation", "violation", {"code": code, "examples": examples})
        )
    at = None
    try:
        at = parse_time(data.get("at"), election, submission.received_at)
    except Invalid as exc:
        problems += exc.problems
    if problems:
        raise Invalid(problems)
    return Incident(
        **_base(submission, observer, election, station),
        violation=violation,
        occurred_at=at,
        text=str(data.get("text") or "").strip(),
    )


_YES = {True, "1", "yes", "y", "true", "да", "иә", "ия", "+"}
_NO = {False, "0", "no", "n", "false", "нет", "жоқ", "-"}


def parse_checklist(
    submission: Submission, observer: Observer, data: dict
) -> list[ChecklistAnswer]:
    election, station = _common(observer, data, submission)
    code = str(data.get("form") or "opening")
    if code not in forms.checklist_codes():
        raise Invalid([Problem("unknown_form", "form", {"form": code})])
    form = forms.load_form(code, data.get("form_version"))
    questions = [q["code"] for q in form["questions"]]
    answers = data.get("answers")
    if not isinstance(answers, dict):
        raise Invalid([Problem("missing_field", "answers", {"field": "answers"})])
    problems = []
    parsed: dict[str, bool] = {}
    for question, value in answers.items():
        if question not in questions:
            problems.append(
                Problem("unknown_question", f"answers.{question}", {"question": question})
            )
            continue
        key = value.strip().lower() if isinstance(value, str) else value
        if key in _YES:
            parsed[question] = True
        elif key in _NO:
            parsed[question] = False
        else:
            problems.append(Problem("not_boolean", f"answers.{question}", {"question": question}))
    missing = [q for q in questions if q not in answers]
    if missing:
        problems.append(Problem("missing_answers", "answers", {"questions": ", ".join(missing)}))
    if problems:
        raise Invalid(problems)
    base = _base(submission, observer, election, station)
    return [
        ChecklistAnswer(
            **base, form=code, form_version=form["version"], question=q, answer=parsed[q]
        )
        for q in questions
    ]


def parse_note(submission: Submission, observer: Observer, data: dict) -> Note:
    election, station = _common(observer, data, submission)
    text = str(data.get("text") or "").strip()
    if not text:
        raise Invalid([Problem("empty_text", "text")])
    return Note(**_base(submission, observer, election, station), text=text)


PARSERS = {
    "checkin": parse_checkin,
    "turnout": parse_turnout,
    "incident": parse_incident,
    "checklist": parse_checklist,
    "note": parse_note,
}


def _ack(kind: str, record: Any, lang: str) -> tuple[str, dict[str, Any]]:
    first = record[0] if isinstance(record, list) else record
    station = first.station.code
    zone = first.station.election.zone
    if kind == "checkin":
        status = in_all_languages(type(first).Status(first.status).label)
        return "ok_checkin", {"station": station, "status": status}
    if kind == "turnout":
        at = timezone.localtime(first.at, zone).strftime("%H:%M")
        return "ok_turnout", {"station": station, "time": at, "count": first.observer_count}
    if kind == "incident":
        at = timezone.localtime(first.occurred_at, zone).strftime("%H:%M")
        return "ok_incident", {
            "station": station,
            "violation": first.violation.names,
            "time": at,
            "ref": first.pk,
        }
    if kind == "checklist":
        return "ok_checklist", {"station": station, "answers": len(record)}
    return "ok_note", {"station": station}


def _record_snapshot(kind: str, record: Any) -> dict[str, Any]:
    if isinstance(record, list):
        return {
            "answers": {a.question: a.answer for a in record},
            "station_id": record[0].station_id,
        }
    fields = {
        "checkin": ("station_id", "status", "reason", "at"),
        "turnout": ("station_id", "at", "observer_count", "commission_count"),
        "incident": ("station_id", "violation_id", "occurred_at", "text", "moderation"),
        "note": ("station_id", "text"),
    }[kind]
    return snapshot(record, fields)


#: Follow-ups of every report batch (`intake.writer.FollowUp`), registered by the apps that
#: link reports to their own records (a mobile group's arrival and report to its dispatch).
REPORT_FOLLOW_UPS: list[writer.FollowUp] = []


def register_report_follow_up(follow_up: writer.FollowUp) -> None:
    if follow_up not in REPORT_FOLLOW_UPS:
        REPORT_FOLLOW_UPS.append(follow_up)


def plan_report(
    submission: Submission,
    *,
    kind: str,
    data: Any,
    observer: Observer,
    actor=None,
    extra_problems: Iterable[Problem] = (),
    media: Iterable[MediaFile] = (),
) -> writer.Plan:
    """Validate the data of a new envelope (`new_submission`) into what is to be written: the
    record(s), or the problems. Reads only; never raises Invalid."""
    outcome = Outcome(submission=submission, kind=kind)
    plan = writer.Plan(
        submission,
        outcome,
        media=list(media),
        actor=actor,
        actor_label=getattr(submission, "_actor_label", "") or observer.public_id,
    )
    problems = list(extra_problems)
    if not isinstance(data, dict):
        problems.append(Problem("malformed", "", {"detail": "not an object"}))
    if not problems:
        try:
            record = PARSERS[kind](submission, observer, data)
        except Invalid as exc:
            problems = exc.problems
        except Exception as exc:  # a bug must not lose the report: it is stored, rejected
            if database_unavailable(exc):
                raise  # not the report's fault: the sender is told to retry (503)
            logger.exception("report %s could not be validated", submission.pk)
            problems = [Problem("internal_error")]
        else:
            plan.record = record
            plan.follow_ups = (*plan.follow_ups, *REPORT_FOLLOW_UPS)
            if submission.election_id is None:
                submission.election = plan.records[0].election
            plan.audit_action = f"report.{kind}.create"
            plan.audit_after = _record_snapshot(kind, record)
    outcome.problems = problems
    return plan


def process(
    submission: Submission, *, kind: str, data: Any, observer: Observer, **kwargs
) -> Outcome:
    """Validate a new envelope's data (`plan_report`, same arguments), then store the envelope
    with its record or its problems (see the module docstring). A duplicate of an accepted
    report is stored as rejected, with `duplicate_of` set."""
    plan = writer.write(plan_report(submission, kind=kind, data=data, observer=observer, **kwargs))
    outcome = plan.outcome
    if outcome.duplicate_of is not None:  # the same report again: answer with the first record
        from baqylau.reports.selectors import MODELS

        found = MODELS[kind].objects.filter(submission=outcome.duplicate_of).order_by("pk")
        outcome.record = list(found) if kind == "checklist" else found.first()
    if outcome.record is not None:
        outcome.ack = _ack(kind, outcome.record, submission.language)
    return outcome


def submit_report(
    *,
    kind: str,
    data: Any,
    observer: Observer,
    channel: str,
    user=None,
    language: str = "ru",
    files: Iterable[tuple[bytes, str]] = (),
    placed_at=None,
    actor_label: str = "",
) -> Outcome:
    """Receive one report from the API, the web app or a bot (see the module docstring).
    ``placed_at`` narrows the stations allowed (staff entering on the observer's behalf)."""
    files = list(files)
    payload = {"report": kind, "data": data, "attachments": manifest(files)}
    # Where the report comes from, when the observer's own placements settle it: the envelope
    # carries its election and the parser does not look the station up again.
    found = placement(observer, data)
    submission = new_submission(
        kind=SUBMISSION_KIND[kind],
        channel=channel,
        payload=payload,
        sender=observer.public_id,
        user=user,
        language=language,
        election=found[0] if found else None,
    )
    submission._placement = found
    submission._placed_at = placed_at
    submission._actor_label = actor_label
    media, file_problems = prepare_files(submission, files) if files else ([], [])
    return process(
        submission,
        kind=kind,
        data=data,
        observer=observer,
        actor=user,
        extra_problems=file_problems,
        media=media,
    )
