"""Staff pages for observers: thin; every read is a selector, every write a service (which
checks the user's own roles again)."""

from __future__ import annotations

import contextlib
import secrets
import time
from functools import wraps

from django.apps import apps
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from baqylau.elections.models import AdminUnit, Election
from baqylau.observers import selectors, services
from baqylau.observers.forms import (
    LANGUAGE_CHOICES,
    BulkPlaceForm,
    ImportForm,
    ObserverForm,
    PlaceForm,
    TargetForm,
)
from baqylau.observers.models import Assignment, Observer
from baqylau.observers.selectors import observer_card, scope_for, visible_observers

IMPORT_SESSION_KEY = "observer_import"


def coordinator_required(view):
    """Logged in, with a staff role (any role but observer), and — when django-otp is installed
    and the user has enrolled a device — verified with a second factor in this session."""

    @login_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        scope = scope_for(request.user)
        if not (request.user.is_superuser or scope.is_staff_role):
            raise PermissionDenied
        if apps.is_installed("django_otp"):
            from django_otp import user_has_device

            verified = getattr(request.user, "is_verified", lambda: False)()
            if user_has_device(request.user) and not verified:
                return redirect(getattr(settings, "OTP_LOGIN_URL", settings.LOGIN_URL))
        return view(request, *args, **kwargs)

    return wrapper


def _election(request) -> Election | None:
    code = request.GET.get("election") or request.POST.get("election")
    elections = Election.objects.order_by("-date", "code")
    if code:
        return elections.filter(code=code).first()
    return elections.first()


@coordinator_required
def observer_list(request):
    observers = visible_observers(request.user)
    manageable = set(
        selectors.manageable_observers(request.user).values_list("public_id", flat=True)
    )
    cards = [observer_card(request.user, o) for o in observers]
    for card in cards:
        card["manage"] = card["public_id"] in manageable
        card["training_label"] = Observer.Training(card["training"]).label
    context = {
        "cards": cards,
        "can_import": selectors.manageable_organisations(request.user).exists(),
        "election": _election(request),
    }
    return render(request, "observers/list.html", context)


# --- import with a preview ---------------------------------------------------------------------


def _import_dir():
    """Where a previewed table waits for its confirmation (abandoned ones go after a day)."""
    path = settings.DATA_DIR / "imports"
    path.mkdir(parents=True, exist_ok=True)
    stale = time.time() - 24 * 3600
    for old in path.iterdir():
        with contextlib.suppress(OSError):
            if old.stat().st_mtime < stale:
                old.unlink()
    return path


@coordinator_required
def observer_import(request):
    organisations = selectors.manageable_organisations(request.user)
    if not organisations.exists():
        raise PermissionDenied
    form = ImportForm(request.POST or None, request.FILES or None, organisations=organisations)
    context = {"form": form}
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        content = upload.read()
        try:
            rows = services.check_import(content, upload.name)
        except services.ImportFailed as exc:
            context["errors"] = [str(e) for e in exc.errors]
        else:
            token = secrets.token_urlsafe(16)
            suffix = ".xlsx" if upload.name.lower().endswith(".xlsx") else ".csv"
            (_import_dir() / (token + suffix)).write_bytes(content)
            request.session[IMPORT_SESSION_KEY] = {
                "token": token,
                "suffix": suffix,
                "filename": upload.name[:200],
                "organisation": form.cleaned_data["organisation"].pk,
            }
            names = dict(LANGUAGE_CHOICES)
            for row in rows:
                row["training_label"] = Observer.Training(row["training"]).label
                row["language_names"] = ", ".join(names[c] for c in row["languages"])
            context |= {
                "rows": rows,
                "organisation": form.cleaned_data["organisation"],
                "filename": upload.name,
            }
    status = 400 if context.get("errors") else 200
    return render(request, "observers/import.html", context, status=status)


@require_POST
@coordinator_required
def observer_import_confirm(request):
    pending = request.session.pop(IMPORT_SESSION_KEY, None)
    if not pending:
        messages.error(request, _("Upload the table again: the preview has expired."))
        return redirect("reports:observers:import")
    path = _import_dir() / (pending["token"] + pending["suffix"])
    if not path.exists():
        messages.error(request, _("Upload the table again: the preview has expired."))
        return redirect("reports:observers:import")
    organisation = get_object_or_404(
        selectors.manageable_organisations(request.user), pk=pending["organisation"]
    )
    try:
        observers = services.import_observers(
            organisation=organisation,
            content=path.read_bytes(),
            filename=pending["filename"],
            actor=request.user,
        )
    except services.ImportFailed as exc:
        return render(
            request,
            "observers/import.html",
            {
                "form": ImportForm(organisations=selectors.manageable_organisations(request.user)),
                "errors": [str(e) for e in exc.errors],
            },
            status=400,
        )
    finally:
        path.unlink(missing_ok=True)
    messages.success(request, _("%(count)s observers imported.") % {"count": len(observers)})
    return redirect("reports:observers:list")


# --- one observer: edit, invite, place -------------------------------------------------------------


def _managed(request, public_id: str) -> Observer:
    observer = get_object_or_404(
        Observer.objects.select_related("organisation"), public_id=public_id
    )
    if not selectors.may_manage(request.user, organisation_id=observer.organisation_id):
        raise PermissionDenied
    if not selectors.manageable_observers(request.user).filter(pk=observer.pk).exists():
        raise PermissionDenied
    return observer


def _observer_page(
    request, observer: Observer, *, form=None, place_form=None, code=None, status=200
):
    election = _election(request)
    assignments = (
        Assignment.objects.filter(observer=observer)
        .select_related("station", "election")
        .order_by("election__code", "shift")
    )
    context = {
        "observer": observer,
        "form": form or ObserverForm(initial=ObserverForm.initial_for(observer)),
        "place_form": place_form or (PlaceForm(election=election) if election else None),
        "election": election,
        "assignments": assignments,
        "code": code,
        "identity": selectors.can_see_identity(request.user, observer),
    }
    return render(request, "observers/observer.html", context, status=status)


@coordinator_required
def observer_edit(request, public_id: str):
    observer = _managed(request, public_id)
    if request.method != "POST":
        return _observer_page(request, observer)
    form = ObserverForm(request.POST)
    if form.is_valid():
        data = dict(form.cleaned_data)
        if not selectors.can_see_identity(request.user, observer):
            for key in ("name", "phone", "document"):
                data.pop(key)
        try:
            services.update_observer(observer=observer, actor=request.user, **data)
        except services.ServiceError as exc:
            form.add_error("phone", str(exc))
        else:
            messages.success(request, _("Saved."))
            return redirect("reports:observers:edit", public_id=observer.public_id)
    return _observer_page(request, observer, form=form, status=400)


@require_POST
@coordinator_required
def observer_invite(request, public_id: str):
    from baqylau.bots.services import link_code_issue

    observer = _managed(request, public_id)
    code = link_code_issue(observer, created_by=request.user.get_username())
    services.record_audit(action="observer.invite", obj=observer, actor=request.user)
    return _observer_page(request, observer, code=code)


@require_POST
@coordinator_required
def observer_place(request, public_id: str):
    observer = _managed(request, public_id)
    election = _election(request)
    if election is None:
        raise Http404
    form = PlaceForm(request.POST, election=election)
    if form.is_valid():
        try:
            services.assign_many(
                pairs=[(observer, form.cleaned_data["station"])],
                shift=form.cleaned_data["shift"],
                actor=request.user,
            )
        except services.ServiceError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Placed."))
            return redirect("reports:observers:edit", public_id=observer.public_id)
    return _observer_page(request, observer, place_form=form, status=400)


@require_POST
@coordinator_required
def observer_unplace(request, public_id: str, assignment_id: int):
    observer = _managed(request, public_id)
    assignment = get_object_or_404(Assignment, pk=assignment_id, observer=observer)
    services.remove_assignment(assignment=assignment, actor=request.user)
    messages.success(request, _("Removed from the station."))
    return redirect("reports:observers:edit", public_id=observer.public_id)


# --- many at once: placement and targets ------------------------------------------------------------


def _stations_of(district: AdminUnit) -> list[AdminUnit]:
    from baqylau.dashboard.selectors import natural_key

    stations = AdminUnit.objects.filter(
        election=district.election,
        kind=AdminUnit.Kind.STATION,
        path__startswith=district.path + "/",
    )
    return sorted(stations, key=lambda s: natural_key(s.code))


def _listing_pairs(election: Election, text: str, observers) -> tuple[list, list[str]]:
    pairs, problems = [], []
    for number, line in enumerate(text.splitlines(), start=1):
        parts = line.replace(",", " ").replace(";", " ").split()
        if not parts:
            continue
        if len(parts) != 2:
            problems.append(
                _("line %(line)s: an observer id and a station number") % {"line": number}
            )
            continue
        observer = observers.filter(public_id=parts[0].upper()).first()
        station = AdminUnit.objects.filter(
            election=election, kind=AdminUnit.Kind.STATION, code=parts[1].lstrip("№")
        ).first()
        if observer is None:
            problems.append(_("line %(line)s: no such observer of yours") % {"line": number})
        if station is None:
            problems.append(_("line %(line)s: no such polling station") % {"line": number})
        if observer is not None and station is not None:
            pairs.append((observer, station))
    return pairs, problems


@coordinator_required
def placement(request, code: str):
    election = get_object_or_404(Election, code=code)
    observers = selectors.manageable_observers(request.user).order_by("public_id")
    districts = selectors.planning_units(request.user, election)
    form = BulkPlaceForm(request.POST or None, districts=districts, observers=observers)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if data.get("district") is not None and data.get("observers"):
            pairs = services.spread(list(data["observers"]), _stations_of(data["district"]))
            problems = [] if pairs else [_("The district has no polling stations.")]
        else:
            pairs, problems = _listing_pairs(election, data["listing"], observers)
        if not problems:
            try:
                done = services.assign_many(pairs=pairs, shift=data["shift"], actor=request.user)
            except services.ServiceError as exc:
                problems = [str(exc)]
            else:
                messages.success(request, _("%(count)s observers placed.") % {"count": len(done)})
                return redirect(f"{request.path}?shift={data['shift']}")
        for problem in problems:
            form.add_error(None, problem)
    shift = request.GET.get("shift") or request.POST.get("shift") or "opening"
    busy = set(
        Assignment.objects.filter(election=election, shift=shift).values_list(
            "observer__public_id", flat=True
        )
    )
    context = {"election": election, "form": form, "busy": busy, "shift": shift}
    return render(request, "observers/placement.html", context, status=400 if form.errors else 200)


@coordinator_required
def targets(request, code: str):
    election = get_object_or_404(Election, code=code)
    districts = selectors.planning_units(request.user, election)
    form = TargetForm(request.POST or None, districts=districts, election=election)
    if request.method == "POST" and form.is_valid():
        station = form.cleaned_data["station"]
        stations = [station] if station else _stations_of(form.cleaned_data["district"])
        try:
            count = services.set_targets(
                stations=stations,
                observers=form.cleaned_data["observers"],
                shift=form.cleaned_data["shift"],
                actor=request.user,
            )
        except PermissionDenied:
            form.add_error(None, _("This polling station is outside your region."))
            return render(
                request,
                "observers/targets.html",
                {"election": election, "form": form},
                status=403,
            )
        messages.success(request, _("Targets set for %(count)s stations.") % {"count": count})
        return redirect("reports:coverage", code=election.code)
    return render(
        request,
        "observers/targets.html",
        {"election": election, "form": form},
        status=400 if form.errors else 200,
    )
