from django import template
from django.utils.formats import number_format

register = template.Library()


@register.filter
def pct(value, digits: int = 1) -> str:
    """A share in [0, 1] as a localized percentage; empty for None."""
    if value is None:
        return ""
    return f"{number_format(value * 100, decimal_pos=int(digits))} %"
