"""The staff home (navigation by role) and the translated sign-in pages. Thin."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import LoginView, LogoutView
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.urls import reverse

from baqylau.staff import selectors
from baqylau.staff.links import links_for, staff_roles


class Login(LoginView):
    template_name = "staff/login.html"
    redirect_authenticated_user = False

    def get_default_redirect_url(self):
        return reverse("staff:home")


class Logout(LogoutView):
    next_page = "dashboard:home"


@login_required
def home(request):
    roles = staff_roles(request.user)
    if not roles:
        raise PermissionDenied
    links = links_for(request.user, selectors.current_elections())
    by_election: dict[str, list] = {}
    for link in links:
        if link.election:
            by_election.setdefault(link.election, []).append(link)
    context = {
        "roles": selectors.role_labels(roles),
        "links": [link for link in links if not link.election],
        "by_election": by_election,
    }
    return render(request, "staff/home.html", context)


def login_redirect(request):
    """The old /accounts/login/ address: the sign-in page in the user's language."""
    target = reverse("staff:login")
    if query := request.META.get("QUERY_STRING"):
        target += "?" + query
    return redirect(target)


def lockout(request, response=None, credentials=None):
    """django-axes' lockout page, in the request's language and the site's layout."""
    from django.conf import settings

    hours = int(getattr(settings, "AXES_COOLOFF_TIME", 1) or 1)
    return render(request, "staff/lockout.html", {"cooloff_hours": hours}, status=429)
