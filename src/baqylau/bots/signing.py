"""Signed statements (Ed25519) against fake clone bots, and keyed hashes of Telegram ids.

Pure: no Django. A statement is plain text that anyone can paste into the public verification page::

    Baqylau signed statement
    bot: @alaman_bot
    kind: verify
    issued: 2024-03-17T12:00:00Z
    signature: ed25519:<base64url of the 64-byte signature>

The signature covers every line before the ``signature:`` line, each stripped of trailing spaces
and joined with ``\\n`` (so the copy-paste of a chat client's formatting does not break it, while
any change to a value does).
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

HEADER = "Baqylau signed statement"
SIGNATURE_PREFIX = "signature: ed25519:"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    text = text.strip()
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


# ---------------------------------------------------------------------------------------------
# keys


def private_key_from_text(text: str) -> Ed25519PrivateKey:
    """A key from PEM (PKCS#8) or base64 of the 32 raw private bytes."""
    text = text.strip()
    if text.startswith("-----BEGIN"):
        key = serialization.load_pem_private_key(text.encode(), password=None)
        if not isinstance(key, Ed25519PrivateKey):
            raise ValueError("BOT_SIGNING_KEY is not an Ed25519 key")
        return key
    raw = _unb64(text.replace("+", "-").replace("/", "_"))
    if len(raw) != 32:
        raise ValueError("BOT_SIGNING_KEY must be 32 raw bytes in base64, or a PEM key")
    return Ed25519PrivateKey.from_private_bytes(raw)


def private_key_text(key: Ed25519PrivateKey) -> str:
    raw = key.private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
    )
    return base64.b64encode(raw).decode()


def load_or_create_key(env_value: str | None, path: Path) -> Ed25519PrivateKey:
    """The key from the environment; else from `path`, created there (mode 0600) when missing."""
    if env_value:
        return private_key_from_text(env_value)
    if path.exists():
        return private_key_from_text(path.read_text())
    key = Ed25519PrivateKey.generate()
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(private_key_text(key) + "\n")
    os.chmod(path, 0o600)
    return key


def public_key_text(key: Ed25519PublicKey) -> str:
    """Base64 (standard) of the 32 raw public bytes: what the public site shows."""
    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return base64.b64encode(raw).decode()


def public_key_from_text(text: str) -> Ed25519PublicKey:
    raw = base64.b64decode(text.strip() + "=" * (-len(text.strip()) % 4))
    return Ed25519PublicKey.from_public_bytes(raw)


def fingerprint(key: Ed25519PublicKey) -> str:
    """Short SHA-256 fingerprint of the public key, grouped for reading aloud."""
    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    digest = hashlib.sha256(raw).hexdigest()[:32].upper()
    return " ".join(digest[i : i + 4] for i in range(0, 32, 4))


# ---------------------------------------------------------------------------------------------
# statements


def _normalise(lines: list[str]) -> bytes:
    return "\n".join(line.rstrip() for line in lines).strip("\n").encode("utf-8")


def sign_statement(
    key: Ed25519PrivateKey, fields: Mapping[str, object], *, issued: dt.datetime | None = None
) -> str:
    """The statement text with its fields (in order) and its signature line."""
    when = (issued or dt.datetime.now(dt.UTC)).astimezone(dt.UTC).replace(microsecond=0)
    lines = [HEADER]
    for name, value in fields.items():
        text = str(value).replace("\n", " ").strip()
        lines.append(f"{name}: {text}")
    lines.append(f"issued: {when.isoformat().replace('+00:00', 'Z')}")
    signature = key.sign(_normalise(lines))
    return "\n".join([*lines, SIGNATURE_PREFIX + _b64(signature)])


@dataclass(frozen=True)
class Checked:
    valid: bool
    fields: dict[str, str]
    problem: str = ""  # not_a_statement | no_signature | bad_signature


def verify_statement(public_key: Ed25519PublicKey, text: str) -> Checked:
    """Check a pasted statement; tolerant of surrounding text and trailing spaces."""
    lines = [line.strip() for line in (text or "").replace("\r\n", "\n").split("\n")]
    try:
        start = lines.index(HEADER)
    except ValueError:
        return Checked(False, {}, "not_a_statement")
    body: list[str] = []
    signature = None
    for line in lines[start:]:
        if line.startswith(SIGNATURE_PREFIX):
            signature = line[len(SIGNATURE_PREFIX) :]
            break
        if line:
            body.append(line)
    fields = {}
    for line in body[1:]:
        name, _, value = line.partition(":")
        fields[name.strip()] = value.strip()
    if signature is None:
        return Checked(False, fields, "no_signature")
    try:
        public_key.verify(_unb64(signature), _normalise(body))
    except (InvalidSignature, ValueError):
        return Checked(False, fields, "bad_signature")
    return Checked(True, fields)


# ---------------------------------------------------------------------------------------------
# keyed hashes of Telegram ids


def id_hash_key(env_value: str | None, secret_key: str) -> bytes:
    """BOT_ID_HASH_KEY when set, else a key derived from the site's SECRET_KEY."""
    if env_value:
        return env_value.encode("utf-8")
    return hmac.new(secret_key.encode("utf-8"), b"baqylau.bots.telegram-id-hash", "sha256").digest()


def keyed_hash(key: bytes, namespace: str, value: int | str) -> str:
    """HMAC-SHA256 of a Telegram id (never stored raw)."""
    return hmac.new(key, f"{namespace}:{value}".encode(), hashlib.sha256).hexdigest()
