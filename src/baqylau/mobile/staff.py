"""Staff home links for mobile groups (see `baqylau.staff.links`)."""

from django.utils.translation import gettext_lazy as _

from baqylau.staff.links import COORDINATORS, StaffLink

LINKS = [
    StaffLink("mobile:groups", _("Mobile groups"), roles=COORDINATORS, order=35),
]
