"""Per-election policies of the protocol checks: reads (the engine's `ValidationPolicy` of an
election) and the one place that knows the defaults. Writes are in `protocols.services`.
"""

from __future__ import annotations

from typing import Any

from baqylau.elections.models import Election
from baqylau.protocols.engine import ProtocolForm, ValidationPolicy
from baqylau.protocols.models import ElectionPolicy

#: Applied when an election has no policy row. The engine's own defaults apply to the rest:
#: missing pages are an error, a register mismatch is a flag, turnout is not checked.
DEFAULT_VALIDATION: dict[str, Any] = {}


def election_policy_values(election: Election) -> dict[str, Any]:
    """The election's validation settings as stored (defaults when there is no policy row)."""
    row = ElectionPolicy.objects.filter(election=election).first()
    values = dict(DEFAULT_VALIDATION)
    if row is not None:
        values.update(row.validation or {})
    return values


def validation_policy(election: Election, form: ProtocolForm | None = None) -> ValidationPolicy:
    """The engine policy of an election; with `form`, relation ids are checked against it."""
    return ValidationPolicy.from_dict(election_policy_values(election), form=form)


def auto_accepts_valid(election: Election) -> bool:
    """Whether copies that pass every check are accepted without a moderator."""
    return ElectionPolicy.objects.filter(election=election, auto_accept_valid=True).exists()
