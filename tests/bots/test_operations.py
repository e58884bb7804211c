"""Bot operations: paused intake, broadcasts within Telegram's limits, user counts."""

from __future__ import annotations

import pytest
from asgiref.sync import async_to_sync

from baqylau.bots.broadcast import broadcast
from baqylau.bots.runtime import make_bot
from baqylau.bots.selectors import bot_user_counts
from baqylau.bots.services import intake_pause_set, link_code_issue, link_code_redeem
from baqylau.bots.throttle import Throttle
from baqylau.intake.models import Submission
from baqylau.observers.models import Assignment
from baqylau.observers.services import create_observer
from tests.bots.conftest import run_with_bot
from tests.bots.helpers import ALAMAN_TOKEN, BAYGE_TOKEN, seed_election

pytestmark = pytest.mark.django_db(transaction=True)


def test_paused_bots_answer_politely_and_store(bot_env):
    fake = bot_env
    seed_election()
    intake_pause_set("bayge", True)
    intake_pause_set("alaman", True)

    async def voter(bot):
        mark = fake.mark()
        fake.message(BAYGE_TOKEN, 8001, "101")
        texts = await fake.wait_reply(8001, mark)
        assert "приостановлен" in texts[-1]

    async def observer(bot):
        mark = fake.mark()
        fake.message(ALAMAN_TOKEN, 8002, "/protocol")
        texts = await fake.wait_reply(8002, mark)
        assert "приостановлен" in texts[-1]

    run_with_bot("bayge", voter)
    run_with_bot("alaman", observer)
    kinds = sorted(Submission.objects.values_list("kind", flat=True))
    assert kinds == ["crowd_ballot", "other"]
    stored = Submission.objects.get(kind="other")
    assert stored.payload["data"]["update"]["message"]["text"] == "/protocol"
    assert "8002" not in str(stored.payload)
    counts = bot_user_counts()
    assert counts["bayge"] == 1 and counts["alaman"] == 1


def test_broadcast_to_region_retries_after_429(bot_env):
    fake = bot_env
    data = seed_election()
    region_a = data["regions"][0]
    elsewhere = create_observer(organisation=data["organisation"])
    Assignment.objects.create(
        election=data["election"],
        observer=elsewhere,
        station=data["stations"][2],
        organisation=data["organisation"],
        shift="count",
    )
    link_code_redeem(link_code_issue(data["observer"]), user_id=9101, chat_id=9101)
    link_code_redeem(link_code_issue(elsewhere), user_id=9102, chat_id=9102)
    fake.fail_next("sendMessage", retry_after=1)

    async def go():
        bot = make_bot("alaman")
        try:
            return await broadcast(
                bot, region=region_a, text="Check in by 8:00", throttle=Throttle()
            )
        finally:
            await bot.session.close()

    record = async_to_sync(go)()
    assert (record.recipients, record.sent, record.failed) == (1, 1, 0)
    sends = [c for c in fake.calls if c["method"] == "sendMessage"]
    assert [int(c["params"]["chat_id"]) for c in sends] == [9101, 9101]  # 429, then again
    assert sends[1]["at"] - sends[0]["at"] >= 1.0
