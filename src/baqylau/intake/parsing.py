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
from baqylau.evidence.ledger import SAFE_INTEGER
from baqylau.intake.outcome import Invalid, Problem

#: Larger than any station's figure, and than the database's 32-bit columns allow.
MAX_COUNT = 100_000_000
#: The largest integer every JSON reader (and PostgreSQL's jsonb) keeps exactly: 2^53 - 1.
MAX_JSON_INT = SAFE_INTEGER
#: The largest body whose bytes an envelope keeps when they cannot be kept as text.
MAX_RAW_KEPT = 2 * 1024 * 1024


# ---------------------------------------------------------------------------------------------
# What can be stored as received
#
# An envelope keeps the sender's data exactly as received. Bytes that are not UTF-8 are kept as
# bytes (base64, with their SHA-256). Within readable JSON, a value that no database keeps exactly
# (a NUL character, a lone surrogate, NaN or Infinity, a number jsonb would round, nesting deeper
# than any form) would fail to store or change under its hash: `screen_payload` keeps it as its
# JSON text, names its path, and the writer rejects the envelope for it. One screening, in
# `intake.services.new_submission`, for every channel.

#: Nesting deeper than this is no form's: what lies below is kept as JSON text (``too_deep``).
MAX_DEPTH = 32
#: At most this many refused values are named in a rejection (the rest are still kept as text).
_REFUSED_SHOWN = 10


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


def read_json(raw: bytes | str) -> tuple[Any, Problem | None]:
    """The JSON value of a body, or (what was received, the problem) when it cannot be read:
    ``not_utf8`` (the bytes are returned as `raw_envelope`), ``bad_json`` or ``too_deep`` (the
    text is returned). Values inside readable JSON that cannot be stored exactly are screened when
    the envelope is made (`screen_payload`), so the problem names the field."""
    if isinstance(raw, bytes):
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            return raw_envelope(raw), Problem("not_utf8", "data")
    else:
        text = raw
    try:
        return json.loads(text), None
    except RecursionError:
        return text, Problem("too_deep", "data", {"field": "data"})
    except ValueError as exc:
        return text, Problem("bad_json", "data", {"error": str(exc)[:200]})


def _text_storable(text: str) -> bool:
    if "\x00" in text:
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _escaped(text: str) -> str:
    return json.dumps(text, ensure_ascii=True)[1:-1]


def screen_payload(payload: Any) -> tuple[Any, list[Problem]]:
    """The payload as it can be stored and hashed exactly, and the problems of what could not.

    The boundary of the ledger's number rule (`evidence.ledger`): a number received must be an
    integer within ±(2**53 − 1) or a finite float within the same range; NaN, ±Infinity, 1e300
    or a 20-digit integer is refused (``number_out_of_range``). A string must be storable in
    PostgreSQL's jsonb and UTF-8: no NUL character and no lone surrogate (``text_unstorable``).
    Nesting deeper than MAX_DEPTH is refused (``too_deep``). A refused value is kept as its JSON
    text (``"NaN"``, ``"1e+300"``, ``"a\\u0000b"``) and, when the payload is an object, its path
    is listed under ``"refused"``: the envelope is stored, rejected, and nothing received is lost.
    """
    problems: list[Problem] = []
    paths: list[dict[str, str]] = []

    def refuse(code: str, path: str, name: str, text: str) -> str:
        paths.append({"path": path, "code": code})
        if len(problems) < _REFUSED_SHOWN:
            params = {"field": name or path or "data"}
            if code == "number_out_of_range":
                params["value"] = text if len(text) <= 40 else text[:37] + "…"
            problems.append(Problem(code, path, params))
        return text

    def walk(value: Any, path: str, name: str, depth: int) -> Any:
        if value is None or isinstance(value, bool):
            return value
        if isinstance(value, int):
            if -MAX_JSON_INT <= value <= MAX_JSON_INT:
                return value
            return refuse("number_out_of_range", path, name, str(value))
        if isinstance(value, float):
            if math.isfinite(value) and abs(value) <= MAX_JSON_INT:
                return value
            return refuse("number_out_of_range", path, name, json.dumps(value))
        if isinstance(value, str):
            if _text_storable(value):
                return value
            return refuse("text_unstorable", path, name, _escaped(value))
        if depth >= MAX_DEPTH and isinstance(value, Mapping | list | tuple):
            text = json.dumps(value, ensure_ascii=True, default=str)
            return refuse("too_deep", path, name, text if _text_storable(text) else _escaped(text))
        if isinstance(value, Mapping):
            out = {}
            for key, item in value.items():
                key = str(key)
                if not _text_storable(key):
                    key = refuse(
                        "text_unstorable", f"{path}.{_escaped(key)}".lstrip("."), "", _escaped(key)
                    )
                out[key] = walk(item, f"{path}.{key}".lstrip("."), key, depth + 1)
            return out
        if isinstance(value, list | tuple):
            return [walk(item, f"{path}[{i}]", name, depth + 1) for i, item in enumerate(value)]
        return value

    screened = walk(payload, "", "", 0)
    if paths and isinstance(screened, dict):
        screened["refused"] = paths
    return screened, problems


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
