"""Read-only public API of the dashboard (no auth): the same figures and datasets as the pages.

Mounted on the project's API at /api/v1/public/. Every endpoint sets `auth=None`: public data only,
never personal data (the figures come from UnitStats, the datasets from `exports`).
"""

from __future__ import annotations

from typing import Any

from django.shortcuts import get_object_or_404
from ninja import Router
from ninja.errors import HttpError

from baqylau.api_schemas import errors
from baqylau.dashboard import exports
from baqylau.dashboard.models import Snapshot, UnitStats
from baqylau.elections.models import AdminUnit, Choice, Election
from baqylau.elections.selectors import natural_key

router = Router(tags=["public"])


def _unit(unit: AdminUnit) -> dict[str, Any]:
    return {
        "id": unit.id,
        "kind": unit.kind,
        "code": unit.code,
        "path": unit.path,
        "name": {"kk": unit.name_kk, "ru": unit.name_ru, "en": unit.name_en},
    }


@router.get(
    "/elections", auth=None, response={200: list[dict[str, Any]], **errors()}, summary="Elections"
)
def elections(request) -> list[dict[str, Any]]:
    return [
        {
            "code": e.code,
            "date": e.date.isoformat(),
            "kind": e.kind,
            "synthetic": e.is_synthetic,
            "name": {"kk": e.name_kk, "ru": e.name_ru, "en": e.name_en},
            "root": next(
                iter(e.units.filter(parent__isnull=True).values_list("id", flat=True)), None
            ),
        }
        for e in Election.objects.order_by("-date", "code")
    ]


@router.get(
    "/elections/{code}/units/{unit_id}",
    auth=None,
    response={200: dict[str, Any], **errors(400, 404)},
    summary="Figures of one unit",
)
def unit(request, code: str, unit_id: int) -> dict[str, Any]:
    """Counters, per-contest official / observed / crowd figures (choice ids as keys), turnout,
    findings and map measures of a unit, with its children."""
    election = get_object_or_404(Election, code=code)
    unit = get_object_or_404(AdminUnit, election=election, id=unit_id)
    stats = UnitStats.objects.filter(unit=unit).first()
    choices = {
        str(c.id): {"code": c.code, "contest": c.contest.code}
        for c in Choice.objects.filter(contest__election=election).select_related("contest")
    }
    return {
        "unit": _unit(unit),
        "choices": choices,
        "figures": stats.data if stats else None,
        "computed_at": stats.computed_at.isoformat() if stats else None,
        "children": [
            _unit(c) for c in sorted(unit.children.all(), key=lambda c: natural_key(c.code))
        ],
    }


@router.get(
    "/elections/{code}/snapshots",
    auth=None,
    response={200: list[dict[str, Any]], **errors(400, 404)},
    summary="Published snapshots",
)
def snapshots(request, code: str) -> list[dict[str, Any]]:
    election = get_object_or_404(Election, code=code)
    return [
        {"at": s.at.isoformat(), "published_at": s.published_at.isoformat(), "units": s.data}
        for s in Snapshot.objects.filter(election=election).order_by("at")
    ]


@router.get(
    "/elections/{code}/units/{unit_id}/datasets/{dataset}",
    auth=None,
    response={200: dict[str, Any], **errors(400, 404)},
    summary="Open data rows under a unit",
)
def dataset(
    request, code: str, unit_id: int, dataset: str, limit: int = 1000, offset: int = 0
) -> dict[str, Any]:
    """One page of a dataset (stations, official, observed, crowd, findings) under a unit."""
    if dataset not in exports.DATASETS:
        raise HttpError(404, f"unknown dataset {dataset!r}")
    if not 1 <= limit <= 10_000 or offset < 0:
        raise HttpError(400, "limit must be 1..10000 and offset non-negative")
    election = get_object_or_404(Election, code=code)
    unit = get_object_or_404(AdminUnit, election=election, id=unit_id)
    header = exports.columns(dataset)
    rows = []
    for i, row in enumerate(
        exports.rows(election, None if unit.parent_id is None else unit, dataset)
    ):
        if i < offset:
            continue
        if len(rows) >= limit:
            break
        rows.append(dict(zip(header, row, strict=True)))
    return {"dataset": dataset, "offset": offset, "limit": limit, "columns": header, "rows": rows}
