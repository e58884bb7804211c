"""Property tests: consistent protocols pass; any change of a checked figure is caught."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from baqylau.protocols.engine import Status, load_form, validate, validate_arrays

from .helpers import KZ_FORMS, RU_FORMS, break_relation, consistent_protocol, equality_lines

ALL_FORMS = KZ_FORMS + RU_FORMS
SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@pytest.mark.parametrize("code", ALL_FORMS)
def test_consistent_protocols_pass(code: str) -> None:
    form = load_form(code)

    @SETTINGS
    @given(consistent_protocol(code))
    def check(protocol) -> None:
        figures, votes = protocol
        result = validate(form, figures, choices=votes)
        assert result.findings == (), result.messages("en")
        assert result.status is Status.PASSED

    check()


@pytest.mark.parametrize("code", ALL_FORMS)
def test_changing_one_balanced_figure_is_caught(code: str) -> None:
    """Every line of an equality (and every choice's votes) is checked: any change shows.

    Lines that appear only in inequalities (e.g. L1, the voters on the list) can move within
    their slack without breaking anything; those are covered by the crafted-break test below.
    """
    form = load_form(code)
    targets = equality_lines(form)

    @SETTINGS
    @given(
        consistent_protocol(code),
        st.sampled_from(targets),
        st.integers(-1000, 1000).filter(bool),
        st.data(),
    )
    def check(protocol, line, delta, data) -> None:
        figures, votes = protocol
        figures, votes = dict(figures), dict(votes)
        if line == form.choices.code:
            choice = data.draw(st.sampled_from(sorted(votes)))
            votes[choice] += delta
        else:
            figures[line] += delta
        result = validate(form, figures, choices=votes)
        involved = [f for f in result.findings if f.relation_id and line in f.lines]
        assert involved, (line, delta, result.messages("en"))
        assert result.status is Status.FAILED

    check()


@pytest.mark.parametrize(
    ("code", "relation_id"),
    [(code, r.id) for code in ALL_FORMS for r in load_form(code).relations],
)
def test_a_break_crafted_for_each_relation_is_reported_by_its_id(
    code: str, relation_id: str
) -> None:
    form = load_form(code)
    relation = form.relation(relation_id)

    @SETTINGS
    @given(consistent_protocol(code))
    def check(protocol) -> None:
        figures, votes, choice = break_relation(relation, *protocol)
        result = validate(form, figures, choices=votes)
        hits = [f for f in result.findings if f.code == relation_id]
        assert hits, (relation_id, result.messages("en"))
        if choice is not None:
            assert {f.choice for f in hits} == {choice}
        for finding in hits:
            assert finding.severity == relation.severity
            for lang in ("kk", "ru", "en"):
                assert finding.message(lang)
        # The vectorised engine sees the same break.
        lines = {k: np.array([v]) for k, v in figures.items()}
        bulk = validate_arrays(form, lines, np.array([list(votes.values())]))
        assert bulk.relations[relation_id].violated.tolist() == [True]

    check()
