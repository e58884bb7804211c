"""Public pages (no login). Thin: every read is a selector."""

from django.shortcuts import redirect, render

from baqylau.dashboard import selectors


def home(request):
    return render(request, "dashboard/home.html", {"elections": selectors.elections()})


def election(request, code: str):
    election = selectors.election_by_code(code)
    roots = selectors.root_units(election)
    if len(roots) == 1:
        return redirect("dashboard:unit", code=code, unit_id=roots[0].id)
    return render(request, "dashboard/election.html", {"election": election, "roots": roots})


def unit(request, code: str, unit_id: int):
    election = selectors.election_by_code(code)
    page = selectors.unit_page(election, unit_id)
    return render(request, "dashboard/unit.html", {"page": page, "election": election})
