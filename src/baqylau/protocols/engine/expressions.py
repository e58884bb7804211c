"""Control relations of a protocol form: a small, safe language, parsed once, evaluated anywhere.

A relation compares two linear integer expressions, e.g. ``L2 == L3 + L8``, ``sum(choices) + L7 ==
L5``, ``L5 <= L1`` or the per-choice form ``each(choice) <= L5``. The grammar is a whitelist over
Python's ``ast`` (nothing is ever passed to ``eval``):

* integer literals (no floats, no booleans), line codes (``L1``, ``L5a``), ``sum(choices)`` (all the
  choices' votes added up) and ``each(choice)`` (the votes of one choice; the relation then holds
  for every choice);
* ``+``, ``-``, unary ``-`` and ``*`` where one factor is an integer constant (so every expression
  stays linear and each line's coefficient is known);
* exactly one comparison: ``==``, ``<=``, ``>=``, ``<`` or ``>`` (relations only; the arithmetic
  expressions used for turnout have no comparison).

Each parsed expression is compiled once into a Python closure over an :class:`Operands` bundle.
The same closure computes on Python ints (scalar engine, exact) and on numpy arrays (bulk engine,
one vectorised pass over all stations), so both engines share one parsed tree.
"""

from __future__ import annotations

import ast
import operator
import re
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from typing import Any

LINE_CODE_RE = re.compile(r"^L[0-9]+[a-z]?$")
#: Names of a checklist's questions (``boxes_sealed``): checklist quality rules are relations of
#: this same language over answers (yes = 1, no = 0), parsed with ``names=QUESTION_CODE_RE``.
QUESTION_CODE_RE = re.compile(r"^[a-z][a-z0-9_]*$")
SUM_CHOICES = "sum(choices)"
EACH_CHOICE = "each(choice)"
COMPARISONS: dict[type[ast.cmpop], str] = {
    ast.Eq: "==",
    ast.LtE: "<=",
    ast.GtE: ">=",
    ast.Lt: "<",
    ast.Gt: ">",
}
ALLOWED = (
    "integers, line codes (L1, L2, ...), sum(choices), each(choice), + and -, * by an integer, "
    "and one comparison (==, <=, >=, <, >)"
)


class ExpressionError(ValueError):
    """An expression that does not parse or uses something outside the whitelist."""


@dataclass(frozen=True)
class Operands:
    """What an expression is evaluated on: ints (one protocol) or numpy arrays (many stations).

    ``lines`` maps line codes to values; ``choices_sum`` is the total of the choices' votes;
    ``each`` is the votes of the choice being checked by a per-choice relation.
    """

    lines: Mapping[str, Any]
    choices_sum: Any = 0
    each: Any = 0


Evaluator = Callable[[Operands], Any]


# ---------------------------------------------------------------------------------------------
# Expression tree


@dataclass(frozen=True)
class Node:
    def compile(self) -> Evaluator:  # pragma: no cover - abstract
        raise NotImplementedError

    def linear(self) -> dict[str, int]:
        """Coefficients of the expression as a linear form.

        Keys are line codes, ``sum(choices)``, ``each(choice)`` and ``""`` for the constant term.
        """
        raise NotImplementedError  # pragma: no cover - abstract


@dataclass(frozen=True)
class Const(Node):
    value: int

    def compile(self) -> Evaluator:
        value = self.value
        return lambda ops: value

    def linear(self) -> dict[str, int]:
        return {"": self.value}


@dataclass(frozen=True)
class LineRef(Node):
    code: str

    def compile(self) -> Evaluator:
        code = self.code
        return lambda ops: ops.lines[code]

    def linear(self) -> dict[str, int]:
        return {self.code: 1}


@dataclass(frozen=True)
class SumChoices(Node):
    def compile(self) -> Evaluator:
        return lambda ops: ops.choices_sum

    def linear(self) -> dict[str, int]:
        return {SUM_CHOICES: 1}


@dataclass(frozen=True)
class EachChoice(Node):
    def compile(self) -> Evaluator:
        return lambda ops: ops.each

    def linear(self) -> dict[str, int]:
        return {EACH_CHOICE: 1}


@dataclass(frozen=True)
class Neg(Node):
    operand: Node

    def compile(self) -> Evaluator:
        inner = self.operand.compile()
        return lambda ops: -inner(ops)

    def linear(self) -> dict[str, int]:
        return {key: -value for key, value in self.operand.linear().items()}


@dataclass(frozen=True)
class BinOp(Node):
    op: str  # "+", "-", "*"
    left: Node
    right: Node

    def compile(self) -> Evaluator:
        left, right = self.left.compile(), self.right.compile()
        fn = {"+": operator.add, "-": operator.sub, "*": operator.mul}[self.op]
        return lambda ops: fn(left(ops), right(ops))

    def linear(self) -> dict[str, int]:
        left, right = self.left.linear(), self.right.linear()
        if self.op == "*":
            # The parser guarantees that one factor is a constant.
            factor, other = (left[""], right) if set(left) == {""} else (right[""], left)
            return {key: factor * value for key, value in other.items()}
        sign = 1 if self.op == "+" else -1
        result = dict(left)
        for key, value in right.items():
            result[key] = result.get(key, 0) + sign * value
        return result


def _references(node: Node) -> list[str]:
    if isinstance(node, LineRef):
        return [node.code]
    if isinstance(node, Neg):
        return _references(node.operand)
    if isinstance(node, BinOp):
        return _references(node.left) + _references(node.right)
    return []


def _contains(node: Node, kind: type[Node]) -> bool:
    if isinstance(node, kind):
        return True
    if isinstance(node, Neg):
        return _contains(node.operand, kind)
    if isinstance(node, BinOp):
        return _contains(node.left, kind) or _contains(node.right, kind)
    return False


# ---------------------------------------------------------------------------------------------
# Compiled expressions


@dataclass(frozen=True)
class Expression:
    """An arithmetic expression (no comparison), compiled once."""

    source: str
    tree: Node
    evaluate: Evaluator = field(repr=False, compare=False)

    @property
    def lines(self) -> tuple[str, ...]:
        """Line codes referenced, in order of first appearance."""
        return tuple(dict.fromkeys(_references(self.tree)))

    @property
    def uses_choices_sum(self) -> bool:
        return _contains(self.tree, SumChoices)

    @property
    def per_choice(self) -> bool:
        return _contains(self.tree, EachChoice)


def _tolerance_violation(op: str, left: Any, right: Any, tolerance: int) -> Any:
    diff = left - right
    if op == "==":
        return abs(diff) > tolerance
    if op == "<=":
        return diff > tolerance
    if op == "<":
        return diff >= tolerance
    if op == ">=":
        return -diff > tolerance
    return -diff >= tolerance  # ">"


@dataclass(frozen=True)
class Comparison:
    """A parsed control relation: ``left op right``."""

    source: str
    op: str
    left: Expression
    right: Expression

    @property
    def lines(self) -> tuple[str, ...]:
        """Line codes referenced on either side, in order of first appearance."""
        return tuple(dict.fromkeys(self.left.lines + self.right.lines))

    @property
    def uses_choices_sum(self) -> bool:
        return self.left.uses_choices_sum or self.right.uses_choices_sum

    @property
    def per_choice(self) -> bool:
        return self.left.per_choice or self.right.per_choice

    def coefficients(self) -> dict[str, int]:
        """Linear coefficients of ``left - right`` (zero terms dropped; ``""`` is the constant)."""
        result = dict(self.left.tree.linear())
        for key, value in self.right.tree.linear().items():
            result[key] = result.get(key, 0) - value
        return {key: value for key, value in result.items() if value}

    def sides(self, operands: Operands) -> tuple[Any, Any]:
        """(left, right) values: ints for one protocol, arrays for many."""
        return self.left.evaluate(operands), self.right.evaluate(operands)

    def violated(self, left: Any, right: Any, tolerance: int = 0) -> Any:
        """True (or a boolean array) where the relation fails by more than ``tolerance``."""
        return _tolerance_violation(self.op, left, right, tolerance)


# ---------------------------------------------------------------------------------------------
# Parser


class _Parser:
    def __init__(
        self,
        source: str,
        known_lines: Collection[str] | None,
        choices_code: str | None,
        names: re.Pattern[str] = LINE_CODE_RE,
    ):
        self.source = source
        self.known_lines = known_lines
        self.choices_code = choices_code
        self.names = names

    def fail(self, node: ast.AST | None, problem: str) -> ExpressionError:
        where = ""
        if node is not None:
            segment = ast.get_source_segment(self.source, node)
            if segment and segment.strip() != self.source.strip():
                where = f" at '{segment}'"
        return ExpressionError(f"expression '{self.source}'{where}: {problem}")

    def parse_tree(self) -> ast.expr:
        if not isinstance(self.source, str) or not self.source.strip():
            raise ExpressionError(f"expression {self.source!r}: must be a non-empty string")
        try:
            return ast.parse(self.source.strip(), mode="eval").body
        except SyntaxError as exc:
            raise ExpressionError(f"expression '{self.source}' does not parse: {exc.msg}") from None

    def arithmetic(self, node: ast.expr) -> Node:
        if isinstance(node, ast.Constant):
            if isinstance(node.value, bool) or not isinstance(node.value, int):
                raise self.fail(node, f"only integer constants are allowed, not {node.value!r}")
            return Const(node.value)
        if isinstance(node, ast.Name):
            return self.line(node)
        if isinstance(node, ast.UnaryOp):
            if isinstance(node.op, ast.USub):
                return Neg(self.arithmetic(node.operand))
            if isinstance(node.op, ast.UAdd):
                return self.arithmetic(node.operand)
            raise self.fail(node, f"unsupported operator; allowed are {ALLOWED}")
        if isinstance(node, ast.BinOp):
            ops = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*"}
            op = ops.get(type(node.op))
            if op is None:
                raise self.fail(
                    node, f"operator {type(node.op).__name__} is not allowed; allowed are {ALLOWED}"
                )
            left, right = self.arithmetic(node.left), self.arithmetic(node.right)
            if op == "*" and not (_constant(left) or _constant(right)):
                raise self.fail(node, "multiplication is allowed only by an integer constant")
            return BinOp(op, left, right)
        if isinstance(node, ast.Call):
            return self.call(node)
        if isinstance(node, ast.Compare):
            raise self.fail(node, "a comparison is allowed only once, at the top of a relation")
        raise self.fail(node, f"{type(node).__name__} is not allowed; allowed are {ALLOWED}")

    def line(self, node: ast.Name) -> Node:
        code = node.id
        if code in ("choices", "choice"):
            raise self.fail(node, "write sum(choices) or each(choice)")
        if not self.names.match(code):
            expected = "L1, L2, ..., L5a" if self.names is LINE_CODE_RE else "a question code"
            raise self.fail(node, f"'{code}' is not a line code (expected {expected})")
        if self.choices_code is not None and code == self.choices_code:
            raise self.fail(
                node, f"{code} is the per-choice line: write sum(choices) or each(choice)"
            )
        if self.known_lines is not None and code not in self.known_lines:
            raise self.fail(node, f"unknown line {code}")
        return LineRef(code)

    def call(self, node: ast.Call) -> Node:
        func = node.func.id if isinstance(node.func, ast.Name) else None
        arg = (
            node.args[0].id if len(node.args) == 1 and isinstance(node.args[0], ast.Name) else None
        )
        if not node.keywords and func == "sum" and arg == "choices":
            return SumChoices()
        if not node.keywords and func == "each" and arg == "choice":
            return EachChoice()
        raise self.fail(node, "the only functions are sum(choices) and each(choice)")


def _constant(node: Node) -> bool:
    if isinstance(node, Const):
        return True
    if isinstance(node, Neg):
        return _constant(node.operand)
    if isinstance(node, BinOp):
        return _constant(node.left) and _constant(node.right)
    return False


def _expression(source: str, tree: Node) -> Expression:
    return Expression(source=source, tree=tree, evaluate=tree.compile())


def parse_expression(
    source: str, known_lines: Collection[str] | None = None, *, choices_code: str | None = None
) -> Expression:
    """Parse an arithmetic expression (no comparison), e.g. ``L3 + L4 + L5``."""
    parser = _Parser(source, known_lines, choices_code)
    tree = parser.parse_tree()
    if isinstance(tree, ast.Compare):
        raise parser.fail(None, "expected an arithmetic expression, not a comparison")
    return _expression(source, parser.arithmetic(tree))


def parse_relation(
    source: str,
    known_lines: Collection[str] | None = None,
    *,
    choices_code: str | None = None,
    names: re.Pattern[str] = LINE_CODE_RE,
) -> Comparison:
    """Parse a control relation such as ``L2 == L3 + L8``.

    ``known_lines``, when given, is the set of line codes the form defines; any other code is an
    error. ``choices_code`` is the code of the per-choice line, which may not be used directly.
    ``names`` is the pattern of the names the relation may use (line codes by default).
    """
    parser = _Parser(source, known_lines, choices_code, names)
    tree = parser.parse_tree()
    if not isinstance(tree, ast.Compare):
        raise parser.fail(None, "a relation must compare two sides (==, <=, >=, <, >)")
    if len(tree.ops) != 1:
        raise parser.fail(None, "chained comparisons are not allowed: write one relation each")
    op = COMPARISONS.get(type(tree.ops[0]))
    if op is None:
        raise parser.fail(
            None, f"comparison {type(tree.ops[0]).__name__} is not allowed (==, <=, >=, <, >)"
        )
    left_node = parser.arithmetic(tree.left)
    right_node = parser.arithmetic(tree.comparators[0])
    left_src = ast.get_source_segment(source.strip(), tree.left) or ""
    right_src = ast.get_source_segment(source.strip(), tree.comparators[0]) or ""
    comparison = Comparison(
        source=source,
        op=op,
        left=_expression(left_src, left_node),
        right=_expression(right_src, right_node),
    )
    if not comparison.coefficients().keys() - {""}:
        raise parser.fail(None, "the relation refers to no line")
    return comparison
