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
    name: Texts, unit: str, total: int, parts_sum: int, children: bool, complete: bool
) -> Texts:
    parts = {
        ("kk", True): "құрамындағы бірліктердің",
        ("kk", False): "учаскелерінің",
        ("ru", True): "входящих в него единиц",
        ("ru", False): "его участков",
        ("en", True): "its units",
        ("en", False): "its stations",
    }
    every = {"kk": "барлық" if complete else "кейбір", "ru": "всех" if complete else "части"}
    return {
        "kk": f"{unit} ресми қорытындысында {name['kk']} — {number(total)}, ал оның "
        f"{every['kk']} {parts[('kk', children)]} ресми көрсеткіштерінің қосындысы — "
        f"{number(parts_sum)} (айырма {signed(total - parts_sum)}).",
        "ru": f"Официальный итог ({unit}): {name['ru']} {number(total)}, а сумма официальных "
        f"данных {every['ru']} {parts[('ru', children)]} — {number(parts_sum)} "
        f"(расхождение {signed(total - parts_sum)}).",
        "en": f"The official total of {unit} gives {name['en']} {number(total)}, but the official "
        f"figures of {'all' if complete else 'some of'} {parts[('en', children)]} add up to "
        f"{number(parts_sum)} ({signed(total - parts_sum)}).",
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
