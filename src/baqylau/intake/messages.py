"""Everything the intake tells a sender, in kk/ru/en, by code: why a submission could not become
a record, and the acknowledgement of one that did. One catalogue for every channel (API, observer
app, bots, SMS) and every kind (reports, protocol copies, ballot photos); placeholders are
`str.format` fields, and a placeholder named `field` is shown by its name in `FIELD_NAMES`.

Words follow the glossary: a record is "received" (алынды / получено) when it is stored, and
"passed the checks" or "failed the checks" by the automatic checks; "accepted" belongs to
moderators only.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from baqylau.i18n import LANGUAGES, localized

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
    "body_too_large": {
        "kk": "Сұраныс тым үлкен: {size} байт (ең көбі {limit} байт)",
        "ru": "Слишком большой запрос: {size} байт (не более {limit} байт)",
        "en": "The request is too large: {size} bytes (at most {limit} bytes)",
    },
    "too_many_parts": {
        "kk": "Сұраныста өрістер немесе файлдар тым көп (ең көбі {limit})",
        "ru": "В запросе слишком много полей или файлов (не более {limit})",
        "en": "The request has too many fields or files (at most {limit})",
    },
    "too_large": {
        "kk": "«{field}» өрісіндегі сан тым үлкен: {value}",
        "ru": "Слишком большое число в поле «{field}»: {value}",
        "en": 'The number in the field "{field}" is too large: {value}',
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
    "bad_key": {
        "kk": "Хабарламаның кілті (UUID) жоқ немесе қате",
        "ru": "Нет ключа сообщения (UUID) или он неверен",
        "en": "The report's key (a UUID) is missing or wrong",
    },
    "unknown_kind": {
        "kk": "Мұндай хабарлама түрі жоқ",
        "ru": "Нет такого вида сообщения",
        "en": "There is no such kind of report",
    },
    "not_an_observer": {
        "kk": "Бұл тіркелгі бақылаушыға тиесілі емес",
        "ru": "Эта учётная запись не принадлежит наблюдателю",
        "en": "This account is not an observer's",
    },
    "not_in_scope": {
        "kk": "Сіз {value} байқаушының атынан хабарлама енгізе алмайсыз",
        "ru": "Вы не можете вносить сообщения от имени наблюдателя {value}",
        "en": "You may not enter reports on behalf of observer {value}",
    },
    "unknown_observer": {
        "kk": "{value} байқаушысы табылмады",
        "ru": "Наблюдатель {value} не найден",
        "en": "Observer {value} not found",
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
        "kk": "Бұл хабарлама бұрын алынған",
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
    # --- protocol copies (see protocols.intake) ---
    "bad_json": {
        "kk": "Деректерді оқу мүмкін болмады: бұл JSON емес ({error})",
        "ru": "Не удалось прочитать данные: это не JSON ({error})",
        "en": "The data could not be read: it is not JSON ({error})",
    },
    "not_utf8": {
        "kk": "Деректер UTF-8 мәтіні емес; алынған байттар сақталды",
        "ru": "Данные не в кодировке UTF-8; полученные байты сохранены",
        "en": "The data is not UTF-8 text; the bytes received are kept",
    },
    "too_deep": {
        "kk": "«{field}» өрісінің құрылымы тым терең; алынған деректер мәтін ретінде сақталды",
        "ru": "Слишком глубокая вложенность в поле «{field}»; полученные данные сохранены как текст",
        "en": 'The field "{field}" is nested too deeply; the data received is kept as text',
    },
    "not_an_object": {
        "kk": "Деректер JSON объектісі болуы керек (кілт-мән жұптары)",
        "ru": "Данные должны быть JSON-объектом (пары «ключ — значение»)",
        "en": "The data must be a JSON object (key-value pairs)",
    },
    "election_required": {
        "kk": "Сайлау көрсетілмеген (election өрісі)",
        "ru": "Не указаны выборы (поле election)",
        "en": "The election is missing (field election)",
    },
    "unknown_election": {
        "kk": "«{value}» сайлауы табылмады",
        "ru": "Выборы «{value}» не найдены",
        "en": 'Election "{value}" not found',
    },
    "contest_required": {
        "kk": "Бұл сайлауда бірнеше бюллетень бар: contest өрісінде қайсысы екенін көрсетіңіз ({known})",
        "ru": "В этих выборах несколько бюллетеней: укажите нужный в поле contest ({known})",
        "en": "This election has several contests: name one in the field contest ({known})",
    },
    "unknown_contest": {
        "kk": "«{value}» бюллетені бұл сайлауда жоқ ({known})",
        "ru": "Бюллетеня «{value}» в этих выборах нет ({known})",
        "en": 'There is no contest "{value}" in this election ({known})',
    },
    "station_required": {
        "kk": "Сайлау учаскесі көрсетілмеген (station немесе station_id өрісі)",
        "ru": "Не указан избирательный участок (поле station или station_id)",
        "en": "The polling station is missing (field station or station_id)",
    },
    "form_unavailable": {
        "kk": "«{value}» хаттама нысаны табылмады; хабарлама сақталды, әкімшіге хабарланды",
        "ru": "Форма протокола «{value}» не найдена; сообщение сохранено, администратор уведомлён",
        "en": 'Protocol form "{value}" is not available; the submission is kept for an administrator',
    },
    "lines_required": {
        "kk": "Хаттама жолдарының сандары жоқ (lines өрісі)",
        "ru": "Нет цифр строк протокола (поле lines)",
        "en": "The protocol's figures are missing (field lines)",
    },
    "not_a_mapping": {
        "kk": "{field} өрісі «код: сан» жұптары болуы керек",
        "ru": "Поле {field} должно состоять из пар «код: число»",
        "en": "The field {field} must be pairs of code: number",
    },
    "unknown_line": {
        "kk": "Хаттамада {value} жолы жоқ (бар жолдар: {known})",
        "ru": "В протоколе нет строки {value} (есть: {known})",
        "en": "The protocol has no line {value} (it has: {known})",
    },
    "unknown_choice": {
        "kk": "Бюллетеньде «{value}» жоқ (бар: {known})",
        "ru": "В бюллетене нет «{value}» (есть: {known})",
        "en": 'There is no "{value}" on the ballot (it has: {known})',
    },
    "file_refused": {  # {reason} is the evidence store's own kk/ru/en message
        "kk": "{index}-файл қабылданбады: {reason}",
        "ru": "Файл {index} не принят: {reason}",
        "en": "File {index} was refused: {reason}",
    },
    "photo_bad_page": {
        "kk": "{index}-суреттің бет нөмірі дұрыс емес: {value}",
        "ru": "Неверный номер страницы у фото {index}: {value}",
        "en": "Photo {index} has an invalid page number: {value}",
    },
    # acknowledgements
    "number_out_of_range": {
        "kk": "«{field}» өрісіндегі {value} санын қабылдау мүмкін емес: сан ақырлы болуы және модулі 9007199254740991-ден аспауы керек",
        "ru": "Число {value} в поле «{field}» не может быть принято: число должно быть конечным и не больше 9007199254740991 по модулю",
        "en": 'The number {value} in the field "{field}" cannot be accepted: a number must be finite and at most 9007199254740991 in absolute value',
    },
    "text_unstorable": {
        "kk": "«{field}» өрісінде сақтауға болмайтын таңба бар (нөлдік таңба немесе жұпсыз суррогат)",
        "ru": "В поле «{field}» есть символ, который нельзя сохранить (нулевой символ или непарный суррогат)",
        "en": 'The field "{field}" contains a character that cannot be stored (a NUL character or a lone surrogate)',
    },
    "crowd_not_permitted": {
        "kk": "Сайлаушылар платформасының сандарын тек оларды импорттауға құқығы бар қызметкер жібере алады",
        "ru": "Данные платформ избирателей может присылать только сотрудник с правом их импорта",
        "en": "Only staff allowed to import crowd counts may send them",
    },
    "counts_required": {
        "kk": "«counts» тізімі бос немесе жоқ",
        "ru": "Список «counts» пуст или отсутствует",
        "en": 'The list "counts" is empty or missing',
    },
    "photo_above_declared": {
        "kk": "Бюллетень суретімен расталған дауыстар ({photo}) мәлімделген дауыстардан ({declared}) көп",
        "ru": "Подтверждённых фото бюллетеня голосов ({photo}) больше, чем заявленных ({declared})",
        "en": "More votes confirmed by a ballot photo ({photo}) than declared ({declared})",
    },
    "in_row": {
        "kk": "{row}-жол: {problem}",
        "ru": "Строка {row}: {problem}",
        "en": "Row {row}: {problem}",
    },
    "ok_crowd_counts": {
        "kk": "Алынды: {n} көрсеткіш, {stations} учаске",
        "ru": "Получено: {n} показателей, участков: {stations}",
        "en": "Received: {n} counts from {stations} stations",
    },
    "ok_checkin": {
        "kk": "Алынды: №{station}, {status}",
        "ru": "Получено: участок {station}, {status}",
        "en": "Received: station {station}, {status}",
    },
    "ok_turnout": {
        "kk": "Алынды: №{station}, {time} — {count}",
        "ru": "Получено: участок {station}, {time} — {count}",
        "en": "Received: station {station}, {time} — {count}",
    },
    "ok_incident": {
        "kk": "Алынды: №{station}, {violation} ({time}). Нөмірі {ref}",
        "ru": "Получено: участок {station}, {violation} ({time}). Номер {ref}",
        "en": "Received: station {station}, {violation} ({time}). Reference {ref}",
    },
    "ok_checklist": {
        "kk": "Алынды: №{station}, {answers} жауап",
        "ru": "Получено: участок {station}, ответов: {answers}",
        "en": "Received: station {station}, {answers} answers",
    },
    "ok_note": {
        "kk": "Алынды: №{station}",
        "ru": "Получено: участок {station}",
        "en": "Received: station {station}",
    },
    "ok_protocol": {
        "kk": "Хаттама алынды (көшірме №{ref}): №{station} учаске, тексерулерден өтті",
        "ru": "Протокол получен (копия № {ref}): участок {station}, прошёл проверки",
        "en": "Protocol received (copy No. {ref}): station {station}, it passed the checks",
    },
    "ok_protocol_failed": {
        "kk": "Хаттама алынды (көшірме №{ref}): №{station} учаске, бірақ тексерулерден өтпеді; модераторды күтуде",
        "ru": "Протокол получен (копия № {ref}): участок {station}, но не прошёл проверки; ждёт модератора",
        "en": "Protocol received (copy No. {ref}): station {station}, but it failed the checks; it waits for a moderator",
    },
}

FIELD_NAMES: dict[str, dict[str, str]] = {
    "station": {"kk": "учаске", "ru": "участок", "en": "station"},
    "count": {"kk": "байқаушының санағы", "ru": "подсчёт наблюдателя", "en": "observer's count"},
    "commission_count": {
        "kk": "комиссия көрсеткіші",
        "ru": "данные комиссии",
        "en": "commission's figure",
    },
    "at": {"kk": "уақыт", "ru": "время", "en": "time"},
    "status": {"kk": "күйі", "ru": "статус", "en": "status"},
    "violation": {"kk": "бұзушылық түрі", "ru": "тип нарушения", "en": "violation type"},
    "text": {"kk": "мәтін", "ru": "текст", "en": "text"},
    "answers": {"kk": "жауаптар", "ru": "ответы", "en": "answers"},
    "form": {"kk": "сауалнама", "ru": "анкета", "en": "form"},
    "declared": {"kk": "мәлімделген дауыстар", "ru": "заявленные голоса", "en": "declared votes"},
    "photo": {
        "kk": "суретпен расталған дауыстар",
        "ru": "голоса, подтверждённые фото",
        "en": "votes confirmed by a photo",
    },
    "source": {"kk": "дереккөз", "ru": "источник", "en": "source"},
}


def render(code: str, lang: str, /, **params: Any) -> str:
    """The message `code` in `lang`; a parameter that is itself a {kk, ru, en} mapping (e.g. the
    evidence store's reason) is taken in the same language."""
    values = {
        key: localized(value, lang) if isinstance(value, Mapping) else value
        for key, value in params.items()
    }
    field = values.get("field")
    if isinstance(field, str) and field in FIELD_NAMES:
        values["field"] = FIELD_NAMES[field].get(lang, field)
    return localized(MESSAGES[code], lang).format(**values)


def render_all(code: str, /, **params: Any) -> dict[str, str]:
    return {lang: render(code, lang, **params) for lang in LANGUAGES}
