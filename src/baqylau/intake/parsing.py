"""Reading the parts every kind of submission shares: counts and polling stations.

One rule for each, whatever the channel: a count is an int, an integral float or digits with
spaces ("12 994"), never negative and never beyond what a station can hold; a station is named by
its id, its path or its number, and an observer's own placements settle a number that repeats in
another district (and refuse a station they are not placed at).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

from baqylau.elections.models import AdminUnit, Election
from baqylau.intake.outcome import Invalid, Problem

#: Larger than any station's figure, and than the database's 32-bit columns allow.
MAX_COUNT = 100_000_000


def to_count(value: Any, field: str) -> tuple[int | None, Problem | None]:
    """(number, None), or (None, problem); (None, None) when the value is empty."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None, None
    number: int | None = None
    if isinstance(value, bool):
        number = None
    elif isinstance(value, int):
        number = value
    elif isinstance(value, float) and value.is_integer():
        number = int(value)
    elif isinstance(value, str):
        text = "".join(value.split()).replace("\u202f", "").replace("\u00a0", "")
        digits = text[1:] if text[:1] in "+-" else text
        if digits.isascii() and digits.isdigit() and len(digits) <= 18:
            number = int(text)
    if number is None:
        return None, Problem("not_a_number", field, {"field": field, "value": str(value)[:40]})
    if number < 0:
        return None, Problem("negative", field, {"field": field, "value": number})
    if number > MAX_COUNT:
        return None, Problem("too_large", field, {"field": field, "value": number})
    return number, None


def station_code(value: Any) -> str:
    """A station number as people write it: "№ 237", "#237", " 237 " → "237"."""
    return str(value if value is not None else "").strip().lstrip("№#").strip()


def resolve_station(
    election: Election, data: Mapping[str, Any], *, placed_at: Collection[int] | None = None
) -> AdminUnit:
    """The station a submission names (``station_id``, ``station_path`` or ``station``).

    ``placed_at`` is the sender's own stations in the election (an observer's placements): a
    number that several districts use is settled by them, and any other station is refused as
    ``not_assigned``. None: the sender is not an observer (staff, an import); no scope.
    Raises `Invalid` with the reason.
    """
    stations = AdminUnit.objects.filter(election=election, kind=AdminUnit.Kind.STATION)
    found: list[AdminUnit]
    if data.get("station_id") not in (None, ""):
        value = data["station_id"]
        shown = str(value)[:40]
        if isinstance(value, bool) or not isinstance(value, int | str) or not str(value).isdigit():
            raise Invalid([Problem("unknown_station", "station_id", {"station": shown})])
        found = list(stations.filter(pk=int(value))) if int(value) < 2**62 else []
        field = "station_id"
    elif data.get("station_path") not in (None, ""):
        shown = str(data["station_path"]).strip()[:200]
        found = list(stations.filter(path=shown)[:1])
        field = "station_path"
    else:
        shown = station_code(data.get("station"))[:200]
        field = "station"
        if not shown:
            raise Invalid([Problem("station_required", "station")])
        found = list(stations.filter(path=shown)[:1]) or list(stations.filter(code=shown))
        if not found and shown.isdigit():
            found = list(stations.filter(code=shown.lstrip("0") or "0"))
    if not found:
        raise Invalid([Problem("unknown_station", field, {"station": shown})])
    if len(found) > 1 and placed_at is not None:
        found = [s for s in found if s.pk in placed_at] or found
    if len(found) > 1:
        raise Invalid([Problem("ambiguous_station", field, {"station": shown})])
    station = found[0]
    if placed_at is not None and station.pk not in placed_at:
        raise Invalid([Problem("not_assigned", field, {"station": station.code})])
    return station
