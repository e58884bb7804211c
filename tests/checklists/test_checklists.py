"""Checklist dashboards: answers by unit with % reported and % missing, the response rate,
quality rules (the protocol checks' expression language over answers) flagged → verified or
rejected by staff (audited, ledgered), the call log, and the pages."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import translation

from baqylau.checklists import rules, selectors, services
from baqylau.checklists.models import ConfirmationCall, FlagDecision
from baqylau.elections.models import AdminUnit
from baqylau.evidence.ledger import verify as verify_ledger
from baqylau.evidence.models import LedgerEntry
from baqylau.observers.models import AuditEvent
from baqylau.protocols.engine.expressions import ExpressionError
from baqylau.reports.forms import load_form

pytestmark = pytest.mark.django_db

FORM = load_form("opening")


def root(world):
    return AdminUnit.objects.get(election=world.election, parent__isnull=True)


def row(rows, code):
    return next(r for r in rows if r.code == code)


def test_quality_rules_are_data_in_the_protocol_checks_language():
    parsed = rules.form_rules(FORM)
    assert [r.id for r in parsed] == ["sealed_not_shown_empty", "empty_seen_without_view"]
    yes = {q["code"]: True for q in FORM["questions"]}
    assert rules.flagged_rules(parsed, yes) == []
    flagged = rules.flagged_rules(parsed, yes | {"boxes_empty_shown": False})
    assert [r.id for r in flagged] == ["sealed_not_shown_empty"]
    assert rules.violated(parsed[0], {"boxes_sealed": True}) is None  # not answered: no flag
    with pytest.raises(ExpressionError):  # a question the form does not have
        rules.form_rules({**FORM, "rules": [{"id": "x", "expr": "nope <= boxes_sealed"}]})
    with pytest.raises(ExpressionError):  # nothing outside the whitelist, ever evaluated
        rules.form_rules(
            {**FORM, "rules": [{"id": "x", "expr": "__import__('os') <= boxes_sealed"}]}
        )


def test_answers_by_unit_with_reported_and_missing(world, reports):
    moderator = world.users["moderator"]
    rows, answers = selectors.question_table(moderator, world.election, FORM, root(world))
    assert len(answers) == 3
    sealed = row(rows, "boxes_sealed")
    assert (sealed.total.yes, sealed.total.no, sealed.total.conflict) == (2, 0, 0)
    assert sealed.total.stations == 3 and sealed.total.missing == 1
    assert sealed.total.reported_share == pytest.approx(2 / 3)
    assert sealed.total.missing_share == pytest.approx(1 / 3)
    shown = row(rows, "boxes_empty_shown")
    assert (shown.total.yes, shown.total.no, shown.total.conflict) == (1, 0, 1)
    assert shown.total.yes_share == 1.0  # of the one station with one answer
    by_region = {c.unit.code: c for c in shown.units}
    assert (by_region["01"].stations, by_region["01"].conflict) == (2, 1)
    assert (by_region["02"].stations, by_region["02"].missing) == (1, 1)
    assert by_region["02"].yes_share is None  # unknown, never 0


def test_response_rate(world, reports):
    total, rows, answers = selectors.response_rates(
        world.users["moderator"], world.election, FORM, root(world)
    )
    assert total.counts == {"missing": 1, "partial": 0, "complete": 1, "conflict": 1}
    states = {a.station.code: a.state for a in answers.values()}
    assert states == {"237": "complete", "238": "conflict", "300": "missing"}
    assert {r.unit.code: r.counts["missing"] for r in rows} == {"01": 0, "02": 1}


def test_a_rejected_report_leaves_the_figures_audited_and_ledgered(world, reports):
    moderator = world.users["moderator"]
    (report,) = [
        r
        for r in selectors.reports(moderator, world.election, FORM)
        if r.submission_id == reports["a2"].pk
    ]
    assert [f["rule"] for f in report.flags] == ["sealed_not_shown_empty"]
    assert report.flags[0]["status"] == "flagged"
    with pytest.raises(ValidationError):  # a rejection says why
        services.flag_decide(
            user=moderator,
            submission_id=reports["a2"].pk,
            rule="sealed_not_shown_empty",
            verdict="rejected",
        )
    with pytest.raises(ValidationError):  # only a rule that flags the report
        services.flag_decide(
            user=moderator,
            submission_id=reports["a1"].pk,
            rule="sealed_not_shown_empty",
            verdict="verified",
        )
    decision = services.flag_decide(
        user=moderator,
        submission_id=reports["a2"].pk,
        rule="sealed_not_shown_empty",
        verdict="rejected",
        note="the observer arrived after the sealing",
    )
    assert LedgerEntry.objects.filter(ref=f"checklists.flagdecision:{decision.pk}").exists()
    event = AuditEvent.objects.get(action="checklist.flag.decide")
    assert event.actor == moderator and event.after["verdict"] == "rejected"
    assert event.object_id == str(reports["a2"].pk)
    rows, _ = selectors.question_table(moderator, world.election, FORM, root(world))
    shown = row(rows, "boxes_empty_shown")
    assert (shown.total.yes, shown.total.conflict) == (2, 0)  # 238 now rests on C1 only
    assert verify_ledger(check_files=False).ok


def test_verified_report_keeps_counting(world, reports):
    moderator = world.users["moderator"]
    services.flag_decide(
        user=moderator,
        submission_id=reports["a2"].pk,
        rule="sealed_not_shown_empty",
        verdict="verified",
    )
    flags = selectors.filter_reports(
        selectors.reports(moderator, world.election, FORM), flagged=True
    )
    assert [f["status"] for r in flags for f in r.flags] == ["verified"]
    rows, _ = selectors.question_table(moderator, world.election, FORM, root(world))
    assert row(rows, "boxes_empty_shown").total.conflict == 1
    # the disagreement leads to both reports of 238
    behind = selectors.filter_reports(
        selectors.reports(moderator, world.election, FORM),
        question="boxes_empty_shown",
        answer="conflict",
    )
    assert {r.submission_id for r in behind} == {reports["a2"].pk, reports["c1"].pk}


def test_call_log(world, reports):
    coordinator = world.users["coord_a"]
    call = services.call_record(
        user=coordinator, submission_id=reports["a2"].pk, outcome="confirmed", note="by phone"
    )
    assert call.caller == coordinator and call.called_at is not None
    assert LedgerEntry.objects.filter(ref=f"checklists.confirmationcall:{call.pk}").exists()
    assert AuditEvent.objects.filter(action="checklist.call.record", actor=coordinator).exists()
    with pytest.raises(ValidationError):  # a correction is written down
        services.call_record(user=coordinator, submission_id=reports["a2"].pk, outcome="corrected")
    with pytest.raises(PermissionDenied):  # another organisation's observer's report
        services.call_record(
            user=world.users["coord_b"], submission_id=reports["a2"].pk, outcome="no_answer"
        )
    with pytest.raises(PermissionDenied):  # an observer is not staff
        services.call_record(
            user=world.users["obs_a1"], submission_id=reports["a1"].pk, outcome="no_answer"
        )
    assert ConfirmationCall.objects.count() == 1
    assert not FlagDecision.objects.exists()


@pytest.mark.parametrize("lang", ["kk", "ru", "en"])
def test_pages(client, world, reports, lang):
    client.force_login(world.users["moderator"])
    with translation.override(lang):
        dashboard = reverse("checklists:dashboard", args=[world.election.code, "opening"])
        page = client.get(dashboard).content.decode()
        assert FORM["questions"][2]["label"][lang] in page
        assert "answer-bar" in page and "?unit=" in page
        evidence = reverse("checklists:reports", args=[world.election.code, "opening"])
        assert f"{evidence}?unit=" in page  # every count links to its reports
        listing = client.get(
            evidence, {"question": "boxes_empty_shown", "answer": "no"}
        ).content.decode()
        assert reverse("checklists:report", args=[reports["a2"].pk]) in listing
        assert reverse("checklists:report", args=[reports["c1"].pk]) not in listing
        rates = client.get(reverse("checklists:responses", args=[world.election.code, "opening"]))
        assert rates.status_code == 200
        detail = reverse("checklists:report", args=[reports["a2"].pk])
        assert client.get(detail).status_code == 200
        response = client.post(
            detail, {"action": "call", "call-outcome": "no_answer", "call-note": ""}
        )
        assert response.status_code == 302
    assert ConfirmationCall.objects.filter(submission=reports["a2"]).count() == 1


def test_pages_need_a_staff_role(client, world, reports):
    url = reverse("checklists:dashboard", args=[world.election.code, "opening"])
    assert client.get(url).status_code == 302  # to the sign-in page
    client.force_login(world.users["obs_a1"])
    assert client.get(url).status_code == 403
