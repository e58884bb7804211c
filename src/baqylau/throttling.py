"""API throttling with django-ninja's throttles: per API token, and per client address for
requests that carry no valid credential (public endpoints, failed logins to the API).

Authenticated requests are limited per token only, never per address: observers on mobile
networks share a few carrier addresses (CGNAT), and a whole team behind one address must not
throttle itself on election day. A request without a valid token is limited per address, so
guessing tokens or scraping the public API from one host is slowed down too (see `api.py`).

The rates are `settings.API_THROTTLE_RATES` ("600/min"; None turns a limit off), read at each
request. The history of each token and address is kept in the "throttle" cache, a local-memory
cache: each server process counts for itself, so with W processes a client that opens new
connections can reach W times the rate (a keep-alive client stays on one process). Counting across
processes would cost a shared store write per API request; the limits guard against floods,
which stay bounded either way.

django-ninja keeps one throttle object per operation, shared by all threads, and its
`SimpleRateThrottle` keeps the request's state on that object between `allow_request` and `wait`;
here the state is per thread and the history is updated under a lock.
"""

from __future__ import annotations

import math
import threading

from django.conf import settings
from django.core.cache import caches
from ninja.throttling import SimpleRateThrottle

CACHE = "throttle"


def rate(scope: str) -> str | None:
    """The configured rate of a scope ("token" or "ip"), e.g. "600/min"; None: no limit."""
    return getattr(settings, "API_THROTTLE_RATES", {}).get(scope)


class _Throttle(SimpleRateThrottle):
    """A sliding window of each key's request times (the newest first)."""

    _lock = threading.Lock()

    def __init__(self) -> None:  # the rate is read from the settings at each request
        self.rate = None
        self._state = threading.local()

    def get_rate(self) -> str | None:
        return rate(self.scope or "")

    def allow_request(self, request) -> bool:
        self._state.value = None
        limit, duration = self.parse_rate(self.get_rate())
        key = self.get_cache_key(request)
        if key is None or limit is None or duration is None:
            return True
        cache = caches[CACHE]
        now = self.timer()
        with self._lock:
            history = [t for t in cache.get(key, []) if t > now - duration]
            allowed = len(history) < limit
            if allowed:
                history.insert(0, now)
                cache.set(key, history, duration)
        if not allowed:
            # the oldest of the `limit` newest requests leaves the window first
            self._state.value = history[limit - 1] + duration - now if limit else duration
        return allowed

    def wait(self) -> float | None:
        """Seconds until this thread's last refused request would be allowed (at least 1)."""
        value = self._state.value
        return None if value is None else max(1.0, float(math.ceil(value)))


class TokenThrottle(_Throttle):
    """Requests with a valid credential, per API token (per user for a browser session)."""

    scope = "token"

    def get_cache_key(self, request) -> str | None:
        user = getattr(request, "auth", None)
        if user is None:
            return None
        ident = getattr(request, "api_token_digest", None) or f"user-{user.pk}"
        return f"throttle:token:{ident}"


class AddressThrottle(_Throttle):
    """Requests without a valid credential, per client address (see `settings.PROXIES`)."""

    scope = "ip"

    def get_cache_key(self, request) -> str | None:
        if getattr(request, "auth", None) is not None:
            return None
        return f"throttle:ip:{self.get_ident(request)}"


def refused_by_address(request) -> float | None:
    """For a request that failed authentication: count it against its address; the seconds to
    wait when that address is over its limit, else None."""
    throttle = AddressThrottle()
    return None if throttle.allow_request(request) else throttle.wait()
