import pytest
from asgiref.sync import async_to_sync

from baqylau.crowd.services import cache_clear
from tests.bots.fake_telegram import FakeTelegram
from tests.bots.helpers import ALAMAN_TOKEN, BAYGE_TOKEN


@pytest.fixture
def fake_tg():
    server = FakeTelegram().start()
    server.register_bot(ALAMAN_TOKEN, "alaman_test_bot")
    server.register_bot(BAYGE_TOKEN, "bayge_test_bot")
    yield server
    server.stop()


@pytest.fixture
def bot_env(fake_tg, monkeypatch, settings, tmp_path):
    """Point the bots at the fake server, keep evidence and keys in a temporary data dir."""
    monkeypatch.setenv("TELEGRAM_API_BASE", fake_tg.url)
    monkeypatch.setenv("ALAMAN_BOT_TOKEN", ALAMAN_TOKEN)
    monkeypatch.setenv("BAYGE_BOT_TOKEN", BAYGE_TOKEN)
    monkeypatch.delenv("BOT_SIGNING_KEY", raising=False)
    settings.DATA_DIR = tmp_path
    cache_clear()
    yield fake_tg
    cache_clear()


def run_with_bot(name: str, scenario) -> None:
    """Run the polling bot `name` in this thread's event loop while `scenario()` talks to it."""
    from baqylau.bots.runtime import make_bot, make_dispatcher, remember_username

    async def main():
        bot = make_bot(name)
        dispatcher = make_dispatcher(name)
        await remember_username(name, bot)
        task = asyncio.create_task(
            dispatcher.start_polling(bot, handle_signals=False, polling_timeout=1)
        )
        try:
            await scenario(bot)
        finally:
            await dispatcher.stop_polling()
            await asyncio.wait_for(task, 10)
            await bot.session.close()

    import asyncio

    async_to_sync(main)()
