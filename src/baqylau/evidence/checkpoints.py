"""Signed checkpoints of the ledger's head, kept outside the database.

The hash chain shows any change to an entry, but someone who can write to the database can also
rewrite the whole chain from some entry on, together with the head row and the digests stored
beside it. What they cannot rewrite is what was published before: a checkpoint is the head of
the chain (sequence number and entry hash) at a time, signed with the platform's Ed25519 key,
appended to a file outside the database and served to anyone (``/ledger/checkpoints.jsonl``).
`verify_against` compares the chain with the checkpoints and names every one it contradicts.

One checkpoint is one line of JSON (JSON Lines)::

    {"seq": 1234, "head_hash": "<64 hex>", "at": "2024-03-17T12:00:00.123456Z",
     "key": "<base64 of the 32-byte public key>", "signature": "<base64 of the signature>"}

The signature is Ed25519 over the UTF-8 RFC 8785 text of ``{"at", "head_hash", "key", "seq"}``
(the line without ``signature``), so it can be checked with any JCS and Ed25519 tool.

The key: ``LEDGER_SIGNING_KEY`` (base64 of the 32 private bytes, or PEM), else
``DATA_DIR/ledger_signing_key``, generated on first use with mode 0600 (as the bots' key). The
file: ``DATA_DIR/ledger-checkpoints/checkpoints.jsonl``, appended atomically (the whole file is
written anew beside it and renamed over it under a lock), by the ``ledger.checkpoint`` periodic
job (every `CHECKPOINT_EVERY` seconds, when the head moved) and by ``baqylau ledger digest``.
Copy it elsewhere (or fetch the public URL) regularly: a checkpoint kept only on the server can
be deleted together with the database.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import datetime as dt
import fcntl
import functools
import json
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from django.conf import settings
from django.utils import timezone

from baqylau.bots.signing import load_or_create_key, public_key_from_text, public_key_text

#: How often the periodic job writes a checkpoint (when the ledger grew since the last one).
CHECKPOINT_EVERY = 300
FILE_NAME = "checkpoints.jsonl"
_FIELDS = ("at", "head_hash", "key", "seq")


def checkpoint_dir() -> Path:
    return Path(settings.DATA_DIR) / "ledger-checkpoints"


def checkpoint_file() -> Path:
    return checkpoint_dir() / FILE_NAME


@functools.cache
def _key(env_value: str | None, path: str) -> Ed25519PrivateKey:
    return load_or_create_key(env_value, Path(path))


def signing_key() -> Ed25519PrivateKey:
    return _key(
        os.environ.get("LEDGER_SIGNING_KEY") or None,
        str(Path(settings.DATA_DIR) / "ledger_signing_key"),
    )


def public_key() -> str:
    """The public key that signs the checkpoints (base64 of 32 bytes): what the site shows."""
    return public_key_text(signing_key().public_key())


def local_public_key() -> str | None:
    """The platform's public key when its key exists (never creates one: `verify` must not)."""
    if (
        os.environ.get("LEDGER_SIGNING_KEY")
        or (Path(settings.DATA_DIR) / "ledger_signing_key").exists()
    ):
        return public_key()
    return None


def _signed_text(checkpoint: dict[str, Any]) -> bytes:
    from baqylau.evidence.ledger import canonical_json

    return canonical_json({name: checkpoint[name] for name in _FIELDS}).encode("utf-8")


def make_checkpoint(seq: int, head_hash: str, at: dt.datetime) -> dict[str, Any]:
    """A signed checkpoint of the head (``seq``, ``head_hash``) at time ``at``."""
    key = signing_key()
    checkpoint: dict[str, Any] = {
        "seq": int(seq),
        "head_hash": head_hash,
        "at": at.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        "key": public_key_text(key.public_key()),
    }
    checkpoint["signature"] = base64.b64encode(key.sign(_signed_text(checkpoint))).decode()
    return checkpoint


def signature_valid(checkpoint: dict[str, Any]) -> bool:
    """The signature is the key's over the checkpoint's fields."""
    try:
        key: Ed25519PublicKey = public_key_from_text(checkpoint["key"])
        key.verify(
            base64.b64decode(checkpoint["signature"], validate=True), _signed_text(checkpoint)
        )
    except (InvalidSignature, KeyError, TypeError, ValueError, binascii.Error):
        return False
    return True


@contextlib.contextmanager
def _locked(directory: Path) -> Iterator[None]:
    directory.mkdir(parents=True, exist_ok=True)
    with open(directory / ".lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _last_line(path: Path) -> dict[str, Any] | None:
    """The file's last checkpoint, read from its end (the file grows all election long)."""
    if not path.exists():
        return None
    with open(path, "rb") as handle:
        size = handle.seek(0, os.SEEK_END)
        handle.seek(max(0, size - 8192))
        tail = handle.read()
    lines = [line for line in tail.splitlines() if line.strip()]
    if not lines:
        return None
    try:
        return json.loads(lines[-1])
    except ValueError:
        return None


def latest() -> dict[str, Any] | None:
    """The last checkpoint written (None before the first)."""
    return _last_line(checkpoint_file())


def append(checkpoint: dict[str, Any], path: Path | None = None) -> None:
    """Append one checkpoint line atomically: readers see the old file or the new, never half a
    line, and a crash leaves the old file whole."""
    path = path or checkpoint_file()
    line = json.dumps(checkpoint, ensure_ascii=False, sort_keys=True) + "\n"
    with _locked(path.parent):
        old = path.read_bytes() if path.exists() else b""
        if old and not old.endswith(b"\n"):
            old += b"\n"
        temp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        with open(temp, "wb") as handle:
            handle.write(old + line.encode("utf-8"))
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temp, 0o644)
        os.replace(temp, path)
        fd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def write_checkpoint(*, force: bool = False) -> dict[str, Any] | None:
    """Sign the ledger's current head and append it to the checkpoint file. Without ``force``,
    nothing is written when the head has not moved since the last checkpoint (None)."""
    from baqylau.evidence.models import LedgerEntry

    last = LedgerEntry.objects.order_by("-seq").values_list("seq", "entry_hash").first()
    if last is None:
        return None
    previous = _last_line(checkpoint_file())
    if (
        not force
        and previous
        and (previous.get("seq"), previous.get("head_hash")) == (last[0], last[1])
    ):
        return None
    checkpoint = make_checkpoint(last[0], last[1], timezone.now())
    append(checkpoint)
    return checkpoint


def read(path: Path) -> tuple[list[tuple[int, dict[str, Any]]], list[int]]:
    """(line number, checkpoint) of every readable line, and the numbers of unreadable ones."""
    found, bad = [], []
    for number, line in enumerate(path.read_text("utf-8", errors="replace").splitlines(), 1):
        if not line.strip():
            continue
        try:
            checkpoint = json.loads(line)
        except ValueError:
            bad.append(number)
            continue
        if not isinstance(checkpoint, dict) or not all(k in checkpoint for k in _FIELDS):
            bad.append(number)
            continue
        found.append((number, checkpoint))
    return found, bad


@dataclass
class CheckpointReport:
    checked: int = 0
    trusted_keys: list[str] = field(default_factory=list)
    problems: list[tuple[str, str, int | None]] = field(default_factory=list)  # code, text, seq


def verify_against(path: Path, trusted_keys: Iterable[str] | None = None) -> CheckpointReport:
    """Compare the ledger with the checkpoints in ``path``; name each one it contradicts.

    ``trusted_keys``: the public keys whose signatures count (default: the platform's own key,
    when it has one; with no key known, each line's own key is taken, which shows forgeries of
    the file's lines only, not a file replaced entirely).
    """
    from baqylau.evidence.models import LedgerEntry

    report = CheckpointReport()
    trusted = [k.strip() for k in trusted_keys or () if k.strip()]
    if not trusted and (local := local_public_key()):
        trusted = [local]
    report.trusted_keys = trusted
    checkpoints, bad = read(path)
    for number in bad:
        report.problems.append(
            ("checkpoint_unreadable", f"{path.name} line {number} is not a checkpoint", None)
        )
    seqs = sorted({cp["seq"] for _, cp in checkpoints if isinstance(cp.get("seq"), int)})
    hashes: dict[int, str] = {}
    for start in range(0, len(seqs), 500):
        hashes.update(
            LedgerEntry.objects.filter(seq__in=seqs[start : start + 500]).values_list(
                "seq", "entry_hash"
            )
        )
    last_seq = LedgerEntry.objects.order_by("-seq").values_list("seq", flat=True).first() or 0
    for number, cp in checkpoints:
        report.checked += 1
        seq, at = cp.get("seq"), cp.get("at")
        where = f"the checkpoint of {at} ({path.name} line {number}) for entry #{seq}"
        if trusted and cp.get("key") not in trusted:
            report.problems.append(
                ("checkpoint_untrusted", f"{where} is signed by an unknown key", seq)
            )
            continue
        if not signature_valid(cp):
            report.problems.append(("checkpoint_forged", f"{where}: the signature is wrong", seq))
            continue
        if not isinstance(seq, int) or seq < 1:
            report.problems.append(("checkpoint_unreadable", f"{where}: no sequence number", None))
        elif seq > last_seq:
            report.problems.append(
                (
                    "checkpoint_ahead",
                    f"{where}: the ledger ends at #{last_seq}: entries signed then are gone "
                    "(deleted, or the chain was rewritten)",
                    seq,
                )
            )
        elif hashes.get(seq) != cp.get("head_hash"):
            report.problems.append(
                (
                    "checkpoint_mismatch",
                    f"{where}: entry #{seq} has another hash now "
                    f"({(hashes.get(seq) or 'missing')[:16]}…, signed {str(cp.get('head_hash'))[:16]}…): "
                    "the chain was rewritten up to it",
                    seq,
                )
            )
    return report
