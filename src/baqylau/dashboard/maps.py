"""The region map: a choropleth drawn on the server as SVG, for the pages and the PDF alike.

No tiles, no JavaScript, no network: the shapes are `geo/kz_adm1.geojson` (see geo/README.md),
matched to the election's regions through `geo/regions.yaml`. Each region is a link to its page,
so the map works with a keyboard and without scripts.
"""

from __future__ import annotations

import functools
import json
import math
from dataclasses import dataclass
from html import escape
from pathlib import Path

import yaml
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from baqylau.i18n import normalize_language

GEO_DIR = Path(__file__).resolve().parent / "geo"

#: Measures a map can show: key → (kind, diverging). Labels are in the views (translated).
MEASURES = {
    "leader_official": "share",
    "leader_observed": "share",
    "leader_crowd": "share",
    "difference": "difference",
    "coverage": "share",
    "violations_per_1000": "rate",
}


@functools.cache
def shapes() -> dict:
    with open(GEO_DIR / "kz_adm1.geojson", encoding="utf-8") as f:
        return json.load(f)


@functools.cache
def mapping() -> dict:
    with open(GEO_DIR / "regions.yaml", encoding="utf-8") as f:
        return yaml.safe_load(f)


def pcode_for(code: str, names: tuple[str, ...]) -> str | None:
    """The shape of a region: by its code (regions.yaml), else by any of its names."""
    data = mapping()
    if code in data["codes"]:
        return data["codes"][code]
    wanted = {n.strip().lower() for n in names if n}
    for pcode, shape_names in data["shapes"].items():
        if wanted & {str(v).strip().lower() for v in shape_names.values()}:
            return pcode
    return None


@dataclass
class Region:
    pcode: str
    unit_id: int
    name: str
    value: float | None
    href: str = ""


def _project(lon: float, lat: float) -> tuple[float, float]:
    """Equirectangular, squeezed by cos(48°) so that Kazakhstan keeps its shape."""
    return lon * math.cos(math.radians(48.0)), -lat


def _bounds() -> tuple[float, float, float, float]:
    xs, ys = [], []
    for feature in shapes()["features"]:
        for poly in feature["geometry"]["coordinates"]:
            for lon, lat in poly[0]:
                x, y = _project(lon, lat)
                xs.append(x)
                ys.append(y)
    return min(xs), min(ys), max(xs), max(ys)


def _colour(t: float | None, kind: str) -> str:
    """A colour-blind-safe ramp: blues for shares and rates, blue–white–orange for differences."""
    if t is None or math.isnan(t):
        return "#e6e6e6"
    t = min(max(t, 0.0), 1.0)
    if kind == "difference":  # t = 0.5 means no difference
        if t >= 0.5:
            a = (t - 0.5) * 2
            start, end = (247, 247, 247), (179, 88, 6)
        else:
            a = (0.5 - t) * 2
            start, end = (247, 247, 247), (33, 102, 172)
    else:
        a = t
        start, end = (239, 243, 255), (8, 48, 107)
    r, g, b = (round(s + (e - s) * a) for s, e in zip(start, end, strict=True))
    return f"#{r:02x}{g:02x}{b:02x}"


def scale(values: list[float | None], kind: str) -> tuple[float, float]:
    present = [v for v in values if v is not None]
    if not present:
        return 0.0, 1.0
    if kind == "share":  # the data's own range, so that differences between regions show
        lo, hi = min(present), max(present)
        if hi - lo < 0.02:
            lo, hi = max(0.0, lo - 0.01), min(1.0, hi + 0.01)
        return lo, hi
    if kind == "difference":
        m = max(abs(v) for v in present) or 0.01
        return -m, m
    return 0.0, max(present) or 1.0


def format_value(value: float | None, kind: str) -> str:
    if value is None:
        return "—"
    if kind == "share":
        return f"{value * 100:.1f} %"
    if kind == "difference":
        return f"{value * 100:+.1f} pp"
    return f"{value:.2f}"


def _shape_name(pcode: str, feature: dict) -> str:
    """A shape's name in the current language (regions.yaml), else the shape file's English."""
    lang = normalize_language(get_language())
    names = mapping().get("shapes", {}).get(pcode, {})
    return names.get(lang) or feature["properties"]["name_en"]


def render_svg(
    regions: list[Region],
    kind: str,
    *,
    title: str,
    legend_low: str = "",
    legend_high: str = "",
    links: bool = True,
    width: int = 640,
) -> str:
    """The choropleth as a standalone SVG document (UTF-8 text)."""
    x0, y0, x1, y1 = _bounds()
    pad = 6
    k = (width - 2 * pad) / (x1 - x0)
    height = round((y1 - y0) * k + 2 * pad)
    legend_h = 40
    lo, hi = scale([r.value for r in regions], kind)
    by_pcode = {r.pcode: r for r in regions}
    cities = set(mapping().get("cities", []))

    def pt(lon: float, lat: float) -> tuple[float, float]:
        x, y = _project(lon, lat)
        return (x - x0) * k + pad, (y - y0) * k + pad

    def path_of(feature) -> tuple[str, tuple[float, float]]:
        parts = []
        sx = sy = count = 0.0
        for poly in feature["geometry"]["coordinates"]:
            points = [pt(lon, lat) for lon, lat in poly[0]]
            parts.append("M" + "L".join(f"{x:.1f},{y:.1f}" for x, y in points) + "Z")
            for x, y in points:
                sx, sy, count = sx + x, sy + y, count + 1
        return "".join(parts), (sx / max(count, 1), sy / max(count, 1))

    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height + legend_h}" '
        f'width="{width}" height="{height + legend_h}" role="img" aria-label="{escape(title)}" '
        f'font-family="DejaVu Sans, sans-serif">',
        f"<title>{escape(title)}</title>",
    ]
    features = sorted(shapes()["features"], key=lambda f: f["properties"]["pcode"] in cities)
    for feature in features:
        pcode = feature["properties"]["pcode"]
        region = by_pcode.get(pcode)
        d, (cx, cy) = path_of(feature)
        value = region.value if region else None
        t = None if value is None else (value - lo) / ((hi - lo) or 1.0)
        fill = _colour(t, kind)
        label = (
            f"{region.name}: {format_value(value, kind)}" if region else _shape_name(pcode, feature)
        )
        shape = f'<path d="{d}" fill="{fill}" stroke="#555" stroke-width="0.7"/>'
        if pcode in cities:  # a city is a speck at this scale: mark it with a dot
            shape += (
                f'<circle cx="{cx:.1f}" cy="{cy:.1f}" r="6" fill="{fill}" stroke="#222" '
                f'stroke-width="1.2"/>'
            )
        body = f"<title>{escape(label)}</title>{shape}"
        if links and region and region.href:
            out.append(
                f'<a href="{escape(region.href)}" aria-label="{escape(label)}" '
                f'data-region="{escape(pcode)}">{body}</a>'
            )
        else:
            out.append(f"<g>{body}</g>")
    # legend: a ramp with its two ends
    steps = 10
    bar_w = min(220, width - 2 * pad - 140)
    lx, ly = pad + 70, height + 6
    for i in range(steps):
        fill = _colour(i / (steps - 1), kind)
        out.append(
            f'<rect x="{lx + i * bar_w / steps:.1f}" y="{ly}" width="{bar_w / steps + 0.5:.1f}" '
            f'height="10" fill="{fill}"/>'
        )
    out.append(
        f'<text x="{lx - 4}" y="{ly + 9}" font-size="13" text-anchor="end">'
        f"{escape(legend_low or format_value(lo, kind))}</text>"
    )
    out.append(
        f'<text x="{lx + bar_w + 4}" y="{ly + 10}" font-size="13">'
        f"{escape(legend_high or format_value(hi, kind))}</text>"
    )
    out.append(
        f'<rect x="{lx}" y="{ly + 14}" width="10" height="10" fill="#e6e6e6" stroke="#999"/>'
        f'<text x="{lx + 14}" y="{ly + 24}" font-size="12">{escape(str(_("no data")))}</text>'
    )
    out.append("</svg>")
    return "".join(out)
