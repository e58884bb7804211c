"""The shared token buckets (`bots.services.rate_take`): one row per bucket, taken from by every
update of every bot process without holding a lock while Python works (compare-and-set)."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from baqylau.bots import services
from baqylau.bots.models import RateBucket
from baqylau.crowd.abuse import Bucket

FIVE = Bucket(rate=1.0, capacity=5)


@pytest.mark.django_db
def test_a_bucket_gives_its_capacity_then_refills_with_time():
    taken = [services.rate_take("t", FIVE, now=100.0) for _ in range(7)]
    assert taken == [True] * 5 + [False] * 2
    assert services.rate_take("t", FIVE, now=102.0)  # two seconds: two tokens back
    assert services.rate_take("t", FIVE, now=102.0)
    assert not services.rate_take("t", FIVE, now=102.0)
    assert RateBucket.objects.get(key="t").updated == 102.0


@pytest.mark.django_db
def test_a_take_that_loses_the_race_reads_the_bucket_again(monkeypatch):
    """Another process takes between this one's read and write: its take is not overwritten."""
    services.rate_take("race", FIVE, now=10.0)  # 4 left
    real = services.bucket_take
    raced = []

    def with_a_rival(bucket, tokens, updated, now, cost=1.0):
        if not raced:  # the rival's take lands after our read
            raced.append(True)
            RateBucket.objects.filter(key="race").update(tokens=tokens - 1)
        return real(bucket, tokens, updated, now, cost)

    monkeypatch.setattr(services, "bucket_take", with_a_rival)
    assert services.rate_take("race", FIVE, now=10.0)
    assert RateBucket.objects.get(key="race").tokens == 2.0  # 4 - rival - ours


@pytest.mark.django_db
def test_after_too_many_lost_races_the_row_is_locked(monkeypatch):
    ten = Bucket(rate=1.0, capacity=10)
    services.rate_take("busy", ten, now=10.0)  # 9 left
    real = services.bucket_take
    calls = []

    def always_a_rival(bucket, tokens, updated, now, cost=1.0):
        calls.append(tokens)
        if len(calls) <= services.RATE_CAS_ATTEMPTS:
            RateBucket.objects.filter(key="busy").update(tokens=tokens - 1)
        return real(bucket, tokens, updated, now, cost)

    monkeypatch.setattr(services, "bucket_take", always_a_rival)
    assert services.rate_take("busy", ten, now=10.0)
    assert len(calls) == services.RATE_CAS_ATTEMPTS + 1  # the last read under the lock
    assert RateBucket.objects.get(key="busy").tokens == 9 - services.RATE_CAS_ATTEMPTS - 1


@pytest.mark.django_db(transaction=True)
def test_takes_from_many_threads_at_once_give_exactly_the_capacity():
    """Each thread has its own connection, as another bot process would: no take is lost and
    none is given twice (the bucket does not refill: one moment)."""
    bucket = Bucket(rate=0.0, capacity=40)
    allowed: list[bool] = []
    errors: list[BaseException] = []

    def take() -> None:
        try:
            for _ in range(15):
                allowed.append(services.rate_take("crowd", bucket, now=50.0))
        except BaseException as exc:  # noqa: BLE001 - reported by the test
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=take) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert len(allowed) == 60 and allowed.count(True) == 40
    assert RateBucket.objects.get(key="crowd").tokens == 0.0
