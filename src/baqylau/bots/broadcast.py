"""Broadcasts to the observers of a region, within Telegram's limits (see `throttle`)."""

from __future__ import annotations

from aiogram import Bot
from aiogram.exceptions import TelegramRetryAfter
from asgiref.sync import sync_to_async
from django.utils import timezone

from baqylau.bots import selectors
from baqylau.bots.models import BotName, Broadcast
from baqylau.bots.throttle import Throttle, send_all
from baqylau.elections.models import AdminUnit


def _retry_after(exc: BaseException) -> float | None:
    return float(exc.retry_after) if isinstance(exc, TelegramRetryAfter) else None


def broadcast_create(*, region: AdminUnit | None, text: str, created_by: str = "") -> tuple:
    links = selectors.broadcast_recipients(region)
    record = Broadcast.objects.create(
        bot=BotName.ALAMAN,
        region=region,
        text=text,
        recipients=len(links),
        created_by=created_by[:128],
    )
    return record, [link.chat_id for link in links]


def broadcast_finish(record: Broadcast, sent: int, failed: int) -> None:
    Broadcast.objects.filter(pk=record.pk).update(
        sent=sent, failed=failed, finished_at=timezone.now()
    )


async def broadcast(
    bot: Bot,
    *,
    region: AdminUnit | None,
    text: str,
    created_by: str = "",
    throttle: Throttle | None = None,
) -> Broadcast:
    record, chat_ids = await sync_to_async(broadcast_create)(
        region=region, text=text, created_by=created_by
    )

    async def send(chat_id: int) -> None:
        await bot.send_message(chat_id, text)

    sent, failed = await send_all(chat_ids, send, throttle=throttle, retry_after_of=_retry_after)
    await sync_to_async(broadcast_finish)(record, sent, failed)
    await sync_to_async(record.refresh_from_db)()
    return record
