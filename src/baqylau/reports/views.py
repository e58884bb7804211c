"""Staff pages (live coordinator view, coverage) and the SMS gateway endpoint. Thin."""

from __future__ import annotations

import datetime as dt
import hmac

from django.http import Http404, HttpResponse, HttpResponseForbidden
from django.shortcuts import render
from django.utils import timezone
from django.utils.dateparse import parse_datetime, parse_time
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from baqylau.elections.models import AdminUnit, Election
from baqylau.mobile.selectors import groups_for
from baqylau.moderation.selectors import is_moderator
from baqylau.observers import selectors as observer_selectors
from baqylau.observers.views import coordinator_required
from baqylau.reports import selectors, sms
from baqylau.reports.models import ViolationType

PHONE_FIELDS = ("from", "From", "phone", "sender", "msisdn", "originator")
TEXT_FIELDS = ("text", "Body", "body", "message", "msg", "content")


def _election(code: str) -> Election:
    election = Election.objects.filter(code=code).first()
    if election is None:
        raise Http404
    return election


def _when(value: str, election: Election) -> dt.datetime | None:
    """`HH:MM` on the election day, or a full ISO date-time."""
    if not value:
        return None
    if (time := parse_time(value)) is not None:
        return timezone.make_aware(dt.datetime.combine(election.date, time))
    parsed = parse_datetime(value)
    if parsed is not None and timezone.is_naive(parsed):
        parsed = timezone.make_aware(parsed)
    return parsed


@coordinator_required
def live(request, code: str):
    election = _election(code)
    user = request.user
    since = _when(request.GET.get("silent_since", ""), election)
    if since is None:
        since = timezone.now() - dt.timedelta(hours=3)
    filters = {
        "violation": request.GET.get("type") or None,
        "region_id": int(request.GET["region"])
        if request.GET.get("region", "").isdigit()
        else None,
        "since": _when(request.GET.get("since", ""), election),
        "until": _when(request.GET.get("until", ""), election),
    }
    context = {
        "election": election,
        "gaps": observer_selectors.gap_alerts(election, user=user, silent_since=since),
        "silent_since": since,
        "turnout": selectors.turnout_by_hour(election, user=user),
        "discrepancies": [
            d for d in selectors.turnout_discrepancies(election, user=user) if d["flag"]
        ],
        "incidents": selectors.incident_feed(election, user=user, **filters),
        "moderation": selectors.moderation_counts(election, user=user),
        "partners": observer_selectors.partner_coverage(user, election),
        "violation_types": ViolationType.objects.filter(active=True),
        "regions": AdminUnit.objects.filter(election=election, kind=AdminUnit.Kind.REGION),
        "filters": request.GET,
        "can_moderate": is_moderator(user),
        "can_dispatch": groups_for(user).filter(active=True).exists(),
    }
    return render(request, "reports/live.html", context)


@coordinator_required
def coverage(request, code: str):
    from baqylau.observers.models import Shift

    election = _election(code)
    level = request.GET.get("level", "region")
    if level not in (AdminUnit.Kind.REGION, AdminUnit.Kind.DISTRICT):
        level = AdminUnit.Kind.REGION
    shift = request.GET.get("shift", Shift.OPENING)
    if shift not in Shift.values:
        shift = Shift.OPENING
    lang = (request.LANGUAGE_CODE or "ru")[:2]
    table = observer_selectors.coverage_table(election, level=level, lang=lang, user=request.user)
    by_shift = observer_selectors.shift_coverage(
        election, shift=shift, level=level, lang=lang, user=request.user
    )
    context = {
        "election": election,
        "table": table,
        "cov": by_shift,
        "level": level,
        "shift": shift,
        "shifts": Shift.choices,
        "map": observer_selectors.uncovered_map(
            election, by_shift, href=lambda u: f"?level=district&shift={shift}&region={u.pk}"
        ),
    }
    return render(request, "reports/coverage.html", context)


def _first(data, names) -> str:
    for name in names:
        if data.get(name):
            return data[name]
    return ""


@csrf_exempt
@require_POST
def sms_inbound(request):
    """Inbound SMS from a gateway (form fields from/text, From/Body, phone/message, …).

    The shared secret comes only in the header X-Baqylau-Secret: never in the URL or the form,
    where access logs, proxies and the gateway's own logs would keep it. The reply is plain text,
    sent back as the SMS answer; an empty body means "send nothing" (locked-out senders)."""
    expected = sms.gateway_secret()
    given = request.headers.get("X-Baqylau-Secret", "")
    if not expected or not hmac.compare_digest(given.encode(), expected.encode()):
        reason = "forbidden"
        if "secret" in request.GET or "secret" in request.POST:
            reason += ": send the secret in the X-Baqylau-Secret header, not in the URL or form"
        return HttpResponseForbidden(reason, content_type="text/plain; charset=utf-8")
    phone = _first(request.POST, PHONE_FIELDS)
    text = _first(request.POST, TEXT_FIELDS)
    if not phone:
        return HttpResponse("missing sender", status=400, content_type="text/plain; charset=utf-8")
    reply = sms.receive(phone, text)
    return HttpResponse(reply, content_type="text/plain; charset=utf-8")
