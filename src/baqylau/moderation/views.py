"""Moderation pages for staff (login and the moderator permission or group required). Thin:
reads are selectors, writes are services."""

from __future__ import annotations

from functools import wraps
from pathlib import Path

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render, resolve_url
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from baqylau.i18n import normalize_language
from baqylau.moderation import selectors, services
from baqylau.moderation.forms import (
    BulkAcceptForm,
    ConflictForm,
    CrowdGroupDecisionForm,
    DecisionForm,
    IncidentDecisionForm,
    IncidentFilterForm,
    QueueFilterForm,
)

PAGE_SIZE = 50


def moderator_required(view):
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_authenticated:
            login_url = getattr(settings, "MODERATION_LOGIN_URL", settings.LOGIN_URL)
            return redirect_to_login(request.get_full_path(), resolve_url(login_url))
        if not selectors.is_moderator(request.user):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper


def _lang() -> str:
    return normalize_language(get_language())


def _filters(form, default: dict) -> tuple[dict, object, object]:
    filters = form.cleaned_data if form.is_valid() else default
    election = filters.get("election")
    region = None
    if filters.get("region") and election is not None:
        region = selectors.regions(election).filter(pk=filters["region"]).first()
    return filters, election, region


def _page(request, items):
    page = Paginator(items, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return page, query.urlencode()


def _page_numbers(page) -> list[int | None]:
    """The page links to show: the first, the last, and two either side of the current one
    (None marks a gap), so a queue of 180 pages stays a short row."""
    last = page.paginator.num_pages
    wanted = {1, last, *range(page.number - 2, page.number + 3)}
    out: list[int | None] = []
    for number in sorted(n for n in wanted if 1 <= n <= last):
        if out and out[-1] is not None and number > out[-1] + 1:
            out.append(None)
        out.append(number)
    return out


@require_GET
@moderator_required
def queue(request):
    data = request.GET if request.GET else {"moderation": "pending"}
    form = QueueFilterForm(data)
    filters, election, region = _filters(form, {"moderation": "pending"})
    if region is not None and filters.get("district"):
        region = selectors.districts(region).filter(pk=filters["district"]).first() or region
    copies = selectors.moderation_queue(
        election=election,
        moderation=filters.get("moderation") or None,
        checks=filters.get("checks") or None,
        region=region,
        kind=filters.get("kind") or None,
        station_code=filters.get("station") or None,
    )
    page, query = _page(request, copies)
    agreeing = [c.pk for c in page if _bulk_acceptable(c)]
    return render(
        request,
        "moderation/queue.html",
        {
            "form": form,
            "page": page,
            "query": query,
            "now": timezone.now(),
            "page_numbers": _page_numbers(page),
            "agreeing": agreeing,
        },
    )


def _bulk_acceptable(copy) -> bool:
    """A box to tick: a pending copy that passed the checks, of a station whose copies agree."""
    return (
        copy.moderation == "pending" and copy.checks == "passed" and copy.station_status == "agreed"
    )


@require_POST
@moderator_required
def bulk_accept(request):
    """Accept the copies ticked in the queue (only those that passed the checks, of stations
    whose copies agree)."""
    ids = [int(v) for v in request.POST.getlist("copies") if v.isdigit()]
    form = BulkAcceptForm(request.POST, copy_ids=ids)
    if form.is_valid():
        copies = list(selectors.moderation_queue(moderation="pending").filter(pk__in=ids))
        done, skipped = services.decisions_accept_agreeing(copies=copies, moderator=request.user)
        messages.success(
            request, _("%(n)d protocol copies accepted by a moderator.") % {"n": len(done)}
        )
        if skipped:
            messages.warning(
                request,
                _(
                    "%(n)d copies were left: their station's copies do not agree, they failed "
                    "the checks, or another moderator is reviewing them."
                )
                % {"n": len(skipped)},
            )
    return redirect(request.POST.get("next") or "moderation:queue")


@require_GET
@moderator_required
def item(request, copy_id: int):
    copy = selectors.copy_for_moderation(copy_id)
    if copy is None:
        raise Http404
    locked_by_me = services.copy_lock(copy=copy, moderator=request.user)
    return render(
        request,
        "moderation/item.html",
        {
            "item": selectors.moderation_item(copy, _lang()),
            "copy": copy,
            "locked_by_me": locked_by_me,
            "form": DecisionForm(),
            "conflict_form": ConflictForm(),
        },
    )


@require_POST
@moderator_required
def decide(request, copy_id: int):
    copy = selectors.copy_for_moderation(copy_id)
    if copy is None:
        raise Http404
    form = DecisionForm(request.POST)
    if not form.is_valid():
        return render(
            request,
            "moderation/item.html",
            {
                "item": selectors.moderation_item(copy, _lang()),
                "copy": copy,
                "locked_by_me": not selectors.is_locked_by_other(copy, request.user),
                "form": form,
                "conflict_form": ConflictForm(),
            },
            status=400,
        )
    try:
        services.decision_create(
            copy=copy,
            moderator=request.user,
            verdict=form.cleaned_data["verdict"],
            reason=form.cleaned_data["reason"],
            note=form.cleaned_data["note"],
        )
    except services.CopyLocked:
        messages.error(request, _("Another moderator is reviewing this protocol."))
        return redirect("moderation:item", copy_id=copy.pk)
    messages.success(request, _("Decision saved."))
    return redirect("moderation:queue")


@require_POST
@moderator_required
def resolve(request, copy_id: int):
    """Choose the value of a figure this copy's station disputes. The figure is named by its
    line or choice, not by the conflict row's id: every recount rebuilds those rows."""
    copy = selectors.copy_for_moderation(copy_id)
    if copy is None:
        raise Http404
    conflict = selectors.station_conflict(
        copy, line=request.POST.get("line", ""), choice=request.POST.get("choice", "")
    )
    if conflict is None:
        messages.error(request, _("This figure is no longer disputed; look at the station again."))
        return redirect("moderation:item", copy_id=copy.pk)
    form = ConflictForm(request.POST)
    if form.is_valid():
        try:
            services.conflict_resolve(
                conflict=conflict,
                value=form.cleaned_data["value"],
                reason=form.cleaned_data["reason"],
                moderator=request.user,
            )
        except ValidationError as exc:
            messages.error(request, "; ".join(exc.messages))
        else:
            messages.success(request, _("The value is chosen; the station is counted again."))
    else:
        messages.error(request, _("Give the value and the reason."))
    return redirect("moderation:item", copy_id=copy.pk)


@require_POST
@moderator_required
def release(request, copy_id: int):
    copy = selectors.copy_for_moderation(copy_id)
    if copy is None:
        raise Http404
    services.copy_unlock(copy=copy, moderator=request.user)
    return redirect("moderation:queue")


@require_GET
@moderator_required
def media(request, media_id: int):
    original = request.GET.get("original") == "1"
    found = selectors.media_file_path(media_id, request.user, original=original)
    if found is None:
        raise Http404
    media_file, path = found
    content_type = (
        media_file.content_type if path.name == Path(media_file.original).name else "image/jpeg"
    )
    response = FileResponse(path.open("rb"), content_type=content_type)
    response["Cache-Control"] = "private, no-store"
    response["Content-Security-Policy"] = "default-src 'none'"
    return response


@require_GET
@moderator_required
def statistics(request, code: str | None = None):
    elections = list(selectors.elections())
    election = None
    if code:
        election = get_object_or_404(selectors.elections(), code=code)
    elif elections:
        election = elections[0]
    region = None
    region_id = request.GET.get("region", "")
    if election is not None and region_id.isdigit():
        region = selectors.regions(election).filter(pk=int(region_id)).first()
    rows = selectors.intake_statistics(election, region) if election else []
    return render(
        request,
        "moderation/statistics.html",
        {
            "elections": elections,
            "election": election,
            "regions": selectors.regions(election),
            "region": region,
            "total": rows[0] if rows else None,
            "rows": rows[1:],
        },
    )


# ---------------------------------------------------------------------------------------------
# Violation reports


@require_GET
@moderator_required
def incidents(request):
    data = request.GET if request.GET else {"moderation": "pending"}
    form = IncidentFilterForm(data)
    filters, election, region = _filters(form, {"moderation": "pending"})
    items = selectors.incident_queue(
        election=election, moderation=filters.get("moderation") or None, region=region
    )
    page, query = _page(request, items)
    return render(
        request, "moderation/incidents.html", {"form": form, "page": page, "query": query}
    )


@moderator_required
def incident(request, incident_id: int):
    found = selectors.incident_for_moderation(incident_id)
    if found is None:
        raise Http404
    form = IncidentDecisionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.incident_decide(
                incident=found,
                moderator=request.user,
                verdict=form.cleaned_data["verdict"],
                reason=form.cleaned_data["reason"],
                note=form.cleaned_data["note"],
            )
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                for error in errors:
                    form.add_error(field if field in form.fields else None, error)
        else:
            messages.success(request, _("Decision saved."))
            return redirect("moderation:incidents")
    return render(
        request,
        "moderation/incident.html",
        {
            "incident": found,
            "media": list(found.submission.media.all()),
            "others": list(selectors.station_incidents(found)),
            "decisions": list(found.decisions.all()),
            "cases": selectors.cases_citing(found),
            "form": form,
        },
        status=400 if request.method == "POST" else 200,
    )


@require_GET
@moderator_required
def crowd_groups(request):
    """Suspect groups of voters' accounts (population detection), with bulk decisions."""
    from baqylau.crowd import selectors as crowd_selectors
    from baqylau.crowd.models import SuspectCluster

    status = request.GET.get("status", SuspectCluster.Status.OPEN)
    if status not in SuspectCluster.Status.values:
        status = ""
    page, query = _page(request, crowd_selectors.suspect_groups(status or None))
    for group in page:
        group.reason_labels = crowd_selectors.reason_labels(group.reasons)
        group.form = CrowdGroupDecisionForm(auto_id=f"group{group.pk}_%s")
    return render(
        request,
        "moderation/crowd_groups.html",
        {
            "page": page,
            "query": query,
            "status": status,
            "statuses": SuspectCluster.Status.choices,
            "divergences": crowd_selectors.choice_divergences(),
        },
    )


@require_POST
@moderator_required
def crowd_group_decide(request, group_id: int):
    from baqylau.crowd.models import SuspectCluster

    group = get_object_or_404(SuspectCluster, pk=group_id)
    form = CrowdGroupDecisionForm(request.POST)
    if form.is_valid():
        try:
            decision = services.crowd_group_decide(
                cluster=group,
                moderator=request.user,
                verdict=form.cleaned_data["verdict"],
                reason=form.cleaned_data["reason"],
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(
                request,
                _("Decision recorded for %(n)d ballots of the group.") % {"n": decision.ballots},
            )
    else:
        messages.error(request, _("Choose the decision and say why."))
    return redirect("moderation:crowd_groups")
