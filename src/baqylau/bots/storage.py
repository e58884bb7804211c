"""aiogram FSM storage in the database, so conversations survive a restart of the bot process.

The conversation key (bot, chat, user, thread, destiny) is stored only as a keyed hash. Database
access runs in Django's thread-sensitive executor (`sync_to_async`), one thread for all ORM calls,
which is safe for SQLite and for PostgreSQL alike.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aiogram.fsm.state import State
from aiogram.fsm.storage.base import BaseStorage, StateType, StorageKey
from asgiref.sync import sync_to_async

from baqylau.bots import keys
from baqylau.bots.models import BotState


def key_hash(key: StorageKey) -> str:
    parts = (
        key.bot_id,
        key.chat_id,
        key.user_id,
        key.thread_id or "",
        key.business_connection_id or "",
        key.destiny,
    )
    return keys.id_hash("conversation", ":".join(str(p) for p in parts))


def _state_name(state: StateType) -> str | None:
    if isinstance(state, State):
        return state.state
    return state


def state_set(key: StorageKey, state: StateType, bot: str = "") -> None:
    BotState.objects.update_or_create(
        key_hash=key_hash(key), defaults={"state": _state_name(state) or "", "bot": bot}
    )


def state_get(key: StorageKey) -> str | None:
    state = BotState.objects.filter(key_hash=key_hash(key)).values_list("state", flat=True).first()
    return state or None


def data_set(key: StorageKey, data: Mapping[str, Any], bot: str = "") -> None:
    BotState.objects.update_or_create(
        key_hash=key_hash(key), defaults={"data": dict(data), "bot": bot}
    )


def data_get(key: StorageKey) -> dict[str, Any]:
    data = BotState.objects.filter(key_hash=key_hash(key)).values_list("data", flat=True).first()
    return dict(data or {})


class DjangoStorage(BaseStorage):
    def __init__(self, bot: str = "") -> None:
        self.bot = bot

    async def set_state(self, key: StorageKey, state: StateType = None) -> None:
        await sync_to_async(state_set)(key, state, self.bot)

    async def get_state(self, key: StorageKey) -> str | None:
        return await sync_to_async(state_get)(key)

    async def set_data(self, key: StorageKey, data: Mapping[str, Any]) -> None:
        await sync_to_async(data_set)(key, data, self.bot)

    async def get_data(self, key: StorageKey) -> dict[str, Any]:
        return await sync_to_async(data_get)(key)

    async def close(self) -> None:
        return None
