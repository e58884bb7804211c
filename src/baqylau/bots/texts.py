"""Every text the bots send, in kk/ru/en (pure: no Django). `t(code, lang, **params)`."""

from __future__ import annotations

from typing import Any

LANGS = ("kk", "ru", "en")
DEFAULT_LANG = "ru"

TEXTS: dict[str, dict[str, str]] = {
    # --- common ---------------------------------------------------------------------------
    "choose_language": {
        "kk": "Тілді таңдаңыз:",
        "ru": "Выберите язык:",
        "en": "Choose a language:",
    },
    "language_set": {
        "kk": "Тіл: қазақша.",
        "ru": "Язык: русский.",
        "en": "Language: English.",
    },
    "paused": {
        "kk": "Қабылдау уақытша тоқтатылды. Хабарламаңыз сақталды, рахмет.",
        "ru": "Приём временно приостановлен. Ваше сообщение сохранено, спасибо.",
        "en": "Intake is paused for a while. Your message has been saved, thank you.",
    },
    "cancelled": {
        "kk": "Тоқтатылды. /help — командалар тізімі.",
        "ru": "Отменено. /help — список команд.",
        "en": "Cancelled. /help lists the commands.",
    },
    "verify_intro": {
        "kk": "Бұл бот ресми екенін тексеру үшін төмендегі мәлімдемені {url} бетіне қойыңыз:",
        "ru": "Чтобы проверить, что этот бот официальный, вставьте заявление ниже на странице {url}:",
        "en": "To check that this bot is the official one, paste the statement below at {url}:",
    },
    "slow_down": {
        "kk": "Хабарламалар тым жиі келеді. Біраз күтіңіз.",
        "ru": "Слишком много сообщений. Подождите немного.",
        "en": "Too many messages. Please wait a little.",
    },
    # --- Alaman (observers) ----------------------------------------------------------------
    "alaman_welcome": {
        "kk": "Alaman — байқаушылар боты. Үйлестірушіңіз берген кодты жіберіңіз: /link КОД",
        "ru": "Alaman — бот наблюдателей. Отправьте код, полученный от координатора: /link КОД",
        "en": "Alaman, the observers' bot. Send the code from your coordinator: /link CODE",
    },
    "alaman_help": {
        "kk": "/checkin — келдім / кірмедім\n/turnout — келу саны\n/violation — бұзушылық\n/protocol — хаттама\n/status — жіберілгендер\n/lang — тіл\n/verify — ресми бот па?\n/cancel — тоқтату",
        "ru": "/checkin — прибыл / не допущен\n/turnout — подсчёт явки\n/violation — нарушение\n/protocol — протокол\n/status — мои сообщения\n/lang — язык\n/verify — официальный ли бот\n/cancel — отменить",
        "en": "/checkin — arrived / not admitted\n/turnout — turnout count\n/violation — violation\n/protocol — results protocol\n/status — my submissions\n/lang — language\n/verify — is this the official bot\n/cancel — cancel",
    },
    "link_ask": {
        "kk": "Үйлестірушіден алған кодты жіберіңіз.",
        "ru": "Отправьте код, полученный от координатора.",
        "en": "Send the code you received from your coordinator.",
    },
    "link_ok": {
        "kk": "Тіркелдіңіз: {observer}. /help — командалар.",
        "ru": "Аккаунт привязан: {observer}. /help — команды.",
        "en": "Linked: {observer}. /help lists the commands.",
    },
    "link_bad": {
        "kk": "Код жарамсыз, мерзімі өткен немесе пайдаланылған. Үйлестірушіден жаңасын сұраңыз.",
        "ru": "Код неверный, просрочен или уже использован. Попросите новый у координатора.",
        "en": "The code is wrong, expired or already used. Ask your coordinator for a new one.",
    },
    "link_locked": {
        "kk": "Тым көп сәтсіз әрекет. Кейінірек қайталаңыз.",
        "ru": "Слишком много неудачных попыток. Повторите позже.",
        "en": "Too many failed attempts. Try again later.",
    },
    "not_linked": {
        "kk": "Алдымен аккаунтты байланыстырыңыз: /link КОД",
        "ru": "Сначала привяжите аккаунт: /link КОД",
        "en": "Link your account first: /link CODE",
    },
    "no_assignment": {
        "kk": "Сіз ешбір учаскеге бекітілмегенсіз. Үйлестірушіге хабарласыңыз.",
        "ru": "Вы не назначены ни на один участок. Свяжитесь с координатором.",
        "en": "You are not assigned to any station. Contact your coordinator.",
    },
    "ask_station": {
        "kk": "Қай учаске? Нөмірін жазыңыз немесе таңдаңыз.",
        "ru": "Какой участок? Напишите номер или выберите.",
        "en": "Which station? Type its number or choose it.",
    },
    "checkin_ask_status": {
        "kk": "Учаске №{station}: жағдай қандай?",
        "ru": "Участок № {station}: что с допуском?",
        "en": "Station No. {station}: what is your status?",
    },
    "status_admitted": {"kk": "Кірдім", "ru": "Допущен", "en": "Admitted"},
    "status_not_admitted": {"kk": "Кіргізбеді", "ru": "Не допущен", "en": "Not admitted"},
    "status_removed": {"kk": "Шығарып жіберді", "ru": "Удалён", "en": "Removed"},
    "status_left": {"kk": "Ауысым аяқталды", "ru": "Смена окончена", "en": "Shift ended"},
    "ask_reason": {
        "kk": "Себебін жазыңыз (кім, не деді).",
        "ru": "Опишите причину (кто и что сказал).",
        "en": "Describe the reason (who said what).",
    },
    "turnout_ask_count": {
        "kk": "Учаске №{station}: сіздің санағыңыз бойынша қанша сайлаушы дауыс берді?",
        "ru": "Участок № {station}: сколько избирателей проголосовало по вашему подсчёту?",
        "en": "Station No. {station}: how many voters have voted by your count?",
    },
    "turnout_ask_commission": {
        "kk": "Комиссия жариялаған сан? (жоқ болса «-»)",
        "ru": "Цифра, объявленная комиссией? (если нет — «-»)",
        "en": 'The commission\'s announced figure? ("-" if none)',
    },
    "need_number": {
        "kk": "Сан жазыңыз.",
        "ru": "Напишите число.",
        "en": "Please send a number.",
    },
    "violation_ask_type": {
        "kk": "Бұзушылық түрін таңдаңыз:",
        "ru": "Выберите тип нарушения:",
        "en": "Choose the type of violation:",
    },
    "violation_ask_text": {
        "kk": "Не болғанын сипаттаңыз (уақыт, кім, не).",
        "ru": "Опишите, что произошло (время, кто, что).",
        "en": "Describe what happened (time, who, what).",
    },
    "violation_ask_media": {
        "kk": "Фото/бейне жіберіңіз. Болған соң — /done (медиасыз — бірден /done).",
        "ru": "Пришлите фото/видео. Когда закончите — /done (без медиа — сразу /done).",
        "en": "Send photos/video. When finished, /done (no media: /done right away).",
    },
    "media_received": {
        "kk": "Қабылданды ({count}). Тағы жіберіңіз немесе /done.",
        "ru": "Получено ({count}). Пришлите ещё или /done.",
        "en": "Received ({count}). Send more or /done.",
    },
    "protocol_ask_station": {
        "kk": "Хаттама: учаске нөмірін жазыңыз.",
        "ru": "Протокол: напишите номер участка.",
        "en": "Protocol: type the station number.",
    },
    "protocol_ask_photos": {
        "kk": "Хаттаманың әр бетінің фотосын жіберіңіз ({pages} бет). Болған соң — /done.",
        "ru": "Пришлите фото каждой страницы протокола ({pages} стр.). Когда закончите — /done.",
        "en": "Send a photo of every page of the protocol ({pages} pages). When finished, /done.",
    },
    "protocol_photos_missing": {
        "kk": "Тағы {missing} бет керек ({pages} беттен {count}). Жіберіңіз немесе тағы /done.",
        "ru": "Не хватает страниц: получено {count} из {pages}. Пришлите их или снова /done.",
        "en": "Pages missing: {count} of {pages} received. Send them, or /done again.",
    },
    "protocol_ask_figures": {
        "kk": "Хаттама сандарын жіберіңіз: бір хабарламада (L1=2170 L2=1896 …) немесе жол-жолымен.\n{legend}",
        "ru": "Отправьте цифры протокола: одним сообщением (L1=2170 L2=1896 …) или по строке.\n{legend}",
        "en": "Send the protocol's figures: all in one message (L1=2170 L2=1896 …) or line by line.\n{legend}",
    },
    "protocol_ask_item": {
        "kk": "{label} = ?",
        "ru": "{label} = ?",
        "en": "{label} = ?",
    },
    "protocol_unknown_keys": {
        "kk": "Белгісіз: {keys}",
        "ru": "Не распознано: {keys}",
        "en": "Not recognised: {keys}",
    },
    "protocol_problems": {
        "kk": "Хаттамада қателер бар:\n{problems}\nДұрыс жолды жіберіңіз (мысалы L8=…), мен қайта тексеремін.",
        "ru": "В протоколе есть ошибки:\n{problems}\nОтправьте исправленную строку (например, L8=…), я проверю снова.",
        "en": "The protocol has problems:\n{problems}\nSend the corrected line (e.g. L8=…) and I will check again.",
    },
    "receipt": {
        "kk": "Алынды. Түбіртек нөмірі: {receipt}\n{extra}",
        "ru": "Получено. Номер квитанции: {receipt}\n{extra}",
        "en": "Received. Receipt number: {receipt}\n{extra}",
    },
    "receipt_review": {
        "kk": "Тексерулерден өтпеді, модераторды күтуде:\n{notes}",
        "ru": "Не прошло проверки, ждёт модератора:\n{notes}",
        "en": "It failed the checks and waits for a moderator:\n{notes}",
    },
    "report_rejected": {
        "kk": "Қабылданбады:\n{problems}",
        "ru": "Не принято:\n{problems}",
        "en": "Not accepted:\n{problems}",
    },
    "status_none": {
        "kk": "Сіз әлі ештеңе жібермедіңіз.",
        "ru": "Вы ещё ничего не отправили.",
        "en": "You have not sent anything yet.",
    },
    "status_header": {
        "kk": "Соңғы жіберілгендер:",
        "ru": "Ваши последние сообщения:",
        "en": "Your latest submissions:",
    },
    # --- Bayge (voters) ---------------------------------------------------------------------
    "bayge_welcome": {
        "kk": "Bayge — сайлаушылардың экзитполы. Алдымен төмендегі түймемен телефон нөміріңізбен бөлісіңіз (бір нөмір — бір дауыс; нөмірдің өзі сақталмайды, тек оның кілтті хэші), содан кейін учаскеңіздің нөмірін жазыңыз. Нөмірсіз де болады: бірден учаске нөмірін жазыңыз, бірақ дауысыңыз тексерілген санаққа кірмейді.",
        "ru": "Bayge — экзитпол избирателей. Сначала поделитесь номером телефона кнопкой ниже (один номер — один голос; сам номер не хранится, только его хэш с ключом), затем напишите номер вашего избирательного участка. Можно и без номера: сразу напишите номер участка, но ваш голос не войдёт в проверенный подсчёт.",
        "en": "Bayge, the voters' exit poll. First share your phone number with the button below (one number, one vote; the number itself is never kept, only a keyed hash of it), then type the number of your polling station. You may also go on without it: type the station number now, but your vote will not be in the verified count.",
    },
    "bayge_help": {
        "kk": "1) учаске нөмірі; 2) бюллетеньнің фотосы; 3) кімге дауыс бергеніңізді таңдаңыз.\n/phone — нөміріңізді растау (бір нөмір — бір дауыс)\n/lang — тіл, /verify — ресми бот па?",
        "ru": "1) номер участка; 2) фото бюллетеня; 3) выберите, за кого он.\n/phone — подтвердить номер (один номер — один голос)\n/lang — язык, /verify — официальный ли бот",
        "en": "1) station number; 2) a photo of your ballot; 3) choose whom it shows.\n/phone — verify your number (one number, one vote)\n/lang — language, /verify — is this the official bot",
    },
    "station_unknown": {
        "kk": "№{station} учаскесі табылмады. Нөмірді тексеріңіз.",
        "ru": "Участок № {station} не найден. Проверьте номер.",
        "en": "Station No. {station} not found. Check the number.",
    },
    "bayge_ask_station": {
        "kk": "Учаскеңіздің нөмірін жазыңыз.",
        "ru": "Напишите номер вашего избирательного участка.",
        "en": "Type the number of your polling station.",
    },
    "station_set": {
        "kk": "Учаске №{station}. Енді бюллетеньнің фотосын жіберіңіз (фото болмаса — «Фотосыз»).",
        "ru": "Участок № {station}. Теперь пришлите фото бюллетеня (если фото нет — «Без фото»).",
        "en": 'Station No. {station}. Now send a photo of your ballot (no photo? press "No photo").',
    },
    "station_fixed": {
        "kk": "Сіздің учаскеңіз №{station} (бір рет қана беріледі).",
        "ru": "Ваш участок — № {station} (указывается один раз).",
        "en": "Your station is No. {station} (it is given only once).",
    },
    "need_station": {
        "kk": "Алдымен учаске нөмірін жазыңыз.",
        "ru": "Сначала напишите номер участка.",
        "en": "First type your station number.",
    },
    "ask_choice": {
        "kk": "Бюллетеньде кім белгіленген?",
        "ru": "За кого отмечен бюллетень?",
        "en": "Whom does the ballot show?",
    },
    "no_photo_button": {"kk": "Фотосыз", "ru": "Без фото", "en": "No photo"},
    "against_all": {"kk": "Бәріне қарсы", "ru": "Против всех", "en": "Against all"},
    "spoiled": {"kk": "Бүлінген", "ru": "Испорчен", "en": "Spoiled"},
    "vote_counted": {
        "kk": "Рахмет! Дауысыңыз есептелді ({choice}). Түбіртек: {receipt}",
        "ru": "Спасибо! Ваш голос учтён ({choice}). Квитанция: {receipt}",
        "en": "Thank you! Your vote is counted ({choice}). Receipt: {receipt}",
    },
    "vote_already": {
        "kk": "Рахмет, сақталды. Бұл учаскеден сіздің бір дауысыңыз ғана есептеледі.",
        "ru": "Спасибо, сохранено. С этого участка учитывается только один ваш голос.",
        "en": "Thank you, saved. Only one vote of yours is counted for this station.",
    },
    "vote_saved": {
        "kk": "Рахмет, сақталды.",
        "ru": "Спасибо, сохранено.",
        "en": "Thank you, saved.",
    },
    "photo_rejected": {
        "kk": "Фотоны қабылдау мүмкін болмады: {reason}",
        "ru": "Фото не удалось принять: {reason}",
        "en": "The photo could not be accepted: {reason}",
    },
    "send_photo": {
        "kk": "Бюллетеньнің фотосын жіберіңіз немесе «Фотосыз» түймесін басыңыз.",
        "ru": "Пришлите фото бюллетеня или нажмите «Без фото».",
        "en": 'Send a photo of your ballot or press "No photo".',
    },
    "phone_ask": {
        "kk": "Дауысыңыз тексерілген санаққа кіруі үшін төмендегі түймемен телефон нөміріңізбен бөлісіңіз. Нөмірдің өзі сақталмайды, тек оның кілтті хэші; бір нөмір — сайлауда бір дауыс.",
        "ru": "Чтобы ваш голос вошёл в проверенный подсчёт, поделитесь номером телефона кнопкой ниже. Сам номер не хранится, только его хэш с ключом; один номер — один голос на выборах.",
        "en": "To have your vote in the verified count, share your phone number with the button below. The number itself is never kept, only a keyed hash of it; one number is one vote in the election.",
    },
    "phone_button": {
        "kk": "Телефон нөмірімен бөлісу",
        "ru": "Поделиться номером телефона",
        "en": "Share my phone number",
    },
    "phone_verified": {
        "kk": "Рахмет! Нөміріңіз тексерілді: дауысыңыз тексерілген санаққа кіреді.",
        "ru": "Спасибо! Номер подтверждён: ваш голос входит в проверенный подсчёт.",
        "en": "Thank you! Your number is verified: your vote is in the verified count.",
    },
    "phone_already": {
        "kk": "Нөміріңіз бұрын тексерілген.",
        "ru": "Ваш номер уже подтверждён.",
        "en": "Your number was verified already.",
    },
    "phone_used": {
        "kk": "Бұл телефон нөмірімен осы сайлауда басқа аккаунттан дауыс берілген. Бір нөмір — бір дауыс: осы аккаунттың дауысы есептелмейді.",
        "ru": "С этим номером телефона на этих выборах уже голосовали с другого аккаунта. Один номер — один голос: голос с этого аккаунта не учитывается.",
        "en": "This phone number has already voted in this election from another account. One number is one vote: the vote of this account is not counted.",
    },
    "phone_foreign": {
        "kk": "Бұл нөмір сайлау өтіп жатқан елдің нөмірі емес: дауысыңыз сақталады, бірақ тексерілген санаққа кірмейді.",
        "ru": "Этот номер не из страны, где проходят выборы: ваш голос сохранён, но не входит в проверенный подсчёт.",
        "en": "This number is not of the country holding the election: your vote is kept, but it is not in the verified count.",
    },
    "phone_not_own": {
        "kk": "Тек өз нөміріңізді түймемен жіберіңіз (басқа адамның контактісі қабылданбайды).",
        "ru": "Отправьте кнопкой только свой номер (чужой контакт не принимается).",
        "en": "Send only your own number, with the button (someone else's contact is not accepted).",
    },
    "vote_held": {
        "kk": "Рахмет, сақталды. Дауысыңыз модератордың тексеруін күтуде.",
        "ru": "Спасибо, сохранено. Ваш голос ждёт проверки модератора.",
        "en": "Thank you, saved. Your vote is waiting for a moderator's check.",
    },
    "ballot_expired": {
        "kk": "Бұл сұрақ ескірген. Фотоны қайта жіберіңіз.",
        "ru": "Этот вопрос устарел. Пришлите фото ещё раз.",
        "en": "This question has expired. Send the photo again.",
    },
    # --- mobile groups ------------------------------------------------------------------------
    "mobile_task": {
        "kk": (
            "Жылжымалы топ «{group}»: № {station} сайлау учаскесіне барыңыз.\n"
            "Оқиға: {violation}, {time}.\nНұсқау: {instructions}\n"
            "Келгенде /checkin жіберіңіз; не көргеніңізді және бұзушылық туралы актінің "
            "суретін /violation арқылы жіберіңіз."
        ),
        "ru": (
            "Мобильная группа «{group}»: выезжайте на избирательный участок № {station}.\n"
            "Инцидент: {violation}, {time}.\nУказания: {instructions}\n"
            "По прибытии отправьте /checkin; что увидели и фото акта о нарушении — через "
            "/violation."
        ),
        "en": (
            "Mobile group “{group}”: go to polling station No. {station}.\n"
            "Incident: {violation}, {time}.\nInstructions: {instructions}\n"
            "When there, send /checkin; send what you found and a photo of the act of "
            "violation with /violation."
        ),
    },
}

CATEGORY_LABELS: dict[str, dict[str, str]] = {
    "valid": {"kk": "Жарамды", "ru": "Действительный", "en": "Valid choice"},
    "against_all": TEXTS["against_all"],
    "spoiled": TEXTS["spoiled"],
    "no_photo": {"kk": "Фото жоқ", "ru": "Нет фото", "en": "No photo"},
    "spam": {"kk": "Спам", "ru": "Спам", "en": "Spam"},
    "pending": {"kk": "Таңдау күтілуде", "ru": "Ждёт выбора", "en": "Awaiting a choice"},
}

STATE_LABELS: dict[str, dict[str, str]] = {
    "pending": {
        "kk": "модераторды күтуде",
        "ru": "ждёт модератора",
        "en": "waiting for a moderator",
    },
    "passed": {"kk": "тексерулерден өтті", "ru": "прошло проверки", "en": "passed the checks"},
    "failed": {"kk": "тексерулерден өтпеді", "ru": "не прошло проверки", "en": "failed the checks"},
    "accepted": {
        "kk": "модератор қабылдады",
        "ru": "принято модератором",
        "en": "accepted by a moderator",
    },
    "rejected": {
        "kk": "модератор қабылдамады",
        "ru": "отклонено модератором",
        "en": "rejected by a moderator",
    },
    "confirmed": {"kk": "расталды", "ru": "подтверждено", "en": "confirmed"},
    "invalid": {
        "kk": "алынды, бірақ жазылмады",
        "ru": "получено, но не записано",
        "en": "received, not recorded",
    },
    "stored": {"kk": "алынды", "ru": "получено", "en": "received"},
}


def lang_of(value: str | None) -> str:
    code = (value or "").strip().lower()[:2]
    return code if code in LANGS else DEFAULT_LANG


def t(code: str, lang: str | None, **params: Any) -> str:
    return TEXTS[code][lang_of(lang)].format(**params)


def label(table: dict[str, dict[str, str]], code: str, lang: str | None) -> str:
    return table.get(code, {}).get(lang_of(lang), code)
