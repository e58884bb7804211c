"""Minimal staff links registry (the staff home's branch provides the full module; the lead
reconciles): each app's ``staff.py`` declares ``LINKS`` of `StaffLink`."""

from __future__ import annotations

from dataclasses import dataclass

ADMIN = "admin"
COORDINATOR = "coordinator"
REGIONAL = "regional"
MODERATOR = "moderator"
LAWYER = "lawyer"

STAFF_ROLES: tuple[str, ...] = (ADMIN, COORDINATOR, REGIONAL, MODERATOR, LAWYER)
COORDINATORS: tuple[str, ...] = (ADMIN, COORDINATOR, REGIONAL)
MODERATORS: tuple[str, ...] = (ADMIN, MODERATOR)
LAWYERS: tuple[str, ...] = (ADMIN, LAWYER)


@dataclass(frozen=True)
class StaffLink:
    url_name: str
    label: object  # a lazy translation (gettext_lazy)
    roles: tuple[str, ...]
    order: int = 100
    per_election: bool = False
