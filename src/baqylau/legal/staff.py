"""Staff home links for the lawyers' pages (see `baqylau.staff.links`)."""

from django.utils.translation import gettext_lazy as _

from baqylau.staff.links import LAWYERS, StaffLink

LINKS = [
    StaffLink("legal:home", _("Legal cases"), roles=LAWYERS, order=60),
    StaffLink("legal:incidents", _("Violations for legal follow-up"), roles=LAWYERS, order=61),
    StaffLink("legal:statistics", _("Legal statistics"), roles=LAWYERS, order=62),
    StaffLink("legal:sources", _("Sources of the law"), roles=LAWYERS, order=63),
]
