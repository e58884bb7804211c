"""django-ninja authentication with API tokens: ``Authorization: Bearer <token>``.

A valid token's user is kept in memory for `TOKEN_TTL` seconds (one query less per request
under load). Revoking a token, or saving/deleting any token or user, empties that cache at once
in this process and within a second in the others (`baqylau.caches`). A failed lookup is never
cached.
"""

from __future__ import annotations

import copy
import threading
import time

from ninja.security import HttpBearer

from baqylau import caches
from baqylau.accounts.models import hash_token
from baqylau.accounts.services import api_token_authenticate

TOKEN_TTL = 30.0
_MAX_ENTRIES = 20_000
_tokens: dict[str, tuple[float, object]] = {}
_lock = threading.Lock()


def clear_token_cache(**_kwargs) -> None:
    with _lock:
        _tokens.clear()


class ApiTokenAuth(HttpBearer):
    openapi_description = "An API token created by an administrator: `Authorization: Bearer bq_…`"

    def authenticate(self, request, token: str):
        if not token or len(token) > 200:
            return None
        caches.check()
        digest = hash_token(token)
        now = time.monotonic()
        hit = _tokens.get(digest)
        if hit is not None and now - hit[0] < TOKEN_TTL:
            user = copy.copy(hit[1])  # per request: nothing set on it leaks to another one
        else:
            user = api_token_authenticate(key=token)
            if user is None:
                with _lock:
                    _tokens.pop(digest, None)
                return None
            with _lock:
                if len(_tokens) >= _MAX_ENTRIES:
                    _tokens.clear()
                _tokens[digest] = (now, copy.copy(user))
        request.user = user
        request.api_token_digest = digest  # what the API's per-token throttle counts
        return user
