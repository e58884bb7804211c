"""Writes of the elections app that are not the importers themselves: an import started from the
admin (queued for a worker, with its progress recorded), and figures a commission announced for a
unit above the stations, entered by a coordinator on the staff page."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from baqylau.elections.models import AdminUnit, Choice, ImportJob, OfficialResult, OfficialVote


def import_job_start(
    *, file_name: str, stored_path: str, mapping: str, existing_units, user
) -> ImportJob:
    """Record the upload and queue its import (the job runs on a worker)."""
    from baqylau.elections.tasks import run_uploaded_import

    with transaction.atomic():
        job = ImportJob.objects.create(
            file_name=file_name[:500],
            stored_path=stored_path,
            mapping=mapping,
            existing_units=existing_units,
            created_by=user,
        )
        run_uploaded_import.enqueue(job.pk)
    return job


# ---------------------------------------------------------------------------------------------
# Figures announced by a commission for a unit above the stations, entered by hand


class AnnouncedError(ValueError):
    """An announced figure that cannot be written (the reason is shown to the user)."""


def can_enter_announced(user) -> bool:
    """Coordinators and administrators enter announced figures (decided from the user's own
    memberships, never from anything the request says)."""
    from baqylau.observers.models import Membership
    from baqylau.observers.selectors import scope_for

    if user is None or not user.is_authenticated:
        return False
    if user.is_superuser:
        return True
    return bool(scope_for(user).roles & {Membership.Role.ADMIN, Membership.Role.COORDINATOR})


def enter_announced(
    *, contest, unit, votes: dict[int, int | None], source: str, user
) -> OfficialResult:
    """Write the figures a commission announced for ``unit`` (the country, a region, a district:
    any unit above the stations) as the unit's official result: one figure per choice, ``None``
    where the announcement gives none (a figure left out is removed, never taken as 0).

    In one transaction: the result and its figures, an audit event (who, before, after), the
    result in the ledger, and a recount of the contest queued (the tally compares the announced
    total with the sum of its parts and publishes the finding)."""
    from django.core.exceptions import PermissionDenied

    from baqylau.evidence import ledger
    from baqylau.observers.services import record_audit
    from baqylau.tally.tasks import recount_election

    if not can_enter_announced(user):
        raise PermissionDenied("only coordinators and administrators enter announced figures")
    if unit.election_id != contest.election_id:
        raise AnnouncedError(_("The unit is not part of this election."))
    if unit.kind == AdminUnit.Kind.STATION:
        raise AnnouncedError(
            _("A polling station's official result comes from its protocol: import it.")
        )
    source = (source or "").strip()
    if not source:
        raise AnnouncedError(_("Say where the figures were announced (the source)."))
    choices = set(Choice.objects.filter(contest=contest).values_list("id", flat=True))
    clean: dict[int, int] = {}
    for choice_id, value in votes.items():
        if int(choice_id) not in choices:
            raise AnnouncedError(_("A choice of another contest was given."))
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise AnnouncedError(_("Votes are whole numbers, 0 or more."))
        clean[int(choice_id)] = value
    if not clean:
        raise AnnouncedError(_("Give at least one announced figure."))

    with transaction.atomic():
        result, created = OfficialResult.objects.select_for_update().get_or_create(
            contest=contest, unit=unit, defaults={"source": source[:300]}
        )
        before = (
            None
            if created
            else {
                "source": result.source,
                "votes": {str(c): v for c, v in result.votes.values_list("choice_id", "votes")},
            }
        )
        if result.source != source[:300]:
            result.source = source[:300]
            result.save(update_fields=["source"])
        existing = dict(result.votes.values_list("choice_id", "id"))
        for choice_id, value in clean.items():
            OfficialVote.objects.update_or_create(
                result=result, choice_id=choice_id, defaults={"votes": value}
            )
        gone = [pk for choice_id, pk in existing.items() if choice_id not in clean]
        OfficialVote.objects.filter(pk__in=gone).delete()
        record_audit(
            action="elections.announced.enter",
            obj=result,
            actor=user,
            before=before,
            after={
                "contest_id": contest.pk,
                "unit_id": unit.pk,
                "source": result.source,
                "votes": {str(c): v for c, v in sorted(clean.items())},
            },
        )
        ledger.record_pks({OfficialResult: [result.pk]})
        recount_election(contest.election_id, forensics=False)
    return result
