"""Staff home links for moderation (see `baqylau.staff.links`)."""

from django.utils.translation import gettext_lazy as _

from baqylau.staff.links import MODERATORS, StaffLink

LINKS = [
    StaffLink("moderation:queue", _("Protocol copies"), roles=MODERATORS, order=40),
    StaffLink("moderation:incidents", _("Violation reports"), roles=MODERATORS, order=41),
    StaffLink("moderation:statistics", _("Intake statistics"), roles=MODERATORS, order=42),
]
