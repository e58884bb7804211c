"""baqylau.db: `insert_rows` and `Fetch` give what the ORM gives (checked on both databases)."""

import datetime as dt
import uuid

import pytest
from django.utils import timezone

from baqylau.accounts.models import ApiToken
from baqylau.db import Fetch, insert_rows
from baqylau.intake.models import Submission
from baqylau.observers.models import Assignment, AuditEvent, Membership
from tests.observers.factories import build_world


def fields_of(obj) -> dict:
    return {f.attname: getattr(obj, f.attname) for f in obj._meta.concrete_fields}


@pytest.fixture
def world(db, settings, tmp_path):
    settings.DATA_DIR = tmp_path
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    return build_world()


def test_insert_rows_sets_auto_keys_in_order_and_applies_auto_now_add(db):
    events = [AuditEvent(action=f"test.{i}", object_type="t", object_id=str(i)) for i in range(5)]
    before = timezone.now()
    insert_rows(events)
    assert all(e.pk is not None and not e._state.adding for e in events)
    for event in events:
        stored = AuditEvent.objects.get(pk=event.pk)
        assert stored.action == event.action
        assert stored.at == event.at and stored.at >= before  # auto_now_add, as in save()


def test_insert_rows_keeps_explicit_keys_and_json(db):
    rows = [
        Submission(
            id=uuid.uuid4(),
            channel="api",
            kind="turnout",
            sender="S",
            received_at=timezone.now() - dt.timedelta(minutes=i),
            payload={"data": {"n": i, "text": "Қазақ тілі", "f": 1.5}, "list": [1, None]},
            payload_sha256="x" * 64,
        )
        for i in range(3)
    ]
    insert_rows(rows)
    for row in rows:
        assert fields_of(Submission.objects.get(pk=row.pk)) == fields_of(row)


def test_insert_rows_chunks_to_the_parameter_limit(db):
    events = [AuditEvent(action="bulk", object_type="t", object_id=str(i)) for i in range(2500)]
    insert_rows(events)
    assert AuditEvent.objects.filter(action="bulk").count() == 2500
    assert len({e.pk for e in events}) == 2500


def test_insert_rows_of_nothing_does_nothing(db):
    insert_rows([])


def same_as_orm(fetched, expected, related):
    assert [fields_of(o) for o in fetched] == [fields_of(o) for o in expected]
    for got, want in zip(fetched, expected, strict=True):
        for path in related:
            a, b = got, want
            for name in path.split("__"):
                a, b = getattr(a, name), getattr(b, name)
            assert (fields_of(a) if a else None) == (fields_of(b) if b else None)


def test_fetch_matches_select_related(world, django_assert_num_queries):
    observer = world.observers["A1"]
    fetch = Fetch(Assignment, ("election", "station"), ("observer", "station__kind"))
    with django_assert_num_queries(1):
        rows = sorted(fetch(observer.pk, "station"), key=lambda a: a.pk)
        [(a.election.code, a.station.code) for a in rows]  # related objects come with the row
    expected = (
        Assignment.objects.filter(observer=observer, station__kind="station")
        .select_related("election", "station")
        .order_by("pk")
    )
    assert rows
    same_as_orm(rows, list(expected), ("election", "station"))


def test_fetch_follows_nullable_keys_with_an_outer_join(world):
    fetch = Fetch(Membership, ("observer", "observer__organisation"), ("role",))
    for role in ("observer", "coordinator"):
        rows = sorted(fetch(role), key=lambda m: m.pk)
        expected = (
            Membership.objects.filter(role=role)
            .select_related("observer", "observer__organisation")
            .order_by("pk")
        )
        assert rows
        same_as_orm(rows, list(expected), ("observer",))
    coordinators = fetch("coordinator")
    assert all(m.observer is None for m in coordinators)  # no observer: None, not an error


def test_fetch_converts_values_like_the_orm(world):
    token = ApiToken.objects.select_related("user").first()
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=timezone.now())
    fetch = Fetch(ApiToken, ("user",), ("key_hash", "revoked", "user__is_active"))
    (got,) = fetch(token.key_hash, False, True)
    want = ApiToken.objects.select_related("user").get(pk=token.pk)
    same_as_orm([got], [want], ("user",))
    assert isinstance(got.last_used_at, dt.datetime) and timezone.is_aware(got.last_used_at)
    assert got.revoked is False and got.user.is_active is True
    assert fetch(token.key_hash, True, True) == []
