"""The spam heuristics, pure, on fixed data."""

from baqylau.crowd import abuse
from baqylau.crowd.abuse import Bucket, Signals, assess, bucket_take


def test_token_bucket_refills_and_empties():
    bucket = Bucket(rate=1.0, capacity=3)
    tokens, at = None, None
    results = []
    for now in (0.0, 0.1, 0.2, 0.3, 1.5):
        allowed, tokens = bucket_take(bucket, tokens, at, now)
        at = now
        results.append(allowed)
    assert results == [True, True, True, False, True]
    # clock going backwards refills nothing
    assert bucket_take(bucket, 0.0, 10.0, 5.0) == (False, 0.0)


def test_machine_rhythm_needs_regular_gaps():
    bot_times = [0, 20.0, 40.01, 59.99, 80.0]
    human_times = [0, 4.2, 19.0, 23.5, 61.0]
    assert abuse.is_machine_rhythm(bot_times)
    assert not abuse.is_machine_rhythm(human_times)
    assert abuse.rhythm_cv([0, 20]) is None  # too few gaps to tell


def test_repeated_content_and_new_account():
    assert abuse.is_repeated_content(["photo:a", "text:x", "photo:a", "photo:a"])
    assert not abuse.is_repeated_content(["photo:a", "photo:b", "", "", ""])
    assert abuse.is_new_account(7_100_000_000, 7_000_000_000)
    assert not abuse.is_new_account(600_000_000, 7_000_000_000)
    assert not abuse.is_new_account(7_100_000_000, None)


def test_weak_signals_alone_are_not_spam():
    assert not assess(Signals(user_id=9, reference_id=5)).spam  # new account only
    assert not assess(Signals(global_burst=True)).spam
    assert not assess(Signals(times=(0, 20, 40, 60))).spam  # rhythm alone
    both = assess(Signals(user_id=9, reference_id=5, global_burst=True, times=(0, 20, 40, 60)))
    assert both.spam and set(both.reasons) == {"new_account", "global_burst", "machine_rhythm"}


def test_strong_signals_are_spam():
    assert assess(Signals(rate_limited=True)).reasons == ("rate_limit",)
    assert assess(Signals(rate_limited=True)).spam
    assert assess(Signals(duplicate_photo=True)).spam
    same = ("photo:x",) * 4
    assert assess(Signals(times=(0, 10, 20, 30), digests=same)).spam  # machine + same content


def test_percentile():
    assert abuse.percentile([5, 1, 3, 2, 4], 50) == 3
    assert abuse.percentile(list(range(1, 101)), 95) == 95


def test_a_phone_verified_account_is_judged_on_flooding_alone():
    """One phone, one vote: a verified voter's few human messages that happen to look regular
    during an attack (global burst) are not spam; flooding still is."""
    regular = (0.0, 5.0, 10.1, 15.0)
    suspicious = abuse.Signals(times=regular, global_burst=True)
    assert abuse.assess(suspicious).spam
    verified = abuse.Signals(times=regular, global_burst=True, phone_verified=True)
    assert not abuse.assess(verified).spam and abuse.assess(verified).reasons == ()
    flooding = abuse.Signals(rate_limited=True, times=regular, phone_verified=True)
    assert abuse.assess(flooding).spam and abuse.assess(flooding).reasons == ("rate_limit",)
