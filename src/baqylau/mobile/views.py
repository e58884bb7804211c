"""Mobile groups: staff pages (register, dispatch from a critical incident, follow a task) and
the members' task page in the observer app. Thin: reads are selectors, writes services."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from baqylau.elections.models import AdminUnit, Election
from baqylau.i18n import normalize_language
from baqylau.mobile import selectors, services
from baqylau.mobile.forms import DispatchForm, GroupForm, ReportForm
from baqylau.observers import selectors as observer_selectors
from baqylau.observers.services import ServiceError
from baqylau.observers.views import coordinator_required
from baqylau.reports.models import Incident


def _election(request) -> Election | None:
    code = request.GET.get("election") or request.POST.get("election")
    elections = Election.objects.order_by("-date", "code")
    return elections.filter(code=code).first() if code else elections.first()


@coordinator_required
def groups(request):
    election = _election(request)
    organisations = observer_selectors.manageable_organisations(request.user)
    areas = AdminUnit.objects.none()
    if election is not None:
        areas = observer_selectors.planning_units(
            request.user, election, AdminUnit.Kind.REGION
        ) | observer_selectors.planning_units(request.user, election, AdminUnit.Kind.DISTRICT)
        areas = areas.order_by("path")
    form = GroupForm(
        request.POST or None,
        organisations=organisations,
        areas=areas,
        observers=observer_selectors.manageable_observers(request.user).order_by("public_id"),
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            group = services.register_group(
                organisation=data["organisation"],
                name=data["name"],
                area=data["area"],
                members=list(data["members"]),
                lawyer_on_board=data["lawyer_on_board"],
                actor=request.user,
            )
        except ServiceError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Mobile group %(name)s registered.") % {"name": group})
            return redirect("mobile:groups")
    context = {
        "election": election,
        "groups": selectors.groups_for(request.user),
        "dispatches": selectors.dispatches_for(request.user, election=election)[:50],
        "form": form if organisations.exists() else None,
    }
    return render(request, "mobile/groups.html", context, status=400 if form.errors else 200)


def _incident(request, incident_id: int) -> Incident:
    found = (
        observer_selectors.scoped(Incident.objects.all(), request.user)
        .select_related("violation", "station", "election")
        .filter(pk=incident_id)
        .first()
    )
    if found is None:
        raise Http404
    return found


@coordinator_required
def dispatch(request, incident_id: int):
    incident = _incident(request, incident_id)
    near = selectors.groups_near(request.user, incident.station)
    form = DispatchForm(request.POST or None, groups=near)
    if request.method == "POST" and form.is_valid():
        group = next((g for g in near if g.pk == form.cleaned_data["group"]), None)
        if group is None:
            raise PermissionDenied
        try:
            task = services.dispatch(
                group=group,
                incident=incident,
                actor=request.user,
                instructions=form.cleaned_data["instructions"],
            )
        except ServiceError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("The group has been sent."))
            return redirect("mobile:task", pk=task.pk)
    context = {"incident": incident, "groups": near, "form": form, "election": incident.election}
    return render(request, "mobile/dispatch.html", context, status=400 if form.errors else 200)


@coordinator_required
def task(request, pk: int):
    found = get_object_or_404(selectors.dispatches_for(request.user), pk=pk)
    context = {
        "task": found,
        "story": selectors.dispatch_story(found),
        "election": found.election,
    }
    return render(request, "mobile/task.html", context)


# --- the members' side (observer app) ------------------------------------------------------------


def _member(request):
    observer = observer_selectors.observer_for_user(request.user)
    if observer is None:
        raise PermissionDenied
    return observer


@login_required
def my_tasks(request):
    observer = _member(request)
    context = {"tasks": selectors.open_dispatches(observer), "form": ReportForm()}
    return render(request, "mobile/my_tasks.html", context)


def _answer(request, outcome) -> None:
    if outcome.record is not None:
        messages.success(request, _("Received."))
    else:
        from baqylau.intake.messages import render as render_message

        lang = normalize_language(request.LANGUAGE_CODE)
        for problem in outcome.problems:
            messages.error(request, render_message(problem.code, lang, **(problem.params or {})))


@require_POST
@login_required
def arrived(request, pk: int):
    observer = _member(request)
    try:
        outcome = services.record_arrival(
            observer=observer,
            dispatch_id=pk,
            channel="web",
            user=request.user,
            language=normalize_language(request.LANGUAGE_CODE),
        )
    except ServiceError as exc:
        messages.error(request, str(exc))
    else:
        _answer(request, outcome)
    return redirect("mobile:my-tasks")


@require_POST
@login_required
def report(request, pk: int):
    observer = _member(request)
    form = ReportForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, _("Write what the group found."))
        return redirect("mobile:my-tasks")
    files = []
    if form.cleaned_data.get("act"):
        upload = form.cleaned_data["act"]
        files.append((upload.read(), upload.name))
    try:
        outcome = services.record_report(
            observer=observer,
            dispatch_id=pk,
            text=form.cleaned_data["text"],
            files=files,
            channel="web",
            user=request.user,
            language=normalize_language(request.LANGUAGE_CODE),
        )
    except ServiceError as exc:
        messages.error(request, str(exc))
    else:
        _answer(request, outcome)
    return redirect("mobile:my-tasks")
