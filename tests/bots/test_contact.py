"""The contact button over real HTTP (fake Bot API server), and the lanes by verification."""

from __future__ import annotations

import asyncio

import pytest

from baqylau.bots import lanes
from baqylau.crowd.models import CrowdBallot, CrowdPhone
from baqylau.crowd.services import phone_hash
from baqylau.intake.models import Submission
from tests.bots.conftest import run_with_bot
from tests.bots.helpers import BAYGE_TOKEN, jpeg, seed_election

VOTER = 7_100_001
SECOND = 7_100_002
PHONE = "+77015551234"


async def _vote(fake, user_id: int, seed: int, lang: str = "ru") -> list[str]:
    """Station, photo, choice: the texts of the bot's answers to the choice."""
    mark = fake.mark()
    fake.message(BAYGE_TOKEN, user_id, "№101", lang=lang)
    await fake.wait_reply(user_id, mark)
    mark = fake.mark()
    fake.photo(BAYGE_TOKEN, user_id, jpeg(seed), lang=lang)
    await fake.wait_reply(user_id, mark)
    question = fake.sent(user_id, mark)[-1]["params"]
    buttons = [b for row in question["reply_markup"]["inline_keyboard"] for b in row]
    tokayev = next(b for b in buttons if "Tokayev" in b["text"] or "Токаев" in b["text"])
    mark = fake.mark()
    fake.callback(BAYGE_TOKEN, user_id, tokayev["callback_data"], lang=lang)
    return await fake.wait_reply(user_id, mark, count=2)


@pytest.mark.django_db(transaction=True)
def test_contact_button_verifies_once_per_phone(bot_env):
    fake = bot_env
    seed_election()

    async def scenario(bot):
        texts = await _vote(fake, VOTER, 61)
        assert "учтён" in texts[-2]
        # unverified: asked for the number with Telegram's contact button
        ask = fake.sent(VOTER)[-1]["params"]
        button = ask["reply_markup"]["keyboard"][0][0]
        assert button["request_contact"] is True and "номером" in button["text"]
        # someone else's contact card is refused
        mark = fake.mark()
        fake.contact(BAYGE_TOKEN, VOTER, "+77010000000", contact_user_id=9_999_999)
        assert "чужой контакт" in (await fake.wait_reply(VOTER, mark))[-1]
        # the voter's own number, through the button
        mark = fake.mark()
        fake.contact(BAYGE_TOKEN, VOTER, PHONE, contact_user_id=VOTER, lang="ru")
        assert "подтверждён" in (await fake.wait_reply(VOTER, mark))[-1]
        assert VOTER in lanes.lanes().trusted  # the fast lane from now on
        # a second account with the same number, in English: refused, one number one vote
        texts = await _vote(fake, SECOND, 62, lang="en")
        mark = fake.mark()
        fake.contact(BAYGE_TOKEN, SECOND, PHONE, contact_user_id=SECOND, lang="en")
        reply = (await fake.wait_reply(SECOND, mark))[-1]
        assert "already voted in this election from another account" in reply
        assert SECOND not in lanes.lanes().trusted

    run_with_bot("bayge", scenario)
    first = CrowdBallot.objects.get(voter__phones__isnull=False)
    assert first.tier == "phone_verified" and first.counted
    second = CrowdBallot.objects.exclude(pk=first.pk).get()
    assert second.category == "spam" and not second.counted
    assert "duplicate_phone" in second.spam_reasons
    assert list(CrowdPhone.objects.values_list("phone_hash", flat=True)) == [phone_hash(PHONE)]
    # the number is nowhere in clear: not in the stored updates, not in the phone rows
    for payload in Submission.objects.filter(kind="crowd_ballot").values_list("payload", flat=True):
        assert "5551234" not in str(payload) and "0000000" not in str(payload)


def test_lanes_by_verification_not_by_account_id():
    """Unverified updates queued first still wait for a verified voter's (whatever their ids)."""

    async def main():
        current = lanes.lanes()
        current.trusted.add(5)  # a verified voter with a new account id
        order: list[str] = []

        async def update(user_id: int, tag: str) -> None:
            lanes.PRIORITY.set(lanes.triage(user_id))
            await lanes.db(order.append, tag)

        old_unverified = [asyncio.create_task(update(100 + i, f"old{i}")) for i in range(5)]
        verified = asyncio.create_task(update(5, "verified"))
        await asyncio.gather(*old_unverified, verified)
        assert lanes.triage(5) == lanes.HIGH and lanes.triage(100) == lanes.LOW
        return order

    order = asyncio.run(main())
    assert order[0] == "verified" and sorted(order[1:]) == [f"old{i}" for i in range(5)]


def test_a_newcomers_first_message_and_own_contact_go_before_a_backlog():
    """In the low lane a sender's n-th update waits behind everyone's earlier ones: a genuine
    voter's first message (the station) is served before a flood's later updates that were
    queued first, and the sender's own contact (the verification) takes the high lane."""

    async def main():
        order: list[str] = []
        gate = asyncio.Event()

        async def update(user_id: int, tag: str, own_contact: bool = False) -> None:
            lanes.admit(user_id, own_contact=own_contact)
            await lanes.db(order.append, tag)

        async def hold() -> None:  # keeps the lane busy while the queue fills
            lanes.PRIORITY.set(lanes.HIGH)
            await lanes.db(lambda: asyncio.run_coroutine_threadsafe(gate.wait(), loop).result())

        loop = asyncio.get_running_loop()
        holder = asyncio.create_task(hold())
        await asyncio.sleep(0.05)
        flood = []
        for round_ in range(3):  # three updates each from five flooding accounts
            flood += [asyncio.create_task(update(100 + i, f"flood{i}.{round_}")) for i in range(5)]
            await asyncio.sleep(0)
        newcomer = asyncio.create_task(update(7, "station"))
        await asyncio.sleep(0)
        contact = asyncio.create_task(update(8, "contact", own_contact=True))
        await asyncio.sleep(0)
        gate.set()
        await asyncio.gather(holder, *flood, newcomer, contact)
        return order

    order = asyncio.run(main())
    assert order[0] == "contact"
    # the newcomer's first update is served with the flood's first ones, before their later ones
    assert order.index("station") < min(order.index(f"flood{i}.1") for i in range(5))
    assert set(order[1:7]) == {"station"} | {f"flood{i}.0" for i in range(5)}


@pytest.mark.django_db(transaction=True)
def test_rate_and_rhythm_are_judged_on_arrival_not_on_a_backlogs_turn(monkeypatch):
    """A person's messages that waited in a backlog are worked on back to back; their account
    is judged on when they arrived (human gaps), so it is not taken for a machine."""
    from aiogram.types import Update, User

    from baqylau.bots import bayge
    from baqylau.crowd.models import CrowdVoter

    seed_election()
    arrivals = [1_000.0, 1_003.7, 1_011.2, 1_014.9, 1_016.0]
    clock = iter(arrivals)
    monkeypatch.setattr(bayge, "_clock", lambda: next(clock))
    user = User(id=7_100_009, is_bot=False, first_name="v", language_code="ru")

    async def handler(event, data):
        return None

    async def main():
        for n, text in enumerate(["101", "a", "b", "c", "d"]):
            update = Update.model_validate(
                {
                    "update_id": n + 1,
                    "message": {
                        "message_id": n + 1,
                        "date": 0,
                        "chat": {"id": user.id, "type": "private"},
                        "from": user.model_dump(),
                        "text": text,
                    },
                }
            )
            await bayge.intake_middleware(handler, update, {"event_from_user": user, "bot": None})

    asyncio.run(main())
    voter = CrowdVoter.objects.get()
    assert voter.recent_times == arrivals
    assert not voter.spam, voter.spam_reasons


@pytest.mark.django_db(transaction=True)
def test_the_bot_asks_for_the_phone_first_then_the_station(bot_env):
    """/start offers the contact button first (a verified voter's later messages take the fast
    lane); once verified, the bot asks for the station."""
    fake = bot_env
    seed_election()

    async def scenario(bot):
        mark = fake.mark()
        fake.message(BAYGE_TOKEN, VOTER, "/start", lang="ru")
        await fake.wait_reply(VOTER, mark)
        welcome = fake.sent(VOTER, mark)[-1]["params"]
        assert welcome["reply_markup"]["keyboard"][0][0]["request_contact"] is True
        assert "Сначала поделитесь номером" in welcome["text"]
        mark = fake.mark()
        fake.contact(BAYGE_TOKEN, VOTER, PHONE, contact_user_id=VOTER, lang="ru")
        texts = await fake.wait_reply(VOTER, mark, count=2)
        assert "подтверждён" in texts[0] and "номер вашего избирательного участка" in texts[1]
        assert VOTER in lanes.lanes().trusted

    run_with_bot("bayge", scenario)
