"""Population-level detection (pure): groups of accounts, surges, the choice divergence."""

from __future__ import annotations

import random

from baqylau.crowd import population as pop


def _genuine(n: int, seed: int = 1, choices=("1", "1", "2", "3")) -> list[pop.Account]:
    """Voters with ids spread over the whole id range, several languages and apps, arriving over
    a day, choosing like the verified voters."""
    rng = random.Random(seed)
    return [
        pop.Account(
            key=i,
            id_block=pop.id_block(rng.randrange(10**8, 7 * 10**9)),
            language=rng.choice(["kk", "ru", "en"]),
            client=rng.choice(["p3:1280x960", "p4:2560x1920", "p3:960x1280"]),
            first_seen=rng.uniform(0, 86_400),
            verified=i % 2 == 0,
            phash=rng.getrandbits(64),
            choice=rng.choice(choices),
        )
        for i in range(n)
    ]


def _bought(n: int, start_key: int, base_id: int, at: float, choice: str = "9") -> list:
    """Aged accounts bought from one seller: consecutive ids, one language and app, sent
    within minutes, each with a unique photo, all for the same choice."""
    rng = random.Random(start_key)
    return [
        pop.Account(
            key=start_key + i,
            id_block=pop.id_block(base_id + i * 37),
            language="ru",
            client="p3:1280x960",
            first_seen=at + i * rng.uniform(5, 20),
            phash=rng.getrandbits(64),
            choice=choice,
        )
        for i in range(n)
    ]


def test_id_block_and_client_signature():
    assert pop.id_block(5 << 20) == pop.id_block((5 << 20) + 1000) == 5
    assert pop.id_block(6 << 20) == 6
    payload = {"message": {"photo": [{"width": 90, "height": 67}, {"width": 1280, "height": 960}]}}
    assert pop.client_signature(payload) == "p2:1280x960"
    assert pop.client_signature({"message": {"text": "x"}}) == ""


def test_bought_accounts_form_a_group_and_genuine_voters_do_not():
    genuine = _genuine(300)
    bought = _bought(40, 10_000, base_id=1_234 << 20, at=40_000)
    report = pop.detect(genuine + bought)
    assert len(report.groups) == 1
    group = report.groups[0]
    assert set(group.members) == {a.key for a in bought}
    assert {"id_range", "timing", "choice_skew"} <= set(group.reasons)
    assert group.stats["accounts"] == 40
    # no genuine voter is in any group
    assert not set(group.members) & {a.key for a in genuine}


def test_phone_verified_accounts_are_never_grouped():
    bought = [
        pop.Account(**{**a.__dict__, "verified": True})
        for a in _bought(40, 10_000, base_id=1_234 << 20, at=40_000)
    ]
    assert pop.detect(_genuine(100) + bought).groups == []


def test_one_signal_alone_is_not_a_group():
    """Accounts of the same id block, language and app spread over a day, choosing like everyone
    (e.g. a family, an office): only ``id_range``, not flagged."""
    rng = random.Random(3)
    same_block = [
        pop.Account(
            key=500 + i,
            id_block=77,
            language="kk",
            client="p3:1280x960",
            first_seen=i * 7_000.0,
            phash=rng.getrandbits(64),
            choice=rng.choice(["1", "1", "2", "3"]),
        )
        for i in range(8)
    ]
    assert pop.detect(_genuine(200) + same_block).groups == []


def test_timing_share_and_similar_photos():
    assert pop.timing_share([0, 10, 20, 5000]) == 0.75
    assert pop.timing_share([]) == 0.0
    base = 0xF0F0_F0F0_F0F0_F0F0
    near = [base ^ (1 << i) for i in range(5)]
    assert pop.similar_pairs_share(near) == 1.0
    rng = random.Random(0)
    assert pop.similar_pairs_share([rng.getrandbits(64) for _ in range(30)]) < 0.05


def test_surge_of_new_accounts():
    rng = random.Random(5)
    steady = [rng.uniform(0, 36_000) for _ in range(120)]  # 2 per 10 minutes
    burst = [19_900 + rng.uniform(0, 400) for _ in range(60)]  # within one window
    found = pop.surges(steady + burst)
    assert [start for start, _n in found] == [19_800.0]
    assert found[0][1] >= 60
    assert pop.surges(steady) == []


def test_divergence_of_unverified_from_verified_choices():
    verified = {"1": 60, "2": 30, "3": 10}
    alike = {"1": 58, "2": 33, "3": 9}
    far = {"1": 10, "2": 5, "3": 85}
    assert not pop.divergence(alike, verified).far
    result = pop.divergence(far, verified)
    assert result.far and result.tvd > 0.7 and result.p_value < 1e-6
    assert pop.total_variation({"a": 1}, {"b": 1}) == 1.0
    assert pop.divergence({}, verified) is None


def test_group_reasons_photo_similarity_and_surge():
    """Near-alike photos (one template, small edits) and a surge of new accounts are reasons of
    their own; the choices here are like the verified voters', so no ``choice_skew``."""
    rng = random.Random(9)
    template = rng.getrandbits(64)
    steady = _genuine(150, seed=4)
    members = [
        pop.Account(
            key=20_000 + i,
            id_block=999,
            language="kk",
            client="p2:800x600",
            first_seen=30_000 + rng.uniform(0, 400) + (i % 2) * 20_000,  # two bursts: no timing
            phash=template ^ (1 << rng.randrange(64)) ^ (1 << rng.randrange(64)),
            choice=rng.choice(["1", "1", "2", "3"]),
        )
        for i in range(30)
    ]
    extra_new = [  # more new accounts in the same window, elsewhere: the surge
        pop.Account(
            key=30_000 + i,
            id_block=5_000 + i,
            language="ru",
            client="p3:1280x960",
            first_seen=30_000 + rng.uniform(0, 400),
        )
        for i in range(30)
    ]
    report = pop.detect(steady + members + extra_new)
    assert [g.members for g in report.groups] == [sorted(m.key for m in members)]
    reasons = set(report.groups[0].reasons)
    assert {"id_range", "photo_similarity", "surge"} <= reasons
    assert "timing" not in reasons and "choice_skew" not in reasons
    assert [start for start, _n in report.surges] == [30_000.0]
