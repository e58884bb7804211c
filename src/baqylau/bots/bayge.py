"""Bayge, the voters' bot (a crowd exit poll).

A voter gives their station number once, sends a photo of their ballot and says whom it shows.
Every update is stored as a Submission before any reply (`intake_middleware`); accounts judged to
be flooding get no reply at all, and their messages stay stored with the reasons.
"""

from __future__ import annotations

from typing import Any

from aiogram import Bot, Dispatcher, F, Router
from aiogram.filters import Command, CommandStart
from aiogram.types import CallbackQuery, Message, Update

from baqylau.bots import lanes, selectors
from baqylau.bots.common import download, keyboard, shared_router
from baqylau.bots.lanes import db
from baqylau.bots.models import BotName
from baqylau.bots.parsing import station_code
from baqylau.bots.texts import t
from baqylau.crowd import services as crowd
from baqylau.crowd.models import CrowdBallot
from baqylau.elections.models import Choice

NAME = BotName.BAYGE
MAX_PHOTO_BYTES = 15 * 1024 * 1024


def _intake(user_id: int, payload: dict, language_code: str | None):
    received = crowd.voter_message_receive(user_id=user_id, payload=payload, language=language_code)
    paused = crowd.cached(f"paused:{NAME}", lambda: selectors.intake_paused(NAME))
    return received, received.voter.language, paused, crowd.reference_id()


async def intake_middleware(handler, event: Update, data: dict[str, Any]):
    """Store the update first (as a Submission) and judge it, before any handler replies."""
    user = data.get("event_from_user")
    if user is None or user.is_bot:
        return None
    payload = event.model_dump(mode="json", exclude_none=True)
    current = lanes.lanes()
    lanes.PRIORITY.set(lanes.triage(user.id, current.reference))
    received, lang, paused, current.reference = await db(
        _intake, user.id, payload, user.language_code
    )
    if received.voter.spam:
        current.flagged.add(user.id)
    data["received"], data["lang"] = received, lang
    bot: Bot = data["bot"]
    if paused:
        if event.callback_query:
            await event.callback_query.answer(t("paused", lang))
        elif event.message:
            await bot.send_message(event.message.chat.id, t("paused", lang))
        return None
    if received.rate_limited and received.voter.spam:
        return None  # flooding: stored, no reply
    return await handler(event, data)


def _choices_keyboard(ballot_id: int, lang: str) -> Any:
    from baqylau.crowd.services import poll_target

    _election, contest = poll_target()
    rows = []
    has_against_all = False
    if contest is not None:
        for choice in contest.choices.order_by("number", "code"):
            has_against_all |= choice.kind == Choice.Kind.AGAINST_ALL
            label = getattr(choice, f"name_{lang}") or choice.localized_name or choice.code
            prefix = f"{choice.number}. " if choice.number else ""
            rows.append([(prefix + label, f"v:{ballot_id}:c{choice.pk}")])
    extra = [] if has_against_all else [(t("against_all", lang), f"v:{ballot_id}:a")]
    rows.append([*extra, (t("spoiled", lang), f"v:{ballot_id}:s")])
    return keyboard(rows)


def build_router() -> Router:
    router = Router(name="bayge")

    @router.message(CommandStart())
    async def start(message: Message, received, lang: str) -> None:
        if received.voter.station_id:
            station = await db(lambda: received.voter.station.code)
            await message.answer(t("station_fixed", lang, station=station))
            await message.answer(t("send_photo", lang), reply_markup=_no_photo(lang))
        else:
            await message.answer(t("bayge_welcome", lang))

    @router.message(Command("help"))
    async def help_(message: Message, lang: str) -> None:
        await message.answer(t("bayge_help", lang))

    @router.message(F.photo)
    async def photo(message: Message, bot: Bot, received, lang: str) -> None:
        size = message.photo[-1]
        if size.file_size and size.file_size > MAX_PHOTO_BYTES:
            await message.answer(t("photo_rejected", lang, reason="> 15 MB"))
            return
        data = await download(bot, size.file_id)
        try:
            ballot = await db(crowd.ballot_photo_receive, received=received, data=data)
        except Exception as exc:  # EvidenceRejected: not a photo
            reason = exc.message(lang) if hasattr(exc, "message") else str(exc)
            await message.answer(t("photo_rejected", lang, reason=reason))
            return
        if ballot.station_id is None:  # kept (and judged), but a ballot needs its station
            await message.answer(t("need_station", lang))
            return
        markup = await db(_choices_keyboard, ballot.pk, lang)
        await message.answer(t("ask_choice", lang), reply_markup=markup)

    @router.callback_query(F.data == "np")
    async def no_photo(query: CallbackQuery, received, lang: str) -> None:
        await query.answer()
        if not received.voter.station_id:
            await query.message.answer(t("need_station", lang))
            return
        markup = await db(_choices_keyboard, 0, lang)
        await query.message.answer(t("ask_choice", lang), reply_markup=markup)

    @router.callback_query(F.data.startswith("v:"))
    async def vote(query: CallbackQuery, received, lang: str) -> None:
        _, ballot, answer = (query.data.split(":") + ["", ""])[:3]
        answer = {"a": "against_all", "s": "spoiled"}.get(answer, f"choice:{answer[1:]}")
        ballot_id = int(ballot) if ballot.isdigit() and ballot != "0" else None
        result, counted = await db(
            crowd.ballot_choice_set, received=received, ballot_id=ballot_id, answer=answer
        )
        await query.answer()
        if result is None:
            await query.message.answer(t("ballot_expired", lang))
        elif counted:
            label = await db(_ballot_label, result, lang)
            receipt = str(result.submission_id)[:8]
            await query.message.answer(t("vote_counted", lang, choice=label, receipt=receipt))
        elif result.category == CrowdBallot.Category.SPAM:
            await query.message.answer(t("vote_saved", lang))
        else:
            await query.message.answer(t("vote_already", lang))

    @router.message(F.text)
    async def text(message: Message, received, lang: str) -> None:
        code = station_code(message.text)
        if received.voter.station_id:
            await message.answer(t("send_photo", lang), reply_markup=_no_photo(lang))
            return
        station = await db(crowd.voter_station_set, received.voter, code) if code else None
        if station is None:
            await message.answer(t("station_unknown", lang, station=code or message.text[:20]))
            return
        await message.answer(
            t("station_set", lang, station=station.code), reply_markup=_no_photo(lang)
        )

    return router


def _no_photo(lang: str):
    return keyboard([[(t("no_photo_button", lang), "np")]])


def _ballot_label(ballot: CrowdBallot, lang: str) -> str:
    if ballot.choice_id:
        choice = ballot.choice
        return getattr(choice, f"name_{lang}") or choice.localized_name or choice.code
    from baqylau.bots.texts import CATEGORY_LABELS, label

    return label(CATEGORY_LABELS, ballot.category, lang)


def install(dispatcher: Dispatcher) -> None:
    """Voters' conversation state is in the database already (the voter's station on
    `CrowdVoter`, the open ballot's id in the buttons' callback data), so the dispatcher's FSM
    storage (created with it) is never used by these handlers."""
    dispatcher.update.outer_middleware(intake_middleware)
    dispatcher.include_router(shared_router(NAME))
    dispatcher.include_router(build_router())
