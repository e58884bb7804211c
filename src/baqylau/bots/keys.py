"""The bots' keys, from the environment or the data dir (never from the repository).

BOT_SIGNING_KEY   Ed25519 private key (base64 of 32 bytes, or PEM); else DATA_DIR/bot_signing_key
                  is generated on first use with mode 0600.
BOT_ID_HASH_KEY   key of the HMAC-SHA256 hashes of Telegram ids; else derived from SECRET_KEY.
"""

from __future__ import annotations

import functools
import os
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from django.conf import settings

from baqylau.bots import signing


@functools.cache
def _signing_key(env_value: str | None, path: str) -> Ed25519PrivateKey:
    return signing.load_or_create_key(env_value, Path(path))


def signing_key() -> Ed25519PrivateKey:
    return _signing_key(
        os.environ.get("BOT_SIGNING_KEY") or None, str(Path(settings.DATA_DIR) / "bot_signing_key")
    )


def public_key() -> Ed25519PublicKey:
    return signing_key().public_key()


@functools.cache
def _id_key(env_value: str | None, secret: str) -> bytes:
    return signing.id_hash_key(env_value, secret)


def id_hash(namespace: str, value: int | str) -> str:
    """Keyed hash of a Telegram id (namespace: "user", "chat", "conversation", "code" ...)."""
    key = _id_key(os.environ.get("BOT_ID_HASH_KEY") or None, settings.SECRET_KEY)
    return signing.keyed_hash(key, namespace, value)


def sign(fields: dict) -> str:
    return signing.sign_statement(signing_key(), fields)


def verify(text: str) -> signing.Checked:
    return signing.verify_statement(public_key(), text)
