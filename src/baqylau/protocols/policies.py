"""Per-election policies of the protocol checks: reads (the engine's `ValidationPolicy` of an
election) and the one place that knows the defaults. Writes are in `protocols.services`, which
refuses settings the engine does not know.
"""

from __future__ import annotations

import logging
from typing import Any

from baqylau import caches
from baqylau.elections.models import Election
from baqylau.protocols.engine import ProtocolForm, ValidationPolicy
from baqylau.protocols.models import ElectionPolicy

logger = logging.getLogger(__name__)

#: Applied when an election has no policy row. The engine's own defaults apply to the rest:
#: missing pages are an error, a register mismatch is a flag, turnout is not checked.
DEFAULT_VALIDATION: dict[str, Any] = {}


#: Election id → its policy row, read on every protocol copy; emptied when a policy is saved.
_policies = caches.TTL(30.0)


def election_policy(election: Election) -> ElectionPolicy | None:
    return _policies.get(
        election.pk, lambda: ElectionPolicy.objects.filter(election_id=election.pk).first()
    )


def election_policy_values(election: Election) -> dict[str, Any]:
    """The election's validation settings as stored (defaults when there is no policy row)."""
    row = election_policy(election)
    values = dict(DEFAULT_VALIDATION)
    if row is not None and isinstance(row.validation, dict):
        values.update(row.validation)
    return values


def validation_policy(election: Election, form: ProtocolForm | None = None) -> ValidationPolicy:
    """The engine policy of an election; with `form`, relation ids are checked against it.

    A stored setting the engine refuses (written before the service checked, or by hand in the
    database) must not stop the intake of every protocol of the election: it is logged and the
    defaults apply; the policy's admin page names the problem.
    """
    values = election_policy_values(election)
    try:
        return ValidationPolicy.from_dict(values, form=form)
    except ValueError:
        logger.exception("checks policy of election %s is invalid; defaults apply", election.pk)
        return ValidationPolicy.from_dict(dict(DEFAULT_VALIDATION), form=form)


def auto_accepts_valid(election: Election) -> bool:
    """Whether copies that pass every check are accepted without a moderator."""
    row = election_policy(election)
    return bool(row and row.auto_accept_valid)
