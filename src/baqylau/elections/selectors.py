"""Read queries on the election model (totals, official figures). Set-based; no per-row queries."""

from __future__ import annotations

import re
from collections import defaultdict
from typing import Any

from django.db.models import Count, Sum

from .models import AdminUnit, Election


def election_totals(election: Election) -> dict[str, int]:
    """Number of stations and their registered voters."""
    agg = AdminUnit.objects.filter(election=election, kind=AdminUnit.Kind.STATION).aggregate(
        stations=Count("id"), registered=Sum("registered_voters")
    )
    return {"stations": agg["stations"] or 0, "registered": agg["registered"] or 0}


def ancestor_map(election: Election) -> dict[int, dict[str, Any]]:
    """Every unit above the stations (regions, districts…), by id. Small even for Russia."""
    return {
        row["id"]: row
        for row in AdminUnit.objects.filter(election=election)
        .exclude(kind=AdminUnit.Kind.STATION)
        .values("id", "parent_id", "kind", "code", "path", "name_kk", "name_ru", "name_en")
    }


def ancestor_of_kind(
    units: dict[int, dict[str, Any]], unit_id: int | None, kind: str
) -> int | None:
    """Walk up from `unit_id` (a non-station unit) to the first unit of `kind`, itself included."""
    while unit_id is not None:
        unit = units.get(unit_id)
        if unit is None:
            return None
        if unit["kind"] == kind:
            return unit_id
        unit_id = unit["parent_id"]
    return None


def natural_key(code: str) -> tuple:
    """№2 before №10: digits compare as numbers (the one station order, everywhere)."""
    return tuple(
        (0, int(part), "") if part.isdigit() else (1, 0, part)
        for part in re.findall(r"\d+|\D+", code or "")
    )


def localized(row: dict[str, Any], lang: str) -> str:
    order = {"kk": ("kk", "ru", "en"), "ru": ("ru", "kk", "en")}.get(lang, ("en", "ru", "kk"))
    for code in order:
        if value := row.get(f"name_{code}"):
            return value
    return row.get("code", "")


def totals_by_kind(election: Election, kind: str = "region", lang: str = "ru") -> list[dict]:
    """Stations and registered voters per unit of `kind` (aggregated from the stations' parents)."""
    units = ancestor_map(election)
    per_parent = (
        AdminUnit.objects.filter(election=election, kind=AdminUnit.Kind.STATION)
        .values("parent_id")
        .annotate(stations=Count("id"), registered=Sum("registered_voters"))
    )
    acc: dict[int | None, list[int]] = defaultdict(lambda: [0, 0])
    for row in per_parent:
        target = ancestor_of_kind(units, row["parent_id"], kind)
        acc[target][0] += row["stations"]
        acc[target][1] += row["registered"] or 0
    out = []
    for unit_id, (stations, registered) in acc.items():
        unit = units.get(unit_id) if unit_id is not None else None
        out.append(
            {
                "unit_id": unit_id,
                "path": unit["path"] if unit else "",
                "name": localized(unit, lang) if unit else "—",
                "stations": stations,
                "registered": registered,
            }
        )
    return sorted(out, key=lambda r: r["path"])
