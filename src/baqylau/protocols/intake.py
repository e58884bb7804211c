"""Intake of protocol copies from every channel (API, observer app, bot, SMS, import): the sender's
data parsed and checked into a `ProtocolCopy` with its lines and votes, written with its envelope
by the one writer (`intake.writer`), then counted by the tally's background recount.

The sender's object::

    {"election": "kz-2021-mazhilis",          # code; optional when station_id is given
     "contest": "party-list",                 # code; optional when the election has one contest
     "station_id": 42 | "station_path": "KZ/10/1003/237" | "station": "237",
     "lines": {"L1": 2170, "L2": "1 896", …},  # figures by the form's line codes
     "votes": {"nur-otan": 12994, …}}          # votes by choice code

Stored payload: ``{"data": <that object, or the raw text when it was not JSON>, "attachments":
[manifest of the photos]}``. Where the copy comes from (`ProtocolCopy.source`) is set by the
channel from the sender's credential, never from the data.

The same figures for the same station from the same sender are the same copy, whenever they are
sent again (with or without photos): the resend is kept as a duplicate envelope and answered
with the first copy's receipt, so a copy is never counted twice.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from baqylau.elections.models import AdminUnit, Choice, Contest, Election
from baqylau.errors import database_unavailable
from baqylau.evidence import ledger
from baqylau.intake import writer
from baqylau.intake.models import Submission
from baqylau.intake.outcome import Invalid, Outcome, Problem
from baqylau.intake.parsing import read_json, resolve_station, to_count
from baqylau.intake.services import File, manifest, new_submission, prepare_files
from baqylau.protocols.engine import ProtocolForm, load_form
from baqylau.protocols.models import CopyLine, CopyVote, ProtocolCopy
from baqylau.protocols.services import protocol_check
from baqylau.tally.services import stations_changed

logger = logging.getLogger(__name__)


@dataclass
class ParsedProtocol:
    election: Election
    contest: Contest
    station: AdminUnit
    form: ProtocolForm
    lines: dict[str, int | None]
    votes: dict[Choice, int | None]


def _known(values: Iterable[str]) -> str:
    return ", ".join(values) or "—"


def find_election(election: Election | None, data: Any) -> Election:
    """The election a protocol is for: given by the channel, or named in the data (its code, or
    the station's id). Raises `Invalid`."""
    if election is not None:
        return election
    if not isinstance(data, Mapping):
        raise Invalid([Problem("not_an_object", "data")])
    code = data.get("election")
    if code not in (None, ""):
        found = Election.objects.filter(code=str(code)[:100]).first()
        if found is None:
            raise Invalid([Problem("unknown_election", "election", {"value": str(code)[:100]})])
        return found
    station_id = data.get("station_id")
    if isinstance(station_id, int) and not isinstance(station_id, bool) and 0 < station_id < 2**62:
        unit = AdminUnit.objects.select_related("election").filter(pk=station_id).first()
        if unit is not None:
            return unit.election
        raise Invalid([Problem("unknown_station", "station_id", {"station": station_id})])
    raise Invalid([Problem("election_required", "election")])


def _contest(election: Election, data: Mapping[str, Any]) -> Contest:
    contests = list(election.contests.order_by("code"))
    known = _known(c.code for c in contests)
    code = data.get("contest")
    if code in (None, ""):
        if len(contests) == 1:
            return contests[0]
        raise Invalid([Problem("contest_required", "contest", {"known": known})])
    for contest in contests:
        if contest.code == str(code):
            return contest
    raise Invalid(
        [Problem("unknown_contest", "contest", {"value": str(code)[:100], "known": known})]
    )


def _figures(
    raw: Any, known: Mapping[str, Any], field: str, name_of, unknown_code: str
) -> tuple[dict[Any, int | None], list[Problem]]:
    """Figures by code (line codes, or choice codes) into {key: count}, with every problem."""
    problems: list[Problem] = []
    values: dict[Any, int | None] = {}
    if not isinstance(raw, Mapping):
        return values, [Problem("not_a_mapping", field, {"field": field})]
    for code, value in raw.items():
        key = known.get(str(code).strip())
        if key is None:
            problems.append(
                Problem(
                    unknown_code,
                    f"{field}.{str(code)[:40]}",
                    {"value": str(code)[:40], "known": _known(known)},
                )
            )
            continue
        number, problem = to_count(value, name_of(key))
        if problem is not None:
            problems.append(problem)
        values[key] = number
    return values, problems


def parse_protocol(
    election: Election | None, data: Any, *, placed_at: Collection[int] | None = None
) -> ParsedProtocol:
    """Turn the sender's object into typed figures, or raise `Invalid` with everything that is
    wrong with it. ``placed_at``: the sender's own stations (an observer), see `resolve_station`."""
    election = find_election(election, data)
    if not isinstance(data, Mapping):
        raise Invalid([Problem("not_an_object", "data")])
    problems: list[Problem] = []
    contest = station = None
    try:
        contest = _contest(election, data)
    except Invalid as exc:
        problems += exc.problems
    try:
        station = resolve_station(election, data, placed_at=placed_at)
    except Invalid as exc:
        problems += exc.problems
    if contest is None:
        raise Invalid(problems)
    try:
        form = load_form(contest.protocol_form, contest.protocol_form_version)
    except LookupError:
        logger.exception("protocol form of contest %s is not available", contest.pk)
        raise Invalid(
            [*problems, Problem("form_unavailable", "contest", {"value": contest.protocol_form})]
        ) from None
    raw_lines = data.get("lines", data.get("figures"))
    if raw_lines is None:
        problems.append(Problem("lines_required", "lines"))
        lines: dict[Any, int | None] = {}
    else:
        line_codes = {code: code for code in form.line_codes}
        lines, found = _figures(raw_lines, line_codes, "lines", str, "unknown_line")
        problems += found
    choices = {choice.code: choice for choice in contest.choices.all()}
    votes, found = _figures(
        data.get("votes", {}),
        choices,
        "votes",
        lambda choice: choice.localized_name or choice.code,
        "unknown_choice",
    )
    problems += found
    for choice in choices.values():
        votes.setdefault(choice, None)
    if problems or station is None:
        raise Invalid(problems)
    return ParsedProtocol(election, contest, station, form, lines, votes)


def content_key(parsed: ParsedProtocol) -> str:
    """What makes two copies of one sender the same copy: the station, the contest and the
    figures (not the photos, nor the spelling of the numbers)."""
    return ledger.content_hash(
        {
            "contest": parsed.contest.pk,
            "station": parsed.station.pk,
            "lines": {k: v for k, v in parsed.lines.items() if v is not None},
            "votes": {c.code: v for c, v in parsed.votes.items() if v is not None},
        }
    )


def plan_copy(
    submission: Submission,
    parsed: ParsedProtocol,
    *,
    source: str,
    actor=None,
    media: list = (),
    extra_problems: list[Problem] = (),
    pages: int | None = None,
) -> writer.Plan:
    """The writes of one checked copy: the copy with its lines and votes, or the problems.
    ``pages``: the pages photographed, when they are not the plan's own files (an import)."""
    outcome = Outcome(submission=submission, kind="protocol", problems=list(extra_problems))
    plan = writer.Plan(
        submission,
        outcome,
        media=list(media),
        actor=actor,
        actor_label=submission.sender,
        dedupe_key=content_key(parsed),
        dedupe_window=None,
        follow_ups=(stations_changed,),
    )
    if outcome.problems:
        return plan
    if pages is None:
        pages = len({m.page for m in plan.media if m.page is not None})
    result = protocol_check(
        contest=parsed.contest,
        station=parsed.station,
        form=parsed.form,
        lines=parsed.lines,
        votes=parsed.votes,
        pages_received=pages,
    )
    copy = ProtocolCopy(
        submission=submission,
        contest=parsed.contest,
        station=parsed.station,
        source=source,
        source_ref=submission.sender[:128],
        received_at=submission.received_at,
        pages_received=pages,
        checks=str(result.status),
        findings=result.as_dict()["findings"],
        moderation=ProtocolCopy.Moderation.PENDING,
    )
    plan.record = copy
    plan.children = [
        CopyLine(copy=copy, line=code, value=value)
        for code, value in parsed.lines.items()
        if value is not None
    ] + [
        CopyVote(copy=copy, choice=choice, votes=value)
        for choice, value in parsed.votes.items()
        if value is not None
    ]
    submission.election = parsed.election
    plan.audit_action = "protocol.copy.create"
    plan.audit_after = {
        "station_id": parsed.station.pk,
        "contest_id": parsed.contest.pk,
        "checks": copy.checks,
        "lines": {k: v for k, v in parsed.lines.items() if v is not None},
        "votes": {c.code: v for c, v in parsed.votes.items() if v is not None},
    }
    return plan


def _read(payload: Mapping[str, Any] | str | bytes) -> tuple[Any, Problem | None]:
    """The sender's object from JSON text (or as given); what was received when it cannot be
    read (`intake.parsing.read_json`)."""
    if not isinstance(payload, bytes | str):
        return payload, None
    return read_json(payload)


def submit_protocol_copy(
    *,
    channel: str,
    sender: str,
    source: str,
    payload: Mapping[str, Any] | str | bytes,
    photos: Iterable[File] = (),
    user=None,
    language: str = "ru",
    election: Election | None = None,
    placed_at: Collection[int] | None = None,
    envelope_extra: Mapping[str, Any] | None = None,
    actor_label: str = "",
) -> Outcome:
    """Receive one protocol copy: store its envelope and photos with the checked copy (or the
    reasons it is not one) in one transaction, and answer. The tally counts it in the background.

    ``photos`` are ``(bytes, content type)`` or ``(bytes, content type, page)`` (the page defaults
    to the photo's position, 1-based); ``source`` and ``placed_at`` come from the sender's
    credential (see the module docstring).
    """
    photos = [
        (item[0], item[1], item[2] if len(item) > 2 else number)
        for number, item in enumerate(photos, start=1)
    ]
    data, unreadable = _read(payload)
    with contextlib.suppress(Invalid):  # said again, with the rest, below; the envelope is
        election = find_election(election, data)  # then filed without an election
    submission = new_submission(
        kind=Submission.Kind.PROTOCOL,
        channel=channel,
        payload={"data": data, "attachments": manifest(photos), **(envelope_extra or {})},
        sender=sender,
        user=user,
        language=language,
        election=election,
    )
    media, file_problems = prepare_files(submission, photos)
    if unreadable is not None:
        problems = [unreadable, *file_problems]
    else:
        try:
            parsed = parse_protocol(election, data, placed_at=placed_at)
        except Invalid as exc:
            problems = [*exc.problems, *file_problems]
        except Exception as exc:  # a bug must not lose the copy: it is stored, rejected
            if database_unavailable(exc):
                raise  # not the copy's fault: the sender is told to retry (503)
            logger.exception("protocol %s could not be parsed", submission.pk)
            problems = [Problem("internal_error")]
        else:
            try:
                plan = plan_copy(
                    submission,
                    parsed,
                    source=source,
                    actor=user,
                    media=media,
                    extra_problems=file_problems,
                )
            except Exception as exc:  # the checks crashed: same rule
                if database_unavailable(exc):
                    raise
                logger.exception("protocol %s could not be checked", submission.pk)
                problems = [Problem("internal_error")]
            else:
                return _answer(writer.write(plan))
    plan = writer.Plan(
        submission, Outcome(submission, "protocol", problems=problems), media=media, actor=user
    )
    return _answer(writer.write(plan))


def _answer(plan: writer.Plan) -> Outcome:
    outcome = plan.outcome
    copy = outcome.record
    if outcome.duplicate_of is not None:
        copy = ProtocolCopy.objects.filter(submission=outcome.duplicate_of).first()
        outcome.record = copy
    if copy is not None:
        code = "ok_protocol" if copy.checks == ProtocolCopy.Checks.PASSED else "ok_protocol_failed"
        outcome.ack = (code, {"station": copy.station.code, "ref": copy.pk})
    return outcome
