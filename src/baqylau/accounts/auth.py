"""django-ninja authentication with API tokens: ``Authorization: Bearer <token>``."""

from __future__ import annotations

from ninja.security import HttpBearer

from baqylau.accounts.services import api_token_authenticate


class ApiTokenAuth(HttpBearer):
    openapi_description = "An API token created by an administrator: `Authorization: Bearer bq_…`"

    def authenticate(self, request, token: str):
        user = api_token_authenticate(key=token)
        if user is None:
            return None
        request.user = user
        return user
