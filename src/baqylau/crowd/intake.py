"""A crowd platform's per-station counts sent to the API: checked, then written through the one
intake writer (the envelope, its `CrowdCount` rows and their ledger entries in one transaction,
and the recount of the stations queued with them).

Body::

    {"election": "by2020", "contest": "president", "source": "Golos",
     "counts": [{"station": "01-010-0001", "choice": "tihanovkaja",
                 "declared": 466, "photo": 253}, ...]}

``declared``: voters registered on the platform who declared the choice (with or without a
photo); ``photo``: those who confirmed it with a ballot photo; either may be left out, not both.
Only staff allowed to import crowd counts may send them (decided from the credential). Nothing is
recorded unless every row is valid: each bad row is named, in kk/ru/en.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from baqylau.crowd.models import CrowdCount
from baqylau.elections.importing.validation import MAX_FIGURE
from baqylau.elections.models import AdminUnit, Contest, Election
from baqylau.intake import writer
from baqylau.intake.messages import render_all
from baqylau.intake.models import Submission
from baqylau.intake.outcome import Outcome, Problem
from baqylau.intake.parsing import read_json
from baqylau.intake.services import new_submission

#: Rows in one submission (a whole country's stations × choices is sent in several).
MAX_ROWS = 50_000


def may_send_crowd_counts(user) -> bool:
    """Staff allowed to import crowd counts (or an administrator)."""
    return bool(
        getattr(user, "is_authenticated", False)
        and user.is_active
        and (user.is_superuser or (user.is_staff and user.has_perm("crowd.add_crowdcount")))
    )


def submit_crowd_counts(*, user, body: bytes | str, language: str) -> Outcome:
    """Store the envelope, then record its counts or its problems (see the module docstring)."""
    data, unreadable = read_json(body)
    submission = new_submission(
        kind=Submission.Kind.CROWD_COUNT,
        channel=Submission.Channel.API,
        payload={"data": data, "attachments": []},
        sender=f"user:{user.pk}",
        user=user,
        language=language,
    )
    outcome = Outcome(submission=submission, kind=Submission.Kind.CROWD_COUNT)
    plan = writer.Plan(
        submission,
        outcome,
        actor=user,
        actor_label=user.get_username(),
        dedupe_window=None,  # the same counts sent again are the same record
        follow_ups=(_stations_changed,),
    )
    if unreadable is not None:
        outcome.problems = [unreadable]
    elif not may_send_crowd_counts(user):
        outcome.problems = [Problem("crowd_not_permitted")]
    else:
        rows, problems = _parse(submission, data)
        if problems:
            outcome.problems = problems
        else:
            plan.record = rows
            plan.audit_action = "crowd.counts.create"
            plan.audit_after = {"rows": len(rows), "source": rows[0].source}
            outcome.ack = (
                "ok_crowd_counts",
                {"n": len(rows), "stations": len({r.station_id for r in rows})},
            )
    return writer.write(plan).outcome


def _stations_changed(plans: Sequence[writer.Plan]) -> None:
    from baqylau.tally.services import mark_stations

    by_contest: dict[int, set[int]] = {}
    for plan in plans:
        for row in plan.records:
            by_contest.setdefault(row.contest_id, set()).add(row.station_id)
    for contest_id, stations in by_contest.items():
        mark_stations(contest_id, stations)


def _parse(submission: Submission, data: Any) -> tuple[list[CrowdCount], list[Problem]]:
    if not isinstance(data, dict):
        return [], [Problem("not_an_object", "")]
    contest, problems = _contest(data)
    source = data.get("source")
    if not isinstance(source, str) or not source.strip():
        problems.append(Problem("missing_field", "source", {"field": "source"}))
    counts = data.get("counts")
    if not isinstance(counts, list) or not counts:
        problems.append(Problem("counts_required", "counts"))
    elif len(counts) > MAX_ROWS:
        problems.append(Problem("too_large", "counts", {"field": "counts", "value": len(counts)}))
    if problems:
        return [], problems
    submission.election = contest.election
    choices = {c.code: c for c in contest.choices.all()}
    codes = [str(r.get("station", "")).strip() for r in counts if isinstance(r, dict)]
    stations = _stations(contest.election, codes)
    rows: list[CrowdCount] = []
    for number, row in enumerate(counts, start=1):
        found, bad = _row(row, stations, choices)
        problems += [
            Problem("in_row", p.field, {"row": number, "problem": render_all(p.code, **p.params)})
            for p in bad
        ]
        if found is not None:
            station, choice, declared, photo = found
            rows.append(
                CrowdCount(
                    contest=contest,
                    station=station,
                    choice=choice,
                    source=source.strip()[:100],
                    registered=declared,
                    photo=photo,
                    submission=submission,
                )
            )
    return ([] if problems else rows), problems


def _contest(data: dict) -> tuple[Contest | None, list[Problem]]:
    code = data.get("election")
    if not isinstance(code, str) or not code.strip():
        return None, [Problem("election_required", "election")]
    election = Election.objects.filter(code=code.strip()).first()
    if election is None:
        return None, [Problem("unknown_election", "election", {"value": code[:40]})]
    contests = list(election.contests.order_by("code"))
    wanted = data.get("contest")
    if wanted in (None, "") and len(contests) == 1:
        return contests[0], []
    if wanted in (None, ""):
        return None, [Problem("contest_required", "contest")]
    contest = next((c for c in contests if c.code == str(wanted)), None)
    if contest is None:
        known = ", ".join(c.code for c in contests)
        return None, [
            Problem("unknown_contest", "contest", {"value": str(wanted)[:40], "known": known})
        ]
    return contest, []


def _stations(election: Election, codes: list[str]) -> dict[str, AdminUnit | None]:
    """Station by code (or path); None for a code that names no station or several."""
    out: dict[str, AdminUnit | None] = {}
    wanted = sorted(set(codes))
    stations = AdminUnit.objects.filter(election=election, kind=AdminUnit.Kind.STATION)
    for start in range(0, len(wanted), 900):
        part = wanted[start : start + 900]
        for unit in stations.filter(code__in=part):
            out[unit.code] = None if unit.code in out else unit
        for unit in stations.filter(path__in=part):
            out[unit.path] = unit
    return out


def _figure(row: dict, key: str) -> tuple[int | None, Problem | None]:
    value = row.get(key)
    if value is None:
        return None, None
    if isinstance(value, bool) or not isinstance(value, int):
        return None, Problem("not_a_number", key, {"field": key, "value": str(value)[:40]})
    if value < 0:
        return None, Problem("negative", key, {"field": key, "value": value})
    if value > MAX_FIGURE:
        return None, Problem("too_large", key, {"field": key, "value": value})
    return value, None


def _row(row: Any, stations: dict, choices: dict) -> tuple[tuple | None, list[Problem]]:
    if not isinstance(row, dict):
        return None, [Problem("not_an_object", "")]
    problems: list[Problem] = []
    code = str(row.get("station", "")).strip()
    station = stations.get(code)
    if not code:
        problems.append(Problem("station_required", "station"))
    elif station is None:
        problems.append(Problem("unknown_station", "station", {"station": code[:40]}))
    choice = choices.get(str(row.get("choice", "")))
    if choice is None:
        problems.append(
            Problem(
                "unknown_choice",
                "choice",
                {"value": str(row.get("choice", ""))[:40], "known": ", ".join(sorted(choices))},
            )
        )
    declared, bad_declared = _figure(row, "declared")
    photo, bad_photo = _figure(row, "photo")
    problems += [p for p in (bad_declared, bad_photo) if p is not None]
    if bad_declared is None and bad_photo is None:
        if declared is None and photo is None:
            problems.append(Problem("missing_field", "declared", {"field": "declared"}))
        elif declared is not None and photo is not None and photo > declared:
            problems.append(
                Problem("photo_above_declared", "photo", {"photo": photo, "declared": declared})
            )
    if problems:
        return None, problems
    return (station, choice, declared, photo), []
