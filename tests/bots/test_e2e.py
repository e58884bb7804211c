"""End to end over real HTTP: the bots talk to a fake Telegram Bot API server."""

from __future__ import annotations

import pytest

from baqylau.bots import keys
from baqylau.bots.services import link_code_issue
from baqylau.crowd.models import CrowdBallot, CrowdVoter
from baqylau.intake.models import Submission
from baqylau.jobs.worker import run_until_idle
from baqylau.protocols.models import ProtocolCopy
from tests.bots.conftest import run_with_bot
from tests.bots.helpers import ALAMAN_TOKEN, BAYGE_TOKEN, GOOD_FIGURES, jpeg, seed_election

pytestmark = pytest.mark.django_db(transaction=True)

OBSERVER_TG = 5_000_001
VOTER_TG = 7_000_001


def test_observer_links_and_files_protocol_with_correction(bot_env):
    """...at station 101, a number that region B also uses: the bot sends the station the
    observer is placed at, by its id, so the number is never ambiguous."""
    from tests.factories import make_unit

    fake = bot_env
    data = seed_election()
    district_b = data["stations"][2].parent
    elsewhere = make_unit(
        data["election"], district_b, "station", "101", "Station 101 (B)", registered_voters=800
    )
    code = link_code_issue(data["observer"])

    async def scenario(bot):
        mark = fake.mark()
        fake.message(ALAMAN_TOKEN, OBSERVER_TG, f"/link {code}")
        texts = await fake.wait_reply(OBSERVER_TG, mark)
        assert data["observer"].public_id in texts[-1]

        mark = fake.mark()
        fake.message(ALAMAN_TOKEN, OBSERVER_TG, "/protocol")
        texts = await fake.wait_reply(OBSERVER_TG, mark)
        assert "2" in texts[-1]  # two pages wanted
        for page in (1, 2):
            mark = fake.mark()
            fake.photo(ALAMAN_TOKEN, OBSERVER_TG, jpeg(page))
            await fake.wait_reply(OBSERVER_TG, mark)
        mark = fake.mark()
        fake.message(ALAMAN_TOKEN, OBSERVER_TG, "/done")
        texts = await fake.wait_reply(OBSERVER_TG, mark)
        assert "L8" in texts[-1]

        # Line by line first: one pair, then the bot asks for the next line.
        mark = fake.mark()
        fake.message(ALAMAN_TOKEN, OBSERVER_TG, "L1=1000")
        texts = await fake.wait_reply(OBSERVER_TG, mark)
        assert "L2" in texts[-1]
        mark = fake.mark()
        fake.message(ALAMAN_TOKEN, OBSERVER_TG, "800")  # a bare number answers L2
        texts = await fake.wait_reply(OBSERVER_TG, mark)
        assert "L3" in texts[-1]

        # Then the rest in one message, with L8 wrong: 800 != 700 + 90.
        mark = fake.mark()
        broken = GOOD_FIGURES.replace("L8=100", "L8=90").replace("L1=1000 L2=800 ", "")
        fake.message(ALAMAN_TOKEN, OBSERVER_TG, broken)
        texts = await fake.wait_reply(OBSERVER_TG, mark)
        problem = texts[-1]
        assert "Бюллетени не сходятся" in problem
        assert "800" in problem and "790" in problem

        mark = fake.mark()
        fake.message(ALAMAN_TOKEN, OBSERVER_TG, "L8=100")
        texts = await fake.wait_reply(OBSERVER_TG, mark, count=2)
        assert (
            "участок 101, прошёл проверки" in texts[0] and "Протокол получен (копия №" in texts[0]
        )
        assert "Принято" not in texts[0]  # "accepted" belongs to moderators
        statement = texts[1]
        assert keys.verify(statement).valid

        mark = fake.mark()
        fake.message(ALAMAN_TOKEN, OBSERVER_TG, "/status")
        texts = await fake.wait_reply(OBSERVER_TG, mark)
        # the first copy failed the checks, the corrected one passed; both wait for nobody
        assert "не прошло проверки" in texts[-1] and "— прошло проверки" in texts[-1]

    run_with_bot("alaman", scenario)
    copies = ProtocolCopy.objects.order_by("received_at")
    assert [c.checks for c in copies] == ["failed", "passed"]
    assert [c.moderation for c in copies] == ["pending", "pending"]
    passed = copies.last()
    assert passed.pages_received == 2
    assert passed.source_ref == data["observer"].public_id
    assert {c.station for c in copies} == {data["stations"][0]}
    assert not ProtocolCopy.objects.filter(station=elsewhere).exists()
    assert passed.submission.payload["data"]["station_id"] == data["stations"][0].pk
    assert "getFile" in fake.methods() and "file" in fake.methods()


def test_voter_registers_station_and_votes_with_photo(bot_env):
    fake = bot_env
    data = seed_election()

    async def scenario(bot):
        mark = fake.mark()
        fake.message(BAYGE_TOKEN, VOTER_TG, "/start")
        await fake.wait_reply(VOTER_TG, mark)
        mark = fake.mark()
        fake.message(BAYGE_TOKEN, VOTER_TG, "№101")
        texts = await fake.wait_reply(VOTER_TG, mark)
        assert "101" in texts[-1]
        mark = fake.mark()
        fake.photo(BAYGE_TOKEN, VOTER_TG, jpeg(42))
        await fake.wait_reply(VOTER_TG, mark)
        question = fake.sent(VOTER_TG, mark)[-1]["params"]
        buttons = [b for row in question["reply_markup"]["inline_keyboard"] for b in row]
        tokayev = next(b for b in buttons if "Токаев" in b["text"])
        mark = fake.mark()
        fake.callback(BAYGE_TOKEN, VOTER_TG, tokayev["callback_data"])
        texts = await fake.wait_reply(VOTER_TG, mark, count=2)
        assert "учтён" in texts[-2]
        assert "номером телефона" in texts[-1]  # not verified yet: the contact button is offered
        # A second photo from the same voter is kept but not counted again.
        mark = fake.mark()
        fake.photo(BAYGE_TOKEN, VOTER_TG, jpeg(43))
        await fake.wait_reply(VOTER_TG, mark)
        question = fake.sent(VOTER_TG, mark)[-1]["params"]
        button = question["reply_markup"]["inline_keyboard"][0][0]
        mark = fake.mark()
        fake.callback(BAYGE_TOKEN, VOTER_TG, button["callback_data"])
        texts = await fake.wait_reply(VOTER_TG, mark)
        assert "только один" in texts[-1]

    run_with_bot("bayge", scenario)
    ballot = CrowdBallot.objects.get(counted=True)
    assert ballot.category == "valid" and ballot.choice.code == "tokayev"
    assert ballot.station == data["stations"][0]
    # the display copy and perceptual hash are made by the photo's job, off the reply path
    assert ballot.photo is not None and not ballot.photo.display and not ballot.perceptual_hash
    run_until_idle()
    ballot.refresh_from_db()
    ballot.photo.refresh_from_db()
    assert ballot.photo.display and ballot.perceptual_hash == ballot.photo.perceptual_hash
    assert CrowdBallot.objects.count() == 2
    # Every update was stored first, and no raw Telegram id was kept.
    submissions = Submission.objects.filter(kind="crowd_ballot")
    assert submissions.count() == 6
    for submission in submissions:
        assert str(VOTER_TG) not in str(submission.payload)
    voter = CrowdVoter.objects.get()
    assert voter.voter_hash == keys.id_hash("user", VOTER_TG)
    assert "getFile" in fake.methods() and "file" in fake.methods()


def test_clone_statements_fail_verification(bot_env, client):
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from baqylau.bots import signing

    fake = bot_env
    seed_election()
    got = {}

    async def scenario(bot):
        mark = fake.mark()
        fake.message(BAYGE_TOKEN, VOTER_TG, "/verify")
        got["texts"] = await fake.wait_reply(VOTER_TG, mark, count=2)

    run_with_bot("bayge", scenario)
    statement = got["texts"][1]
    assert "@bayge_test_bot" in statement
    genuine = client.post("/bots/verify/", {"statement": statement})
    assert genuine.status_code == 200 and "✔" in genuine.content.decode()

    edited = statement.replace("@bayge_test_bot", "@bayge_tesst_bot")
    clone = signing.sign_statement(Ed25519PrivateKey.generate(), {"bot": "@bayge_test_bot"})
    for fake_statement in (edited, clone):
        answer = client.post(
            "/bots/verify/", {"statement": fake_statement}, HTTP_ACCEPT="text/html"
        )
        assert "✘" in answer.content.decode()
    info = client.get("/bots/verify/?format=json").json()
    assert info["public_key"] == signing.public_key_text(keys.public_key())
    assert {"bot": "bayge", "username": "bayge_test_bot"}.items() <= {
        **next(b for b in info["bots"] if b["bot"] == "bayge")
    }.items()


def test_webhook_checks_secret_token(bot_env):
    from asgiref.sync import async_to_sync
    from django.test import AsyncClient

    from baqylau.bots import runtime

    fake = bot_env
    seed_election()
    update = {
        "update_id": 1,
        "message": {
            "message_id": 1,
            "date": 1,
            "chat": {"id": VOTER_TG, "type": "private"},
            "from": fake.user(VOTER_TG),
            "text": "/help",
            "entities": [{"type": "bot_command", "offset": 0, "length": 5}],
        },
    }

    async def scenario():
        client = AsyncClient()
        wrong = await client.post(
            "/bots/webhook/bayge/",
            update,
            content_type="application/json",
            headers={"X-Telegram-Bot-Api-Secret-Token": "wrong"},
        )
        assert wrong.status_code == 403
        missing = await client.post("/bots/webhook/bayge/", update, content_type="application/json")
        assert missing.status_code == 403
        assert fake.sent(VOTER_TG) == []
        right = await client.post(
            "/bots/webhook/bayge/",
            update,
            content_type="application/json",
            headers={"X-Telegram-Bot-Api-Secret-Token": runtime.webhook_secret("bayge")},
        )
        assert right.status_code == 200
        assert fake.sent(VOTER_TG), "the bot answered through the Bot API"
        for bot, _ in list(runtime._webhook.values()):
            await bot.session.close()
        runtime.webhook_reset()

    async_to_sync(scenario)()
    assert Submission.objects.filter(kind="crowd_ballot").count() == 1
