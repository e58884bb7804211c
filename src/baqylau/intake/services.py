"""Intake of protocol copies from every channel (API, web, bot, import).

The order is the contract: the envelope (a `Submission` with the sender's data and a manifest of
the attached files) and the photos (`MediaFile`, original bytes under DATA_DIR/evidence) are
committed FIRST, before anything is parsed, checked or acknowledged. Everything after that may
fail on bad input, and then a `Rejection` with messages in kk/ru/en says why — the submission
itself is never lost.

Stored payload of a protocol submission::

    {"data": <the sender's JSON object, or the raw text when it was not JSON>,
     "attachments": [{"index": 0, "page": 1, "size": 123, "sha256": "…",
                      "declared_type": "image/jpeg", "content_type": "image/jpeg"}, …]}

The sender's object (see `parse_protocol_data`)::

    {"election": "kz-2021-mazhilis",          # code; optional when station_id is given
     "contest": "party-list",                 # code; optional when the election has one contest
     "station": "237" | "station_id": 42 | "station_path": "KZ/10/1003/237",
     "lines": {"L1": 2170, "L2": "1 896", …},  # figures by the form's line codes
     "votes": {"nur-otan": 12994, …},          # votes by choice code
     "source": "observer"}                     # optional: observer, organisation, voter, import
"""

from __future__ import annotations

import hashlib
import json
import logging
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils import timezone

from baqylau.elections.models import AdminUnit, Choice, Contest, Election
from baqylau.evidence import ledger
from baqylau.evidence import services as evidence
from baqylau.evidence.services import EvidenceRejected
from baqylau.intake.models import Rejection, Submission
from baqylau.protocols import services as protocol_services
from baqylau.protocols.engine import LANGUAGES, LocalizedText, ProtocolForm, load_form
from baqylau.protocols.models import ProtocolCopy

logger = logging.getLogger(__name__)

INVALID = "invalid"  # status of a submission that could not become a protocol copy

T = LocalizedText
MESSAGES: dict[str, LocalizedText] = {
    "bad_json": T(
        kk="Деректерді оқу мүмкін болмады: бұл JSON емес ({error})",
        ru="Не удалось прочитать данные: это не JSON ({error})",
        en="The data could not be read: it is not JSON ({error})",
    ),
    "not_an_object": T(
        kk="Деректер JSON объектісі болуы керек (кілт-мән жұптары)",
        ru="Данные должны быть JSON-объектом (пары «ключ — значение»)",
        en="The data must be a JSON object (key-value pairs)",
    ),
    "election_required": T(
        kk="Сайлау көрсетілмеген (election өрісі)",
        ru="Не указаны выборы (поле election)",
        en="The election is missing (field election)",
    ),
    "unknown_election": T(
        kk="«{value}» сайлауы табылмады",
        ru="Выборы «{value}» не найдены",
        en='Election "{value}" not found',
    ),
    "contest_required": T(
        kk="Бұл сайлауда бірнеше бюллетень бар: contest өрісінде қайсысы екенін көрсетіңіз ({known})",
        ru="В этих выборах несколько бюллетеней: укажите нужный в поле contest ({known})",
        en="This election has several contests: name one in the field contest ({known})",
    ),
    "unknown_contest": T(
        kk="«{value}» бюллетені бұл сайлауда жоқ ({known})",
        ru="Бюллетеня «{value}» в этих выборах нет ({known})",
        en='There is no contest "{value}" in this election ({known})',
    ),
    "station_required": T(
        kk="Сайлау учаскесі көрсетілмеген (station немесе station_id өрісі)",
        ru="Не указан избирательный участок (поле station или station_id)",
        en="The polling station is missing (field station or station_id)",
    ),
    "unknown_station": T(
        kk="№{value} сайлау учаскесі бұл сайлауда табылмады",
        ru="Избирательный участок № {value} в этих выборах не найден",
        en="Polling station No. {value} not found in this election",
    ),
    "ambiguous_station": T(
        kk="№{value} учаскесі бірнеше аумақта бар: station_id немесе station_path көрсетіңіз",
        ru="Участок № {value} есть в нескольких территориях: укажите station_id или station_path",
        en="Station No. {value} exists in several districts: give station_id or station_path",
    ),
    "form_unavailable": T(
        kk="«{value}» хаттама нысаны табылмады; хабарлама сақталды, әкімшіге хабарланды",
        ru="Форма протокола «{value}» не найдена; сообщение сохранено, администратор уведомлён",
        en='Protocol form "{value}" is not available; the submission is kept for an administrator',
    ),
    "lines_required": T(
        kk="Хаттама жолдарының сандары жоқ (lines өрісі)",
        ru="Нет цифр строк протокола (поле lines)",
        en="The protocol's figures are missing (field lines)",
    ),
    "not_a_mapping": T(
        kk="{field} өрісі «код: сан» жұптары болуы керек",
        ru="Поле {field} должно состоять из пар «код: число»",
        en="The field {field} must be pairs of code: number",
    ),
    "unknown_line": T(
        kk="Хаттамада {value} жолы жоқ (бар жолдар: {known})",
        ru="В протоколе нет строки {value} (есть: {known})",
        en="The protocol has no line {value} (it has: {known})",
    ),
    "unknown_choice": T(
        kk="Бюллетеньде «{value}» жоқ (бар: {known})",
        ru="В бюллетене нет «{value}» (есть: {known})",
        en='There is no "{value}" on the ballot (it has: {known})',
    ),
    "not_a_number": T(
        kk="{field}: «{value}» сан емес",
        ru="{field}: «{value}» — не число",
        en='{field}: "{value}" is not a number',
    ),
    "negative_number": T(
        kk="{field}: сан теріс болмауы керек ({value})",
        ru="{field}: число не может быть отрицательным ({value})",
        en="{field}: the number cannot be negative ({value})",
    ),
    "photo": T(  # a file refused by the evidence store; {reason} is its kk/ru/en message
        kk="{index}-файл қабылданбады: {reason}",
        ru="Файл {index} не принят: {reason}",
        en="File {index} was refused: {reason}",
    ),
    "photo_bad_page": T(
        kk="{index}-суреттің бет нөмірі дұрыс емес: {value}",
        ru="Неверный номер страницы у фото {index}: {value}",
        en="Photo {index} has an invalid page number: {value}",
    ),
}


def normalize_language(value: str | None) -> str:
    """kk, ru or en from a language tag (ru by default)."""
    code = (value or "").strip().lower()[:2]
    return code if code in LANGUAGES else "ru"


@dataclass(frozen=True)
class Problem:
    """Why a submission cannot become a record, with its message in kk/ru/en."""

    code: str
    #: Values for the message; a value that is a {kk, ru, en} mapping is taken in the language.
    params: Mapping[str, Any] = field(default_factory=dict)
    field: str = ""
    template: str = ""  # key of MESSAGES when it differs from the code

    def message(self, lang: str = "ru") -> str:
        lang = normalize_language(lang)
        values = {
            key: value[lang] if isinstance(value, Mapping) else value
            for key, value in self.params.items()
        }
        return MESSAGES[self.template or self.code].get(lang).format(**values)

    def as_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "field": self.field,
            "messages": {lang: self.message(lang) for lang in LANGUAGES},
        }


@dataclass(frozen=True)
class IntakeResult:
    """What the sender is told. `copy_id` is the receipt of a recorded protocol copy."""

    submission_id: uuid.UUID
    language: str
    status: str  # accepted | review | rejected (checks of a recorded copy) | invalid (no record)
    copy_id: int | None = None
    #: Findings of the protocol checks, each with "messages" in kk/ru/en.
    findings: tuple[dict[str, Any], ...] = ()
    #: Why the submission could not become a record (status "invalid"), each with "messages".
    problems: tuple[dict[str, Any], ...] = ()
    rejection_code: str = ""

    @property
    def is_record(self) -> bool:
        return self.copy_id is not None

    def messages(self, lang: str | None = None) -> list[str]:
        lang = normalize_language(lang or self.language)
        return [item["messages"][lang] for item in (*self.problems, *self.findings)]


# ---------------------------------------------------------------------------------------------
# Step 1: the envelope and the evidence, committed first


@dataclass
class _Attachment:
    index: int
    content: bytes
    declared_type: str
    page: int | None
    sha256: str
    content_type: str | None = None
    problem: Problem | None = None

    @property
    def manifest(self) -> dict[str, Any]:
        return {
            "index": self.index,
            "page": self.page,
            "size": len(self.content),
            "sha256": self.sha256,
            "declared_type": self.declared_type,
            "content_type": self.content_type,
        }


def _refused(index: int, exc: EvidenceRejected) -> Problem:
    return Problem(
        exc.code, {"index": index + 1, "reason": exc.messages}, field="photos", template="photo"
    )


def _inspect(index: int, item: Sequence[Any]) -> _Attachment:
    content, declared = bytes(item[0]), str(item[1] or "")[:100]
    page = item[2] if len(item) > 2 else index + 1
    attachment = _Attachment(index, content, declared, page, hashlib.sha256(content).hexdigest())
    try:
        info = evidence.check_media(content, declared_type=declared)
    except EvidenceRejected as exc:
        attachment.problem = _refused(index, exc)
        return attachment
    attachment.content_type = info.content_type
    if isinstance(page, bool) or not isinstance(page, int) or page < 1:
        attachment.problem = Problem(
            "photo_bad_page", {"index": index + 1, "value": page}, field="photos"
        )
        attachment.page = None
    elif info.kind != "photo":
        attachment.page = None  # a video is kept as evidence but is not a page of the protocol
    return attachment


def canonical_sha256(payload: Any) -> str:
    """SHA-256 of the canonical JSON of a payload (the ledger's canonical form)."""
    return ledger.content_hash(payload)


def new_submission(
    *,
    kind: str,
    channel: str,
    payload: Any,
    sender: str,
    user=None,
    language: str | None = "ru",
    election: Election | None = None,
) -> Submission:
    """The raw envelope, not yet saved: its id and reception time are fixed here, its payload's
    SHA-256 taken of the canonical JSON. Every channel builds its envelope with this."""
    return Submission(
        id=uuid.uuid4(),
        election=election,
        channel=channel,
        kind=kind,
        sender=sender[:128],
        user=user if getattr(user, "is_authenticated", False) else None,
        received_at=timezone.now(),
        payload=payload,
        payload_sha256=canonical_sha256(payload),
        language=normalize_language(language),
    )


def submission_store(
    *,
    election: Election | None,
    channel: str,
    kind: str,
    sender: str,
    user,
    data: Any,
    photos: Iterable[Sequence[Any]] = (),
    language: str = "ru",
) -> tuple[Submission, list[Problem]]:
    """Store the envelope and its acceptable files in one committed transaction (with their
    ledger entries).

    The payload's manifest lists every file received (size, SHA-256, declared and sniffed type,
    page). Returns the submission and the problems of the refused files (too large, not a photo,
    unreadable): those are not written, the manifest keeps their size and digest.
    """
    attachments = [_inspect(index, item) for index, item in enumerate(photos)]
    payload = {"data": data, "attachments": [a.manifest for a in attachments]}
    submission = new_submission(
        election=election,
        channel=channel,
        kind=kind,
        sender=sender,
        user=user,
        payload=payload,
        language=language,
    )
    with transaction.atomic():
        submission.save(force_insert=True)
        ledger.record_submission(submission)
        for attachment in attachments:
            if attachment.problem is not None:
                continue
            try:  # the original is written durably before the row that names it
                evidence.store_media(
                    submission,
                    attachment.content,
                    declared_type=attachment.declared_type,
                    page=attachment.page,
                )
            except EvidenceRejected as exc:  # e.g. an image that cannot be decoded
                attachment.problem = _refused(attachment.index, exc)
    return submission, [a.problem for a in attachments if a.problem is not None]


# ---------------------------------------------------------------------------------------------
# Step 2: parsing the sender's data into typed figures


@dataclass
class ParsedProtocol:
    election: Election
    contest: Contest
    station: AdminUnit
    form: ProtocolForm
    lines: dict[str, int | None]
    votes: dict[Choice, int | None]
    source: str


def _known(values: Iterable[str]) -> str:
    return ", ".join(values) or "—"


def _to_count(value: Any, where: str) -> tuple[int | None, Problem | None]:
    """An int from an int, an integral float or digits with spaces ("12 994"); None when empty."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None, None
    number: int | None = None
    if isinstance(value, bool):
        number = None
    elif isinstance(value, int):
        number = value
    elif isinstance(value, float) and value.is_integer():
        number = int(value)
    elif isinstance(value, str):
        text = "".join(value.split()).replace("\u202f", "").replace("\u00a0", "")
        digits = text[1:] if text[:1] in "+-" else text
        if digits.isascii() and digits.isdigit():
            number = int(text)
    if number is None:
        shown = str(value)[:40]
        return None, Problem("not_a_number", {"field": where, "value": shown}, field=where)
    if number < 0:
        return None, Problem("negative_number", {"field": where, "value": number}, field=where)
    return number, None


def _resolve_election(
    election: Election | None, data: Mapping[str, Any]
) -> tuple[Election | None, Problem | None]:
    if election is not None:
        return election, None
    code = data.get("election")
    if code not in (None, ""):
        found = Election.objects.filter(code=str(code)).first()
        if found is None:
            return None, Problem("unknown_election", {"value": code}, field="election")
        return found, None
    station_id = data.get("station_id")
    if isinstance(station_id, int) and not isinstance(station_id, bool):
        unit = AdminUnit.objects.select_related("election").filter(pk=station_id).first()
        if unit is not None:
            return unit.election, None
        return None, Problem("unknown_station", {"value": station_id}, field="station_id")
    return None, Problem("election_required", field="election")


def _resolve_station(
    election: Election, data: Mapping[str, Any]
) -> tuple[AdminUnit | None, Problem | None]:
    stations = AdminUnit.objects.filter(election=election, kind=AdminUnit.Kind.STATION)
    if data.get("station_id") not in (None, ""):
        value = data["station_id"]
        try:
            station = stations.filter(pk=int(value)).first()
        except (TypeError, ValueError):
            station = None
        if station is None:
            return None, Problem("unknown_station", {"value": value}, field="station_id")
        return station, None
    if data.get("station_path"):
        value = str(data["station_path"]).strip()
        station = stations.filter(path=value).first()
        if station is None:
            return None, Problem("unknown_station", {"value": value}, field="station_path")
        return station, None
    value = data.get("station")
    if value in (None, ""):
        return None, Problem("station_required", field="station")
    code = str(value).strip().lstrip("№#").strip()
    found = list(stations.filter(code=code)[:2])
    if not found:
        return None, Problem("unknown_station", {"value": code}, field="station")
    if len(found) > 1:
        return None, Problem("ambiguous_station", {"value": code}, field="station")
    return found[0], None


def _resolve_contest(
    election: Election, data: Mapping[str, Any]
) -> tuple[Contest | None, Problem | None]:
    contests = list(election.contests.order_by("code"))
    known = _known(c.code for c in contests)
    code = data.get("contest")
    if code in (None, ""):
        if len(contests) == 1:
            return contests[0], None
        return None, Problem("contest_required", {"known": known}, field="contest")
    for contest in contests:
        if contest.code == str(code):
            return contest, None
    return None, Problem("unknown_contest", {"value": code, "known": known}, field="contest")


def parse_protocol_data(
    election: Election | None, data: Any
) -> tuple[ParsedProtocol | None, list[Problem]]:
    """Turn the sender's object into typed figures, or say everything that is wrong with it."""
    if not isinstance(data, Mapping):
        return None, [Problem("not_an_object")]
    election, problem = _resolve_election(election, data)
    if problem:
        return None, [problem]
    problems: list[Problem] = []
    contest, problem = _resolve_contest(election, data)
    problems += [problem] if problem else []
    station, problem = _resolve_station(election, data)
    problems += [problem] if problem else []
    if contest is None:
        return None, problems
    try:
        form = load_form(contest.protocol_form, contest.protocol_form_version)
    except LookupError:
        logger.exception("protocol form of contest %s is not available", contest.pk)
        return None, [*problems, Problem("form_unavailable", {"value": contest.protocol_form})]

    raw_lines = data.get("lines", data.get("figures"))
    raw_votes = data.get("votes", {})
    lines: dict[str, int | None] = {}
    votes: dict[Choice, int | None] = {}
    if raw_lines is None:
        problems.append(Problem("lines_required", field="lines"))
    elif not isinstance(raw_lines, Mapping):
        problems.append(Problem("not_a_mapping", {"field": "lines"}, field="lines"))
    else:
        for code, value in raw_lines.items():
            code = str(code).strip()
            if code not in form.line_codes:
                problems.append(
                    Problem(
                        "unknown_line",
                        {"value": code, "known": _known(form.line_codes)},
                        field=f"lines.{code}",
                    )
                )
                continue
            number, problem = _to_count(value, code)
            problems += [problem] if problem else []
            lines[code] = number
    choices = {choice.code: choice for choice in contest.choices.all()}
    if not isinstance(raw_votes, Mapping):
        problems.append(Problem("not_a_mapping", {"field": "votes"}, field="votes"))
    else:
        for code, value in raw_votes.items():
            choice = choices.get(str(code).strip())
            if choice is None:
                problems.append(
                    Problem(
                        "unknown_choice",
                        {"value": code, "known": _known(choices)},
                        field=f"votes.{code}",
                    )
                )
                continue
            number, problem = _to_count(value, choice.localized_name or choice.code)
            problems += [problem] if problem else []
            votes[choice] = number
    for choice in choices.values():
        votes.setdefault(choice, None)
    if problems or station is None:
        return None, problems
    source = str(data.get("source") or ProtocolCopy.Source.OBSERVER)
    if source not in ProtocolCopy.Source.values:
        source = ProtocolCopy.Source.OBSERVER
    return ParsedProtocol(election, contest, station, form, lines, votes, source), []


# ---------------------------------------------------------------------------------------------
# The whole intake


def _reject(submission: Submission, problems: list[Problem], language: str) -> IntakeResult:
    Rejection.objects.create(
        submission=submission,
        code=problems[0].code,
        messages={lang: "\n".join(p.message(lang) for p in problems) for lang in LANGUAGES},
    )
    return IntakeResult(
        submission_id=submission.id,
        language=language,
        status=INVALID,
        problems=tuple(p.as_dict() for p in problems),
        rejection_code=problems[0].code,
    )


def submit_protocol_copy(
    *,
    election: Election | None = None,
    channel: str,
    sender: str = "",
    user=None,
    payload: Mapping[str, Any] | str | bytes,
    photos: Iterable[Sequence[Any]] = (),
    language: str = "ru",
) -> IntakeResult:
    """Receive one protocol copy: store, parse, check, record, reconcile.

    `payload` is the sender's object (or its JSON text: text that is not JSON is stored as it is
    and rejected); `photos` are ``(bytes, content_type)`` or ``(bytes, content_type, page)``
    (page defaults to the photo's position, 1-based). Without `election` it is taken from the
    payload (`election` code, or the station's id).
    """
    language = normalize_language(language)
    data: Any = payload
    parse_problem = None
    if isinstance(payload, bytes | str):
        text = payload.decode("utf-8", "replace") if isinstance(payload, bytes) else payload
        try:
            data = json.loads(text)
        except ValueError as exc:
            data = text
            parse_problem = Problem("bad_json", {"error": str(exc)[:200]}, field="data")
    if election is None and isinstance(data, Mapping):
        # Best effort, so the envelope is filed under its election even if the rest is wrong.
        election, _ = _resolve_election(None, data)

    submission, file_problems = submission_store(
        election=election,
        channel=channel,
        kind=Submission.Kind.PROTOCOL,
        sender=sender,
        user=user,
        data=data,
        photos=photos,
        language=language,
    )
    if parse_problem is not None:
        return _reject(submission, [parse_problem, *file_problems], language)

    with transaction.atomic():
        parsed, problems = parse_protocol_data(election, data)
        problems = [*problems, *file_problems]
        if parsed is None or problems:
            return _reject(submission, problems, language)
        pages = set(submission.media.exclude(page__isnull=True).values_list("page", flat=True))
        copy, result = protocol_services.protocol_copy_record(
            submission=submission,
            contest=parsed.contest,
            station=parsed.station,
            form=parsed.form,
            source=parsed.source,
            source_ref=sender,
            lines=parsed.lines,
            votes=parsed.votes,
            pages_received=len(pages),
        )
    protocol_services.station_reconcile(contest=parsed.contest, station=parsed.station)
    return IntakeResult(
        submission_id=submission.id,
        language=language,
        status=copy.validation,
        copy_id=copy.pk,
        findings=tuple(copy.findings),
    )
