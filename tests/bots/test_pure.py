"""Pure parts of the bots: signing, parsing, texts, throttle."""

import asyncio
import os
import stat

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from baqylau.bots import parsing, signing, texts
from baqylau.bots.throttle import Throttle, send_all


def test_statement_round_trip_and_tampering():
    key = Ed25519PrivateKey.generate()
    text = signing.sign_statement(key, {"bot": "@alaman_bot", "kind": "verify"})
    checked = signing.verify_statement(key.public_key(), "pasted:\n" + text + "\n  ")
    assert checked.valid and checked.fields["bot"] == "@alaman_bot"
    edited = text.replace("@alaman_bot", "@alaman_b0t")
    assert signing.verify_statement(key.public_key(), edited).problem == "bad_signature"
    other = Ed25519PrivateKey.generate()
    assert not signing.verify_statement(other.public_key(), text).valid
    assert signing.verify_statement(key.public_key(), "hello").problem == "not_a_statement"
    unsigned = "\n".join(text.splitlines()[:-1])
    assert signing.verify_statement(key.public_key(), unsigned).problem == "no_signature"


def test_key_file_created_with_0600(tmp_path):
    path = tmp_path / "key"
    key = signing.load_or_create_key(None, path)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    again = signing.load_or_create_key(None, path)
    assert signing.public_key_text(again.public_key()) == signing.public_key_text(key.public_key())
    from_env = signing.load_or_create_key(signing.private_key_text(key), tmp_path / "unused")
    assert signing.public_key_text(from_env.public_key()) == signing.public_key_text(
        key.public_key()
    )
    assert not (tmp_path / "unused").exists()


def test_keyed_hash_hides_the_id():
    key = signing.id_hash_key(None, "secret")
    digest = signing.keyed_hash(key, "user", 123456789)
    assert "123456789" not in digest and len(digest) == 64
    assert digest != signing.keyed_hash(signing.id_hash_key("other", "secret"), "user", 123456789)


def test_parse_figures_all_in_one_message():
    parsed = parsing.parse_figures(
        "L1=2170 l2: 1896, L3=1 896; tokayev=12 994 #2=100 X9=1",
        ["L1", "L2", "L3"],
        {"tokayev": 1, "kossanov": 2},
    )
    assert parsed.lines == {"L1": 2170, "L2": 1896, "L3": 1}
    assert parsed.votes == {"tokayev": 12, "kossanov": 100}
    assert parsed.unknown == ["X9"]
    nbsp = parsing.parse_figures("tokayev=12\u00a0994", [], {"tokayev": 1})
    assert nbsp.votes == {"tokayev": 12994}


def test_bare_numbers_and_station_codes():
    assert parsing.bare_number(" 12 994 ") == 12994
    assert parsing.bare_number("L1=3") is None
    assert parsing.station_code("№ 237") == "237"
    assert parsing.station_code("#237") == "237"
    assert parsing.station_code("hello world") is None
    missing = parsing.missing_items({"L1": 1}, {}, ["L1", "L2"], ["a"])
    assert missing == [("line", "L2"), ("choice", "a")]


def test_sanitize_update_drops_ids_and_names():
    update = {
        "update_id": 5,
        "message": {
            "message_id": 1,
            "from": {"id": 777000111, "first_name": "Aigerim", "username": "aika"},
            "chat": {"id": 777000111, "type": "private"},
            "text": "237",
        },
    }
    clean = parsing.sanitize_update(update, "h" * 64)
    flat = str(clean)
    assert "777000111" not in flat and "Aigerim" not in flat and "aika" not in flat
    assert clean["message"]["text"] == "237"


def test_every_text_in_three_languages():
    for code, variants in texts.TEXTS.items():
        assert set(variants) == {"kk", "ru", "en"}, code
    assert texts.t("station_set", "kk", station="1").startswith("Учаске")
    assert texts.t("station_set", "de", station="1").startswith("Участок")  # ru fallback


def test_throttle_limits_rate_and_obeys_retry_after():
    clock = {"now": 0.0}
    slept = []

    async def sleep(seconds):
        slept.append(seconds)
        clock["now"] += seconds

    throttle = Throttle(per_second=30, clock=lambda: clock["now"], sleep=sleep)

    class RetryAfter(Exception):
        retry_after = 2

    calls = []
    failures = {3: 1}

    async def send(chat_id):
        calls.append((chat_id, clock["now"]))
        if failures.get(chat_id):
            failures[chat_id] -= 1
            raise RetryAfter

    sent, failed = asyncio.run(
        send_all(
            list(range(60)),
            send,
            throttle=throttle,
            retry_after_of=lambda e: e.retry_after if isinstance(e, RetryAfter) else None,
        )
    )
    assert (sent, failed) == (60, 0)
    assert len(calls) == 61  # chat 3 sent twice
    # never more than 30 sends in any one second
    times = [at for _, at in calls]
    for start in times:
        assert sum(1 for t in times if start <= t < start + 0.999) <= 30
    # the retry waited at least retry_after
    first, second = [at for chat, at in calls if chat == 3]
    assert second - first >= 2
