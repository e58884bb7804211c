"""Staff home links for the coordinators' pages (see `baqylau.staff.links`)."""

from django.utils.translation import gettext_lazy as _

from baqylau.staff.links import ADMIN, COORDINATOR, COORDINATORS, StaffLink

LINKS = [
    StaffLink(
        "reports:live", _("Live coordination"), roles=COORDINATORS, order=10, per_election=True
    ),
    StaffLink("reports:coverage", _("Coverage"), roles=COORDINATORS, order=20, per_election=True),
    # entered by coordinators and administrators only (elections.services.can_enter_announced)
    StaffLink(
        "reports:announced",
        _("Announced figures"),
        roles=(ADMIN, COORDINATOR),
        order=22,
        per_election=True,
    ),
]
