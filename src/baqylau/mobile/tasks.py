"""Telling a dispatched group in the bot: each member with a linked Telegram account gets the
task (station, incident, instructions, what to send back) in their language."""

from __future__ import annotations

import logging
import os

from asgiref.sync import async_to_sync
from django.utils import timezone

from baqylau.jobs import job

logger = logging.getLogger(__name__)


def task_text(dispatch, lang: str) -> str:
    from baqylau.bots.texts import t

    when = timezone.localtime(dispatch.incident.occurred_at, dispatch.election.zone)
    return t(
        "mobile_task",
        lang,
        group=dispatch.group.name,
        station=dispatch.station.code,
        violation=dispatch.incident.violation.name_in(lang),
        time=when.strftime("%H:%M"),
        instructions=dispatch.instructions or "—",
    )


@job(retries=3)
def notify_dispatch(dispatch_id: int) -> int:
    """Send the task to the group's members in the bot; returns how many were told (0 when the
    observers' bot is not configured on this server)."""
    from baqylau.bots.models import ObserverLink
    from baqylau.mobile.models import Dispatch
    from baqylau.mobile.services import mark_notified

    dispatch = (
        Dispatch.objects.select_related("group", "station", "election", "incident__violation")
        .filter(pk=dispatch_id)
        .first()
    )
    if dispatch is None or not os.environ.get("ALAMAN_BOT_TOKEN"):
        return 0
    links = list(
        ObserverLink.objects.filter(observer__in=dispatch.group.members.all(), active=True)
    )
    messages = [(link.chat_id, task_text(dispatch, link.language)) for link in links]
    sent = async_to_sync(_send)(messages)
    mark_notified(dispatch.pk, sent)
    return sent


async def _send(messages: list[tuple[int, str]]) -> int:
    from baqylau.bots.runtime import make_bot

    bot = make_bot("alaman")
    sent = 0
    try:
        for chat_id, text in messages:
            try:
                await bot.send_message(chat_id, text)
                sent += 1
            except Exception:  # noqa: BLE001 - one unreachable member must not stop the others
                logger.exception("could not tell chat of a mobile group member")
    finally:
        await bot.session.close()
    return sent
