"""Checklist quality rules: relations over a report's answers (yes = 1, no = 0), written as data
in the checklist form (`rules:`) and parsed and evaluated by the protocol checks' own safe
expression language (`protocols.engine.expressions`), never by `eval`. Pure: no Django."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from baqylau.protocols.engine.expressions import (
    QUESTION_CODE_RE,
    Comparison,
    Operands,
    parse_relation,
)


@dataclass(frozen=True)
class Rule:
    id: str
    relation: Comparison
    message: dict[str, str]

    def text(self, lang: str) -> str:
        return self.message.get(lang) or self.message.get("en") or self.id


def form_rules(form: dict[str, Any]) -> list[Rule]:
    """The form's quality rules, parsed (an unknown question in a rule is an error)."""
    questions = [q["code"] for q in form.get("questions", [])]
    return [
        Rule(
            id=str(row["id"]),
            relation=parse_relation(str(row["expr"]), questions, names=QUESTION_CODE_RE),
            message=dict(row.get("message") or {}),
        )
        for row in form.get("rules") or []
    ]


def violated(rule: Rule, answers: dict[str, bool]) -> bool | None:
    """True when the answers break the rule; None when a question it uses was not answered."""
    if any(q not in answers for q in rule.relation.lines):
        return None
    values = {q: int(bool(a)) for q, a in answers.items()}
    left, right = rule.relation.sides(Operands(lines=values))
    return bool(rule.relation.violated(left, right))


def flagged_rules(rules: list[Rule], answers: dict[str, bool]) -> list[Rule]:
    return [rule for rule in rules if violated(rule, answers)]
