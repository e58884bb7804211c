"""Reading what observers and voters type into the bots (pure: no Django).

Protocol figures come line by line (a bare number answers the line the bot asked for) or all in
one message: ``L1=2170 L2=1896 L3=1896 L5=624 L7=10 L8=0 L4=214 tokayev=500 #2=100``. Keys are
line codes (any case), choice codes, or ``#n`` for the choice at ballot position n. Numbers may be
written with thin or non-breaking spaces as thousands separators (``12 994``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

_PAIR = re.compile(
    r"(?P<key>#?[^\s=:,;]+)\s*[=:]\s*(?P<value>[+-]?\d(?:[\d\u00a0\u202f\u2009]*\d)?)(?!\d)"
)
_NUMBER = re.compile(r"^\s*[+-]?\d(?:[\d\s\u00a0\u202f\u2009]*\d)?\s*$")
_STATION = re.compile(r"^\s*(?:№|#|no\.?|n)?\s*(?P<code>[0-9A-Za-z][0-9A-Za-z/\-]*)\s*$", re.I)


def to_int(text: str) -> int:
    return int(re.sub(r"[\s\u00a0\u202f\u2009]", "", text))


def bare_number(text: str) -> int | None:
    """The number when the whole message is one number (``2170``, ``12 994``), else None."""
    if text and _NUMBER.match(text):
        return to_int(text)
    return None


def station_code(text: str) -> str | None:
    """A station number as typed (``237``, ``№ 237``, ``#237``); None when it is not one."""
    match = _STATION.match(text or "")
    return match["code"] if match else None


@dataclass
class FigureParse:
    lines: dict[str, int] = field(default_factory=dict)
    votes: dict[str, int] = field(default_factory=dict)  # by choice code
    unknown: list[str] = field(default_factory=list)  # keys that are neither a line nor a choice
    negative: list[str] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (self.lines or self.votes or self.unknown or self.negative)


def parse_figures(
    text: str, line_codes: Sequence[str], choices: Mapping[str, int | None]
) -> FigureParse:
    """Pairs ``key=value`` from a message. `choices` maps choice codes to ballot positions."""
    by_line = {code.lower(): code for code in line_codes}
    by_choice = {code.lower(): code for code in choices}
    by_number = {f"#{n}": code for code, n in choices.items() if n is not None}
    result = FigureParse()
    for match in _PAIR.finditer(text or ""):
        key, value = match["key"], to_int(match["value"])
        lowered = key.lower()
        if value < 0:
            result.negative.append(key)
            continue
        if lowered in by_line:
            result.lines[by_line[lowered]] = value
        elif lowered in by_choice:
            result.votes[by_choice[lowered]] = value
        elif lowered in by_number:
            result.votes[by_number[lowered]] = value
        else:
            result.unknown.append(key)
    return result


def missing_items(
    lines: Mapping[str, int],
    votes: Mapping[str, int],
    required_lines: Sequence[str],
    choices: Sequence[str],
) -> list[tuple[str, str]]:
    """What is still to be given, in protocol order: [("line", "L1"), ("choice", "tokayev"), ...]."""
    missing = [("line", code) for code in required_lines if code not in lines]
    missing += [("choice", code) for code in choices if code not in votes]
    return missing


_PERSONAL = {
    "from",
    "chat",
    "chat_instance",
    "sender_chat",
    "contact",
    "location",
    "venue",
    "forward_from",
}
_USER_FIELDS = {"first_name", "last_name", "username", "id", "is_bot", "language_code"}


def sanitize_update(update: Mapping, user_hash: str) -> dict:
    """The update as stored in a Submission: the sender's id, names, username and chat replaced by
    the keyed hash; message text, captions, callback data and file ids kept."""

    def clean(value, depth=0):
        if isinstance(value, Mapping):
            out = {}
            for key, item in value.items():
                if key in _PERSONAL:
                    if key in ("from", "chat"):
                        out[key] = {"hash": user_hash}
                    continue
                if depth > 0 and key in _USER_FIELDS and "id" in value and "first_name" in value:
                    continue
                out[key] = clean(item, depth + 1)
            return out
        if isinstance(value, list):
            return [clean(item, depth + 1) for item in value]
        return value

    return clean(dict(update))
