"""Alaman, the observers' bot: link, check-in, turnout, violations, protocols, status.

Conversation state lives in the database (`storage.DjangoStorage`), so a flow interrupted by a
restart of the bot continues where it stopped. Everything an observer files goes through the
common intake (`intake.services.submit_protocol_copy`, `reports.services.submit_report`): the
envelope is always stored (with its verdict), and the observer is told every problem in their
language.
"""

from __future__ import annotations

from typing import Any

from aiogram import Bot, Dispatcher, F, Router
from aiogram.filters import Command, CommandObject, CommandStart, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message, Update
from asgiref.sync import sync_to_async

from baqylau.bots import selectors, services
from baqylau.bots.common import download, keyboard, shared_router
from baqylau.bots.models import BotName
from baqylau.bots.parsing import bare_number, missing_items, parse_figures, station_code
from baqylau.bots.texts import STATE_LABELS, label, t
from baqylau.intake.models import Submission

NAME = BotName.ALAMAN


class Link(StatesGroup):
    code = State()


class CheckinFlow(StatesGroup):
    station = State()
    status = State()
    reason = State()


class TurnoutFlow(StatesGroup):
    station = State()
    count = State()
    commission = State()


class ViolationFlow(StatesGroup):
    station = State()
    kind = State()
    text = State()
    media = State()


class ProtocolFlow(StatesGroup):
    station = State()
    photos = State()
    figures = State()


FLOWS = {
    "checkin": CheckinFlow,
    "turnout": TurnoutFlow,
    "violation": ViolationFlow,
    "protocol": ProtocolFlow,
}


# ---------------------------------------------------------------------------------------------
# middleware: language, link, pause


def _context(user_id: int, language_code: str | None) -> tuple[str, Any, bool]:
    user = services.bot_user_touch(NAME, user_id, language_code)
    link = selectors.observer_link(user_id)
    return user.language, link, selectors.intake_paused(NAME)


async def context_middleware(handler, event: Update, data: dict[str, Any]):
    user = data.get("event_from_user")
    if user is None or user.is_bot:
        return None
    lang, link, paused = await sync_to_async(_context)(user.id, user.language_code)
    data["lang"], data["link"] = lang, link
    if paused:
        sender = link.observer.public_id if link else ""
        payload = event.model_dump(mode="json", exclude_none=True)

        def store():
            from baqylau.bots import keys
            from baqylau.bots.parsing import sanitize_update

            clean = sanitize_update(payload, keys.id_hash("user", user.id))
            services.raw_store(
                bot=NAME, kind=Submission.Kind.OTHER, sender=sender, data=clean, language=lang
            )

        await sync_to_async(store)()
        if event.callback_query:
            await event.callback_query.answer(t("paused", lang))
        elif event.message:
            await data["bot"].send_message(event.message.chat.id, t("paused", lang))
        return None
    return await handler(event, data)


# ---------------------------------------------------------------------------------------------
# helpers


def _stations(observer) -> list[dict[str, Any]]:
    """The observer's stations (most recent election first), and the station of an open task
    of their mobile group (`observers.selectors.observer_placements`)."""
    from baqylau.observers.selectors import observer_placements

    rows, seen = [], set()
    for assignment in selectors.observer_assignments(observer):
        key = (assignment.election_id, assignment.station_id)
        if key in seen:
            continue
        seen.add(key)
        rows.append(
            {
                "id": assignment.station_id,
                "code": assignment.station.code,
                "election": assignment.election.code,
            }
        )
    for election, station in observer_placements(observer):
        if (election.pk, station.pk) not in seen:
            seen.add((election.pk, station.pk))
            rows.append({"id": station.pk, "code": station.code, "election": election.code})
    return rows


def _form_info(election_code: str, lang: str) -> dict[str, Any] | None:
    """Lines and choices of the election's first contest's protocol form."""
    from baqylau.elections.models import Election
    from baqylau.protocols.engine import load_form

    election = Election.objects.filter(code=election_code).first()
    contest = election.contests.order_by("code").first() if election else None
    if contest is None:
        return None
    form = load_form(contest.protocol_form, contest.protocol_form_version)
    choices = list(contest.choices.order_by("number", "code"))
    return {
        "pages": form.pages or 1,
        "required": [line.code for line in form.lines if line.required],
        "lines": {
            line.code: f"{line.code} ({line.number}) {line.name.get(lang)}" for line in form.lines
        },
        "line_codes": list(form.line_codes),
        "choices": {c.code: c.number for c in choices},
        "choice_labels": {
            c.code: f"#{c.number} {c.code} — {getattr(c, f'name_{lang}') or c.code}"
            if c.number
            else f"{c.code} — {getattr(c, f'name_{lang}') or c.code}"
            for c in choices
        },
    }


def _legend(info: dict[str, Any]) -> str:
    return "\n".join([*info["lines"].values(), *info["choice_labels"].values()])


async def _start_with_station(
    message: Message, state: FSMContext, link, lang: str, flow: type[StatesGroup]
) -> None:
    if link is None:
        await message.answer(t("not_linked", lang))
        return
    stations = await sync_to_async(_stations)(link.observer)
    if not stations:
        await message.answer(t("no_assignment", lang))
        return
    await state.clear()
    await state.update_data(flow=flow.__name__, stations=stations)
    if len(stations) == 1:
        await _station_chosen(message, state, lang, stations[0])
        return
    await state.set_state(flow.station)
    rows = [[(f"№ {s['code']}", f"st:{i}")] for i, s in enumerate(stations)]
    await message.answer(t("ask_station", lang), reply_markup=keyboard(rows))


async def _station_chosen(message: Message, state: FSMContext, lang: str, station: dict) -> None:
    data = await state.update_data(
        station=station["code"], station_id=station["id"], election=station["election"]
    )
    flow = data["flow"]
    if flow == "CheckinFlow":
        await state.set_state(CheckinFlow.status)
        rows = [
            [(t(f"status_{s}", lang), f"ci:{s}")]
            for s in ("admitted", "not_admitted", "removed", "left")
        ]
        await message.answer(
            t("checkin_ask_status", lang, station=station["code"]), reply_markup=keyboard(rows)
        )
    elif flow == "TurnoutFlow":
        await state.set_state(TurnoutFlow.count)
        await message.answer(t("turnout_ask_count", lang, station=station["code"]))
    elif flow == "ViolationFlow":
        await state.set_state(ViolationFlow.kind)
        rows = await sync_to_async(_violation_rows)(lang)
        await message.answer(t("violation_ask_type", lang), reply_markup=keyboard(rows))
    elif flow == "ProtocolFlow":
        info = await sync_to_async(_form_info)(station["election"], lang)
        await state.update_data(pages=(info or {}).get("pages", 1), photos=[])
        await state.set_state(ProtocolFlow.photos)
        await message.answer(t("protocol_ask_photos", lang, pages=(info or {}).get("pages", 1)))


def _violation_rows(lang: str) -> list[list[tuple[str, str]]]:
    from baqylau.reports.models import ViolationType

    rows = []
    for violation in ViolationType.objects.filter(active=True).order_by("position", "code"):
        name = getattr(violation, f"name_{lang}") or violation.localized_name or violation.code
        rows.append([(name[:60], f"vt:{violation.code}"[:64])])
    return rows


async def _report(
    message: Message, state: FSMContext, link, lang: str, kind: str, data: dict, files=()
) -> None:
    outcome = await sync_to_async(services.observer_report_submit)(
        kind=kind, observer=link.observer, data=data, files=files, language=lang
    )
    await state.clear()
    if outcome.ok:
        receipt = await sync_to_async(services.receipt_sign)(
            bot=NAME, submission=outcome.submission, extra={"station": data.get("station", "")}
        )
        await message.answer(
            t(
                "receipt",
                lang,
                receipt=outcome.submission.id,
                extra="\n".join(outcome.messages(lang)),
            )
        )
        await message.answer(receipt)
    else:
        problems = "\n".join(f"• {m}" for m in outcome.messages(lang))
        await message.answer(t("report_rejected", lang, problems=problems))


# ---------------------------------------------------------------------------------------------
# the router


def build_router() -> Router:  # noqa: C901 - one flat list of handlers reads best
    router = Router(name="alaman")

    @router.message(CommandStart())
    async def start(message: Message, state: FSMContext, command: CommandObject, link, lang: str):
        if command.args and not link:
            await _link(message, state, command.args, lang)
            return
        await message.answer(t("alaman_welcome", lang) if not link else t("alaman_help", lang))

    @router.message(Command("help"))
    async def help_(message: Message, lang: str) -> None:
        await message.answer(t("alaman_help", lang))

    async def _link(message: Message, state: FSMContext, code: str, lang: str) -> None:
        try:
            link = await sync_to_async(services.link_code_redeem)(
                code, user_id=message.from_user.id, chat_id=message.chat.id, language=lang
            )
        except services.LinkLocked:
            await message.answer(t("link_locked", lang))
            return
        await state.clear()
        if link is None:
            await message.answer(t("link_bad", lang))
        else:
            await message.answer(t("link_ok", lang, observer=link.observer.public_id))

    @router.message(Command("link"))
    async def link_cmd(message: Message, state: FSMContext, command: CommandObject, lang: str):
        if command.args:
            await _link(message, state, command.args, lang)
        else:
            await state.set_state(Link.code)
            await message.answer(t("link_ask", lang))

    @router.message(StateFilter(Link.code), F.text)
    async def link_code(message: Message, state: FSMContext, lang: str) -> None:
        await _link(message, state, message.text, lang)

    @router.message(Command("status"))
    async def status(message: Message, link, lang: str) -> None:
        if link is None:
            await message.answer(t("not_linked", lang))
            return
        rows = await sync_to_async(selectors.observer_submissions)(link.observer)
        if not rows:
            await message.answer(t("status_none", lang))
            return
        lines = [t("status_header", lang)]
        for row in rows:
            lines.append(
                f"• {row['received_at']:%d.%m %H:%M} {row['kind_label']} — "
                f"{label(STATE_LABELS, row['state'], lang)} ({row['id']})"
            )
        await message.answer("\n".join(lines))

    @router.message(Command("checkin"))
    async def checkin(message: Message, state: FSMContext, link, lang: str) -> None:
        await _start_with_station(message, state, link, lang, CheckinFlow)

    @router.message(Command("turnout"))
    async def turnout(message: Message, state: FSMContext, link, lang: str) -> None:
        await _start_with_station(message, state, link, lang, TurnoutFlow)

    @router.message(Command("violation"))
    async def violation(message: Message, state: FSMContext, link, lang: str) -> None:
        await _start_with_station(message, state, link, lang, ViolationFlow)

    @router.message(Command("protocol"))
    async def protocol(message: Message, state: FSMContext, link, lang: str) -> None:
        await _start_with_station(message, state, link, lang, ProtocolFlow)

    # --- station choice (several assignments) ---
    @router.callback_query(F.data.startswith("st:"))
    async def station_button(query: CallbackQuery, state: FSMContext, lang: str) -> None:
        await query.answer()
        data = await state.get_data()
        index = int(query.data[3:]) if query.data[3:].isdigit() else -1
        stations = data.get("stations", [])
        if 0 <= index < len(stations):
            await _station_chosen(query.message, state, lang, stations[index])

    @router.message(
        StateFilter(
            CheckinFlow.station, TurnoutFlow.station, ViolationFlow.station, ProtocolFlow.station
        ),
        F.text,
    )
    async def station_typed(message: Message, state: FSMContext, lang: str) -> None:
        code = station_code(message.text)
        data = await state.get_data()
        for station in data.get("stations", []):
            if station["code"] == code:
                await _station_chosen(message, state, lang, station)
                return
        await message.answer(t("ask_station", lang))

    # --- check-in ---
    @router.callback_query(StateFilter(CheckinFlow.status), F.data.startswith("ci:"))
    async def checkin_status(query: CallbackQuery, state: FSMContext, link, lang: str) -> None:
        await query.answer()
        status = query.data[3:]
        data = await state.update_data(status=status)
        if status in ("not_admitted", "removed"):
            await state.set_state(CheckinFlow.reason)
            await query.message.answer(t("ask_reason", lang))
            return
        await _report(query.message, state, link, lang, "checkin", _checkin_data(data))

    @router.message(StateFilter(CheckinFlow.reason), F.text)
    async def checkin_reason(message: Message, state: FSMContext, link, lang: str) -> None:
        data = await state.update_data(reason=message.text)
        await _report(message, state, link, lang, "checkin", _checkin_data(data))

    # --- turnout ---
    @router.message(StateFilter(TurnoutFlow.count), F.text)
    async def turnout_count(message: Message, state: FSMContext, lang: str) -> None:
        number = bare_number(message.text)
        if number is None:
            await message.answer(t("need_number", lang))
            return
        await state.update_data(count=number)
        await state.set_state(TurnoutFlow.commission)
        await message.answer(t("turnout_ask_commission", lang))

    @router.message(StateFilter(TurnoutFlow.commission), F.text)
    async def turnout_commission(message: Message, state: FSMContext, link, lang: str) -> None:
        number = bare_number(message.text)
        if number is None and message.text.strip() not in ("-", "—"):
            await message.answer(t("need_number", lang))
            return
        data = await state.get_data()
        report = {
            "election": data["election"],
            "station_id": data["station_id"],
            "station": data["station"],
            "count": data["count"],
            "commission_count": number,
        }
        await _report(message, state, link, lang, "turnout", report)

    # --- violation ---
    @router.callback_query(StateFilter(ViolationFlow.kind), F.data.startswith("vt:"))
    async def violation_kind(query: CallbackQuery, state: FSMContext, lang: str) -> None:
        await query.answer()
        await state.update_data(violation=query.data[3:], media=[])
        await state.set_state(ViolationFlow.text)
        await query.message.answer(t("violation_ask_text", lang))

    @router.message(StateFilter(ViolationFlow.text), F.text)
    async def violation_text(message: Message, state: FSMContext, lang: str) -> None:
        await state.update_data(text=message.text)
        await state.set_state(ViolationFlow.media)
        await message.answer(t("violation_ask_media", lang))

    @router.message(StateFilter(ViolationFlow.media), F.photo | F.video)
    async def violation_media(message: Message, state: FSMContext, lang: str) -> None:
        data = await state.get_data()
        if message.photo:
            item = [message.photo[-1].file_id, "image/jpeg"]
        else:
            item = [message.video.file_id, message.video.mime_type or "video/mp4"]
        media = [*data.get("media", []), item]
        await state.update_data(media=media)
        await message.answer(t("media_received", lang, count=len(media)))

    @router.message(StateFilter(ViolationFlow.media), Command("done"))
    async def violation_done(message: Message, bot: Bot, state: FSMContext, link, lang: str):
        data = await state.get_data()
        files = [(await download(bot, file_id), kind) for file_id, kind in data.get("media", [])]
        report = {
            "election": data["election"],
            "station_id": data["station_id"],
            "station": data["station"],
            "violation": data["violation"],
            "text": data.get("text", ""),
        }
        await _report(message, state, link, lang, "incident", report, files)

    # --- protocol ---
    @router.message(StateFilter(ProtocolFlow.photos), F.photo)
    async def protocol_photo(message: Message, state: FSMContext, lang: str) -> None:
        data = await state.get_data()
        photos = [*data.get("photos", []), message.photo[-1].file_id]
        await state.update_data(photos=photos)
        await message.answer(t("media_received", lang, count=len(photos)))

    @router.message(StateFilter(ProtocolFlow.photos), Command("done"))
    async def protocol_photos_done(message: Message, state: FSMContext, lang: str) -> None:
        data = await state.get_data()
        count, pages = len(data.get("photos", [])), data.get("pages", 1)
        if count < pages and not data.get("warned"):
            await state.update_data(warned=True)
            await message.answer(
                t("protocol_photos_missing", lang, count=count, pages=pages, missing=pages - count)
            )
            return
        info = await sync_to_async(_form_info)(data["election"], lang)
        await state.update_data(lines={}, votes={}, awaiting=None)
        await state.set_state(ProtocolFlow.figures)
        await message.answer(t("protocol_ask_figures", lang, legend=_legend(info)))

    @router.message(StateFilter(ProtocolFlow.figures), F.text)
    async def protocol_figures(
        message: Message, bot: Bot, state: FSMContext, link, lang: str
    ) -> None:
        data = await state.get_data()
        info = await sync_to_async(_form_info)(data["election"], lang)
        lines, votes = dict(data.get("lines", {})), dict(data.get("votes", {}))
        parsed = parse_figures(message.text, info["line_codes"], info["choices"])
        number = bare_number(message.text)
        notes = []
        if parsed.empty and number is not None and data.get("awaiting"):
            kind, code = data["awaiting"]
            (lines if kind == "line" else votes)[code] = number
        elif parsed.unknown or parsed.negative:
            notes.append(
                t("protocol_unknown_keys", lang, keys=", ".join(parsed.unknown + parsed.negative))
            )
        lines.update(parsed.lines)
        votes.update(parsed.votes)
        missing = missing_items(lines, votes, info["required"], list(info["choices"]))
        await state.update_data(lines=lines, votes=votes, awaiting=missing[0] if missing else None)
        if missing:
            kind, code = missing[0]
            item = info["lines"][code] if kind == "line" else info["choice_labels"][code]
            notes.append(t("protocol_ask_item", lang, label=item))
            await message.answer("\n".join(notes))
            return
        photos = [await download(bot, file_id) for file_id in data.get("photos", [])]
        result = await sync_to_async(services.observer_protocol_submit)(
            observer=link.observer,
            election_code=data["election"],
            station_id=data["station_id"],
            lines=lines,
            votes=votes,
            photos=photos,
            language=lang,
        )
        await _protocol_reply(message, state, lang, result, data)

    return router


def _checkin_data(data: dict) -> dict:
    return {
        "election": data["election"],
        "station": data["station"],
        "status": data["status"],
        "reason": data.get("reason", ""),
    }


async def _protocol_reply(message: Message, state: FSMContext, lang: str, outcome, data) -> None:
    """Receipt when the copy is recorded (with what a moderator will look at, if it failed the
    checks); when its figures cannot be right, the errors, and the state stays for a correction
    (the corrected copy replaces this one)."""
    copy = outcome.record
    if copy is None:
        text = "\n".join(f"• {m}" for m in outcome.messages(lang))
        await message.answer(t("protocol_problems", lang, problems=text))
        return
    errors = [f for f in copy.findings if f.get("severity") == "error"]
    if errors and outcome.duplicate_of is None:
        text = "\n".join(f"• {f['messages'][lang]}" for f in errors)
        await message.answer(t("protocol_problems", lang, problems=text))
        return
    first = outcome.duplicate_of or outcome.submission  # a resend: the first copy's receipt
    receipt = await sync_to_async(services.receipt_sign)(
        bot=NAME, submission=first, extra={"station": data["station"], "protocol_copy": copy.pk}
    )
    extra = "\n".join(outcome.messages(lang))
    if copy.findings:
        notes = "\n".join(f"• {f['messages'][lang]}" for f in copy.findings)
        extra += "\n" + t("receipt_review", lang, notes=notes)
    await state.clear()
    await message.answer(t("receipt", lang, receipt=first.id, extra=extra))
    await message.answer(receipt)


def install(dispatcher: Dispatcher) -> None:
    dispatcher.update.outer_middleware(context_middleware)
    dispatcher.include_router(shared_router(NAME))
    dispatcher.include_router(build_router())
