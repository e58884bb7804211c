"""Staff home links for the checklist pages (see `baqylau.staff.links`)."""

from django.utils.translation import gettext_lazy as _

from baqylau.staff.links import COORDINATORS, StaffLink

LINKS = [
    StaffLink("checklists:home", _("Checklists"), roles=COORDINATORS, order=25),
]
