"""Checklist pages for staff: answers by unit (table and chart), response rate (with the map),
the reports behind every figure, one report with its flags and call log. Thin: reads are
selectors, writes are services."""

from __future__ import annotations

from uuid import UUID

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from baqylau.checklists import selectors, services
from baqylau.checklists.forms import CallForm, FlagDecisionForm
from baqylau.elections.models import Election
from baqylau.observers.views import coordinator_required


def _election_form(code: str, form_code: str):
    election = Election.objects.filter(code=code).first()
    form = selectors.form_or_none(form_code)
    if election is None or form is None:
        raise Http404
    return election, form


def _unit(request, election):
    unit = selectors.unit_or_root(election, request.GET.get("unit"))
    if unit is None:
        raise Http404
    return unit


@coordinator_required
def home(request):
    elections = Election.objects.order_by("-date", "code")
    forms = [(f["code"], selectors.label(f["title"])) for f in selectors.checklist_forms()]
    return render(request, "checklists/home.html", {"elections": elections, "forms": forms})


def _context(request, election, form, unit, **extra):
    ancestors = []
    node = unit.parent
    while node is not None:
        ancestors.insert(0, node)
        node = node.parent
    return {
        "election": election,
        "form": form,
        "form_title": selectors.label(form["title"]),
        "unit": unit,
        "ancestors": ancestors,
        **extra,
    }


@coordinator_required
def dashboard(request, code: str, form: str):
    election, form_data = _election_form(code, form)
    unit = _unit(request, election)
    rows, answers = selectors.question_table(request.user, election, form_data, unit)
    return render(
        request,
        "checklists/dashboard.html",
        _context(request, election, form_data, unit, rows=rows, stations=len(answers)),
    )


@coordinator_required
def responses(request, code: str, form: str):
    election, form_data = _election_form(code, form)
    unit = _unit(request, election)
    total, rows, answers = selectors.response_rates(request.user, election, form_data, unit)
    base = reverse("checklists:responses", args=[code, form])
    state_labels = {
        "missing": _("no report"),
        "partial": _("partial"),
        "complete": _("complete"),
        "conflict": _("reports disagree"),
    }
    station_rows = []
    if not rows or all(r.unit.kind == "station" for r in rows):
        station_rows = [(a.station, state_labels[a.state]) for a in answers.values()]
    return render(
        request,
        "checklists/responses.html",
        _context(
            request,
            election,
            form_data,
            unit,
            total=total,
            rows=rows,
            states=list(state_labels.items()),
            station_rows=station_rows,
            map=selectors.rate_map(election, rows, lambda u: f"{base}?unit={u.pk}"),
        ),
    )


@coordinator_required
def report_list(request, code: str, form: str):
    election, form_data = _election_form(code, form)
    unit = _unit(request, election)
    question = request.GET.get("question", "")
    questions = {q["code"]: selectors.label(q["label"]) for q in form_data["questions"]}
    if question not in questions:
        question = ""
    found = selectors.filter_reports(
        selectors.reports(request.user, election, form_data),
        unit=unit,
        question=question,
        answer=request.GET.get("answer", ""),
        flagged=request.GET.get("flagged") == "1",
    )
    found.reverse()  # newest first
    page = Paginator(found, 50).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "checklists/reports.html",
        _context(
            request,
            election,
            form_data,
            unit,
            page=page,
            query=query.urlencode(),
            question=question,
            question_label=questions.get(question, ""),
            answer=request.GET.get("answer", ""),
            flagged=request.GET.get("flagged") == "1",
        ),
    )


@coordinator_required
def report(request, submission_id: UUID):
    found = selectors.report_detail(request.user, submission_id)
    if found is None:
        raise Http404
    item, form_data = found
    decision_form = FlagDecisionForm(prefix="flag")
    call_form = CallForm(prefix="call")
    if request.method == "POST":
        action = request.POST.get("action")
        bound = (
            FlagDecisionForm(request.POST, prefix="flag")
            if action == "flag"
            else CallForm(request.POST, prefix="call")
        )
        if bound.is_valid():
            try:
                if action == "flag":
                    services.flag_decide(
                        user=request.user, submission_id=submission_id, **bound.cleaned_data
                    )
                else:
                    services.call_record(
                        user=request.user, submission_id=submission_id, **bound.cleaned_data
                    )
            except ValidationError as exc:
                for error in exc.messages:
                    messages.error(request, error)
            else:
                messages.success(request, _("Saved."))
                return redirect("checklists:report", submission_id=submission_id)
        else:
            messages.error(request, _("Check the form."))
    questions = [(q["code"], selectors.label(q["label"])) for q in form_data["questions"]]
    return render(
        request,
        "checklists/report.html",
        {
            "item": item,
            "election": item.station.election,
            "form": form_data,
            "form_title": selectors.label(form_data["title"]),
            "answers": [(label, item.answers.get(code)) for code, label in questions],
            "calls": list(selectors.calls(submission_id)),
            "decisions": list(selectors.decisions(submission_id)),
            "decision_form": decision_form,
            "call_form": call_form,
        },
    )
