"""Public pages (no login). Thin: every read is a selector; every figure is precomputed."""

from django.http import (
    FileResponse,
    Http404,
    HttpResponse,
    JsonResponse,
    StreamingHttpResponse,
)
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import get_language
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET

from baqylau.dashboard import exports, selectors
from baqylau.elections.models import AdminUnit


def _lang() -> str:
    return (get_language() or "ru")[:2]


@require_GET
def home(request):
    return render(request, "dashboard/home.html", {"elections": selectors.elections()})


@require_GET
def election(request, code: str):
    election = selectors.election_by_code(code)
    roots = selectors.root_units(election)
    if len(roots) == 1:
        return redirect("dashboard:unit", code=code, unit_id=roots[0].id)
    return render(request, "dashboard/election.html", {"election": election, "roots": roots})


@require_GET
def unit(request, code: str, unit_id: int):
    election = selectors.election_by_code(code)
    if "unit" in request.GET:  # the region / district / station selectors (a GET form)
        try:
            target = int(request.GET["unit"])
        except ValueError as exc:
            raise Http404 from exc
        return redirect("dashboard:unit", code=code, unit_id=target)
    page = selectors.unit_page(election, unit_id)
    context = {"page": page, "election": election, "datasets": exports.DATASETS}
    if page.unit.is_station:
        context["evidence"] = selectors.station_evidence(page.unit, _lang())
    if page.unit.depth == 0:
        context["map"] = selectors.map_data(
            election, request.GET.get("measure", "leader_official"), href=_unit_href(code)
        )
        context["measures"] = selectors.map_measures()
    return render(request, "dashboard/unit.html", context)


def _unit_href(code: str):
    return lambda unit: reverse("dashboard:unit", args=[code, unit.id])


@require_GET
def map_page(request, code: str):
    election = selectors.election_by_code(code)
    context = {
        "election": election,
        "map": selectors.map_data(
            election, request.GET.get("measure", "leader_official"), href=_unit_href(code)
        ),
        "measures": selectors.map_measures(),
        "roots": selectors.root_units(election),
    }
    return render(request, "dashboard/map.html", context)


@require_GET
def map_svg(request, code: str):
    election = selectors.election_by_code(code)
    data = selectors.map_data(
        election, request.GET.get("measure", "leader_official"), href=_unit_href(code)
    )
    return HttpResponse(data["svg"], content_type="image/svg+xml; charset=utf-8")


@require_GET
@cache_control(max_age=30, public=True)
def live(request, code: str, unit_id: int):
    election = selectors.election_by_code(code)
    return JsonResponse(selectors.live(election, unit_id))


@require_GET
def data_dictionary(request, code: str):
    election = selectors.election_by_code(code)
    roots = selectors.root_units(election)
    return render(
        request,
        "dashboard/data.html",
        {
            "election": election,
            "datasets": exports.DATASETS,
            "formats": exports.FORMATS,
            "root": roots[0] if roots else None,
        },
    )


@require_GET
def forensics(request, code: str):
    election = selectors.election_by_code(code)
    context = {
        "election": election,
        "report": selectors.forensics_page(election),
        "roots": selectors.root_units(election),
    }
    return render(request, "dashboard/forensics.html", context)


@require_GET
def forensics_figure(request, code: str, name: str, ext: str):
    from baqylau.forensics.services import figure_path

    election = selectors.election_by_code(code)
    path = figure_path(election.code, name, ext)
    if path is None:
        raise Http404
    content_type = "image/svg+xml" if ext == "svg" else "image/png"
    return FileResponse(path.open("rb"), content_type=content_type)


@require_GET
def download(request, code: str, unit_id: int, dataset: str, fmt: str):
    election = selectors.election_by_code(code)
    unit = get_object_or_404(AdminUnit, election=election, id=unit_id)
    if dataset not in exports.DATASETS or fmt not in exports.FORMATS:
        raise Http404
    scope = None if unit.parent_id is None else unit
    header = exports.columns(dataset)
    data = exports.rows(election, scope, dataset)
    name = f"{election.code}-{unit.path.replace('/', '-')}-{dataset}"
    disposition = f'attachment; filename="{name}.{fmt}"'
    if fmt == "csv":
        response = StreamingHttpResponse(
            exports.csv_stream(header, data), content_type="text/csv; charset=utf-8"
        )
    elif fmt == "json":
        meta = {"election": election.code, "unit": unit.id, "path": unit.path, "dataset": dataset}
        response = StreamingHttpResponse(
            exports.json_stream(header, data, meta), content_type="application/json"
        )
    else:
        response = HttpResponse(
            exports.xlsx_bytes(header, data, dataset),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
    response["Content-Disposition"] = disposition
    return response


@require_GET
def report_pdf(request, code: str):
    from baqylau.dashboard import pdf

    election = selectors.election_by_code(code)
    data = pdf.election_report(election, _lang())
    response = HttpResponse(data, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{election.code}-{_lang()}.pdf"'
    return response


@require_GET
def station_card(request, code: str, unit_id: int):
    from baqylau.dashboard import pdf

    election = selectors.election_by_code(code)
    unit = get_object_or_404(AdminUnit, election=election, id=unit_id)
    data = pdf.station_card(election, unit, _lang())
    response = HttpResponse(data, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{election.code}-{unit.code}.pdf"'
    return response
