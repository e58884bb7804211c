"""Writes of the protocols app: recording a checked protocol copy, election policies, and the
hand-over to the tally's reconciliation of a station's copies.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from django.db import transaction

from baqylau.elections.models import AdminUnit, Choice, Contest, Election
from baqylau.intake.models import Submission
from baqylau.protocols import policies
from baqylau.protocols.engine import (
    ProtocolForm,
    ValidationPolicy,
    ValidationResult,
    load_form,
    validate,
)
from baqylau.protocols.models import CopyLine, CopyVote, ElectionPolicy, ProtocolCopy

logger = logging.getLogger(__name__)


def protocol_check(
    *,
    contest: Contest,
    station: AdminUnit,
    form: ProtocolForm,
    lines: Mapping[str, int | None],
    votes: Mapping[Choice, int | None],
    pages_received: int | None,
) -> ValidationResult:
    """Run the protocol engine with the election's policy and what is known of the station."""
    return validate(
        form,
        dict(lines),
        choices={choice.code: value for choice, value in votes.items()},
        choice_names={
            choice.code: {"kk": choice.name_kk, "ru": choice.name_ru, "en": choice.name_en}
            for choice in votes
        },
        policy=policies.validation_policy(contest.election, form),
        context={
            "pages_received": pages_received,
            "registered_voters": station.registered_voters,
        },
    )


@transaction.atomic
def protocol_copy_record(
    *,
    submission: Submission,
    contest: Contest,
    station: AdminUnit,
    form: ProtocolForm,
    source: str,
    source_ref: str,
    lines: Mapping[str, int | None],
    votes: Mapping[Choice, int | None],
    pages_received: int,
) -> tuple[ProtocolCopy, ValidationResult]:
    """Check the figures and record the copy with its lines, votes, status and findings.

    Findings are stored as the engine's JSON (every finding with its kk/ru/en messages).
    """
    result = protocol_check(
        contest=contest,
        station=station,
        form=form,
        lines=lines,
        votes=votes,
        pages_received=pages_received,
    )
    status = str(result.status)
    moderation = ProtocolCopy.Moderation.PENDING
    if status == ProtocolCopy.Validation.ACCEPTED and policies.auto_accepts_valid(contest.election):
        moderation = ProtocolCopy.Moderation.ACCEPTED
    copy = ProtocolCopy.objects.create(
        submission=submission,
        contest=contest,
        station=station,
        source=source,
        source_ref=source_ref[:128],
        received_at=submission.received_at,
        pages_received=pages_received,
        validation=status,
        findings=result.as_dict()["findings"],
        moderation=moderation,
    )
    CopyLine.objects.bulk_create(
        CopyLine(copy=copy, line=code, value=value)
        for code, value in lines.items()
        if value is not None
    )
    CopyVote.objects.bulk_create(
        CopyVote(copy=copy, choice=choice, votes=value)
        for choice, value in votes.items()
        if value is not None
    )
    return copy, result


def copy_moderation_set(*, copy: ProtocolCopy, moderation: str) -> None:
    """Set a copy's moderation state (used by moderation decisions)."""
    ProtocolCopy.objects.filter(pk=copy.pk).update(moderation=moderation)
    copy.moderation = moderation


def station_reconcile(*, contest: Contest, station: AdminUnit) -> Any:
    """Reconcile the station's copies again.

    Reconciliation is derived data and can always be recomputed; a failure here must not turn a
    stored, recorded copy into an error for its sender, so it is logged instead.
    """
    from baqylau.protocols.reconciliation import reconcile_station

    try:
        with transaction.atomic():  # a savepoint: a failure leaves the caller's transaction usable
            return reconcile_station(contest, station)
    except Exception:
        logger.exception("reconciling station %s of contest %s failed", station.pk, contest.pk)
        return None


def election_policy_set(
    *,
    election: Election,
    validation: Mapping[str, Any] | None = None,
    auto_accept_valid: bool | None = None,
) -> ElectionPolicy:
    """Create or change an election's policy; settings unknown to the engine are refused.

    Relation ids in the overrides are checked against every form used by the election's contests.
    """
    policy, _ = ElectionPolicy.objects.get_or_create(election=election)
    if validation is not None:
        values = dict(validation)
        forms = {(c.protocol_form, c.protocol_form_version) for c in election.contests.all()}
        for code, version in sorted(forms):
            try:
                form = load_form(code, version)
            except LookupError:
                form = None
            ValidationPolicy.from_dict(values, form=form)  # raises ValueError
        if not forms:
            ValidationPolicy.from_dict(values)
        policy.validation = values
    if auto_accept_valid is not None:
        policy.auto_accept_valid = auto_accept_valid
    policy.save()
    return policy
