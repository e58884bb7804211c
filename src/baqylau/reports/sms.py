"""Coded SMS: parse, store, process and reply in the observer's language.

Grammar (case-insensitive; Cyrillic look-alike command letters are accepted: Т С Р В):

    T <station> <HHMM> <count> [<commission figure>]    turnout count    T 237 1030 412
    V <station> <violation code> [<HHMM>] [text…]       violation        V 237 stuffing 1415 two ballots
    C <station> IN                                      checked in, admitted
    C <station> OUT [reason…]                           not admitted (or removed, after IN)
    P <station> [<contest>] L1=2170 L2=1896 … 1=58 2=12994 …
                                                        protocol: lines, and votes by ballot number
    N <station> text…                                   free text

The sender is found by the keyed hash of the normalised phone number. Anti-abuse (after NEMO):
the same text from the same phone within `intake.writer.REPORT_DUPLICATE_WINDOW` is answered
"already received" (a protocol with the same figures, ever);
after `LOCKOUT_THRESHOLD` unreadable messages (or messages from an unknown number) within
`LOCKOUT_WINDOW`, the number is locked for `LOCKOUT_FOR` — its messages are still stored, but not
answered, so spam cannot make us pay for replies.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.utils import timezone

from baqylau.intake.messages import render
from baqylau.intake.models import Rejection, Submission
from baqylau.intake.outcome import Invalid, Problem
from baqylau.intake.services import new_submission, store_rejected
from baqylau.observers import crypto
from baqylau.observers.models import Observer
from baqylau.observers.services import observer_by_phone
from baqylau.protocols.intake import submit_protocol_copy
from baqylau.protocols.models import ProtocolCopy
from baqylau.reports import services

GARBAGE_CODES = ("unknown_command", "unknown_sender", "sms_format", "protocol_line", "malformed")
LOCKOUT_THRESHOLD = 5
LOCKOUT_WINDOW = dt.timedelta(minutes=30)
LOCKOUT_FOR = dt.timedelta(hours=1)

_LOOKALIKE = str.maketrans(
    {
        "Т": "T",
        "С": "C",
        "Р": "P",
        "В": "V",
        "Н": "N",
        "т": "T",
        "с": "C",
        "р": "P",
        "в": "V",
        "н": "N",
    }
)
COMMANDS = {"T": "turnout", "V": "incident", "C": "checkin", "P": "protocol", "N": "note"}
FORMATS = {
    "turnout": "T <station> <HHMM> <count> [<commission>]",
    "incident": "V <station> <code> [<HHMM>] [text]",
    "checkin": "C <station> IN | C <station> OUT <reason>",
    "protocol": "P <station> L1=2170 L2=1896 ... 1=58 2=12994 ...",
    "note": "N <station> text",
}
_HHMM = re.compile(r"^\d{1,2}[:.]?\d{2}$")


@dataclass
class Parsed:
    kind: str
    data: dict[str, Any] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)


def parse(text: str) -> Parsed:
    """Text → report kind and data (the same data the API takes), or problems."""
    tokens = (text or "").strip().split()
    if not tokens:
        return Parsed("other", problems=[Problem("unknown_command")])
    command = tokens[0].translate(_LOOKALIKE).upper()
    kind = COMMANDS.get(command)
    if kind is None:
        return Parsed("other", problems=[Problem("unknown_command")])
    fmt = Problem("sms_format", "", {"format": FORMATS[kind]})
    if len(tokens) < 2:
        return Parsed(kind, problems=[fmt])
    station, rest = tokens[1], tokens[2:]
    data: dict[str, Any] = {"station": station}
    if kind == "turnout":
        if len(rest) not in (2, 3) or not _HHMM.match(rest[0]):
            return Parsed(kind, problems=[fmt])
        data |= {"at": rest[0], "count": rest[1]}
        if len(rest) == 3:
            data["commission_count"] = rest[2]
    elif kind == "incident":
        if not rest:
            return Parsed(kind, problems=[fmt])
        data["violation"] = rest[0]
        words = rest[1:]
        if words and _HHMM.match(words[0]):
            data["at"], words = words[0], words[1:]
        data["text"] = " ".join(words)
    elif kind == "checkin":
        if not rest or rest[0].upper() not in ("IN", "OUT"):
            return Parsed(kind, problems=[fmt])
        data["status"] = rest[0].lower()
        data["reason"] = " ".join(rest[1:])
    elif kind == "note":
        data["text"] = " ".join(rest)
    elif kind == "protocol":
        lines, votes, problems = {}, {}, []
        for item in rest:
            if "=" not in item:
                if "contest" not in data and not lines and not votes:
                    data["contest"] = item
                    continue
                problems.append(Problem("protocol_line", "", {"item": item}))
                continue
            key, _, value = item.partition("=")
            key = key.strip().upper()
            if key.startswith("L"):
                lines[key] = value
            elif key.isdigit():
                votes[int(key)] = value
            else:
                problems.append(Problem("protocol_line", "", {"item": item}))
        if not lines and not problems:
            problems.append(fmt)
        data |= {"lines": lines, "votes_by_number": votes}
        return Parsed(kind, data, problems)
    return Parsed(kind, data)


def _locked_until(sender: str, now: dt.datetime) -> dt.datetime | None:
    """When a sender's lockout ends, or None. Counted from stored rejections: no extra state."""
    since = now - LOCKOUT_WINDOW - LOCKOUT_FOR
    times = list(
        Rejection.objects.filter(
            submission__sender=sender,
            submission__channel=Submission.Channel.SMS,
            submission__received_at__gte=since,
            code__in=GARBAGE_CODES,
        )
        .order_by("submission__received_at")
        .values_list("submission__received_at", flat=True)
    )
    for i in range(len(times) - LOCKOUT_THRESHOLD + 1):
        window = times[i : i + LOCKOUT_THRESHOLD]
        if window[-1] - window[0] <= LOCKOUT_WINDOW and window[-1] + LOCKOUT_FOR > now:
            return window[-1] + LOCKOUT_FOR
    return None


def _protocol(observer: Observer, parsed: Parsed, text: str, lang: str) -> str:
    """Hand a coded protocol to the protocol intake (the station settled among the observer's
    own, so a number that repeats in another district is never ambiguous)."""
    try:
        election = services.resolve_election(observer, None)
        station = services.observer_station(election, observer, {"station": parsed.data["station"]})
    except Invalid as exc:
        submission = new_submission(
            kind=Submission.Kind.PROTOCOL,
            channel=Submission.Channel.SMS,
            payload={"sms": text},
            sender=observer.public_id,
            language=lang,
        )
        store_rejected(submission, exc.problems)
        return "\n".join(p.message(lang) for p in exc.problems)
    contests = list(election.contests.all())
    contest = next((c for c in contests if c.code == parsed.data.get("contest")), None)
    if contest is None and len(contests) == 1:
        contest = contests[0]
    votes = {}
    if contest is not None:
        by_number = {c.number: c.code for c in contest.choices.exclude(number__isnull=True)}
        votes = {by_number.get(n, str(n)): v for n, v in parsed.data["votes_by_number"].items()}
    outcome = submit_protocol_copy(
        election=election,
        channel=Submission.Channel.SMS,
        sender=observer.public_id,
        source=ProtocolCopy.Source.OBSERVER,
        placed_at={station.pk},
        payload={
            "station_id": station.pk,
            "contest": parsed.data.get("contest") or (contest.code if contest else ""),
            "lines": parsed.data["lines"],
            "votes": votes,
        },
        envelope_extra={"sms": text},
        language=lang,
    )
    copy = outcome.record
    findings = [f["messages"][lang] for f in copy.findings] if copy is not None else []
    return "\n".join([*outcome.messages(lang), *findings])


def receive(phone: str, text: str) -> str:
    """Handle one inbound SMS; return the reply text ('' = send nothing)."""
    now = timezone.now()
    digest = crypto.phone_hash(phone)
    observer = observer_by_phone(phone)
    sender = observer.public_id if observer else "sms:" + (digest[:32] or "invalid")
    lang = observer.language if observer else "ru"
    parsed = parse(text)

    if _locked_until(sender, now) is not None:
        submission = new_submission(
            kind=Submission.Kind.OTHER,
            channel=Submission.Channel.SMS,
            payload={"sms": text, "sender_hash": digest},
            sender=sender,
            language=lang,
        )
        store_rejected(submission, [Problem("locked_out", "", {"until": "—"})])
        return ""
    if observer is not None and parsed.kind == "protocol" and not parsed.problems:
        return _protocol(observer, parsed, text, lang)

    kind = parsed.kind if parsed.kind in services.SUBMISSION_KIND else "note"
    submission = new_submission(
        kind=services.SUBMISSION_KIND.get(parsed.kind, Submission.Kind.OTHER),
        channel=Submission.Channel.SMS,
        payload={"sms": text, "sender_hash": digest},
        sender=sender,
        language=lang,
    )
    if observer is None:
        problems = [Problem("unknown_sender")]
        store_rejected(submission, problems)
        return _reply_or_lock(sender, now, problems, lang)
    if parsed.problems:
        store_rejected(submission, parsed.problems)
        return _reply_or_lock(sender, now, parsed.problems, lang)
    outcome = services.process(submission, kind=kind, data=parsed.data, observer=observer)
    return "\n".join(outcome.messages(lang))


def _reply_or_lock(sender: str, now: dt.datetime, problems: list[Problem], lang: str) -> str:
    until = _locked_until(sender, now)
    if until is not None:
        when = timezone.localtime(until).strftime("%H:%M")
        return render("locked_out", lang, until=when)
    return "\n".join(p.message(lang) for p in problems)


def gateway_secret() -> str:
    """The shared secret gateways must send (settings or environment); '' disables the endpoint."""
    return getattr(settings, "SMS_GATEWAY_SECRET", "") or os.environ.get("SMS_GATEWAY_SECRET", "")
