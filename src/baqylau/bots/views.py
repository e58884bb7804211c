"""The webhook endpoint and the public page against fake clone bots."""

from __future__ import annotations

import hmac
import json

from django.http import HttpRequest, HttpResponse, HttpResponseForbidden, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from baqylau.bots import keys, runtime, signing
from baqylau.bots.models import BotControl, BotName


@csrf_exempt
@require_http_methods(["POST"])
async def webhook(request: HttpRequest, bot: str) -> HttpResponse:
    """Telegram's POST of one update; refused (403) without the bot's secret token."""
    if bot not in BotName.values:
        return HttpResponse(status=404)
    given = request.headers.get("X-Telegram-Bot-Api-Secret-Token", "")
    if not hmac.compare_digest(given.encode(), runtime.webhook_secret(bot).encode()):
        return HttpResponseForbidden("bad secret token")
    try:
        update = json.loads(request.body)
    except ValueError:
        return HttpResponse(status=400)
    telegram_bot, dispatcher = runtime.webhook_pair(bot)
    await dispatcher.feed_raw_update(telegram_bot, update)
    return JsonResponse({"ok": True})


# What a failed check means, in words (the codes stay in the JSON answer).
VERIFY_PROBLEMS = {
    "not_a_statement": _("this is not a statement of the bot"),
    "no_signature": _("the statement has no signature"),
    "bad_signature": _("the signature does not match the official key"),
    "unknown_bot": _("signed for a bot that is not one of the official ones"),
    "": _("the statement could not be checked"),
}


def _official() -> dict:
    key = keys.public_key()
    names = dict(BotControl.objects.values_list("bot", "username"))
    return {
        "bots": [
            {"bot": name, "label": str(label), "username": names.get(name, "")}
            for name, label in BotName.choices
        ],
        "algorithm": "Ed25519",
        "public_key": signing.public_key_text(key),
        "fingerprint": signing.fingerprint(key),
    }


@csrf_exempt
@require_http_methods(["GET", "POST"])
def verify_page(request: HttpRequest) -> HttpResponse:
    """The official usernames and public key; paste a statement to check its signature.

    `?format=json` (or a JSON POST ``{"statement": ...}``) answers in JSON.
    """
    official = _official()
    checked = None
    statement = ""
    if request.method == "POST":
        if request.content_type == "application/json":
            try:
                statement = str(json.loads(request.body).get("statement", ""))
            except (ValueError, AttributeError):
                statement = ""
        else:
            statement = request.POST.get("statement", "")
        checked = keys.verify(statement)
        usernames = {"@" + b["username"] for b in official["bots"] if b["username"]}
        claimed = checked.fields.get("bot", "")
        official["result"] = {
            "valid": checked.valid and (not usernames or claimed in usernames),
            "signature_valid": checked.valid,
            "problem": checked.problem,
            "fields": checked.fields,
        }
    if request.GET.get("format") == "json" or request.content_type == "application/json":
        return JsonResponse(official)
    if "result" in official:
        problem = official["result"]["problem"] or ("unknown_bot" if checked else "")
        official["result"]["problem_text"] = VERIFY_PROBLEMS.get(problem, VERIFY_PROBLEMS[""])
    return render(request, "bots/verify.html", {"official": official, "statement": statement})
