"""Lawyers' pages: thin — reads from `selectors`, writes through `services`."""

from __future__ import annotations

from functools import wraps

from django.contrib import messages
from django.contrib.auth.views import LoginView
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render, resolve_url
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from baqylau.elections.models import Election
from baqylau.legal import selectors, services
from baqylau.legal.forms import CaseForm, EventForm, ProfileForm
from baqylau.legal.models import ApplicantProfile, Bundle, LegalDocument

CONTENT_TYPES = {
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
}


def lawyer_required(view):
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_authenticated:
            from django.contrib.auth.views import redirect_to_login

            return redirect_to_login(request.get_full_path(), resolve_url("legal:login"))
        if not selectors.is_lawyer(request.user):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper


class Login(LoginView):
    template_name = "legal/login.html"

    def get_default_redirect_url(self):
        return reverse("legal:home")


def _case(request, pk: int):
    case = selectors.visible_cases(request.user).filter(pk=pk).first()
    if case is None:
        raise Http404
    return case


@lawyer_required
def home(request):
    today = timezone.localdate()
    deadlines = [
        {"case": case, "days_left": (case.next_deadline - today).days}
        for case in selectors.upcoming_deadlines(request.user, today=today)
    ]
    context = {
        "deadlines": deadlines,
        "cases": selectors.visible_cases(request.user)[:100],
        "has_profile": ApplicantProfile.objects.filter(user=request.user).exists(),
    }
    return render(request, "legal/home.html", context)


@lawyer_required
def incidents(request):
    elections = Election.objects.filter(
        pk__in=selectors.visible_incidents(request.user).values("election_id")
    )
    election = elections.filter(code=request.GET.get("election", "")).first() or elections.first()
    rows = selectors.visible_incidents(request.user, election) if election else []
    acts = {}
    if election:
        for doc in selectors.acts_for(rows):
            acts.setdefault(doc.incident_id, []).append(doc)
    return render(
        request,
        "legal/incidents.html",
        {
            "elections": elections,
            "election": election,
            "incidents": [(i, acts.get(i.pk, [])) for i in rows],
            "form": CaseForm(initial={"language": (request.LANGUAGE_CODE or "ru")[:2]}),
        },
    )


@lawyer_required
@require_POST
def act_create(request, incident_id: int):
    incident = selectors.visible_incidents(request.user).filter(pk=incident_id).first()
    if incident is None:
        raise Http404
    lang = request.POST.get("lang") or "ru"
    try:
        document = services.generate_act(
            user=request.user,
            incident=incident,
            lang=lang,
            reveal=request.POST.get("reveal_identities") == "on",
        )
    except services.LegalError as exc:
        messages.error(request, str(exc))
        return redirect("legal:incidents")
    messages.success(request, _("Act generated: %(title)s") % {"title": document.title})
    return redirect(f"{reverse('legal:incidents')}?election={incident.election.code}")


@lawyer_required
@require_POST
def case_create(request):
    form = CaseForm(request.POST)
    ids = [int(x) for x in request.POST.getlist("incident") if x.isdigit()]
    chosen = list(selectors.visible_incidents(request.user).filter(pk__in=ids))
    if not form.is_valid() or not chosen:
        messages.error(request, _("Select at least one incident and fill in the form."))
        return redirect("legal:incidents")
    data = form.cleaned_data
    stations = {i.station_id for i in chosen}
    findings = selectors.findings_for_stations(list(stations))
    try:
        case = services.create_case(
            user=request.user,
            kind=data["kind"],
            language=data["language"],
            incidents=chosen,
            findings=findings,
            addressee=data["addressee"],
            respondent=data["respondent"],
            decision_date=data["decision_date"],
            reveal_identities=data["reveal_identities"],
        )
        services.generate_case_document(user=request.user, case=case)
    except services.LegalError as exc:
        messages.error(request, str(exc))
        return redirect("legal:incidents")
    return redirect("legal:case", pk=case.pk)


@lawyer_required
def case_detail(request, pk: int):
    case = _case(request, pk)
    today = timezone.localdate()
    context = {
        "case": case,
        "incidents": selectors.case_incidents(case),
        "documents": selectors.case_documents(case),
        "events": selectors.case_events(case),
        "bundles": case.bundles.all(),
        "form": EventForm(initial={"on": today}),
        "days_left": (case.next_deadline - today).days if case.next_deadline else None,
    }
    return render(request, "legal/case.html", context)


@lawyer_required
@require_POST
def case_document(request, pk: int):
    case = _case(request, pk)
    services.generate_case_document(user=request.user, case=case, lang=request.POST.get("lang"))
    return redirect("legal:case", pk=case.pk)


@lawyer_required
@require_POST
def case_event(request, pk: int):
    case = _case(request, pk)
    form = EventForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, _("Check the form: %(errors)s") % {"errors": form.errors.as_text()})
        return redirect("legal:case", pk=case.pk)
    data = form.cleaned_data
    upload = data.get("document")
    try:
        event = services.record_event(
            user=request.user,
            case=case,
            status=data["status"],
            on=data["on"],
            reference=data["reference"],
            outcome=data.get("outcome") or "",
            note=data["note"],
            document=(upload.name, upload.read()) if upload else None,
        )
    except services.LegalError as exc:
        messages.error(request, str(exc))
        return redirect("legal:case", pk=case.pk)
    messages.success(request, _("Recorded: %(status)s") % {"status": event.get_status_display()})
    return redirect("legal:case", pk=case.pk)


@lawyer_required
@require_POST
def bundle_create(request, pk: int):
    case = _case(request, pk)
    record = services.build_case_bundle(user=request.user, case=case)
    messages.success(request, _("Evidence bundle built: SHA-256 %(sha)s") % {"sha": record.sha256})
    return redirect("legal:case", pk=case.pk)


@lawyer_required
def bundle_download(request, pk: int):
    record = get_object_or_404(Bundle, pk=pk)
    _case(request, record.case_id)
    return FileResponse(
        services.resolve(record.path).open("rb"),
        as_attachment=True,
        filename=f"bundle-case-{record.case_id}-{record.sha256[:12]}.zip",
        content_type="application/zip",
    )


@lawyer_required
def document_download(request, pk: int, fmt: str):
    document = get_object_or_404(LegalDocument, pk=pk)
    if document.case_id:
        _case(request, document.case_id)
    elif not selectors.visible_incidents(request.user).filter(pk=document.incident_id).exists():
        raise Http404
    if fmt not in CONTENT_TYPES:
        raise Http404
    path = document.pdf_path if fmt == "pdf" else document.docx_path
    return FileResponse(
        services.resolve(path).open("rb"),
        as_attachment=True,
        filename=f"{document.kind}-{document.language}-{document.pk}.{fmt}",
        content_type=CONTENT_TYPES[fmt],
    )


@lawyer_required
def statistics(request):
    rows = selectors.statistics(request.user)
    return render(
        request,
        "legal/statistics.html",
        {"rows": rows, "totals": selectors.statistics_totals(rows)},
    )


@lawyer_required
def profile(request):
    current = ApplicantProfile.objects.filter(user=request.user).first()
    if request.method == "POST":
        form = ProfileForm(request.POST)
        if form.is_valid():
            services.save_applicant_profile(user=request.user, details=form.cleaned_data)
            messages.success(request, _("Your details are saved."))
            return redirect("legal:home")
    else:
        form = ProfileForm(initial=current.details if current else {})
    return render(request, "legal/profile.html", {"form": form})


@lawyer_required
def sources(request):
    """Every norm the platform cites, written as the glossary says, with the official text's
    address on adilet.zan.kz and whether it was checked against the text in force."""
    return render(request, "legal/sources.html", {"norms": selectors.cited_norms()})
