"""`{% answer_bar cell %}`: one question's answers in a unit as a stacked bar (yes / no /
reports disagree / no report), drawn as inline SVG (no inline styles: the CSP forbids them)."""

from django import template
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext as _

register = template.Library()

PARTS = (
    ("yes", "#08519c"),
    ("no", "#fd8d3c"),
    ("conflict", "#6a51a3"),
    ("missing", "#d9d9d9"),
)


@register.simple_tag
def answer_bar(cell, width: int = 240, height: int = 14):
    total = cell.stations or 1
    names = {
        "yes": _("yes"),
        "no": _("no"),
        "conflict": _("reports disagree"),
        "missing": _("no report"),
    }
    x = 0.0
    rects = []
    for key, colour in PARTS:
        value = getattr(cell, key)
        w = width * value / total
        if value:
            rects.append((f"{x:.1f}", f"{w:.1f}", height, colour, f"{names[key]}: {value}"))
        x += w
    label = ", ".join(f"{names[k]}: {getattr(cell, k)}" for k, _c in PARTS)
    body = format_html_join(
        "",
        '<rect x="{}" y="0" width="{}" height="{}" fill="{}"><title>{}</title></rect>',
        rects,
    )
    return format_html(
        '<svg class="answer-bar" viewBox="0 0 {w} {h}" width="{w}" height="{h}" role="img" '
        'aria-label="{label}"><rect x="0" y="0" width="{w}" height="{h}" fill="#f4f4f4"/>{body}'
        "</svg>",
        w=width,
        h=height,
        label=label,
        body=body,
    )


@register.filter
def rate_share(row, state: str):
    """A response-rate row's share of stations in `state` (None when it has no station)."""
    return row.share(state)
