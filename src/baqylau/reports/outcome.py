"""What a report's sender is told: the problems found (kk/ru/en) or the record made."""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field as dc_field
from typing import Any

from baqylau.intake.models import Submission
from baqylau.reports.messages import render, render_all


@dataclass
class Problem:
    code: str
    field: str = ""
    params: dict[str, Any] = dc_field(default_factory=dict)

    def message(self, lang: str) -> str:
        return render(self.code, lang, **self.params)

    def as_dict(self) -> dict[str, Any]:
        return {"code": self.code, "field": self.field, **render_all(self.code, **self.params)}


class Invalid(Exception):
    def __init__(self, problems: list[Problem]):
        super().__init__(", ".join(p.code for p in problems))
        self.problems = problems


@dataclass
class Outcome:
    """What the sender is told: the record (receipt) or the problems, in their language."""

    submission: Submission
    kind: str
    record: Any = None
    problems: list[Problem] = dc_field(default_factory=list)
    ack: tuple[str, dict[str, Any]] | None = None
    duplicate_of: Submission | None = None

    @property
    def ok(self) -> bool:
        return self.record is not None

    def messages(self, lang: str) -> list[str]:
        if self.problems:
            return [p.message(lang) for p in self.problems]
        if self.ack:
            return [render(self.ack[0], lang, **self.ack[1])]
        return []
