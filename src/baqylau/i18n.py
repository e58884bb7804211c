"""The one language helper: which of the site's languages (kk, ru, en) a request, a sender or a
stored preference asks for, and the text of a {kk, ru, en} mapping in that language.

Pure modules that must not import Django (the protocol engine) keep their own constant; everything
else takes the languages from here, and they are the codes of `settings.LANGUAGES`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.utils.translation.trans_real import parse_accept_lang_header

#: The site's languages, in the order texts are written (codes of settings.LANGUAGES).
LANGUAGES: tuple[str, ...] = ("kk", "ru", "en")
DEFAULT_LANGUAGE = "ru"


def language_of(value: Any) -> str | None:
    """kk, ru or en from a language tag ("kk", "ru-RU", "EN"), else None."""
    if not isinstance(value, str):
        return None
    code = value.strip()[:2].lower()
    return code if code in LANGUAGES else None


def normalize_language(*candidates: Any) -> str:
    """The first candidate that names one of the site's languages (ru when none does)."""
    for candidate in candidates:
        code = language_of(candidate)
        if code is not None:
            return code
    return DEFAULT_LANGUAGE


def accept_language(header: str) -> str | None:
    """The best of the site's languages in an Accept-Language header (None when none is asked)."""
    try:
        ranked = parse_accept_lang_header(header or "")
    except (ValueError, TypeError):  # a malformed header asks for nothing
        return None
    for tag, quality in ranked:
        code = language_of(tag)
        if code is not None and quality > 0:
            return code
    return None


def request_language(request, explicit: Any = None) -> str:
    """A request's language: an explicit choice (a `lang` field), then Accept-Language, then
    the language of the page's URL (LocaleMiddleware), else ru."""
    return normalize_language(
        explicit,
        accept_language(request.headers.get("Accept-Language", "")),
        getattr(request, "LANGUAGE_CODE", None),
    )


def localized(texts: Mapping[str, Any] | None, lang: str) -> str:
    """The text of a {kk, ru, en} mapping in `lang`, falling back to ru, en, kk."""
    if not texts:
        return ""
    for code in (lang, "ru", "en", "kk"):
        value = texts.get(code)
        if value:
            return str(value)
    return ""


def in_all_languages(text: Any) -> dict[str, str]:
    """A translatable text (a gettext_lazy string, a choice's label) in each of the site's
    languages, as the {kk, ru, en} mapping messages take (`intake.messages.render`)."""
    from django.utils import translation

    out = {}
    for lang in LANGUAGES:
        with translation.override(lang):
            out[lang] = str(text)
    return out
