"""Recovery after a crash: an observer-app key that was being handled when its server process died
(kill -9) or its request failed (a database outage) is accepted again at once, not after minutes;
a key another live process is handling still answers "in progress"."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import uuid

import pytest

from baqylau.observer_app import services
from baqylau.observer_app.models import ClientReceipt
from baqylau.reports.models import TurnoutCount
from tests.observers.factories import build_world

pytestmark = pytest.mark.django_db

REPORT = {"station": "237", "at": "10:30", "count": 7}


@pytest.fixture
def world(settings, tmp_path):
    settings.DATA_DIR = tmp_path
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    return build_world()


def _claimed_by(world, holder: str) -> uuid.UUID:
    key = uuid.uuid4()
    ClientReceipt.objects.create(
        observer=world.observers["A1"], key=key, kind="turnout", state="processing", holder=holder
    )
    return key


def _send(client, world, key: uuid.UUID):
    return client.post(
        "/en/observe/api/reports/turnout",
        data=json.dumps({"data": REPORT}),
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY=str(key),
        HTTP_AUTHORIZATION=f"Bearer {world.tokens['obs_a1']}",
    )


def test_a_key_whose_process_died_is_taken_over_at_once(client, world):
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    key = _claimed_by(world, f"{socket.gethostname()}:{dead.pid}:gone")
    response = _send(client, world, key)
    assert response.status_code == 201
    assert TurnoutCount.objects.count() == 1


def test_a_key_this_process_stopped_handling_is_taken_over_at_once(client, world):
    key = _claimed_by(world, services.HOLDER)  # its request failed: no longer in flight here
    assert _send(client, world, key).status_code == 201


def test_a_key_a_live_process_is_handling_is_in_progress(client, world):
    key = _claimed_by(world, f"{socket.gethostname()}:{os.getppid()}:alive")
    response = _send(client, world, key)
    assert response.status_code == 409
    assert response.json()["status"] == "in_progress"
    assert TurnoutCount.objects.count() == 0


def test_a_database_outage_answers_503_with_retry_after(client, world, monkeypatch):
    from django.db.utils import OperationalError

    from baqylau.reports import services as report_services

    def away(**_kwargs):
        raise OperationalError("connection refused")

    monkeypatch.setattr(report_services, "submit_report", away)
    response = _send(client, world, uuid.uuid4())
    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert set(response.json()["messages"]) == {"kk", "ru", "en"}
    page = client.get("/kk/", HTTP_ACCEPT="text/html")
    assert page.status_code == 200  # pages that need no failing query are unaffected
