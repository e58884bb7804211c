"""Who may record what, decided at the door from the credential (never from the request body).

A report, a protocol copy or a photo is recorded only

* from an observer, at a station they are placed at in that election (`Recorder.placed_at`), or
* from staff entering it on an observer's behalf (``"on_behalf_of": "<observer pseudonym>"`` in
  the data): a coordinator of the observer's organisation, a regional coordinator of it whose
  region holds the station, or a platform administrator. The record is the observer's (their
  pseudonym is the sender, their placements apply); the envelope's user is the staff member, and
  the audit trail says who entered it.

Anyone else is refused (403 on the API) with the reason, and the attempt is kept as a rejected
envelope. Where a copy comes from (`ProtocolCopy.source`) is set here, never taken from the data;
official results come only through the importers.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from baqylau.intake.outcome import FORBIDDEN, Problem
from baqylau.observers.models import Membership, Observer
from baqylau.observers.selectors import observer_for_user, observer_placements, scope_for

__all__ = ["FORBIDDEN", "Recorder", "recorder_for"]


@dataclass(frozen=True)
class Recorder:
    """Whose record it is, who entered it, and where it may be."""

    observer: Observer
    entered_by: Any = None  # the staff user entering on the observer's behalf; None: themselves
    placed_at: frozenset[int] = frozenset()

    @property
    def sender(self) -> str:
        return self.observer.public_id

    @property
    def audit_label(self) -> str:
        if self.entered_by is None:
            return self.observer.public_id
        return f"{self.observer.public_id} (entered by {self.entered_by.get_username()})"


def _placements(observer: Observer) -> frozenset[int]:
    return frozenset(station.pk for _election, station in observer_placements(observer))


def recorder_for(user, data: Any) -> Recorder | Problem:
    """The `Recorder` of a submission by `user` with `data`, or the `Problem` refusing it."""
    observer = observer_for_user(user)
    on_behalf = data.get("on_behalf_of") if isinstance(data, Mapping) else None
    if observer is not None and on_behalf in (None, "", observer.public_id):
        return Recorder(observer=observer, placed_at=_placements(observer))
    if on_behalf in (None, ""):
        return Problem("not_an_observer", "")
    target = Observer.objects.filter(public_id=str(on_behalf)[:16], active=True).first()
    if target is None:
        return Problem("unknown_observer", "on_behalf_of", {"value": str(on_behalf)[:40]})
    if not _may_enter_for(user, target):
        return Problem("not_in_scope", "on_behalf_of", {"value": target.public_id})
    placed = _placements(target)
    scope = scope_for(user)
    if not (scope.everything or target.organisation_id in scope.org_ids):
        regions = [path for org, path in scope.regions if org == target.organisation_id]
        placed = frozenset(
            station.pk
            for _election, station in observer_placements(target)
            if any(station.path.startswith(path + "/") for path in regions)
        )
    return Recorder(observer=target, entered_by=user, placed_at=placed)


def _may_enter_for(user, observer: Observer) -> bool:
    scope = scope_for(user)
    if user.is_superuser or Membership.Role.ADMIN in scope.roles:
        return True
    if observer.organisation_id in scope.org_ids:
        return True
    return any(org == observer.organisation_id for org, _path in scope.regions)
