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


def _announced_figures(contest, units: dict[int, AdminUnit], choices: list) -> list[dict]:
    """The announced figures already stored for units above the stations (a small table)."""
    from baqylau.elections.models import OfficialResult

    results = (
        OfficialResult.objects.filter(contest=contest, unit__in=list(units))
        .prefetch_related("votes")
        .order_by("unit__depth", "unit__path")
    )
    return [
        {
            "unit": units[r.unit_id],
            "source": r.source,
            "values": [votes.get(c.pk) for c in choices],
            "votes": votes,
        }
        for r in results
        for votes in [{v.choice_id: v.votes for v in r.votes.all()}]
    ]


@coordinator_required
def announced(request, code: str):
    """Coordinators and administrators enter the figures a commission announced for a unit above
    the stations (the country, a region); the tally compares them with the sum of the parts."""
    from django.contrib import messages as flash
    from django.core.exceptions import PermissionDenied
    from django.shortcuts import redirect
    from django.utils.translation import gettext as _

    from baqylau.elections import services as election_services

    if not election_services.can_enter_announced(request.user):
        raise PermissionDenied
    election = _election(code)
    contests = list(election.contests.order_by("code"))
    if not contests:
        raise Http404
    data = request.POST if request.method == "POST" else request.GET
    contest = next((c for c in contests if str(c.pk) == data.get("contest")), contests[0])
    choices = list(contest.choices.order_by("number", "code"))
    units = {
        u.pk: u
        for u in AdminUnit.objects.filter(election=election)
        .exclude(kind=AdminUnit.Kind.STATION)
        .order_by("depth", "path")
    }
    unit = units.get(int(data["unit"])) if data.get("unit", "").isdigit() else None
    existing = _announced_figures(contest, units, choices)
    current = next((row for row in existing if unit is not None and row["unit"] == unit), None)
    error = ""
    if request.method == "POST":
        votes: dict[int, int | None] = {}
        for choice in choices:
            raw = request.POST.get(f"votes-{choice.pk}", "").strip().replace(" ", "")
            if not raw:
                votes[choice.pk] = None
            elif raw.isdigit():
                votes[choice.pk] = int(raw)
            else:
                error = _("Votes are whole numbers, 0 or more.")
        if unit is None:
            error = _("Choose a unit.")
        if not error:
            try:
                election_services.enter_announced(
                    contest=contest,
                    unit=unit,
                    votes=votes,
                    source=request.POST.get("source", ""),
                    user=request.user,
                )
            except election_services.AnnouncedError as exc:
                error = str(exc)
            else:
                flash.success(request, _("Saved. The comparison is being recounted."))
                return redirect(f"{request.path}?contest={contest.pk}&unit={unit.pk}")
    given = (current or {}).get("votes", {})
    fields = [
        (c, request.POST.get(f"votes-{c.pk}", "") if error else given.get(c.pk, ""))
        for c in choices
    ]
    context = {
        "election": election,
        "fields": fields,
        "source": request.POST.get("source", "") if error else (current or {}).get("source", ""),
        "contests": contests,
        "contest": contest,
        "choices": choices,
        "units": list(units.values()),
        "unit": unit,
        "current": current,
        "existing": existing,
        "error": error,
    }
    return render(request, "reports/announced.html", context, status=400 if error else 200)


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
