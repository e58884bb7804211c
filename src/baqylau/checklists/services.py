"""Writes of the checklist work: staff decide on flagged reports and log confirmation calls.
Each write is checked against the user's scope here (never trusted from the request), kept in the
audit trail and in the hash-chained ledger, in one transaction."""

from __future__ import annotations

import datetime as dt
from uuid import UUID

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from baqylau.checklists import selectors
from baqylau.checklists.models import ConfirmationCall, FlagDecision
from baqylau.evidence import ledger
from baqylau.evidence.models import LedgerEntry
from baqylau.intake.models import Submission
from baqylau.observers.selectors import scope_for
from baqylau.observers.services import record_audit


def _readable_report(user, submission_id: UUID) -> selectors.Report:
    scope = scope_for(user)
    if not (getattr(user, "is_superuser", False) or scope.is_staff_role):
        raise PermissionDenied
    found = selectors.report_detail(user, submission_id)
    if found is None:
        raise PermissionDenied
    return found[0]


def flag_decide(*, user, submission_id, rule: str, verdict: str, note: str = "") -> FlagDecision:
    """Verify or reject a report a quality rule flagged (a rejected report leaves every figure).
    Only a rule that flags the report can be decided; "rejected" needs a note."""
    report = _readable_report(user, submission_id)
    if verdict not in FlagDecision.Verdict.values:
        raise ValidationError({"verdict": _("Choose verified or rejected.")})
    if rule not in {f["rule"] for f in report.flags}:
        raise ValidationError({"rule": _("This rule does not flag the report.")})
    if verdict == FlagDecision.Verdict.REJECTED and not note.strip():
        raise ValidationError({"note": _("Say why the report is rejected.")})
    with transaction.atomic():
        decision = FlagDecision.objects.create(
            submission_id=submission_id,
            rule=rule,
            verdict=verdict,
            note=note.strip(),
            decided_by=user,
        )
        ledger.record(decision, kind=LedgerEntry.Kind.DECISION)
        record_audit(
            action="checklist.flag.decide",
            object_type=Submission._meta.label_lower,
            object_id=submission_id,
            actor=user,
            after={"rule": rule, "verdict": verdict, "note": note.strip()},
        )
    return decision


def call_record(
    *,
    user,
    submission_id: UUID,
    outcome: str,
    note: str = "",
    called_at: dt.datetime | None = None,
) -> ConfirmationCall:
    """Log a call made to confirm a report (who called is the signed-in user)."""
    _readable_report(user, submission_id)
    if outcome not in ConfirmationCall.Outcome.values:
        raise ValidationError({"outcome": _("Choose what came of the call.")})
    if outcome == ConfirmationCall.Outcome.CORRECTED and not note.strip():
        raise ValidationError({"note": _("Write down the correction in the note.")})
    called_at = called_at or timezone.now()
    if called_at > timezone.now() + dt.timedelta(minutes=5):
        raise ValidationError({"called_at": _("The time of the call cannot be in the future.")})
    with transaction.atomic():
        call = ConfirmationCall.objects.create(
            submission_id=submission_id,
            caller=user,
            called_at=called_at,
            outcome=outcome,
            note=note.strip(),
        )
        ledger.record(call, kind=LedgerEntry.Kind.RECORD)
        record_audit(
            action="checklist.call.record",
            object_type=Submission._meta.label_lower,
            object_id=submission_id,
            actor=user,
            after={"outcome": outcome, "note": note.strip(), "called_at": called_at.isoformat()},
        )
    return call
