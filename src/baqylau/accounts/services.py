"""API tokens: created with the plain key returned once, only its SHA-256 stored."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.utils import timezone

from baqylau.accounts.models import ApiToken, hash_token
from baqylau.db import Fetch

#: token (by key hash, revoked?) with its user (active?): asked on every uncached API request
_tokens_with_user = Fetch(ApiToken, ("user",), ("key_hash", "revoked", "user__is_active"))


def api_token_create(*, user: AbstractBaseUser, name: str = "") -> tuple[ApiToken, str]:
    """Create a token for `user`; return it and the plain key, which is never stored or shown again."""
    key = ApiToken.new_key()
    token = ApiToken.objects.create(
        user=user, name=name[:100], prefix=key[:8], key_hash=hash_token(key)
    )
    return token, key


def api_token_revoke(*, token: ApiToken) -> None:
    ApiToken.objects.filter(pk=token.pk).update(revoked=True)
    token.revoked = True
    from baqylau import caches

    caches.invalidate()  # in every server process, not only this one


def api_token_authenticate(*, key: str) -> AbstractBaseUser | None:
    """The active user owning a valid, unrevoked token, or None; records when it was used."""
    if not key or len(key) > 200:
        return None
    tokens = _tokens_with_user(hash_token(key), False, True)
    token = min(tokens, key=lambda t: t.pk) if tokens else None
    if token is None:
        return None
    now = timezone.now()
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user
