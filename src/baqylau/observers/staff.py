"""Staff home links for observer management (see `baqylau.staff.links`)."""

from django.utils.translation import gettext_lazy as _

from baqylau.staff.links import COORDINATORS, StaffLink

LINKS = [
    StaffLink("reports:observers:list", _("Observers"), roles=COORDINATORS, order=30),
    StaffLink("reports:observers:import", _("Import observers"), roles=COORDINATORS, order=31),
    StaffLink(
        "reports:observers:placement",
        _("Placement"),
        roles=COORDINATORS,
        order=32,
        per_election=True,
    ),
    StaffLink(
        "reports:observers:targets",
        _("Station targets"),
        roles=COORDINATORS,
        order=33,
        per_election=True,
    ),
]
