"""Reads for the staff home."""

from __future__ import annotations

from django.db.models import QuerySet

from baqylau.elections.models import Election
from baqylau.observers.models import Membership

HOME_ELECTIONS = 5  # per-election links for the newest elections only


def current_elections() -> QuerySet[Election]:
    return Election.objects.order_by("-date", "code")[:HOME_ELECTIONS]


def role_labels(roles: set[str]) -> list[str]:
    """The user's roles as words, in the order the model lists them."""
    return [str(label) for value, label in Membership.Role.choices if value in roles]
