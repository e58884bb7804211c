"""Reading the parts every kind of submission shares: counts and polling stations.

One rule for each, whatever the channel: a count is an int, an integral float or digits with
spaces ("12 994"), never negative and never beyond what a station can hold; a station is named by
its id, its path or its number, and an observer's own placements settle a number that repeats in
another district (and refuse a station they are not placed at).
"""

from __future__ import annotations

import base64
import hashlib
import json
import math
from collections.abc import Collection, Mapping
from typing import Any

from baqylau.elections.models import AdminUnit, Election
from baqylau.intake.outcome import Invalid, Problem

#: Larger than any station's figure, and than the database's 32-bit columns allow.
MAX_COUNT = 100_000_000
#: The largest integer every JSON reader (and PostgreSQL's jsonb) keeps exactly: 2^53 - 1.
MAX_JSON_INT = 2**53 - 1
#: The largest body whose bytes an envelope keeps when they cannot be kept as text.
MAX_RAW_KEPT = 2 * 1024 * 1024


# ---------------------------------------------------------------------------------------------
# What can be stored as received
#
# An envelope keeps the sender's data exactly as received. JSON that a database cannot keep
# exactly (a NUL character, a lone surrogate, NaN or Infinity, a number that jsonb would round)
# would either fail to store or change under its hash; such data is kept as its raw bytes
# (base64, with their SHA-256) and the submission is rejected with the reason.


class Unstorable(ValueError):
    """A value that cannot be stored exactly as JSON text in every database."""

    def __init__(self, code: str):
        super().__init__(code)
        self.code = code


def _check(value: Any, depth: int = 0) -> None:
    if depth > 64:
        raise Unstorable("too_deep")
    if isinstance(value, str):
        if "\x00" in value:
            raise Unstorable("bad_characters")
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise Unstorable("bad_characters") from None
    elif isinstance(value, bool) or value is None:
        return
    elif isinstance(value, int):
        if abs(value) > MAX_JSON_INT:
            raise Unstorable("number_out_of_range")
    elif isinstance(value, float):
        if (
            not math.isfinite(value)
            or abs(value) > MAX_JSON_INT
            or (value == 0 and math.copysign(1, value) < 0)
        ):
            raise Unstorable("number_out_of_range")
    elif isinstance(value, Mapping):
        for key, item in value.items():
            _check(str(key), depth + 1)
            _check(item, depth + 1)
    elif isinstance(value, list | tuple):
        for item in value:
            _check(item, depth + 1)


def unstorable(value: Any) -> str | None:
    """Why `value` cannot be stored exactly (a problem code), or None when it can."""
    try:
        _check(value)
    except Unstorable as exc:
        return exc.code
    except RecursionError:
        return "too_deep"
    return None


def raw_envelope(raw: bytes | str) -> dict[str, Any]:
    """What an envelope keeps of data that cannot be kept as text: its bytes (base64, up to
    MAX_RAW_KEPT), their size and SHA-256."""
    data = raw.encode("utf-8", "surrogatepass") if isinstance(raw, str) else bytes(raw)
    kept = data[:MAX_RAW_KEPT]
    return {
        "unreadable": {
            "size": len(data),
            "sha256": hashlib.sha256(data).hexdigest(),
            "base64": base64.b64encode(kept).decode("ascii"),
            "truncated": len(kept) < len(data),
        }
    }


def _no_constants(name: str):
    raise Unstorable("number_out_of_range")


def read_json(raw: bytes | str) -> tuple[Any, Problem | None]:
    """The JSON value of a body, or (what was received, the problem) when it cannot be read or
    stored exactly: not_utf8, bad_json, bad_characters, number_out_of_range, too_deep. What is
    returned with a problem is what the envelope keeps (`new_submission` keeps bytes as bytes)."""
    if isinstance(raw, bytes):
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            return raw_envelope(raw), Problem("not_utf8", "data")
    else:
        text = raw
    try:
        value = json.loads(text, parse_constant=_no_constants)
    except Unstorable as exc:
        return text, Problem(exc.code, "data")
    except RecursionError:
        return text, Problem("too_deep", "data")
    except ValueError as exc:
        return text, Problem("bad_json", "data", {"error": str(exc)[:200]})
    problem = unstorable(value)
    return (text, Problem(problem, "data")) if problem else (value, None)


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
