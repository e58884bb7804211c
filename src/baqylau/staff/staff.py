"""The staff app's own links: the administration site (see `links.py`)."""

from django.utils.translation import gettext_lazy as _

from baqylau.staff.links import ADMIN, StaffLink

LINKS = [
    StaffLink("admin:index", _("Administration"), roles=(ADMIN,), order=90),
]
