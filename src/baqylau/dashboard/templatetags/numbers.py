from django import template
from django.utils.formats import number_format

register = template.Library()


@register.filter
def pct(value, digits: int = 1) -> str:
    """A share in [0, 1] as a localized percentage; empty for None."""
    if value is None:
        return ""
    return f"{number_format(round(value * 100, int(digits)), decimal_pos=int(digits))} %"


@register.simple_tag
def curve_svg(curve: dict, label: str = "", width: int = 360, height: int = 150):
    """Turnout by hour as a small inline SVG (observers' count and the commission's figure)."""
    from django.utils.html import escape
    from django.utils.safestring import mark_safe

    hours = curve.get("hours") or []
    if not hours:
        return ""
    left, bottom, top, right = 34, 20, 8, 8
    w, h = width - left - right, height - top - bottom
    series = [
        ("observer", "#08306b", ""),
        ("commission", "#b35806", "5 3"),
    ]
    values = [v for key, *_ in series for v in curve.get(key, []) if v is not None]
    peak = max([0.1, *values])
    peak = min(1.0, (int(peak * 10) + 1) / 10)

    def xy(i, v):
        x = left + (w * i / max(len(hours) - 1, 1))
        y = top + h - h * (v / peak)
        return f"{x:.1f},{y:.1f}"

    parts = [
        f'<svg class="curve" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{escape(label)}" data-peak="{peak}">',
        f'<rect x="{left}" y="{top}" width="{w}" height="{h}" fill="#fafafa" stroke="#ccc"/>',
    ]
    for frac in (0.5, 1.0):
        y = top + h - h * frac
        parts.append(
            f'<text x="{left - 4}" y="{y + 4:.1f}" font-size="10" text-anchor="end">'
            f"{round(peak * frac * 100)}%</text>"
        )
    for i, hour in enumerate(hours):
        if hour % 2 == 0:
            x = left + (w * i / max(len(hours) - 1, 1))
            parts.append(
                f'<text x="{x:.1f}" y="{height - 6}" font-size="10" text-anchor="middle">'
                f"{hour}:00</text>"
            )
    for key, colour, dash in series:
        points = [xy(i, v) for i, v in enumerate(curve.get(key, [])) if v is not None]
        if points:
            parts.append(
                f'<polyline data-series="{key}" points="{" ".join(points)}" fill="none" '
                f'stroke="{colour}" stroke-width="2" stroke-dasharray="{dash}"/>'
            )
    parts.append("</svg>")
    return mark_safe("".join(parts))


@register.filter
def get(mapping, key):
    return (mapping or {}).get(key)


@register.filter
def subtract(value, other):
    """value − other, with a sign (for official − copy differences)."""
    try:
        diff = int(value) - int(other)
    except (TypeError, ValueError):
        return ""
    return f"{diff:+d}" if diff else "0"
