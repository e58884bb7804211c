"""`{{ days|days_left }}`: "3 days left", "today", or "overdue by 2 days" — never "-2 days left"."""

from django import template
from django.utils.translation import gettext, ngettext

register = template.Library()


@register.filter
def days_left(days) -> str:
    if days is None:
        return "—"
    days = int(days)
    if days == 0:
        return gettext("due today")
    if days < 0:
        return ngettext("overdue by %(n)s day", "overdue by %(n)s days", -days) % {"n": -days}
    return ngettext("%(n)s day left", "%(n)s days left", days) % {"n": days}
