"""The relation language: one compiled tree evaluates ints and numpy arrays alike."""

from __future__ import annotations

import numpy as np
import pytest

from baqylau.protocols.engine import ExpressionError, parse_expression, parse_relation
from baqylau.protocols.engine.expressions import Operands


def test_same_compiled_relation_on_ints_and_arrays() -> None:
    relation = parse_relation("sum(choices) + L7 == L5")
    left, right = relation.sides(Operands(lines={"L7": 3, "L5": 10}, choices_sum=7))
    assert (left, right) == (10, 10)
    assert not relation.violated(left, right)
    lines = {"L7": np.array([3, 3]), "L5": np.array([10, 11])}
    left, right = relation.sides(Operands(lines=lines, choices_sum=np.array([7, 7])))
    assert relation.violated(left, right).tolist() == [False, True]


def test_linear_coefficients_and_lines() -> None:
    relation = parse_relation("L2 == L3 + L4 + L5 + L6 + 2 * L11 - L12")
    assert relation.lines == ("L2", "L3", "L4", "L5", "L6", "L11", "L12")
    assert relation.coefficients() == {
        "L2": 1,
        "L3": -1,
        "L4": -1,
        "L5": -1,
        "L6": -1,
        "L11": -2,
        "L12": 1,
    }
    assert parse_relation("each(choice) <= L5").per_choice
    assert parse_relation("sum(choices) <= -(-L5)").uses_choices_sum


@pytest.mark.parametrize(
    ("op", "left", "right", "tolerance", "violated"),
    [
        ("==", 10, 12, 1, True),
        ("==", 10, 11, 1, False),
        ("<=", 11, 10, 0, True),
        ("<=", 11, 10, 1, False),
        ("<", 10, 10, 0, True),
        ("<", 10, 10, 1, False),
        (">=", 9, 10, 0, True),
        (">", 10, 10, 0, True),
        (">", 11, 10, 0, False),
    ],
)
def test_tolerance(op: str, left: int, right: int, tolerance: int, violated: bool) -> None:
    relation = parse_relation(f"L1 {op} L2")
    values = relation.sides(Operands(lines={"L1": left, "L2": right}))
    assert relation.violated(*values, tolerance) is violated


def test_arithmetic_expression_rejects_comparisons() -> None:
    assert parse_expression("L3 + L4 + L5").lines == ("L3", "L4", "L5")
    with pytest.raises(ExpressionError, match="not a comparison"):
        parse_expression("L3 <= L1")


def test_never_evaluates_python() -> None:
    with pytest.raises(ExpressionError):
        parse_relation("__import__('os').system('true') == L1")
