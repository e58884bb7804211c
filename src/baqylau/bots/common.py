"""Handlers both bots share: /lang, /verify, /cancel; helpers for downloads and keyboards."""

from __future__ import annotations

import io

from aiogram import Bot, F, Router
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from asgiref.sync import sync_to_async
from django.urls import reverse

from baqylau.bots import services
from baqylau.bots.texts import LANGS, t

LANGUAGE_NAMES = {"kk": "Қазақша", "ru": "Русский", "en": "English"}


def keyboard(rows: list[list[tuple[str, str]]]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [InlineKeyboardButton(text=text, callback_data=data) for text, data in row]
            for row in rows
        ]
    )


async def download(bot: Bot, file_id: str) -> bytes:
    """The file's bytes through getFile and the Bot API's file URL."""
    buffer = io.BytesIO()
    await bot.download(file_id, destination=buffer)
    return buffer.getvalue()


def verify_url() -> str:
    try:
        return reverse("bots:verify")
    except Exception:  # noqa: BLE001 - the page is optional for the bot itself
        return "/bots/verify/"


def shared_router(bot_name: str) -> Router:
    router = Router(name=f"{bot_name}-common")

    @router.message(Command("lang"))
    async def lang_menu(message: Message, lang: str) -> None:
        rows = [[(LANGUAGE_NAMES[code], f"lang:{code}") for code in LANGS]]
        await message.answer(t("choose_language", lang), reply_markup=keyboard(rows))

    @router.callback_query(F.data.startswith("lang:"))
    async def lang_set(query: CallbackQuery) -> None:
        code = query.data.split(":", 1)[1]
        await sync_to_async(services.bot_user_language_set)(bot_name, query.from_user.id, code)
        await query.answer()
        await query.message.answer(t("language_set", code))

    @router.message(Command("verify"))
    async def verify(message: Message, lang: str) -> None:
        statement = await sync_to_async(services.verify_statement_sign)(bot_name)
        await message.answer(t("verify_intro", lang, url=verify_url()))
        await message.answer(statement)

    @router.message(Command("cancel"))
    async def cancel(message: Message, state: FSMContext, lang: str) -> None:
        await state.clear()
        await message.answer(t("cancelled", lang))

    return router
