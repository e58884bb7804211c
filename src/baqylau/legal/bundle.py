"""Evidence bundles for a court: build and verify. Pure: no Django.

A bundle is a ZIP a third party can check with no access to the platform::

    MANIFEST.json        what the bundle is: case, files (path, SHA-256, size, ledger entry),
                         the ledger head when it was built
    MANIFEST.txt         the same for people, with the verification steps
    SHA256SUMS           `sha256sum -c SHA256SUMS` checks every other file
    verify_bundle.py     the standalone verifier (standard library only)
    ledger/entries.json  the ledger entries of the files and documents (re-hashable)
    files/…              the original evidence files, byte for byte
    documents/…          the generated documents (PDF, DOCX)

`build_bundle` is deterministic: the same inputs give the same bytes (fixed timestamps, sorted
entries), so a bundle rebuilt later hashes the same. `verify_bundle` is re-exported from
`verify_bundle.py`.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from baqylau.legal.verify_bundle import (
    LEDGER,
    MANIFEST,
    SUMS,
    Result,
    canonical_json,
    verify,
    verify_zip,
)

__all__ = ["BundleFile", "build_bundle", "verify", "verify_zip", "Result", "canonical_json"]

VERIFIER = Path(__file__).with_name("verify_bundle.py")
FIXED_TIME = (2000, 1, 1, 0, 0, 0)
_CHUNK = 1 << 20

INSTRUCTIONS = """\
How to verify this bundle (no access to the platform is needed)

1. With Python 3 (standard library only):
       python3 verify_bundle.py bundle.zip
   or, with Baqylau installed:
       python -m baqylau.legal.verify_bundle bundle.zip
   It prints OK, or FAILED with the name of every file or ledger entry that does not match.

2. With GNU coreutils:
       mkdir bundle && cd bundle && unzip ../bundle.zip && sha256sum -c SHA256SUMS
   Every line must end in ": OK".

3. Each evidence file's SHA-256 is also given in its ledger entry (ledger/entries.json), recorded
   when the platform received it. The entry hash is
       sha256(canonical_json([prev_hash, seq, kind, ref, content_hash, created_at]))
   with content_hash = sha256(canonical_json(content)); canonical_json = JSON, sorted keys, no
   spaces, UTF-8. The ledger head below can be compared with the platform's published digests.
"""


@dataclass
class BundleFile:
    """One file to put in the bundle: from `path` (streamed) or from `data`."""

    arcname: str
    sha256: str
    size: int
    path: Path | None = None
    data: bytes | None = None
    role: str = "evidence"  # evidence | document
    ledger_seq: int | None = None
    ledger_entry_hash: str = ""
    ledger_field: str = "sha256"  # the key of the entry's content that holds this file's hash
    meta: dict = field(default_factory=dict)


def safe_name(name: str, limit: int = 80) -> str:
    """A file name safe in any ZIP tool: letters, digits, dot, dash, underscore."""
    cleaned = re.sub(r"[^\w.\-]+", "_", name, flags=re.UNICODE).strip("._") or "file"
    return cleaned[:limit]


def file_from_bytes(arcname: str, data: bytes, **kwargs) -> BundleFile:
    return BundleFile(
        arcname=arcname,
        sha256=hashlib.sha256(data).hexdigest(),
        size=len(data),
        data=data,
        **kwargs,
    )


def _info(name: str) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=FIXED_TIME)
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = 0o644 << 16
    return info


def _write(archive: zipfile.ZipFile, name: str, data: bytes) -> str:
    archive.writestr(_info(name), data)
    return hashlib.sha256(data).hexdigest()


def manifest_text(manifest: dict) -> str:
    lines = [f"Evidence bundle: {manifest.get('title', '')}", ""]
    for key, value in manifest.get("about", {}).items():
        lines.append(f"{key}: {value}")
    lines += ["", "Files:"]
    for item in manifest["files"]:
        ledger = (
            f"ledger #{item['ledger_seq']} {item['ledger_entry_hash']}"
            if item.get("ledger_seq") is not None
            else "not in the ledger"
        )
        lines.append(f"  {item['path']}")
        lines.append(f"      SHA-256 {item['sha256']}  {item['size']} bytes  {ledger}")
        for key, value in item.get("meta", {}).items():
            lines.append(f"      {key}: {value}")
    head = manifest.get("ledger_head") or {}
    lines += [
        "",
        f"Ledger head when built: #{head.get('seq')} {head.get('entry_hash')}",
        "",
        INSTRUCTIONS,
    ]
    return "\n".join(lines)


def build_bundle(
    files: Iterable[BundleFile],
    *,
    title: str,
    about: dict[str, str] | None = None,
    ledger_entries: Iterable[dict] = (),
    ledger_head: dict | None = None,
) -> bytes:
    """The bundle's ZIP bytes. `ledger_entries`: dicts with seq, kind, ref, content,
    content_hash, prev_hash, entry_hash and created_at (the ledger's UTC string form)."""
    files = sorted(files, key=lambda f: f.arcname)
    seen: set[str] = set()
    for item in files:
        if item.arcname in seen or item.arcname in (SUMS, MANIFEST, LEDGER):
            raise ValueError(f"duplicate or reserved name in the bundle: {item.arcname}")
        seen.add(item.arcname)
    manifest = {
        "format": "baqylau-evidence-bundle/1",
        "title": title,
        "about": dict(about or {}),
        "ledger_head": ledger_head or {},
        "files": [
            {
                "path": f.arcname,
                "role": f.role,
                "sha256": f.sha256,
                "size": f.size,
                "ledger_seq": f.ledger_seq,
                "ledger_entry_hash": f.ledger_entry_hash,
                "ledger_field": f.ledger_field,
                "meta": f.meta,
            }
            for f in files
        ],
    }
    entries = sorted(ledger_entries, key=lambda e: e["seq"])
    sums: dict[str, str] = {}
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for item in files:
            if item.data is not None:
                actual = _write(archive, item.arcname, item.data)
            else:
                digest = hashlib.sha256()
                with item.path.open("rb") as src, archive.open(_info(item.arcname), "w") as dst:
                    while chunk := src.read(_CHUNK):
                        digest.update(chunk)
                        dst.write(chunk)
                actual = digest.hexdigest()
            if actual != item.sha256:
                raise ValueError(f"{item.arcname}: bytes do not match the recorded SHA-256")
            sums[item.arcname] = actual
        text = json.dumps(manifest, ensure_ascii=False, indent=2, sort_keys=True) + "\n"
        sums[MANIFEST] = _write(archive, MANIFEST, text.encode("utf-8"))
        sums["MANIFEST.txt"] = _write(archive, "MANIFEST.txt", manifest_text(manifest).encode())
        ledger = json.dumps(entries, ensure_ascii=False, indent=1, sort_keys=True) + "\n"
        sums[LEDGER] = _write(archive, LEDGER, ledger.encode("utf-8"))
        sums["verify_bundle.py"] = _write(archive, "verify_bundle.py", VERIFIER.read_bytes())
        body = "".join(f"{digest}  {name}\n" for name, digest in sorted(sums.items()))
        archive.writestr(_info(SUMS), body.encode("utf-8"))
    return buffer.getvalue()
