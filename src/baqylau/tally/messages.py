"""The comparison findings in words, in kk/ru/en (stored with each finding, so the page, the PDF,
the export and the API all say the same). Terms follow the glossary: the official result
(ресми қорытынды / официальный итог), protocol copies (хаттама көшірмелері / копии протокола).
"""

from __future__ import annotations

from collections.abc import Mapping

Texts = dict[str, str]


def number(n: int) -> str:
    """1234567 → "1 234 567" (a thin space is safer in PDFs and SMS than a locale separator)."""
    return f"{int(n):,}".replace(",", " ")


def signed(n: int) -> str:
    return ("+" if n > 0 else "−") + number(abs(n))


def line_name(number_: str | int, name: Mapping[str, str] | None) -> Texts:
    name = name or {}
    return {
        "kk": f"{number_}-жол ({name.get('kk') or name.get('ru') or ''})".replace(" ()", ""),
        "ru": f"строка {number_} ({name.get('ru') or ''})".replace(" ()", ""),
        "en": f"line {number_} ({name.get('en') or ''})".replace(" ()", ""),
    }


def votes_for(choice: Mapping[str, str]) -> Texts:
    return {
        "kk": f"«{choice.get('kk') or choice.get('ru')}» үшін берілген дауыстар",
        "ru": f"голоса за «{choice.get('ru') or choice.get('en')}»",
        "en": f"votes for {choice.get('en') or choice.get('ru')}",
    }


def station_differs(name: Texts, official: int, observed: int) -> Texts:
    diff = official - observed
    return {
        "kk": f"Ресми қорытындыда {name['kk']}: {number(official)}; учаскеде қол қойылған "
        f"хаттама көшірмелерінде: {number(observed)} (ресми көрсеткіштегі айырма {signed(diff)}).",
        "ru": f"В официальном итоге {name['ru']}: {number(official)}; в копиях протокола, "
        f"подписанного на участке: {number(observed)} (расхождение {signed(diff)}).",
        "en": f"The official result gives {name['en']} as {number(official)}; the protocol copies "
        f"signed at the station say {number(observed)} ({signed(diff)} in the official figure).",
    }


def subset_exceeds(
    name: Texts, unit: str, covered: int, total: int, observed: int, official: int
) -> Texts:
    return {
        "kk": f"{unit}: {number(total)} учаскенің тек {number(covered)} учаскесінің хаттама "
        f"көшірмелері бойынша {name['kk']} — {number(observed)}, ал барлық {number(total)} учаске "
        f"бойынша ресми қорытынды — {number(official)}: мұндай қорытынды мүмкін емес.",
        "ru": f"Копии протоколов только {number(covered)} из {number(total)} участков ({unit}) "
        f"дают {name['ru']} {number(observed)}, а официальный итог по всем {number(total)} "
        f"участкам — {number(official)}: такой итог невозможен.",
        "en": f"Protocol copies from {number(covered)} of {number(total)} stations of {unit} alone "
        f"give {name['en']} {number(observed)}, but the official total for all {number(total)} "
        f"stations is {number(official)}: the official total is impossible.",
    }


def parts_do_not_sum(
    name: Texts,
    unit: Texts,
    total: int,
    parts_sum: int,
    children: bool,
    complete: bool,
    parts: int | None = None,
) -> Texts:
    """An official total announced for a unit (the country, a region) against the sum of the
    official figures of its parts: says both figures and by how much the announced one differs.
    ``parts`` is how many parts were added up (None: not said)."""
    diff = total - parts_sum
    n = f"{number(parts)} " if parts else ""
    parts_kk = f"құрамындағы {n}бірліктің" if children else f"{n}учаскесінің"
    parts_ru = (
        f"входящих в него единиц ({number(parts)})"
        if children and parts
        else ("входящих в него единиц" if children else "его участков")
    )
    parts_en = f"its {n}units" if children else f"its {n}stations"
    if complete:
        every = {"kk": "барлық ", "ru": "всех ", "en": "all of "}
        more = {
            "kk": f"жарияланған көрсеткіш бөліктердің қосындысынан {number(abs(diff))} "
            f"{'көп' if diff > 0 else 'аз'}",
            "ru": f"объявленная цифра на {number(abs(diff))} "
            f"{'больше' if diff > 0 else 'меньше'} суммы частей",
            "en": f"the announced figure is {number(abs(diff))} "
            f"{'more' if diff > 0 else 'less'} than the sum of its parts",
        }
    else:  # only some parts known: their sum alone is above the total
        every = {"kk": "кейбір ", "ru": "части ", "en": "some of "}
        more = {
            "kk": f"тек белгілі бөліктердің өзі жарияланған көрсеткіштен {number(-diff)} көп",
            "ru": f"одни только известные части на {number(-diff)} больше объявленной цифры",
            "en": f"the known parts alone exceed the announced figure by {number(-diff)}",
        }
    return {
        "kk": f"«{unit['kk']}» үшін жарияланған ресми қорытындыда {name['kk']} — {number(total)}, "
        f"ал оның {every['kk']}{parts_kk} ресми көрсеткіштерінің қосындысы — "
        f"{number(parts_sum)}: {more['kk']} (алшақтық {signed(diff)}).",
        "ru": f"Официальный итог, объявленный для «{unit['ru']}»: {name['ru']} — {number(total)}, "
        f"а сумма официальных данных {every['ru']}{parts_ru} — {number(parts_sum)}: "
        f"{more['ru']} (расхождение {signed(diff)}).",
        "en": f"The official total announced for {unit['en']} gives {name['en']} as "
        f"{number(total)}, but the official figures of {every['en']}{parts_en} add up to "
        f"{number(parts_sum)}: {more['en']} ({signed(diff)}).",
    }


def official_inconsistent(relations: list[Texts]) -> Texts:
    joined = {lang: "; ".join(r[lang] for r in relations) for lang in ("kk", "ru", "en")}
    return {
        "kk": f"Учаскенің ресми көрсеткіштері хаттаманың бақылау арақатынастарына сәйкес "
        f"келмейді: {joined['kk']}.",
        "ru": f"Официальные данные участка нарушают контрольные соотношения протокола: "
        f"{joined['ru']}.",
        "en": f"The station's official figures break the protocol's control relations: "
        f"{joined['en']}.",
    }


def crowd_exceeds(name: Texts, crowd: int, official: int) -> Texts:
    """Only verified ballots (phone verified, or photo matching the sample ballot) are compared:
    the message says so."""
    return {
        "kk": f"Расталған сайлаушылар {name['kk']} бойынша {number(crowd)} бюллетень суретін "
        f"жіберді, ал ресми қорытындыда — {number(official)}.",
        "ru": f"Подтверждённые избиратели прислали {number(crowd)} фото бюллетеней "
        f"({name['ru']}), а в официальном итоге — {number(official)}.",
        "en": f"Verified voters sent {number(crowd)} photos of ballots ({name['en']}), but the "
        f"official result gives {number(official)}.",
    }


def crowd_declared_exceeds(name: Texts, crowd: int, official: int) -> Texts:
    return {
        "kk": f"{number(crowd)} сайлаушы {name['kk']} бойынша дауыс бергенін мәлімдеді (суретпен "
        f"немесе суретсіз), ал ресми қорытындыда — {number(official)}.",
        "ru": f"{number(crowd)} избирателей заявили, что голосовали ({name['ru']}), с фото "
        f"бюллетеня или без него, а в официальном итоге — {number(official)}.",
        "en": f"{number(crowd)} voters declared they voted ({name['en']}), with or without a "
        f"photo of their ballot, but the official result gives {number(official)}.",
    }
