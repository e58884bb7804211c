"""Verify an evidence bundle without the platform. Standard library only.

    python -m baqylau.legal.verify_bundle bundle.zip      # with Baqylau installed
    python verify_bundle.py bundle.zip                    # the copy shipped inside every bundle

Checks, naming every file or entry that fails:

1. every file of the ZIP is listed in SHA256SUMS with the SHA-256 of its bytes, and every listed
   file is present (the same check as ``sha256sum -c SHA256SUMS`` in the unpacked bundle);
2. every file in MANIFEST.json has the size and SHA-256 the manifest gives;
3. every ledger entry in ``ledger/entries.json`` is internally consistent:
   ``content_hash = sha256(canonical_json(content))`` and
   ``entry_hash = sha256(canonical_json([prev_hash, seq, kind, ref, content_hash, created_at]))``,
   where canonical_json is RFC 8785 (JCS); for the ledger's content (strings, integers within
   ±2**53, booleans, null: see `evidence.ledger`) that is JSON with sorted keys, no spaces, UTF-8;
4. each evidence file's SHA-256 is the one its ledger entry recorded at the time of receipt.

The entry hashes can then be compared with the platform's published ledger digests (the chain's
head) by anyone holding them. Exit status 0 when everything matches, 1 otherwise, 2 on bad input.

Equivalent shell steps (GNU coreutils)::

    mkdir bundle && cd bundle && unzip ../bundle.zip && sha256sum -c SHA256SUMS
"""

from __future__ import annotations

import hashlib
import json
import sys
import zipfile
import zlib
from dataclasses import dataclass, field

SUMS = "SHA256SUMS"
MANIFEST = "MANIFEST.json"
LEDGER = "ledger/entries.json"
_CHUNK = 1 << 20


def canonical_json(value) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def entry_hash(entry: dict) -> str:
    return sha256_text(
        canonical_json(
            [
                entry["prev_hash"],
                entry["seq"],
                entry["kind"],
                entry["ref"],
                entry["content_hash"],
                entry["created_at"],
            ]
        )
    )


def parse_sums(text: str) -> dict[str, str]:
    """`<64 hex>  <path>` lines (text mode, as sha256sum writes them) → {path: hash}."""
    sums: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        digest, sep, name = line.partition("  ")
        if not sep or len(digest) != 64:
            raise ValueError(f"{SUMS} line {number} is malformed")
        sums[name.lstrip("*")] = digest.lower()
    return sums


@dataclass
class Result:
    problems: list[str] = field(default_factory=list)
    checked_files: int = 0
    checked_entries: int = 0

    @property
    def ok(self) -> bool:
        return not self.problems


def _safe(name: str) -> bool:
    return not (name.startswith(("/", "\\")) or ".." in name.replace("\\", "/").split("/"))


def _hash_member(archive: zipfile.ZipFile, name: str) -> tuple[str, int]:
    digest, size = hashlib.sha256(), 0
    with archive.open(name) as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


def verify_zip(archive: zipfile.ZipFile) -> Result:
    result = Result()
    names = [info.filename for info in archive.infolist() if not info.is_dir()]
    for name in names:
        if not _safe(name):
            result.problems.append(f"{name}: unsafe path in the archive")
    if SUMS not in names:
        result.problems.append(f"{SUMS} is missing")
        return result
    try:
        sums = parse_sums(archive.read(SUMS).decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        result.problems.append(str(exc))
        return result

    actual: dict[str, tuple[str, int]] = {}
    for name in names:
        if name == SUMS:
            continue
        try:
            actual[name] = _hash_member(archive, name)
        except (zipfile.BadZipFile, OSError, zlib.error) as exc:  # CRC or deflate error
            result.problems.append(f"{name}: cannot be read ({exc})")
            continue
        result.checked_files += 1
        if name not in sums:
            result.problems.append(f"{name}: not listed in {SUMS}")
        elif sums[name] != actual[name][0]:
            result.problems.append(f"{name}: SHA-256 differs from {SUMS} (file altered)")
    for name in sums:
        if name not in names:
            result.problems.append(f"{name}: listed in {SUMS} but missing")

    try:
        manifest = json.loads(archive.read(MANIFEST).decode("utf-8"))
    except KeyError:
        result.problems.append(f"{MANIFEST} is missing")
        return result
    except (UnicodeDecodeError, ValueError) as exc:
        result.problems.append(f"{MANIFEST} is not valid JSON ({exc})")
        return result
    for item in manifest.get("files", []):
        path = item.get("path", "")
        if path not in actual:
            result.problems.append(f"{path}: in {MANIFEST} but missing")
            continue
        sha, size = actual[path]
        if sha != item.get("sha256"):
            result.problems.append(f"{path}: SHA-256 differs from {MANIFEST} (file altered)")
        if size != item.get("size"):
            result.problems.append(
                f"{path}: size {size} differs from {MANIFEST} ({item.get('size')})"
            )

    try:
        entries = json.loads(archive.read(LEDGER).decode("utf-8"))
    except KeyError:
        entries = []
    except (UnicodeDecodeError, ValueError) as exc:
        result.problems.append(f"{LEDGER} is not valid JSON ({exc})")
        entries = []
    by_seq = {}
    for entry in entries:
        result.checked_entries += 1
        seq = entry.get("seq")
        by_seq[seq] = entry
        try:
            if sha256_text(canonical_json(entry["content"])) != entry["content_hash"]:
                result.problems.append(f"ledger entry #{seq}: content does not match its hash")
            if entry_hash(entry) != entry["entry_hash"]:
                result.problems.append(f"ledger entry #{seq}: entry hash does not match")
        except KeyError as exc:
            result.problems.append(f"ledger entry #{seq}: field {exc} missing")
    for item in manifest.get("files", []):
        seq = item.get("ledger_seq")
        if seq is None:
            continue
        entry = by_seq.get(seq)
        if entry is None:
            result.problems.append(f"{item.get('path')}: ledger entry #{seq} missing")
        elif (
            entry.get("content", {}).get(item.get("ledger_field") or "sha256")
            != actual.get(item.get("path"), (item.get("sha256"),))[0]
        ):
            result.problems.append(
                f"{item.get('path')}: SHA-256 differs from the one recorded in ledger entry #{seq}"
            )
    return result


def verify(path: str) -> Result:
    with zipfile.ZipFile(path) as archive:
        return verify_zip(archive)


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1 or args[0] in ("-h", "--help"):
        print(__doc__.strip())
        return 2
    try:
        result = verify(args[0])
    except (OSError, zipfile.BadZipFile) as exc:
        print(f"FAILED: cannot read {args[0]}: {exc}")
        return 2
    for problem in result.problems:
        print(f"FAILED: {problem}")
    if result.ok:
        print(
            f"OK: {result.checked_files} files and {result.checked_entries} ledger entries verified"
        )
        return 0
    print(f"FAILED: {len(result.problems)} problem(s)")
    return 1


if __name__ == "__main__":
    sys.exit(main())
