"""The same report written by two server processes at once is recorded once.

A resend that arrives while the first attempt is still being written (after a restart the phone
and its service worker resend together; a client whose request timed out; an observer-app claim
taken over because it looked stale) lands on another process, with its own group commit and its
own database connection. The writer's duplicate check must still see the first attempt: the
second waits for the first's commit and is stored as its duplicate (found by bench/faults.py:
three reports stored twice after a kill -9 before this was fixed)."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from baqylau.intake import writer
from baqylau.intake.models import Rejection, Submission
from baqylau.intake.services import new_submission
from baqylau.reports import services
from baqylau.reports.models import TurnoutCount
from tests.observers.factories import build_world

pytestmark = pytest.mark.django_db(transaction=True)  # two connections, real commits

REPORT = {"station": "237", "election": "kz-test", "at": "10:30", "count": 41}


@pytest.fixture
def world(settings, tmp_path):
    settings.DATA_DIR = tmp_path
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    return build_world()


def _plan(world) -> writer.Plan:
    observer = world.observers["A1"]
    submission = new_submission(
        kind=Submission.Kind.TURNOUT,
        channel=Submission.Channel.API,
        payload={"report": "turnout", "data": dict(REPORT), "attachments": []},
        sender=observer.public_id,
    )
    return services.plan_report(submission, kind="turnout", data=dict(REPORT), observer=observer)


def _write_in_thread(plan: writer.Plan, errors: list) -> threading.Thread:
    """`write_batch` on a thread of its own: its own connection, as another server process
    (the process-wide group commit would put the two in one queue)."""

    def write() -> None:
        try:
            writer.write_batch([plan])
        except BaseException as exc:  # noqa: BLE001 - reported by the test
            errors.append(exc)
        finally:
            connection.close()

    thread = threading.Thread(target=write)
    thread.start()
    return thread


def test_the_same_report_written_by_two_processes_at_once_is_recorded_once(world):
    inside, release = threading.Event(), threading.Event()

    def hold_the_transaction_open(plans) -> None:  # a follow-up runs inside the transaction
        inside.set()
        release.wait(timeout=60)

    first, second = _plan(world), _plan(world)
    first.follow_ups = (*first.follow_ups, hold_the_transaction_open)
    errors: list = []
    one = _write_in_thread(first, errors)
    assert inside.wait(timeout=60), errors
    two = _write_in_thread(second, errors)
    two.join(timeout=1)  # room for the second to reach its duplicate check while the first is open
    release.set()
    one.join(timeout=60)
    two.join(timeout=60)

    assert not errors
    assert first.outcome.ok
    assert second.outcome.duplicate_of is not None
    assert second.outcome.duplicate_of.pk == first.submission.pk
    assert TurnoutCount.objects.count() == 1
    assert Rejection.objects.get().submission_id == second.submission.pk
    assert Rejection.objects.get().code == "duplicate"
    assert Submission.objects.count() == 2  # both envelopes kept
