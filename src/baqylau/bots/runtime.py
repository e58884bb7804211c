"""Building and running the bots: one codebase for long polling and for webhooks.

Environment:
ALAMAN_BOT_TOKEN, BAYGE_BOT_TOKEN   the bots' tokens (from @BotFather)
TELEGRAM_API_BASE                   another Bot API server (a local one, or the tests' fake)
BOT_WEBHOOK_SECRET                  the webhook secret token; else derived from SECRET_KEY
"""

from __future__ import annotations

import asyncio
import hmac
import logging
import os
from typing import Any

from aiogram import Bot, Dispatcher
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.session.base import BaseSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.fsm.storage.memory import MemoryStorage
from aiogram.methods import Response, TelegramMethod
from asgiref.sync import sync_to_async
from django.conf import settings

from baqylau.bots import services
from baqylau.bots.models import BotName
from baqylau.bots.storage import DjangoStorage

logger = logging.getLogger(__name__)

BOTS = tuple(BotName.values)


def token(name: str) -> str:
    value = os.environ.get(f"{name.upper()}_BOT_TOKEN", "")
    if not value:
        raise RuntimeError(f"{name.upper()}_BOT_TOKEN is not set")
    return value


#: One `Response[T]` class per Bot API return type, kept for the life of the process.
_RESPONSE_MODELS: dict[Any, type] = {}


async def keep_response_model(make_request, bot: Bot, method: TelegramMethod) -> Any:
    """A session middleware that keeps aiogram's `Response[T]` class of each method alive.

    aiogram parametrises `Response[method.__returning__]` on every call to the Bot API, and
    pydantic caches parametrised models in a weak-valued dictionary: nothing else held the
    class, so after each collection every reply built it again (about 5 % of the voters' bot's
    time during an attack, measured with py-spy). Holding one reference per return type makes
    the cache hit."""
    returning = getattr(method, "__returning__", None)
    if returning is not None and returning not in _RESPONSE_MODELS:
        _RESPONSE_MODELS[returning] = Response[returning]
    return await make_request(bot, method)


def prepare_session(session: BaseSession) -> BaseSession:
    session.middleware(keep_response_model)
    return session


def make_session() -> AiohttpSession:
    base = os.environ.get("TELEGRAM_API_BASE")
    if base:
        return prepare_session(AiohttpSession(api=TelegramAPIServer.from_base(base)))
    return prepare_session(AiohttpSession())


def make_bot(name: str) -> Bot:
    return Bot(token=token(name), session=make_session())


def make_dispatcher(name: str) -> Dispatcher:
    if name == BotName.BAYGE:
        # Bayge keeps its voters' state in CrowdVoter/CrowdBallot rows (see `bayge.install`).
        dispatcher = Dispatcher(storage=MemoryStorage())
    else:
        dispatcher = Dispatcher(storage=DjangoStorage(name))
    dispatcher["bot_name"] = name
    if name == BotName.ALAMAN:
        from baqylau.bots import alaman

        alaman.install(dispatcher)
    elif name == BotName.BAYGE:
        from baqylau.bots import bayge

        bayge.install(dispatcher)
    else:
        raise ValueError(f"unknown bot {name!r}")
    return dispatcher


def webhook_secret(name: str) -> str:
    """Telegram sends it back in X-Telegram-Bot-Api-Secret-Token (A-Z, a-z, 0-9, _ and -)."""
    base = os.environ.get("BOT_WEBHOOK_SECRET")
    if base:
        return hmac.new(base.encode(), name.encode(), "sha256").hexdigest()
    return hmac.new(
        settings.SECRET_KEY.encode(), f"bots.webhook:{name}".encode(), "sha256"
    ).hexdigest()


async def remember_username(name: str, bot: Bot) -> None:
    me = await bot.get_me()
    await sync_to_async(services.bot_username_set)(name, me.username or "")


async def run_polling(names: tuple[str, ...]) -> None:
    """Long polling for the named bots in one process (one dispatcher each)."""
    runs = []
    for name in names:
        bot = make_bot(name)
        await remember_username(name, bot)
        await bot.delete_webhook(drop_pending_updates=False)
        dispatcher = make_dispatcher(name)
        runs.append(dispatcher.start_polling(bot, handle_signals=False, polling_timeout=20))
    await asyncio.gather(*runs)


async def set_webhooks(names: tuple[str, ...], base_url: str) -> dict[str, str]:
    """Register `base_url`/bots/webhook/<name>/ with Telegram, with each bot's secret token."""
    urls = {}
    for name in names:
        bot = make_bot(name)
        try:
            await remember_username(name, bot)
            url = f"{base_url.rstrip('/')}/bots/webhook/{name}/"
            await bot.set_webhook(
                url, secret_token=webhook_secret(name), drop_pending_updates=False
            )
            urls[name] = url
        finally:
            await bot.session.close()
    return urls


# Webhook mode: one bot and dispatcher per name and event loop, reused across requests.
_webhook: dict[tuple[str, int], tuple[Bot, Dispatcher]] = {}


def webhook_pair(name: str) -> tuple[Bot, Dispatcher]:
    key = (name, id(asyncio.get_running_loop()))
    if key not in _webhook:
        _webhook[key] = (make_bot(name), make_dispatcher(name))
    return _webhook[key]


def webhook_reset() -> None:
    _webhook.clear()
