"""The evidence bundle verifies with the documented commands; one altered byte fails, named."""

import io
import json
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from baqylau.legal import bundle as bundles
from baqylau.legal import services
from baqylau.legal.verify_bundle import verify

SRC = Path(__file__).resolve().parents[2] / "src"


def run_verifier(path: Path, *, standalone: Path | None = None) -> subprocess.CompletedProcess:
    command = (
        [sys.executable, str(standalone), str(path)]
        if standalone
        else [sys.executable, "-m", "baqylau.legal.verify_bundle", str(path)]
    )
    return subprocess.run(command, capture_output=True, text=True, cwd=path.parent)


def rezip_with_change(source: Path, target: Path, name: str, position: int = 100) -> None:
    """Unpack, flip one byte of one file, pack again (a tamperer recomputes the ZIP's CRCs)."""
    with zipfile.ZipFile(source) as src, zipfile.ZipFile(target, "w") as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename == name:
                data = data[:position] + bytes([data[position] ^ 0x01]) + data[position + 1 :]
            dst.writestr(info, data)


@pytest.fixture
def case_bundle(world, incidents, lawyer, tmp_path):
    for incident in incidents:
        services.generate_act(user=lawyer, incident=incident, lang="ru")
    case = services.create_case(
        user=lawyer, kind="complaint_court", language="ru", incidents=incidents
    )
    services.generate_case_document(user=lawyer, case=case)
    record = services.build_case_bundle(user=lawyer, case=case)
    path = tmp_path / "bundle.zip"
    shutil.copy(services.resolve(record.path), path)
    return record, path


def test_bundle_contents_and_ledger(case_bundle, incidents):
    record, path = case_bundle
    with zipfile.ZipFile(path) as archive:
        names = set(archive.namelist())
        manifest = json.loads(archive.read("MANIFEST.json"))
        entries = json.loads(archive.read("ledger/entries.json"))
        text = archive.read("MANIFEST.txt").decode()
    assert {"SHA256SUMS", "MANIFEST.json", "MANIFEST.txt", "verify_bundle.py"} <= names
    evidence = [f for f in manifest["files"] if f["role"] == "evidence"]
    assert len(evidence) == 3 and {f["meta"]["station"] for f in evidence} == {"237", "238"}
    assert all(f["ledger_seq"] for f in manifest["files"])
    by_seq = {e["seq"]: e for e in entries}
    for item in evidence:
        assert by_seq[item["ledger_seq"]]["content"]["sha256"] == item["sha256"]
    assert "sha256sum -c SHA256SUMS" in text
    assert record.ledger_seq and record.files == len(manifest["files"])


def test_bundle_verifies_with_the_module_and_the_shipped_copy(case_bundle, tmp_path):
    _record, path = case_bundle
    result = run_verifier(path)
    assert result.returncode == 0, result.stdout
    assert result.stdout.startswith("OK")
    # the copy inside the ZIP runs with Python alone, without Baqylau
    with zipfile.ZipFile(path) as archive:
        standalone = tmp_path / "verify_bundle.py"
        standalone.write_bytes(archive.read("verify_bundle.py"))
    assert run_verifier(path, standalone=standalone).returncode == 0


@pytest.mark.skipif(shutil.which("sha256sum") is None, reason="coreutils sha256sum not installed")
def test_bundle_verifies_with_sha256sum(case_bundle, tmp_path):
    _record, path = case_bundle
    unpacked = tmp_path / "unpacked"
    with zipfile.ZipFile(path) as archive:
        archive.extractall(unpacked)
    ok = subprocess.run(
        ["sha256sum", "-c", "SHA256SUMS"], cwd=unpacked, capture_output=True, text=True
    )
    assert ok.returncode == 0, ok.stdout + ok.stderr
    evidence = next((unpacked / "files").rglob("*.jpg"))
    data = bytearray(evidence.read_bytes())
    data[50] ^= 0x01
    evidence.write_bytes(bytes(data))
    bad = subprocess.run(
        ["sha256sum", "-c", "SHA256SUMS"], cwd=unpacked, capture_output=True, text=True
    )
    assert bad.returncode != 0
    assert f"{evidence.relative_to(unpacked)}: FAILED" in bad.stdout


def test_one_altered_byte_fails_naming_the_file(case_bundle, tmp_path):
    _record, path = case_bundle
    with zipfile.ZipFile(path) as archive:
        victim = next(n for n in archive.namelist() if n.startswith("files/238/"))
    tampered = tmp_path / "tampered.zip"
    rezip_with_change(path, tampered, victim)
    result = run_verifier(tampered)
    assert result.returncode == 1
    assert f"FAILED: {victim}: SHA-256 differs from SHA256SUMS" in result.stdout
    assert "differs from the one recorded in ledger entry" in result.stdout
    others = [line for line in result.stdout.splitlines() if "FAILED: files/" in line]
    assert all(victim in line for line in others)


def test_a_byte_flipped_inside_the_zip_is_caught(case_bundle, tmp_path):
    _record, path = case_bundle
    raw = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as archive:
        info = next(i for i in archive.infolist() if i.filename.startswith("files/237/"))
    offset = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra) + 10
    raw[offset] ^= 0xFF
    flipped = tmp_path / "flipped.zip"
    flipped.write_bytes(bytes(raw))
    result = verify(str(flipped))
    assert not result.ok
    assert any(info.filename in p for p in result.problems)


def test_tampered_ledger_entry_and_extra_file_are_reported(case_bundle, tmp_path):
    _record, path = case_bundle
    target = tmp_path / "ledger.zip"
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(target, "w") as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename == "ledger/entries.json":
                entries = json.loads(data)
                entries[0]["content"]["size"] = 1
                data = json.dumps(entries).encode()
            dst.writestr(info, data)
        dst.writestr("files/extra.txt", b"planted")
    problems = verify(str(target)).problems
    assert any("ledger entry #" in p and "content does not match" in p for p in problems)
    assert "files/extra.txt: not listed in SHA256SUMS" in problems


def test_build_is_deterministic_and_rejects_wrong_hashes():
    files = [bundles.file_from_bytes("files/a.txt", b"abc"), bundles.file_from_bytes("b.txt", b"x")]
    one = bundles.build_bundle(files, title="t")
    two = bundles.build_bundle(list(reversed(files)), title="t")
    assert one == two
    result = bundles.verify_zip(zipfile.ZipFile(io.BytesIO(one)))
    assert result.ok, result.problems
    wrong = bundles.BundleFile(arcname="c.txt", sha256="0" * 64, size=1, data=b"c")
    with pytest.raises(ValueError, match="c.txt"):
        bundles.build_bundle([wrong], title="t")
