"""What the app caches on the phone: the observer's placements and the catalogues (no identity)."""

from __future__ import annotations

from typing import Any

from baqylau.legal.citations import refs_by_language
from baqylau.observers.models import Assignment, Observer
from baqylau.reports import forms
from baqylau.reports.models import ViolationType


def _names(obj) -> dict[str, str]:
    return {
        lang: getattr(obj, f"name_{lang}", "") or obj.name_en or "" for lang in ("kk", "ru", "en")
    }


def profile(observer: Observer) -> dict[str, Any]:
    assignments = (
        Assignment.objects.filter(observer=observer)
        .select_related("election", "station")
        .order_by("-election__date", "station__path", "shift")
    )
    placements = []
    seen = set()
    for a in assignments:
        key = (a.election_id, a.station_id)
        if key in seen:
            continue
        seen.add(key)
        placements.append(
            {
                "election": a.election.code,
                "election_name": _names(a.election),
                "date": a.election.date.isoformat(),
                "station": a.station.path,
                "station_id": a.station_id,
                "code": a.station.code,
                "name": _names(a.station),
                "address": a.station.address,
                "registered_voters": a.station.registered_voters,
                "shifts": [
                    b.shift
                    for b in assignments
                    if b.election_id == a.election_id and b.station_id == a.station_id
                ],
            }
        )
    return {
        "observer": observer.public_id,
        "language": observer.language,
        "placements": placements,
        "violation_types": [
            {
                "code": v.code,
                "law_article": refs_by_language(v.law_article),
                "name": _names(v),
            }
            for v in ViolationType.objects.filter(active=True)
        ],
        "checklists": [
            {
                "code": code,
                "version": forms.load_form(code)["version"],
                "title": forms.load_form(code)["title"],
                "questions": forms.load_form(code)["questions"],
            }
            for code in forms.checklist_codes()
        ],
    }
