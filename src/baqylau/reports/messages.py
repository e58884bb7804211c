"""Validation messages and SMS replies in kk/ru/en, by code. Placeholders are str.format fields."""

from __future__ import annotations

from typing import Any

LANGS = ("kk", "ru", "en")

MESSAGES: dict[str, dict[str, str]] = {
    "malformed": {
        "kk": "Хабарламаны оқу мүмкін емес: {detail}",
        "ru": "Сообщение не удалось прочитать: {detail}",
        "en": "The message could not be read: {detail}",
    },
    "missing_field": {
        "kk": "«{field}» өрісі толтырылмаған",
        "ru": "Не заполнено поле «{field}»",
        "en": 'The field "{field}" is missing',
    },
    "not_a_number": {
        "kk": "«{field}» өрісінде сан болуы керек, ал «{value}» жазылған",
        "ru": "В поле «{field}» должно быть число, а указано «{value}»",
        "en": 'The field "{field}" must be a number, not "{value}"',
    },
    "negative": {
        "kk": "«{field}» өрісінде теріс сан: {value}",
        "ru": "В поле «{field}» отрицательное число: {value}",
        "en": 'The field "{field}" is negative: {value}',
    },
    "bad_time": {
        "kk": "Уақыт түсініксіз: «{value}» (СС:ММ немесе ССММ түрінде жазыңыз)",
        "ru": "Непонятное время: «{value}» (пишите ЧЧ:ММ или ЧЧММ)",
        "en": 'Cannot read the time "{value}" (write HH:MM or HHMM)',
    },
    "no_election": {
        "kk": "Сіз ешбір сайлауға бекітілмегенсіз",
        "ru": "Вы не назначены ни на одни выборы",
        "en": "You are not assigned to any election",
    },
    "unknown_station": {
        "kk": "№{station} учаске табылмады",
        "ru": "Участок № {station} не найден",
        "en": "Polling station {station} not found",
    },
    "ambiguous_station": {
        "kk": "№{station} нөмірлі учаске бірнешеу: толық кодын жазыңыз",
        "ru": "Участков с номером {station} несколько: укажите полный код",
        "en": "Several stations are numbered {station}: give the full code",
    },
    "not_assigned": {
        "kk": "Сіз №{station} учаскеге бекітілмегенсіз",
        "ru": "Вы не назначены на участок № {station}",
        "en": "You are not assigned to station {station}",
    },
    "outside_election_day": {
        "kk": "Уақыт {time} сайлау күнінен ({date}) тыс",
        "ru": "Время {time} вне дня голосования ({date})",
        "en": "The time {time} is outside the election day ({date})",
    },
    "in_future": {
        "kk": "Уақыт {time} әлі келген жоқ",
        "ru": "Время {time} ещё не наступило",
        "en": "The time {time} is in the future",
    },
    "above_registered": {
        "kk": "{field}: {value} учаскедегі сайлаушылар санынан ({registered}) көп",
        "ru": "{field}: {value} больше числа избирателей участка ({registered})",
        "en": "{field}: {value} is more than the station's registered voters ({registered})",
    },
    "unknown_violation": {
        "kk": "«{code}» бұзушылық түрі белгісіз. Мысалы: {examples}",
        "ru": "Неизвестный тип нарушения «{code}». Например: {examples}",
        "en": 'Unknown violation type "{code}". For example: {examples}',
    },
    "unknown_status": {
        "kk": "«{value}» күйі белгісіз: {allowed}",
        "ru": "Неизвестный статус «{value}»: {allowed}",
        "en": 'Unknown status "{value}": {allowed}',
    },
    "reason_required": {
        "kk": "Себебін жазыңыз",
        "ru": "Укажите причину",
        "en": "Give the reason",
    },
    "unknown_form": {
        "kk": "«{form}» сауалнамасы жоқ",
        "ru": "Нет анкеты «{form}»",
        "en": 'There is no form "{form}"',
    },
    "unknown_question": {
        "kk": "«{question}» сұрағы сауалнамада жоқ",
        "ru": "В анкете нет вопроса «{question}»",
        "en": 'The form has no question "{question}"',
    },
    "missing_answers": {
        "kk": "Жауап берілмеген сұрақтар: {questions}",
        "ru": "Нет ответа на вопросы: {questions}",
        "en": "Questions not answered: {questions}",
    },
    "not_boolean": {
        "kk": "«{question}» сұрағына иә немесе жоқ деп жауап беріңіз",
        "ru": "На вопрос «{question}» ответьте да или нет",
        "en": 'Answer "{question}" with yes or no',
    },
    "empty_text": {
        "kk": "Мәтін бос",
        "ru": "Пустой текст",
        "en": "The text is empty",
    },
    "not_an_observer": {
        "kk": "Бұл тіркелгі бақылаушыға тиесілі емес",
        "ru": "Эта учётная запись не принадлежит наблюдателю",
        "en": "This account is not an observer's",
    },
    "unknown_sender": {
        "kk": "Бұл нөмір тіркелмеген. Үйлестірушіңізге хабарласыңыз",
        "ru": "Этот номер не зарегистрирован. Обратитесь к координатору",
        "en": "This number is not registered. Contact your coordinator",
    },
    "unknown_command": {
        "kk": "Түсініксіз хабарлама. Үлгілер: T 237 1030 412 · V 237 stuffing 1415 мәтін · C 237 IN · C 237 OUT себеп · P 237 L1=2170 L2=1896 ...",
        "ru": "Непонятное сообщение. Образцы: T 237 1030 412 · V 237 stuffing 1415 текст · C 237 IN · C 237 OUT причина · P 237 L1=2170 L2=1896 ...",
        "en": "Cannot read the message. Examples: T 237 1030 412 · V 237 stuffing 1415 text · C 237 IN · C 237 OUT reason · P 237 L1=2170 L2=1896 ...",
    },
    "sms_format": {
        "kk": "Пішім: {format}",
        "ru": "Формат: {format}",
        "en": "Format: {format}",
    },
    "protocol_line": {
        "kk": "«{item}» түсініксіз: L1=2170 немесе 1=58 түрінде жазыңыз",
        "ru": "Непонятно «{item}»: пишите L1=2170 или 1=58",
        "en": 'Cannot read "{item}": write L1=2170 or 1=58',
    },
    "internal_error": {
        "kk": "Хабарлама сақталды, бірақ оны өңдеу кезінде қате шықты; үйлестіруші оны қолмен қарайды",
        "ru": "Сообщение сохранено, но при его обработке произошла ошибка; координатор разберёт его вручную",
        "en": "The message was stored, but processing it failed; a coordinator will review it by hand",
    },
    "duplicate": {
        "kk": "Бұл хабарлама бұрын қабылданған",
        "ru": "Это сообщение уже получено",
        "en": "This message was already received",
    },
    "locked_out": {
        "kk": "Қате хабарламалар тым көп: нөмір {until} дейін бұғатталды",
        "ru": "Слишком много ошибочных сообщений: номер заблокирован до {until}",
        "en": "Too many unreadable messages: this number is locked until {until}",
    },
    "protocol_unavailable": {
        "kk": "Хаттама қабылданды, бірақ әлі тексерілмеді",
        "ru": "Протокол получен, проверка пока недоступна",
        "en": "Protocol received; checking is not available yet",
    },
    # acknowledgements
    "ok_checkin": {
        "kk": "Қабылданды: №{station}, {status}",
        "ru": "Принято: участок {station}, {status}",
        "en": "Received: station {station}, {status}",
    },
    "ok_turnout": {
        "kk": "Қабылданды: №{station}, {time} — {count}",
        "ru": "Принято: участок {station}, {time} — {count}",
        "en": "Received: station {station}, {time} — {count}",
    },
    "ok_incident": {
        "kk": "Қабылданды: №{station}, {violation} ({time}). Нөмірі {ref}",
        "ru": "Принято: участок {station}, {violation} ({time}). Номер {ref}",
        "en": "Received: station {station}, {violation} ({time}). Reference {ref}",
    },
    "ok_checklist": {
        "kk": "Қабылданды: №{station}, {answers} жауап",
        "ru": "Принято: участок {station}, ответов: {answers}",
        "en": "Received: station {station}, {answers} answers",
    },
    "ok_note": {
        "kk": "Қабылданды: №{station}",
        "ru": "Принято: участок {station}",
        "en": "Received: station {station}",
    },
    "ok_protocol": {
        "kk": "Хаттама қабылданды: №{station}",
        "ru": "Протокол принят: участок {station}",
        "en": "Protocol received: station {station}",
    },
}

FIELD_NAMES: dict[str, dict[str, str]] = {
    "station": {"kk": "учаске", "ru": "участок", "en": "station"},
    "count": {"kk": "санақ", "ru": "подсчёт", "en": "count"},
    "commission_count": {"kk": "комиссия саны", "ru": "цифра комиссии", "en": "commission figure"},
    "at": {"kk": "уақыт", "ru": "время", "en": "time"},
    "status": {"kk": "күйі", "ru": "статус", "en": "status"},
    "violation": {"kk": "бұзушылық түрі", "ru": "тип нарушения", "en": "violation type"},
    "text": {"kk": "мәтін", "ru": "текст", "en": "text"},
    "answers": {"kk": "жауаптар", "ru": "ответы", "en": "answers"},
    "form": {"kk": "сауалнама", "ru": "анкета", "en": "form"},
}


def pick_language(*candidates: str | None) -> str:
    """The first candidate that names one of our languages (accepts `ru-RU`, `kk,ru;q=0.8`)."""
    for candidate in candidates:
        for part in (candidate or "").replace(" ", "").split(","):
            code = part.split(";")[0][:2].lower()
            if code in LANGS:
                return code
    return "ru"


def render(code: str, lang: str, /, **params: Any) -> str:
    template = MESSAGES[code]
    text = template.get(lang) or template["ru"]
    if "field" in params and params["field"] in FIELD_NAMES:
        params = {**params, "field": FIELD_NAMES[params["field"]].get(lang, params["field"])}
    return text.format(**params)


def render_all(code: str, /, **params: Any) -> dict[str, str]:
    return {lang: render(code, lang, **params) for lang in LANGS}
