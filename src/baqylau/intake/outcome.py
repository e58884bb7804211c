"""What a sender is told about a submission: the record made (its receipt) or the problems found,
in kk/ru/en. One `Problem` type and one rejection format for every channel and every kind.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field as dc_field
from typing import Any

from baqylau.i18n import LANGUAGES
from baqylau.intake.messages import render, render_all
from baqylau.intake.models import Submission


@dataclass(frozen=True)
class Problem:
    """Why a submission cannot become a record: a code of `intake.messages`, the field it is
    about, and the message's values (a value may be a {kk, ru, en} mapping)."""

    code: str
    field: str = ""
    params: Mapping[str, Any] = dc_field(default_factory=dict)

    def message(self, lang: str) -> str:
        return render(self.code, lang, **self.params)

    def as_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "field": self.field,
            "messages": render_all(self.code, **self.params),
        }


def rejection_messages(problems: list[Problem]) -> dict[str, Any]:
    """The stored form of a rejection: every message joined per language, and the problems."""
    return {
        **{lang: "\n".join(p.message(lang) for p in problems) for lang in LANGUAGES},
        "problems": [p.as_dict() for p in problems],
    }


def problems_body(submission: Submission, problems: list[Problem], lang: str) -> dict[str, Any]:
    """The API's answer for a submission that did not become a record (kept, rejected)."""
    return {
        "submission": str(submission.pk),
        "status": "rejected",
        "language": lang,
        "code": problems[0].code if problems else "",
        "message": "\n".join(p.message(lang) for p in problems),
        "messages": {lang_: "\n".join(p.message(lang_) for p in problems) for lang_ in LANGUAGES},
        "problems": [{**p.as_dict(), "message": p.message(lang)} for p in problems],
    }


#: Problems that mean "you may not record this" (403 on the API; see `intake.access`).
FORBIDDEN = frozenset(
    {"not_an_observer", "not_assigned", "not_in_scope", "unknown_observer", "crowd_not_permitted"}
)
#: Problems of a body that could not be read at all (400 on the API).
UNREADABLE = frozenset(
    {"bad_json", "not_utf8", "text_unstorable", "number_out_of_range", "too_deep", "malformed"}
)


def http_status(outcome: Outcome) -> int:
    """The one status semantics of every intake endpoint: 201 recorded, 200 already received
    (the first record's receipt), 403 the sender may not record this, 400 the body cannot be
    read, 422 read but not recorded (the reasons are in the body). Whatever was received is
    stored in every case."""
    if outcome.duplicate_of is not None:
        return 200
    if outcome.record is not None and not outcome.problems:
        return 201
    codes = {p.code for p in outcome.problems}
    if codes & FORBIDDEN:
        return 403
    if codes & UNREADABLE:
        return 400
    return 422


class Invalid(Exception):
    """Raised by a parser: the submission cannot become a record, for these reasons."""

    def __init__(self, problems: list[Problem]):
        super().__init__(", ".join(p.code for p in problems))
        self.problems = problems


@dataclass
class Outcome:
    """What the sender is told: the record (receipt) or the problems, in their language.

    ``duplicate_of`` is set when the same sender had already sent the same content: the new
    envelope is kept, rejected as a duplicate of that submission, and the channel answers with the
    first submission's receipt (the record made then), so a resend never makes a second record.
    """

    submission: Submission
    kind: str
    record: Any = None
    problems: list[Problem] = dc_field(default_factory=list)
    ack: tuple[str, dict[str, Any]] | None = None
    duplicate_of: Submission | None = None

    @property
    def ok(self) -> bool:
        return self.record is not None

    @property
    def first_record(self) -> Any:
        return self.record[0] if isinstance(self.record, list) else self.record

    def messages(self, lang: str) -> list[str]:
        if self.problems:  # a duplicate's one problem says "already received"
            return [p.message(lang) for p in self.problems]
        if self.ack:
            return [render(self.ack[0], lang, **self.ack[1])]
        return []

    def messages_all(self) -> dict[str, str]:
        return {lang: "\n".join(self.messages(lang)) for lang in LANGUAGES}
