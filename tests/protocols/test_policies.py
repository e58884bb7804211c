"""Per-election policies: turnout threshold, photographed pages, register of voters."""

from __future__ import annotations

import numpy as np
import pytest

from baqylau.protocols.engine import (
    Severity,
    Status,
    ValidationPolicy,
    load_form,
    validate,
    validate_arrays,
)


def verdict(result) -> str:
    """ "passed"; or "failed" with errors (figures that cannot be right), or with flags only (a
    person must look): the status is "failed" either way, the findings say which."""
    if result.status is Status.PASSED:
        assert result.findings == ()
        return "passed"
    assert result.status is Status.FAILED and result.findings
    return "failed: errors" if result.errors else "failed: flags"


FORM = "kz_president"
# A consistent protocol: 1,000 voters, 800 took part (80%).
FIGURES = {"L1": 1000, "L2": 900, "L3": 810, "L4": 20, "L5": 800, "L7": 10, "L8": 90}
VOTES = {"a": 500, "b": 290}


def test_clean_protocol_passes() -> None:
    result = validate(load_form(FORM), FIGURES, choices=VOTES)
    assert verdict(result) == "passed"


def test_turnout_above_threshold_fails_with_a_flag() -> None:
    policy = ValidationPolicy.from_dict({"turnout_review_above": 0.70})
    result = validate(load_form(FORM), FIGURES, choices=VOTES, policy=policy)
    assert verdict(result) == "failed: flags"
    (finding,) = result.findings
    assert finding.code == "turnout_above_threshold" and finding.severity is Severity.FLAG
    assert finding.message("en") == "Turnout of 80% is above 70%: the protocol needs a review"
    assert finding.message("ru") == "Явка 80% выше порога 70%: протокол нужно проверить"
    assert "80%" in finding.message("kk") and "70%" in finding.message("kk")
    low = validate(load_form(FORM), FIGURES, choices=VOTES, policy={"turnout_review_above": 0.85})
    assert verdict(low) == "passed"


def test_missing_page_makes_the_protocol_incomplete() -> None:
    form = load_form(FORM)
    result = validate(form, FIGURES, choices=VOTES, context={"pages_received": 1})
    assert verdict(result) == "failed: errors"
    (finding,) = result.findings
    assert finding.code == "pages_missing"
    assert finding.message("en") == "Incomplete: only 1 of 2 pages photographed"
    assert finding.message("ru") == "Протокол неполный: сфотографировано только 1 из 2 страниц"
    assert "2 беттің тек 1 беті" in finding.message("kk")
    # Per policy it can be a flag instead, and page numbers may be given instead of a count.
    flagged = validate(
        form,
        FIGURES,
        choices=VOTES,
        policy={"pages_missing_severity": "flag"},
        context={"pages_received": [2, 2]},
    )
    assert verdict(flagged) == "failed: flags"
    complete = validate(form, FIGURES, choices=VOTES, context={"pages_received": [1, 2]})
    assert verdict(complete) == "passed"
    three = validate(
        form, FIGURES, choices=VOTES, policy={"required_pages": 3}, context={"pages_received": 2}
    )
    assert three.findings[0].message("en") == "Incomplete: only 2 of 3 pages photographed"


def test_registered_voters_mismatch_is_flagged() -> None:
    form = load_form(FORM)
    result = validate(form, FIGURES, choices=VOTES, context={"registered_voters": 1012})
    assert verdict(result) == "failed: flags"
    (finding,) = result.findings
    assert finding.code == "registered_voters_mismatch"
    assert (finding.left, finding.right, finding.difference) == (1000, 1012, -12)
    assert finding.message("en") == (
        "Line 1 gives 1,000 voters on the list, but the station's register has 1,012 "
        "(a difference of 12)"
    )
    assert "1 012" in finding.message("ru") and "1 012" in finding.message("kk")
    tolerant = validate(
        form,
        FIGURES,
        choices=VOTES,
        policy={"registered_voters_tolerance": 20},
        context={"registered_voters": 1012},
    )
    assert verdict(tolerant) == "passed"


def test_relation_overrides() -> None:
    form = load_form(FORM)
    broken = dict(FIGURES, L2=901)
    assert verdict(validate(form, broken, choices=VOTES)) == "failed: errors"
    policy = {"severity_overrides": {"ballots_balance": "flag"}}
    assert verdict(validate(form, broken, choices=VOTES, policy=policy)) == "failed: flags"
    policy = {"tolerance_overrides": {"ballots_balance": 1}}
    assert verdict(validate(form, broken, choices=VOTES, policy=policy)) == "passed"
    policy = {"disabled_relations": ["ballots_balance"]}
    assert verdict(validate(form, broken, choices=VOTES, policy=policy)) == "passed"


@pytest.mark.parametrize(
    ("settings", "problem"),
    [
        ({"turnout_above": 0.7}, "unknown policy setting"),
        ({"turnout_review_above": 70}, "share in (0, 1]"),
        ({"pages_missing_severity": "warning"}, "must be 'error' or 'flag'"),
        ({"registered_voters_tolerance": -1}, "non-negative integer"),
        ({"severity_overrides": {"no_such": "flag"}}, "unknown relation"),
    ],
)
def test_bad_policies_are_refused(settings: dict, problem: str) -> None:
    with pytest.raises(ValueError, match=problem.replace("(", r"\(").replace("]", r"\]")):
        ValidationPolicy.from_dict(settings, form=load_form(FORM))


def test_policies_in_bulk() -> None:
    form = load_form(FORM)
    n = 4
    lines = {code: np.full(n, value) for code, value in FIGURES.items()}
    lines["L1"] = np.array([1000, 1000, 1200, 1000])  # station 2: turnout 67%
    votes = np.tile(np.array(list(VOTES.values())), (n, 1))
    bulk = validate_arrays(
        form,
        lines,
        votes,
        {"turnout_review_above": 0.7},
        context={
            "pages_received": np.array([2, 1, 2, 2]),
            "registered_voters": np.array([1000, 1000, 1200, 1100]),
        },
    )
    assert bulk.checks["turnout_above_threshold"][1].tolist() == [True, True, False, True]
    assert bulk.checks["pages_missing"][1].tolist() == [False, True, False, False]
    assert bulk.checks["registered_voters_mismatch"][1].tolist() == [False, False, False, True]
    assert bulk.status().tolist() == ["failed", "failed", "passed", "failed"]
    # station 1 has an error (a page missing), stations 0 and 3 only flags
    assert bulk.error_mask.tolist() == [False, True, False, False]
    assert bulk.flag_mask.tolist() == [True, True, False, True]
