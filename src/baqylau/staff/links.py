"""The staff home's navigation: every app declares its staff pages, the home shows what a role may use.

Convention (one place for every app): an app that has staff pages adds a module ``<app>/staff.py``
with a list ``LINKS`` of `StaffLink` entries::

    from django.utils.translation import gettext_lazy as _
    from baqylau.staff.links import COORDINATORS, StaffLink

    LINKS = [
        StaffLink("reports:observers:list", _("Observers"), roles=COORDINATORS, order=20),
        StaffLink("reports:live", _("Live coordination"), roles=COORDINATORS, order=10, per_election=True),
    ]

- ``url_name``: a URL name inside the language prefixes (reversed in the user's language);
- ``label``: gettext_lazy text, with kk/ru entries in the app's .po files;
- ``roles``: the roles (``Membership.Role`` values) that may see the link; the view itself still
  checks the permission — a link is navigation, not access control;
- ``order``: position on the home (lower first); ``per_election``: the URL takes the election's
  ``code`` and the home shows one link per election.

`collect_links()` finds every installed app's ``staff.py``; `links_for(user)` keeps the entries the
user's roles allow. The page scan test (tests/test_language_scan.py) discovers staff pages from here,
so a page registered here is also checked for language leaks and raw codes.
"""

from __future__ import annotations

import functools
import importlib
import importlib.util
from dataclasses import dataclass

from django.apps import apps
from django.urls import reverse

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


@dataclass(frozen=True)
class ShownLink:
    """A link as the home shows it: reversed in the current language."""

    url: str
    label: str
    order: int
    election: str = ""  # the election's name when the link is per election


@functools.cache
def collect_links() -> tuple[StaffLink, ...]:
    """Every installed app's ``staff.LINKS``, by order then URL name."""
    found: list[StaffLink] = []
    for config in apps.get_app_configs():
        module_name = f"{config.name}.staff"
        if importlib.util.find_spec(module_name) is None:
            continue
        found.extend(getattr(importlib.import_module(module_name), "LINKS", ()))
    return tuple(sorted(found, key=lambda link: (link.order, link.url_name)))


def staff_roles(user) -> set[str]:
    """The staff roles a user holds, read from the user (memberships, superuser, moderator group)."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return set()
    from baqylau.moderation.selectors import is_moderator
    from baqylau.observers.selectors import scope_for

    roles = {r for r in scope_for(user).roles if r in STAFF_ROLES}
    if user.is_superuser:
        roles.add(ADMIN)
    if MODERATOR not in roles and is_moderator(user):
        roles.add(MODERATOR)
    return roles


def links_for(user, elections=()) -> list[ShownLink]:
    """The links the user's roles allow; per-election links once for each of `elections`."""
    roles = staff_roles(user)
    shown: list[ShownLink] = []
    for link in collect_links():
        if not roles & set(link.roles):
            continue
        if link.per_election:
            for election in elections:
                shown.append(
                    ShownLink(
                        url=reverse(link.url_name, kwargs={"code": election.code}),
                        label=str(link.label),
                        order=link.order,
                        election=str(election),
                    )
                )
        else:
            shown.append(
                ShownLink(url=reverse(link.url_name), label=str(link.label), order=link.order)
            )
    return shown
