"""Staff home links for observer management (see `baqylau.staff.links`)."""

from django.utils.translation import gettext_lazy as _

from baqylau.staff.links import COORDINATORS, StaffLink

LINKS = [
    StaffLink("reports:observers:list", _("Observers"), roles=COORDINATORS, order=30),
]
