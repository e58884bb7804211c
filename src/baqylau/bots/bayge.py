"""Bayge, the voters' bot (a crowd exit poll).

A voter gives their station number once, sends a photo of their ballot and says whom it shows.
Every update is stored as a Submission before any reply (`intake_middleware`); accounts judged to
be flooding get no reply at all, and their messages stay stored with the reasons.
"""

from __future__ import annotations

import time
from typing import Any

from aiogram import Bot, Dispatcher, F, Router
from aiogram.filters import Command, CommandStart
from aiogram.types import (
    CallbackQuery,
    KeyboardButton,
    Message,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
    Update,
)

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
_clock = time.time  # when an update arrived (a test sets its own)
MAX_PHOTO_BYTES = 15 * 1024 * 1024


def _intake(user_id: int, payload: dict, language_code: str | None, trusted: bool, arrived: float):
    received = crowd.voter_message_receive(
        user_id=user_id, payload=payload, language=language_code, now=arrived
    )
    paused = crowd.cached(f"paused:{NAME}", lambda: selectors.intake_paused(NAME))
    # phone verification is looked up by the intake itself (`received.phone_verified`)
    trusted = trusted or received.phone_verified or selectors.linked_observer(received.voter)
    return received, received.voter.language, paused, trusted


async def intake_middleware(handler, event: Update, data: dict[str, Any]):
    """Store the update first (as a Submission) and judge it, before any handler replies.
    Verified senders' updates take the fast lane (`lanes`)."""
    user = data.get("event_from_user")
    if user is None or user.is_bot:
        return None
    # The account's rate and rhythm are judged on when its updates arrived, not on when their
    # turn came: a backlog must not make a person's messages look machine-regular.
    arrived = _clock()
    current = lanes.lanes()
    async with current.sender(user.id):
        return await _handle(handler, event, data, user, current, arrived)


async def _handle(
    handler, event: Update, data: dict[str, Any], user, current, arrived: float
) -> Any:
    payload = event.model_dump(mode="json", exclude_none=True)
    contact = event.message.contact if event.message else None
    lanes.admit(user.id, own_contact=contact is not None and contact.user_id == user.id)
    received, lang, paused, trusted = await db(
        _intake, user.id, payload, user.language_code, user.id in current.trusted, arrived
    )
    if trusted and not received.voter.spam:
        current.trusted.add(user.id)
    else:
        current.trusted.discard(user.id)
    data["received"], data["lang"], data["trusted"] = received, lang, trusted
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
    from baqylau.crowd.services import cached, poll_target

    _election, contest = poll_target()
    rows = []
    has_against_all = False
    if contest is not None:
        choices = cached(
            f"choices:{contest.pk}", lambda: list(contest.choices.order_by("number", "code"))
        )
        for choice in choices:
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
        else:  # the phone first: the voter's later messages then take the fast lane
            await message.answer(t("bayge_welcome", lang), reply_markup=_phone_keyboard(lang))

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
            if result.tier != CrowdBallot.Tier.PHONE_VERIFIED:
                await query.message.answer(t("phone_ask", lang), reply_markup=_phone_keyboard(lang))
        elif result.held:
            await query.message.answer(t("vote_held", lang))
        elif result.category == CrowdBallot.Category.SPAM:
            await query.message.answer(t("vote_saved", lang))
        else:
            await query.message.answer(t("vote_already", lang))

    @router.message(Command("phone"))
    async def phone(message: Message, lang: str) -> None:
        await message.answer(t("phone_ask", lang), reply_markup=_phone_keyboard(lang))

    @router.message(F.contact)
    async def contact(message: Message, received, lang: str) -> None:
        """The contact button: only the sender's own number is taken (Telegram fills the
        contact's user_id with the account it belongs to); kept as a keyed hash only."""
        shared = message.contact
        outcome = await db(
            crowd.voter_phone_verify,
            received=received,
            sender_user_id=message.from_user.id,
            contact_user_id=shared.user_id,
            phone=shared.phone_number or "",
        )
        if outcome in (crowd.PhoneOutcome.VERIFIED, crowd.PhoneOutcome.ALREADY):
            lanes.lanes().trusted.add(message.from_user.id)
        text = {
            crowd.PhoneOutcome.VERIFIED: "phone_verified",
            crowd.PhoneOutcome.ALREADY: "phone_already",
            crowd.PhoneOutcome.USED_BY_OTHER: "phone_used",
            crowd.PhoneOutcome.NOT_OWN: "phone_not_own",
            crowd.PhoneOutcome.FOREIGN: "phone_foreign",
            crowd.PhoneOutcome.NO_ELECTION: "paused",
        }[outcome]
        keep = outcome == crowd.PhoneOutcome.NOT_OWN
        markup = _phone_keyboard(lang) if keep else ReplyKeyboardRemove()
        await message.answer(t(text, lang), reply_markup=markup)
        if outcome == crowd.PhoneOutcome.VERIFIED and not received.voter.station_id:
            await message.answer(t("bayge_ask_station", lang))

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


def _phone_keyboard(lang: str) -> ReplyKeyboardMarkup:
    """Telegram's contact button: the voter shares their own number in one tap."""
    return ReplyKeyboardMarkup(
        keyboard=[[KeyboardButton(text=t("phone_button", lang), request_contact=True)]],
        resize_keyboard=True,
        one_time_keyboard=True,
    )


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
