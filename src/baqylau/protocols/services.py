"""Writes of the protocols app: an election's checks policy, and a copy's moderation state (set by
a moderator's decision, `moderation.services`). Copies themselves are recorded by the intake
(`protocols.intake`); their reconciliation into a station result is the tally's.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db import transaction

from baqylau.elections.models import AdminUnit, Choice, Contest, Election
from baqylau.evidence import ledger
from baqylau.observers.services import record_audit
from baqylau.protocols import policies
from baqylau.protocols.engine import (
    ProtocolForm,
    ValidationPolicy,
    ValidationResult,
    load_form,
    validate,
)
from baqylau.protocols.models import ElectionPolicy, ProtocolCopy


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


def copy_moderation_set(*, copy: ProtocolCopy, moderation: str) -> None:
    """Set a copy's moderation state (used by moderation decisions); the changed copy gets a new
    ledger entry in the same transaction."""
    with transaction.atomic():
        ProtocolCopy.objects.filter(pk=copy.pk).update(moderation=moderation)
        copy.moderation = moderation
        ledger.record(copy)


def election_policy_check(*, election: Election, validation: Mapping[str, Any]) -> None:
    """Raise ValueError (naming the setting) when the engine does not know a setting or a value,
    checked against every protocol form the election's contests use."""
    if not isinstance(validation, Mapping):
        raise ValueError("the settings must be a JSON object")
    values = dict(validation)
    forms = {(c.protocol_form, c.protocol_form_version) for c in election.contests.all()}
    for code, version in sorted(forms):
        try:
            form = load_form(code, version)
        except LookupError:
            form = None
        ValidationPolicy.from_dict(values, form=form)
    if not forms:
        ValidationPolicy.from_dict(values)


@transaction.atomic
def election_policy_set(
    *,
    election: Election,
    validation: Mapping[str, Any] | None = None,
    auto_accept_valid: bool | None = None,
    actor=None,
) -> ElectionPolicy:
    """Create or change an election's checks policy; settings unknown to the engine are refused
    (ValueError). Audited."""
    policy, _ = ElectionPolicy.objects.select_for_update().get_or_create(election=election)
    before = {"validation": policy.validation, "auto_accept_valid": policy.auto_accept_valid}
    if validation is not None:
        election_policy_check(election=election, validation=validation)
        policy.validation = dict(validation)
    if auto_accept_valid is not None:
        policy.auto_accept_valid = auto_accept_valid
    policy.save()
    record_audit(
        action="protocols.policy.set",
        obj=policy,
        actor=actor,
        before=before,
        after={"validation": policy.validation, "auto_accept_valid": policy.auto_accept_valid},
    )
    ledger.record(policy)
    if policy.auto_accept_valid != before["auto_accept_valid"]:
        # which stations are settled changed: the stations with copies wait for a recount
        from baqylau.tally.services import mark_stations

        copies = ProtocolCopy.objects.filter(contest__election=election)
        for contest_id in set(copies.values_list("contest_id", flat=True)):
            stations = copies.filter(contest_id=contest_id).values_list("station_id", flat=True)
            mark_stations(contest_id, set(stations))
    return policy
