"""The validation engine: one protocol (exact, with messages) or many stations at once (numpy).

``validate`` checks one protocol copy: completeness (required lines filled, no negative figures),
every control relation of its form (per choice where the relation says ``each(choice)``) and the
election's policies (turnout threshold, photographed pages, voters on the list vs the station
register). ``validate_arrays`` evaluates the same compiled relations on whole columns of figures
(stations × lines, stations × choices) and returns violation masks, with no Python loop over
stations. Both use the one parsed expression tree of each relation.
"""

from __future__ import annotations

import numbers
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field, fields
from enum import StrEnum
from typing import Any

import numpy as np

from .expressions import Operands
from .forms import LANGUAGES, LocalizedText, ProtocolForm, Relation, Severity
from .messages import (
    MISSING_CHOICE,
    MISSING_LINE,
    NEGATIVE_CHOICE,
    NEGATIVE_LINE,
    PAGES_MISSING,
    REGISTERED_MISMATCH,
    TURNOUT_HIGH,
    format_number,
    format_percent,
)


class Status(StrEnum):
    """The outcome of the checks, in the glossary's words. Whether a failed copy has errors
    (figures that cannot be right) or only flags (a person must look) is in its findings."""

    PASSED = "passed"
    FAILED = "failed"


class FindingKind(StrEnum):
    RELATION = "relation"  # a control relation of the form is broken
    MISSING = "missing"  # a required line (or a choice's votes) is empty
    NEGATIVE = "negative"  # a figure below zero
    POLICY = "policy"  # an election policy (turnout, pages, register) is not met


# Codes of the engine's own findings (relation findings use the relation id).
MISSING_LINE_CODE = "missing_line"
MISSING_CHOICE_CODE = "missing_choice"
NEGATIVE_LINE_CODE = "negative_line"
NEGATIVE_CHOICE_CODE = "negative_choice"
TURNOUT_CODE = "turnout_above_threshold"
PAGES_CODE = "pages_missing"
REGISTERED_CODE = "registered_voters_mismatch"


def _severity(value: Any, where: str) -> Severity:
    try:
        return Severity(value)
    except ValueError:
        raise ValueError(f"{where} must be 'error' or 'flag', not {value!r}") from None


def _non_negative_int(value: Any, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 0:
        raise ValueError(f"{where} must be a non-negative integer, not {value!r}")
    return int(value)


# ---------------------------------------------------------------------------------------------
# Policy and context


@dataclass(frozen=True)
class ValidationPolicy:
    """Per-election settings of the checks that are not arithmetic identities of the form."""

    #: Flag a protocol whose turnout (the form's ``turnout``) exceeds this share, e.g. 0.70.
    turnout_review_above: float | None = None
    turnout_severity: Severity = Severity.FLAG
    #: Pages of the paper protocol that must be photographed (default: the form's ``pages``).
    required_pages: int | None = None
    pages_missing_severity: Severity = Severity.ERROR
    #: Allowed absolute difference between the registered-voters line and the station register.
    registered_voters_tolerance: int = 0
    registered_voters_severity: Severity = Severity.FLAG
    missing_line_severity: Severity = Severity.ERROR
    #: Per-election adjustments of the form's relations, by relation id.
    severity_overrides: Mapping[str, Severity] = field(default_factory=dict)
    tolerance_overrides: Mapping[str, int] = field(default_factory=dict)
    disabled_relations: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        t = self.turnout_review_above
        if t is not None and (
            isinstance(t, bool) or not isinstance(t, numbers.Real) or not 0 < t <= 1
        ):
            raise ValueError(f"turnout_review_above must be a share in (0, 1], not {t!r}")
        if self.required_pages is not None and (
            _non_negative_int(self.required_pages, "required_pages") < 1
        ):
            raise ValueError("required_pages must be at least 1")
        _non_negative_int(self.registered_voters_tolerance, "registered_voters_tolerance")
        for name in (
            "turnout_severity",
            "pages_missing_severity",
            "registered_voters_severity",
            "missing_line_severity",
        ):
            object.__setattr__(self, name, _severity(getattr(self, name), name))
        object.__setattr__(
            self,
            "severity_overrides",
            {
                k: _severity(v, f"severity_overrides[{k}]")
                for k, v in dict(self.severity_overrides).items()
            },
        )
        object.__setattr__(
            self,
            "tolerance_overrides",
            {
                k: _non_negative_int(v, f"tolerance_overrides[{k}]")
                for k, v in dict(self.tolerance_overrides).items()
            },
        )
        object.__setattr__(self, "disabled_relations", frozenset(self.disabled_relations))

    @classmethod
    def from_dict(
        cls, data: Mapping[str, Any] | None, *, form: ProtocolForm | None = None
    ) -> ValidationPolicy:
        """Build from configuration (e.g. an election's JSON settings); unknown keys are errors.

        With ``form``, relation ids in the overrides must exist in that form.
        """
        data = dict(data or {})
        names = {f.name for f in fields(cls)}
        unknown = sorted(data.keys() - names)
        if unknown:
            raise ValueError(
                f"unknown policy setting(s) {', '.join(unknown)} (known: {', '.join(sorted(names))})"
            )
        policy = cls(**data)
        if form is not None:
            ids = {relation.id for relation in form.relations}
            referred = (
                set(policy.severity_overrides)
                | set(policy.tolerance_overrides)
                | set(policy.disabled_relations)
            )
            bad = sorted(referred - ids)
            if bad:
                raise ValueError(
                    f"policy refers to unknown relation(s) of {form}: {', '.join(bad)}"
                )
        return policy

    def severity_of(self, relation: Relation) -> Severity:
        return self.severity_overrides.get(relation.id, relation.severity)

    def tolerance_of(self, relation: Relation) -> int:
        return self.tolerance_overrides.get(relation.id, relation.tolerance)


@dataclass(frozen=True)
class ValidationContext:
    """What is known about the submission and the station besides the figures."""

    #: Number of distinct protocol pages photographed (None: not known, not checked).
    pages_received: int | None = None
    #: Pages required for this protocol (overrides the policy and the form).
    required_pages: int | None = None
    #: Registered voters of the station from the official register (compared with the form's L1).
    registered_voters: int | None = None

    @classmethod
    def coerce(cls, value: ValidationContext | Mapping[str, Any] | None) -> ValidationContext:
        if value is None:
            return cls()
        if isinstance(value, cls):
            return value
        data = dict(value)
        names = {f.name for f in fields(cls)}
        unknown = sorted(data.keys() - names)
        if unknown:
            raise ValueError(f"unknown context key(s) {', '.join(unknown)}")
        for key, item in data.items():
            if item is not None and not isinstance(item, Collection):
                _non_negative_int(item, key)
        pages = data.get("pages_received")
        if isinstance(pages, Collection):  # the page numbers themselves
            data["pages_received"] = len(set(pages))
        return cls(**data)


# ---------------------------------------------------------------------------------------------
# Findings


@dataclass(frozen=True)
class Percent:
    value: float


def _render(value: Any, lang: str) -> str:
    if isinstance(value, LocalizedText):
        return value.get(lang)
    if isinstance(value, Percent):
        return format_percent(value.value, lang)
    return format_number(value, lang)


@dataclass(frozen=True)
class Finding:
    """One problem found in a protocol.

    ``code`` is the relation id for relation findings, else one of the engine's codes
    (``missing_line``, ``negative_line``, ``turnout_above_threshold``, ``pages_missing``, ...).
    ``left`` and ``right`` are the values of the two sides and ``difference`` is ``left - right``.
    """

    code: str
    kind: FindingKind
    severity: Severity
    lines: tuple[str, ...]
    template: LocalizedText = field(repr=False)
    left: int | float | None = None
    right: int | float | None = None
    difference: int | float | None = None
    choice: str | None = None
    expected: str | None = None  # the relation as written in the form, e.g. "L2 == L3 + L8"
    params: tuple[tuple[str, Any], ...] = field(default=(), repr=False)

    @property
    def relation_id(self) -> str | None:
        return self.code if self.kind is FindingKind.RELATION else None

    def message(self, lang: str = "ru") -> str:
        """The problem in plain words, in ``kk``, ``ru`` or ``en``."""
        values: dict[str, Any] = dict(self.params)
        if self.left is not None:
            values.setdefault("left", self.left)
            values.setdefault("right", self.right)
            values.setdefault("difference", abs(self.difference))
        rendered = {key: _render(value, lang) for key, value in values.items()}
        return self.template.get(lang).format(**rendered)

    def as_dict(self) -> dict[str, Any]:
        """JSON-friendly form (messages in every language), for storage and the API."""
        return {
            "code": self.code,
            "kind": str(self.kind),
            "severity": str(self.severity),
            "lines": list(self.lines),
            "choice": self.choice,
            "expected": self.expected,
            "left": self.left,
            "right": self.right,
            "difference": self.difference,
            "messages": {lang: self.message(lang) for lang in LANGUAGES},
        }


@dataclass(frozen=True)
class ValidationResult:
    form: ProtocolForm
    findings: tuple[Finding, ...]
    #: Relations that could not be checked because a line they use is empty.
    unchecked: tuple[str, ...] = ()

    @property
    def status(self) -> Status:
        return Status.FAILED if self.findings else Status.PASSED

    @property
    def errors(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.severity is Severity.ERROR)

    @property
    def flags(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.severity is Severity.FLAG)

    @property
    def relation_ids(self) -> set[str]:
        """Ids of the broken relations."""
        return {f.code for f in self.findings if f.kind is FindingKind.RELATION}

    @property
    def codes(self) -> set[str]:
        return {f.code for f in self.findings}

    def messages(self, lang: str = "ru") -> list[str]:
        return [f.message(lang) for f in self.findings]

    def as_dict(self) -> dict[str, Any]:
        return {
            "form": self.form.code,
            "form_version": self.form.version,
            "status": str(self.status),
            "findings": [f.as_dict() for f in self.findings],
            "unchecked": list(self.unchecked),
        }


# ---------------------------------------------------------------------------------------------
# Scalar engine


def _as_count(value: Any, where: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{where} must be an integer or None, not {value!r}")
    return int(value)


def _choice_label(code: str, names: Mapping[str, Any] | None) -> LocalizedText:
    name = (names or {}).get(code, code)
    if isinstance(name, LocalizedText):
        return name
    if isinstance(name, Mapping):
        fallback = next((name[lang] for lang in ("ru", "kk", "en") if name.get(lang)), code)
        return LocalizedText(**{lang: name.get(lang) or fallback for lang in LANGUAGES})
    return LocalizedText(kk=str(name), ru=str(name), en=str(name))


def validate(
    form: ProtocolForm,
    figures: Mapping[str, int | None],
    *,
    choices: Mapping[str, int | None],
    choice_names: Mapping[str, str | Mapping[str, str] | LocalizedText] | None = None,
    policy: ValidationPolicy | Mapping[str, Any] | None = None,
    context: ValidationContext | Mapping[str, Any] | None = None,
) -> ValidationResult:
    """Check one protocol.

    ``figures`` maps the form's line codes to ints (None or absent: the line is empty);
    ``choices`` maps choice codes to votes (None: empty); ``choice_names`` gives the names used in
    messages (a string, or a {kk, ru, en} mapping, per choice code).
    """
    if not isinstance(policy, ValidationPolicy):
        policy = ValidationPolicy.from_dict(policy, form=form)
    ctx = ValidationContext.coerce(context)
    unknown = sorted(set(figures) - set(form.line_codes))
    if unknown:
        raise ValueError(f"{form} has no line(s) {', '.join(unknown)}")
    values = {code: _as_count(figures.get(code), code) for code in form.line_codes}
    votes = {code: _as_count(v, f"votes of choice {code}") for code, v in choices.items()}
    findings: list[Finding] = []
    unchecked: list[str] = []

    for line in form.lines:
        value = values[line.code]
        params = (("number", line.number), ("line_name", line.name), ("value", value))
        if value is None:
            if line.required:
                findings.append(
                    Finding(
                        MISSING_LINE_CODE,
                        FindingKind.MISSING,
                        policy.missing_line_severity,
                        (line.code,),
                        MISSING_LINE,
                        params=params,
                    )
                )
        elif value < 0:
            findings.append(
                Finding(
                    NEGATIVE_LINE_CODE,
                    FindingKind.NEGATIVE,
                    Severity.ERROR,
                    (line.code,),
                    NEGATIVE_LINE,
                    params=params,
                )
            )
    for code, value in votes.items():
        label = _choice_label(code, choice_names)
        params = (("number", form.choices.number), ("choice", label), ("value", value))
        if value is None and form.choices.required:
            findings.append(
                Finding(
                    MISSING_CHOICE_CODE,
                    FindingKind.MISSING,
                    policy.missing_line_severity,
                    (form.choices.code,),
                    MISSING_CHOICE,
                    choice=code,
                    params=params,
                )
            )
        elif value is not None and value < 0:
            findings.append(
                Finding(
                    NEGATIVE_CHOICE_CODE,
                    FindingKind.NEGATIVE,
                    Severity.ERROR,
                    (form.choices.code,),
                    NEGATIVE_CHOICE,
                    choice=code,
                    params=params,
                )
            )

    all_votes_known = all(v is not None for v in votes.values())
    choices_sum = sum(v for v in votes.values() if v is not None)
    for relation in form.relations:
        if relation.id in policy.disabled_relations:
            continue
        if any(values[code] is None for code in relation.lines) or (
            relation.comparison.uses_choices_sum and not all_votes_known
        ):
            unchecked.append(relation.id)
            continue
        severity = policy.severity_of(relation)
        tolerance = policy.tolerance_of(relation)
        involved = form.relation_lines(relation)
        if relation.per_choice:
            targets: Iterable[tuple[str | None, int]] = [
                (code, v) for code, v in votes.items() if v is not None
            ]
            if not all_votes_known:
                unchecked.append(relation.id)
        else:
            targets = [(None, 0)]
        for choice, each in targets:
            operands = Operands(lines=values, choices_sum=choices_sum, each=each)
            left, right = relation.comparison.sides(operands)
            if relation.comparison.violated(left, right, tolerance):
                params: tuple[tuple[str, Any], ...] = (("tolerance", tolerance),)
                if choice is not None:
                    params += (("choice", _choice_label(choice, choice_names)),)
                findings.append(
                    Finding(
                        relation.id,
                        FindingKind.RELATION,
                        severity,
                        involved,
                        relation.message,
                        left=left,
                        right=right,
                        difference=left - right,
                        choice=choice,
                        expected=relation.expr,
                        params=params,
                    )
                )

    findings.extend(_policy_findings(form, values, choices_sum, all_votes_known, policy, ctx))
    return ValidationResult(form=form, findings=tuple(findings), unchecked=tuple(unchecked))


def _registered_line(form: ProtocolForm) -> str | None:
    if form.turnout is not None and len(form.turnout.registered.lines) == 1:
        return form.turnout.registered.lines[0]
    return "L1" if "L1" in form.line_codes else None


def _policy_findings(
    form: ProtocolForm,
    values: Mapping[str, int | None],
    choices_sum: int,
    all_votes_known: bool,
    policy: ValidationPolicy,
    ctx: ValidationContext,
) -> list[Finding]:
    findings: list[Finding] = []
    turnout = form.turnout
    if policy.turnout_review_above is not None and turnout is not None:
        needed = turnout.voters.lines + turnout.registered.lines
        sum_ok = all_votes_known or not (
            turnout.voters.uses_choices_sum or turnout.registered.uses_choices_sum
        )
        if sum_ok and all(values[code] is not None for code in needed):
            operands = Operands(lines=values, choices_sum=choices_sum)
            voters = turnout.voters.evaluate(operands)
            registered = turnout.registered.evaluate(operands)
            if registered > 0 and voters / registered > policy.turnout_review_above:
                findings.append(
                    Finding(
                        TURNOUT_CODE,
                        FindingKind.POLICY,
                        policy.turnout_severity,
                        tuple(dict.fromkeys(needed)),
                        TURNOUT_HIGH,
                        params=(
                            ("turnout", Percent(voters / registered)),
                            ("threshold", Percent(policy.turnout_review_above)),
                            ("voters", voters),
                            ("registered", registered),
                        ),
                    )
                )
    required = ctx.required_pages or policy.required_pages or form.pages
    if required and ctx.pages_received is not None and ctx.pages_received < required:
        findings.append(
            Finding(
                PAGES_CODE,
                FindingKind.POLICY,
                policy.pages_missing_severity,
                (),
                PAGES_MISSING,
                params=(("received", ctx.pages_received), ("required", required)),
            )
        )
    registered_line = _registered_line(form)
    if ctx.registered_voters is not None and registered_line is not None:
        value = values[registered_line]
        if value is not None and abs(value - ctx.registered_voters) > (
            policy.registered_voters_tolerance
        ):
            findings.append(
                Finding(
                    REGISTERED_CODE,
                    FindingKind.POLICY,
                    policy.registered_voters_severity,
                    (registered_line,),
                    REGISTERED_MISMATCH,
                    left=value,
                    right=ctx.registered_voters,
                    difference=value - ctx.registered_voters,
                    params=(("number", form.line(registered_line).number),),
                )
            )
    return findings


# ---------------------------------------------------------------------------------------------
# Vectorised engine


@dataclass(frozen=True)
class RelationMask:
    """Where one relation fails across stations."""

    relation: Relation
    severity: Severity
    #: True where the relation is broken (for a per-choice relation: for at least one choice).
    violated: np.ndarray
    #: True where it could not be checked (a line it uses is missing).
    unchecked: np.ndarray
    #: stations × choices, for per-choice relations only.
    by_choice: np.ndarray | None = None

    @property
    def count(self) -> int:
        return int(self.violated.sum())


@dataclass(frozen=True)
class BulkFindings:
    form: ProtocolForm
    n_stations: int
    relations: dict[str, RelationMask]
    #: Engine checks (missing_line:<code>, negative_line:<code>, missing_choice, negative_choice)
    #: and policies (turnout_above_threshold, pages_missing, registered_voters_mismatch).
    checks: dict[str, tuple[Severity, np.ndarray]]

    def counts(self) -> dict[str, int]:
        """Number of stations failing each relation and check."""
        result = {rid: mask.count for rid, mask in self.relations.items()}
        result.update({code: int(mask.sum()) for code, (_, mask) in self.checks.items()})
        return result

    def _masks(self, severity: Severity) -> list[np.ndarray]:
        masks = [m.violated for m in self.relations.values() if m.severity is severity]
        masks += [mask for sev, mask in self.checks.values() if sev is severity]
        return masks

    @property
    def error_mask(self) -> np.ndarray:
        """True at stations with at least one error (they failed the checks with an error)."""
        return np.logical_or.reduce(
            self._masks(Severity.ERROR) or [np.zeros(self.n_stations, bool)]
        )

    @property
    def flag_mask(self) -> np.ndarray:
        return np.logical_or.reduce(self._masks(Severity.FLAG) or [np.zeros(self.n_stations, bool)])

    @property
    def errors_total(self) -> int:
        return int(self.error_mask.sum())

    def status(self) -> np.ndarray:
        """Status per station: an array of 'passed', 'failed'."""
        result = np.full(self.n_stations, Status.PASSED.value, dtype=object)
        result[self.flag_mask | self.error_mask] = Status.FAILED.value
        return result


def _column(values: Any, n: int | None, where: str) -> tuple[np.ndarray, np.ndarray]:
    """(int64 values with missing as 0, missing mask)."""
    if isinstance(values, np.ma.MaskedArray):
        missing = np.ma.getmaskarray(values)
        data = np.asarray(values.filled(0), dtype=np.int64)
    else:
        data = np.asarray(values)
        if data.dtype.kind == "f":
            missing = np.isnan(data)
            data = np.where(missing, 0, data).astype(np.int64)
        else:
            missing = np.zeros(data.shape, dtype=bool)
            data = data.astype(np.int64, copy=False)
    if n is not None and data.shape[0] != n:
        raise ValueError(f"{where} has {data.shape[0]} stations, expected {n}")
    return data, missing


def validate_arrays(
    form: ProtocolForm,
    lines: Mapping[str, Any],
    choices: Any,
    policy: ValidationPolicy | Mapping[str, Any] | None = None,
    *,
    context: Mapping[str, Any] | None = None,
) -> BulkFindings:
    """Check many stations at once.

    ``lines`` maps line codes to 1-D arrays (one value per station); ``choices`` is a
    stations × choices array. Missing values may be given as a masked array or NaN in a float
    array. ``context`` may hold per-station arrays ``registered_voters``, ``pages_received`` and
    ``required_pages`` (same meaning as in :func:`validate`).
    """
    if not isinstance(policy, ValidationPolicy):
        policy = ValidationPolicy.from_dict(policy, form=form)
    unknown = sorted(set(lines) - set(form.line_codes))
    if unknown:
        raise ValueError(f"{form} has no line(s) {', '.join(unknown)}")
    votes, votes_missing = _column(choices, None, "choices")
    if votes.ndim != 2:
        raise ValueError("choices must be a stations × choices array")
    n = votes.shape[0]
    values: dict[str, np.ndarray] = {}
    missing: dict[str, np.ndarray] = {}
    for code in form.line_codes:
        if code in lines:
            values[code], missing[code] = _column(lines[code], n, code)
        else:
            values[code] = np.zeros(n, dtype=np.int64)
            missing[code] = np.ones(n, dtype=bool)

    checks: dict[str, tuple[Severity, np.ndarray]] = {}
    for line in form.lines:
        if line.required and missing[line.code].any():
            checks[f"{MISSING_LINE_CODE}:{line.code}"] = (
                policy.missing_line_severity,
                missing[line.code],
            )
        negative = (values[line.code] < 0) & ~missing[line.code]
        if negative.any():
            checks[f"{NEGATIVE_LINE_CODE}:{line.code}"] = (Severity.ERROR, negative)
    if form.choices.required and votes_missing.any():
        checks[MISSING_CHOICE_CODE] = (policy.missing_line_severity, votes_missing.any(axis=1))
    if ((votes < 0) & ~votes_missing).any():
        checks[NEGATIVE_CHOICE_CODE] = (Severity.ERROR, ((votes < 0) & ~votes_missing).any(axis=1))

    any_vote_missing = votes_missing.any(axis=1)
    choices_sum = votes.sum(axis=1)
    column_values = {code: value[:, None] for code, value in values.items()}
    relations: dict[str, RelationMask] = {}
    for relation in form.relations:
        if relation.id in policy.disabled_relations:
            continue
        tolerance = policy.tolerance_of(relation)
        lines_missing = np.zeros(n, dtype=bool)
        for code in relation.lines:
            lines_missing |= missing[code]
        if relation.comparison.uses_choices_sum:
            lines_missing |= any_vote_missing
        if relation.per_choice:
            operands = Operands(lines=column_values, choices_sum=choices_sum[:, None], each=votes)
            left, right = relation.comparison.sides(operands)
            broken = np.broadcast_to(
                relation.comparison.violated(left, right, tolerance), votes.shape
            )
            by_choice = broken & ~votes_missing & ~lines_missing[:, None]
            violated = by_choice.any(axis=1)
            unchecked = lines_missing | any_vote_missing
        else:
            operands = Operands(lines=values, choices_sum=choices_sum)
            left, right = relation.comparison.sides(operands)
            broken = np.broadcast_to(relation.comparison.violated(left, right, tolerance), (n,))
            violated = broken & ~lines_missing
            by_choice = None
            unchecked = lines_missing
        relations[relation.id] = RelationMask(
            relation, policy.severity_of(relation), violated, unchecked, by_choice
        )

    checks.update(
        _bulk_policies(form, values, missing, choices_sum, any_vote_missing, policy, context, n)
    )
    return BulkFindings(form=form, n_stations=n, relations=relations, checks=checks)


def _bulk_policies(
    form: ProtocolForm,
    values: Mapping[str, np.ndarray],
    missing: Mapping[str, np.ndarray],
    choices_sum: np.ndarray,
    any_vote_missing: np.ndarray,
    policy: ValidationPolicy,
    context: Mapping[str, Any] | None,
    n: int,
) -> dict[str, tuple[Severity, np.ndarray]]:
    checks: dict[str, tuple[Severity, np.ndarray]] = {}
    context = dict(context or {})
    unknown = sorted(context.keys() - {f.name for f in fields(ValidationContext)})
    if unknown:
        raise ValueError(f"unknown context key(s) {', '.join(unknown)}")
    turnout = form.turnout
    if policy.turnout_review_above is not None and turnout is not None:
        operands = Operands(lines=values, choices_sum=choices_sum)
        voters = np.broadcast_to(turnout.voters.evaluate(operands), (n,))
        registered = np.broadcast_to(turnout.registered.evaluate(operands), (n,))
        known = np.ones(n, dtype=bool)
        for code in turnout.voters.lines + turnout.registered.lines:
            known &= ~missing[code]
        if turnout.voters.uses_choices_sum or turnout.registered.uses_choices_sum:
            known &= ~any_vote_missing
        # voters / registered > t  ⇔  voters > t · registered (registered > 0), without division
        high = known & (registered > 0) & (voters > policy.turnout_review_above * registered)
        checks[TURNOUT_CODE] = (policy.turnout_severity, high)
    if context.get("pages_received") is not None:
        received, received_missing = _column(context["pages_received"], n, "pages_received")
        if context.get("required_pages") is not None:
            required, _ = _column(context["required_pages"], n, "required_pages")
        else:
            required = np.full(n, policy.required_pages or form.pages or 0, dtype=np.int64)
        checks[PAGES_CODE] = (
            policy.pages_missing_severity,
            ~received_missing & (received < required),
        )
    registered_line = _registered_line(form)
    if context.get("registered_voters") is not None and registered_line is not None:
        register, register_missing = _column(context["registered_voters"], n, "registered_voters")
        mismatch = np.abs(values[registered_line] - register) > policy.registered_voters_tolerance
        checks[REGISTERED_CODE] = (
            policy.registered_voters_severity,
            mismatch & ~register_missing & ~missing[registered_line],
        )
    return checks
