"""Shared helpers of the protocol-engine tests: consistent random protocols and crafted breaks."""

from __future__ import annotations

import math
from typing import Any

from hypothesis import strategies as st

from baqylau.protocols.engine import ProtocolForm, Relation
from baqylau.protocols.engine.expressions import EACH_CHOICE, SUM_CHOICES, Operands

KZ_FORMS = ("kz_president", "kz_mazhilis")
RU_FORMS = ("ru_uik_2018", "ru_uik_2011")

Protocol = tuple[dict[str, int], dict[str, int]]  # (figures by line, votes by choice)

counts = st.integers(min_value=0, max_value=5000)
small = st.integers(min_value=0, max_value=50)


def _votes(draw: Any) -> dict[str, int]:
    return {f"c{i}": v for i, v in enumerate(draw(st.lists(counts, min_size=1, max_size=7)))}


@st.composite
def kz_protocol(draw: Any) -> Protocol:
    """A Kazakh PEC protocol where every relation of kz_president/kz_mazhilis holds."""
    votes = _votes(draw)
    invalid = draw(small)
    took_part = sum(votes.values()) + invalid
    issued = took_part + draw(small)  # some voters leave with their ballot
    unused = draw(counts)
    figures = {
        "L1": issued + draw(counts),
        "L2": issued + unused,
        "L3": issued,
        "L4": draw(st.integers(0, took_part)),
        "L5": took_part,
        "L5a": draw(st.integers(0, took_part)),
        "L7": invalid,
        "L8": unused,
    }
    return figures, votes


@st.composite
def ru_protocol(draw: Any, year: int) -> Protocol:
    """A Russian UIK protocol (2018 or 2011 layout) where every relation of its form holds."""
    votes = _votes(draw)
    valid = sum(votes.values())
    invalid = draw(small)
    in_boxes = valid + invalid
    portable = draw(st.integers(0, in_boxes))
    stationary = in_boxes - portable
    early = draw(small)
    outside = max(0, portable - early) + draw(small)  # portable <= early + outside
    in_station = stationary + draw(small)  # boxes <= issued
    cancelled = draw(counts)
    lost, not_accounted = draw(st.integers(0, 3)), draw(st.integers(0, 3))
    issued = early + in_station + outside
    lost_code, nacc_code = ("L11", "L12") if year == 2018 else ("L17", "L18")
    figures = {
        "L1": issued + draw(counts),
        "L2": issued + cancelled + lost - not_accounted,
        "L3": early,
        "L4": in_station,
        "L5": outside,
        "L6": cancelled,
        "L7": portable,
        "L8": stationary,
        "L9": invalid,
        "L10": valid,
        lost_code: lost,
        nacc_code: not_accounted,
    }
    if figures["L2"] < 0:  # only when nothing was issued, cancelled or lost
        figures["L2"] = 0
        figures[nacc_code] = issued + cancelled + lost
    if year == 2011:
        au_issued, au_cancelled, au_lost = draw(small), draw(small), draw(st.integers(0, 2))
        figures.update(
            L11=au_issued + au_cancelled + au_lost,
            L12=au_issued,
            L13=draw(st.integers(0, min(au_issued, figures["L1"]))),
            L14=au_cancelled,
            L15=draw(small),
            L16=au_lost,
        )
    return figures, votes


def consistent_protocol(code: str) -> st.SearchStrategy[Protocol]:
    if code in KZ_FORMS:
        return kz_protocol()
    return ru_protocol(2018 if code == "ru_uik_2018" else 2011)


def break_relation(
    relation: Relation, figures: dict[str, int], votes: dict[str, int]
) -> tuple[dict[str, int], dict[str, int], str | None]:
    """Change one figure of a consistent protocol so that ``relation`` fails.

    Uses the relation's linear form: pick a term whose coefficient pushes ``left - right`` the
    wrong way and move it just far enough past the tolerance. Returns the new figures, votes
    and the choice targeted by a per-choice relation.
    """
    comparison = relation.comparison
    coefficients = comparison.coefficients()
    choice = next(iter(votes))
    operands = Operands(lines=figures, choices_sum=sum(votes.values()), each=votes[choice])
    left, right = comparison.sides(operands)
    diff, tol = left - right, relation.tolerance
    terms = [key for key in coefficients if key]
    if comparison.op == "==":
        key = terms[0]
        coefficient = coefficients[key]
        step = math.ceil((tol + 1) / abs(coefficient)) * (1 if coefficient > 0 else -1)
        # Moving up keeps every figure non-negative.
        step = abs(step)
    elif comparison.op in ("<=", "<"):
        key = next(k for k in terms if coefficients[k] > 0)
        need = tol - diff + (1 if comparison.op == "<=" else 0)
        step = math.ceil(need / coefficients[key])
    else:  # >=, >
        key = next(k for k in terms if coefficients[k] < 0)
        need = tol + diff + (1 if comparison.op == ">=" else 0)
        step = math.ceil(need / -coefficients[key])
    step = max(step, 1)
    figures, votes = dict(figures), dict(votes)
    if key in (SUM_CHOICES, EACH_CHOICE):
        votes[choice] += step
    else:
        figures[key] += step
    return figures, votes, (choice if comparison.per_choice else None)


def equality_lines(form: ProtocolForm) -> list[str]:
    """Lines (and the per-choice line) that appear with a non-zero coefficient in an equality."""
    result: dict[str, None] = {}
    for relation in form.relations:
        if relation.comparison.op != "==":
            continue
        for key in relation.comparison.coefficients():
            if key == SUM_CHOICES:
                result[form.choices.code] = None
            elif key and key != EACH_CHOICE:
                result[key] = None
    return list(result)
