"""Moderation pages for staff (login and the moderator permission or group required). Thin:
reads are selectors, writes are services."""

from __future__ import annotations

from functools import wraps
from pathlib import Path

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render, resolve_url
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from baqylau.moderation import selectors, services
from baqylau.moderation.forms import DecisionForm, QueueFilterForm

PAGE_SIZE = 50


def moderator_required(view):
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_authenticated:
            login_url = getattr(settings, "MODERATION_LOGIN_URL", "admin:login")
            return redirect_to_login(request.get_full_path(), resolve_url(login_url))
        if not selectors.is_moderator(request.user):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper


def _lang() -> str:
    return (get_language() or "ru")[:2]


@require_GET
@moderator_required
def queue(request):
    data = request.GET if request.GET else {"moderation": "pending"}
    form = QueueFilterForm(data)
    filters = form.cleaned_data if form.is_valid() else {"moderation": "pending"}
    election = filters.get("election")
    region = None
    if filters.get("region") and election is not None:
        region = selectors.regions(election).filter(pk=filters["region"]).first()
    copies = selectors.moderation_queue(
        election=election,
        moderation=filters.get("moderation") or None,
        validation=filters.get("validation") or None,
        region=region,
    )
    page = Paginator(copies, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "moderation/queue.html",
        {"form": form, "page": page, "query": query.urlencode(), "now": timezone.now()},
    )


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
