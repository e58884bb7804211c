"""The app shell, its manifest and its service worker, all under /<lang>/observe/ (one scope each).

The shell holds no personal data (it is cached by the service worker and served to whoever opens
the app); the observer's placements and the catalogues come from the API and are kept on the phone.
The cache version is a digest of everything the service worker caches, so any change of the
static files, the templates or the report forms makes phones fetch the new shell.
"""

from __future__ import annotations

import functools
import hashlib
import json
from pathlib import Path

from django.conf import settings
from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.templatetags.static import static
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from baqylau.reports import forms

APP_DIR = Path(__file__).resolve().parent
STATIC_FILES = ("app.css", "outbox.js", "app.js", "icon.svg")


@functools.cache
def _digest() -> str:
    h = hashlib.sha256()
    for path in sorted((APP_DIR / "static" / "observer_app").iterdir()):
        h.update(path.name.encode() + path.read_bytes())
    for path in sorted((APP_DIR / "templates" / "observer_app").iterdir()):
        h.update(path.name.encode() + path.read_bytes())
    for path in sorted((APP_DIR / "locale").rglob("*.mo")):
        h.update(path.read_bytes())
    for code in forms.form_codes():
        h.update(json.dumps(forms.load_form(code), sort_keys=True, default=str).encode())
    return h.hexdigest()[:12]


def version() -> str:
    if settings.DEBUG:
        _digest.cache_clear()
    return _digest()


def _lang() -> str:
    lang = (get_language() or "ru")[:2]
    return lang if lang in ("kk", "ru", "en") else "ru"


def _asset(name: str) -> str:
    return f"{static('observer_app/' + name)}?v={version()}"


def _label(item: dict, lang: str) -> str:
    label = item.get("label") or item.get("title") or {}
    return label.get(lang) or label.get("ru") or label.get("en") or item.get("code", "")


def _form(code: str, lang: str) -> dict:
    """A report form's labels in one language (the forms are data: `reports/forms/*.yaml`)."""
    data = forms.load_form(code)
    fields = {}
    for f in data.get("fields", []):
        fields[f["code"]] = {
            "label": _label(f, lang),
            "choices": [(c["code"], _label(c, lang)) for c in f.get("choices", [])],
        }
    return {
        "code": code,
        "title": _label(data, lang),
        "fields": fields,
        "slots": data.get("slots", []),
        "questions": [(q["code"], _label(q, lang)) for q in data.get("questions", [])],
    }


def _texts(titles: dict[str, str]) -> dict[str, str]:
    """The strings app.js shows, in the page's language."""
    return {
        "titles": titles,
        "queued": _("Waiting to be sent"),
        "recorded": _("Received"),
        "waiting": _("Received, waiting for a moderator"),
        "accepted": _("Received"),  # items an older version of the app kept
        "review": _("Received, waiting for a moderator"),
        "rejected": _("Not recorded: fix it or discard it"),
        "receipt": _("Receipt no."),
        "saved": _("Saved in the outbox. It will be sent as soon as there is a connection."),
        "online": _("Online"),
        "offline": _("Offline: reports are kept on the phone"),
        "edit": _("Edit"),
        "resend": _("Send again"),
        "discard": _("Discard"),
        "discardConfirm": _("Discard this report? It will be deleted from this phone for good."),
        "retryAt": _("Next attempt at"),
        "noPlacement": _("You are not assigned to any polling station yet. Ask your coordinator."),
        "required": _("Fill in every field marked as required."),
        "notNumber": _("Enter a whole number, 0 or more."),
        "tooMany": _("The number is larger than the station's registered voters ({n})."),
        "reasonRequired": _("Give the reason."),
        "answerAll": _("Answer every question."),
        "photos": _("Photos attached:"),
        "logoutConfirm": _(
            "Log out? Reports not yet sent stay on this phone and are sent after the next login."
        ),
        "loginFailed": _("No connection to the server. Try again when you are online."),
    }


@require_GET
def shell(request):
    lang = _lang()
    checkin, turnout, incident = (_form(c, lang) for c in ("checkin", "turnout", "incident"))
    checklists = [_form(code, lang) for code in forms.checklist_codes()]
    titles = {"checkin": checkin["title"], "turnout": turnout["title"]}
    titles |= {
        "incident": incident["title"],
        "checklist": checklists[0]["title"] if checklists else "",
    }
    context = {
        "lang": lang,
        "version": version(),
        "css": _asset("app.css"),
        "js": [_asset("outbox.js"), _asset("app.js")],
        "icon": _asset("icon.svg"),
        "api": reverse("observer_app:home") + "api/",
        "sw": reverse("observer_app:sw"),
        "manifest": reverse("observer_app:manifest"),
        "checkin": checkin,
        "turnout": turnout,
        "incident": incident,
        "checklists": checklists,
        "texts": _texts(titles),
        "languages": [(code, name) for code, name in settings.LANGUAGES],
    }
    response = render(request, "observer_app/shell.html", context)
    response["Cache-Control"] = "no-cache"
    return response


@require_GET
def manifest(request):
    home = reverse("observer_app:home")
    body = {
        "name": "Baqylau",
        "short_name": "Baqylau",
        "lang": _lang(),
        "start_url": home,
        "scope": home,
        "display": "standalone",
        "background_color": "#ffffff",
        "theme_color": "#0b5394",
        "icons": [{"src": _asset("icon.svg"), "sizes": "any", "type": "image/svg+xml"}],
    }
    return JsonResponse(body, content_type="application/manifest+json")


@require_GET
def service_worker(request):
    home = reverse("observer_app:home")
    config = {
        "version": version(),
        "lang": _lang(),
        "home": home,
        "api": home + "api/",
        "precache": [home, reverse("observer_app:manifest")]
        + [_asset(name) for name in STATIC_FILES],
        "outbox": _asset("outbox.js"),
    }
    text = render(request, "observer_app/sw.js", {"config": json.dumps(config)}).content
    response = HttpResponse(text, content_type="text/javascript; charset=utf-8")
    response["Cache-Control"] = "no-cache"
    response["Service-Worker-Allowed"] = home
    return response
