"""An election's checks policy is written through its service, the admin included: settings the
engine does not know are refused with a message, never saved (a mistyped key would make every
protocol submission of the election fail)."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse

from baqylau.observers.models import AuditEvent
from baqylau.protocols.models import ElectionPolicy
from baqylau.protocols.services import election_policy_check, election_policy_set
from tests.intake.factories import make_election

pytestmark = pytest.mark.django_db


@pytest.fixture
def election():
    return make_election()


def test_election_policy_set_saves_and_audits(election, admin_user):
    policy = election_policy_set(
        election=election, validation={"turnout_review_above": 0.8}, actor=admin_user
    )
    assert ElectionPolicy.objects.get(election=election).validation == {"turnout_review_above": 0.8}
    event = AuditEvent.objects.get(action="protocols.policy.set")
    assert event.actor == admin_user
    assert event.after["validation"] == {"turnout_review_above": 0.8}

    election_policy_set(election=election, auto_accept_valid=True, actor=admin_user)
    policy.refresh_from_db()
    assert policy.auto_accept_valid and policy.validation == {"turnout_review_above": 0.8}
    assert AuditEvent.objects.filter(action="protocols.policy.set").count() == 2


@pytest.mark.parametrize(
    ("validation", "problem"),
    [
        ({"turnout_above": 0.7}, "unknown policy setting"),
        ({"turnout_review_above": 70}, "share in"),
        ({"severity_overrides": {"no_such_relation": "flag"}}, "unknown relation"),
        (["turnout_review_above"], "JSON object"),
    ],
)
def test_election_policy_set_refuses_what_the_engine_does_not_know(election, validation, problem):
    election_policy_set(election=election, validation={"turnout_review_above": 0.8})
    with pytest.raises(ValueError, match=problem):
        election_policy_set(election=election, validation=validation)
    with pytest.raises(ValueError, match=problem):
        election_policy_check(election=election, validation=validation)
    # nothing was changed
    assert ElectionPolicy.objects.get(election=election).validation == {"turnout_review_above": 0.8}


def test_the_admin_refuses_a_mistyped_key_with_a_message(election, admin_client):
    url = reverse("admin:protocols_electionpolicy_add")
    response = admin_client.post(
        url,
        {"election": election.pk, "validation": json.dumps({"turnout_above": 0.7})},
    )
    assert response.status_code == 200  # the form again, with the message
    assert "unknown policy setting" in response.content.decode()
    assert "turnout_above" in response.content.decode()
    assert not ElectionPolicy.objects.exists()


def test_the_admin_saves_a_policy_through_the_service(election, admin_client, admin_user):
    url = reverse("admin:protocols_electionpolicy_add")
    response = admin_client.post(
        url,
        {
            "election": election.pk,
            "validation": json.dumps({"turnout_review_above": 0.75}),
            "auto_accept_valid": "on",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    policy = ElectionPolicy.objects.get(election=election)
    assert policy.validation == {"turnout_review_above": 0.75} and policy.auto_accept_valid
    assert AuditEvent.objects.get(action="protocols.policy.set").actor == admin_user

    change = reverse("admin:protocols_electionpolicy_change", args=[policy.pk])
    response = admin_client.post(
        change,
        {"election": election.pk, "validation": json.dumps({"required_pagez": 3})},
    )
    assert response.status_code == 200
    assert "unknown policy setting" in response.content.decode()
    policy.refresh_from_db()
    assert policy.validation == {"turnout_review_above": 0.75}
