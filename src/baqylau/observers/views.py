"""Staff pages for observers: thin; every read is a selector, every write a service."""

from __future__ import annotations

from functools import wraps

from django.apps import apps
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render

from baqylau.observers.selectors import observer_card, scope_for, visible_observers


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


@coordinator_required
def observer_list(request):
    cards = [observer_card(request.user, o) for o in visible_observers(request.user)]
    return render(request, "observers/list.html", {"cards": cards})
