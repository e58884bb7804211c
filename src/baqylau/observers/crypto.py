"""Encryption at rest of observers' personal data, and keyed hashes for phone look-ups.

The key material is `OBSERVER_DATA_KEY` (environment or settings) or, failing that, SECRET_KEY.
Two independent keys are derived from it with HKDF-SHA256 (different `info` labels): a Fernet
key (AES-128-CBC + HMAC-SHA256, authenticated) for the encrypted columns, and an HMAC key for the
phone look-up hash. A database dump therefore contains neither names nor phone numbers, and the
hash cannot be reversed by enumerating phone numbers without the key.

`OBSERVER_DATA_KEYS_OLD` (comma-separated) lets old keys still decrypt after a rotation.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import os
import re

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings

_FERNET_INFO = b"baqylau/observers/fernet/v1"
_PHONE_INFO = b"baqylau/observers/phone-hash/v1"


def _master(value: str | None = None) -> bytes:
    key = (
        value
        or getattr(settings, "OBSERVER_DATA_KEY", None)
        or os.environ.get("OBSERVER_DATA_KEY")
        or settings.SECRET_KEY
    )
    return key.encode()


def _derive(master: bytes, info: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info).derive(master)


@functools.cache
def _fernet(master: bytes, old: tuple[bytes, ...]) -> MultiFernet:
    keys = [master, *old]
    return MultiFernet([Fernet(base64.urlsafe_b64encode(_derive(k, _FERNET_INFO))) for k in keys])


def _current() -> MultiFernet:
    old = os.environ.get("OBSERVER_DATA_KEYS_OLD", "") or getattr(
        settings, "OBSERVER_DATA_KEYS_OLD", ""
    )
    return _fernet(_master(), tuple(k.encode() for k in old.split(",") if k))


def encrypt(text: str) -> str:
    """Encrypt a string; the empty string stays empty (nothing to hide, and searchable as '')."""
    if not text:
        return ""
    return _current().encrypt(text.encode()).decode()


def decrypt(token: str) -> str:
    if not token:
        return ""
    try:
        return _current().decrypt(token.encode()).decode()
    except InvalidToken as exc:  # wrong key: never return ciphertext as if it were the value
        raise ValueError("observer data cannot be decrypted with the configured key") from exc


def normalise_phone(raw: str) -> str:
    """Digits only, in international form: `8 (701) 123-45-67` → `77011234567`.

    A national Kazakh/Russian number starting with 8 and 11 digits long becomes 7…; a leading
    `00` (international prefix) is dropped. Returns '' for anything with fewer than 6 digits.
    """
    digits = re.sub(r"\D", "", raw or "")
    if digits.startswith("00"):
        digits = digits[2:]
    if len(digits) == 11 and digits.startswith("8"):
        digits = "7" + digits[1:]
    if len(digits) == 10 and digits.startswith("7") and not (raw or "").strip().startswith("+"):
        digits = "7" + digits  # 701 123 4567 written without the country code
    return digits if len(digits) >= 6 else ""


def phone_hash(raw: str) -> str:
    """Keyed hash (HMAC-SHA256) of the normalised phone number; '' when it is not a number."""
    phone = normalise_phone(raw)
    if not phone:
        return ""
    key = _derive(_master(), _PHONE_INFO)
    return hmac.new(key, phone.encode(), hashlib.sha256).hexdigest()
