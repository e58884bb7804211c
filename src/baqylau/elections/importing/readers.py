"""Streaming table readers: CSV, CSV inside a .zip, XLSX (openpyxl read-only).

Each reader yields ``(line_number, cells)`` one row at a time and never holds the file in memory.
Bytes that are not valid in the declared encoding do not stop the reader: the physical line is
reported through ``on_decode_error(line, message)`` and decoded with replacement characters, so
the first pass can list every bad line.

A file that is not a table at all (a photo, a PDF, a damaged workbook, a zip whose member is not
text) raises `ReaderError` with one sentence naming the file and what it is instead: binary data
is told from text by its first `SNIFF_BYTES` (NUL or control bytes), and named by its magic bytes.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import zipfile
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

DecodeErrorHook = Callable[[int, str], None]


class ReaderError(ValueError):
    """The file cannot be opened as a table at all (bad zip, no sheet, binary data)."""


#: How much of a file is looked at to tell text from binary data.
SNIFF_BYTES = 8192
#: Control bytes other than tab, newlines, form feed (and ESC) never occur in a text table.
_CONTROL = bytes(b for b in range(32) if b not in (9, 10, 11, 12, 13, 27))
_NAMES = {
    "application/zip": "a zip archive",
    "application/pdf": "a PDF document",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "an XLSX workbook",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "a DOCX document",
    "application/vnd.ms-excel": "an old Excel (XLS) workbook",
    "application/x-ole-storage": "an old Office (XLS/DOC) file",
}


def describe(head: bytes) -> str:
    """What a file's first bytes are, in words: "text", "a JPEG image", "a zip archive", "an
    XLSX workbook", "binary data"."""
    import filetype

    if not is_binary(head):
        return "text"
    kind = filetype.guess(head)
    if kind is None:
        return "binary data"
    if kind.mime in _NAMES:
        return _NAMES[kind.mime]
    if kind.mime.startswith("image/"):
        return f"a {kind.mime.split('/')[1].upper()} image"
    return f"a .{kind.extension} file ({kind.mime})"


def is_binary(head: bytes, encoding: str = "utf-8") -> bool:
    """True when the first bytes cannot be the start of a text table in `encoding`: a NUL byte,
    or more than 5% control bytes (only for ASCII-compatible encodings: UTF-16 text has NULs)."""
    try:
        ascii_compatible = "a,\n".encode(encoding) == b"a,\n"
    except LookupError:  # an unknown encoding is the mapping's problem, reported elsewhere
        ascii_compatible = True
    if not head or not ascii_compatible:
        return False
    if b"\x00" in head:
        return True
    return sum(head.count(c) for c in _CONTROL) > len(head) // 20


def refuse_binary(name: str, head: bytes, encoding: str = "utf-8", what: str = "file") -> None:
    """Raise `ReaderError` when `head` (a file's first bytes) is not text."""
    if is_binary(head, encoding):
        raise ReaderError(
            f"{name}: the {what} is not a text (CSV) table: it is {describe(head)}. "
            "Export the table as CSV (UTF-8)."
        )


def _head(binary: IO[bytes]) -> bytes:
    head = binary.read(SNIFF_BYTES)
    binary.seek(0)
    return head


def detect_format(path: Path, declared: str | None) -> str:
    if declared:
        return declared
    name = path.name.lower()
    if name.endswith(".zip"):
        return "zip"
    if name.endswith((".xlsx", ".xlsm")):
        return "xlsx"
    return "csv"


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _decoded_lines(
    binary: IO[bytes], encoding: str, on_error: DecodeErrorHook | None
) -> Iterator[str]:
    """Decode line by line (safe for ASCII-compatible encodings), reporting undecodable lines."""
    is_utf8 = codecs.lookup(encoding).name == "utf-8"
    for number, raw in enumerate(binary, start=1):
        try:
            text = raw.decode(encoding)
        except UnicodeDecodeError as exc:
            if on_error is not None:
                bad = raw[exc.start : exc.start + 1].hex()
                on_error(number, f"not valid {encoding}: byte 0x{bad} at position {exc.start + 1}")
            text = raw.decode(encoding, errors="replace")
        if number == 1 and is_utf8 and text.startswith("\ufeff"):
            text = text[1:]
        yield text


def _csv_rows(lines: Iterable[str], delimiter: str, name: str) -> Iterator[tuple[int, list[str]]]:
    reader = csv.reader(lines, delimiter=delimiter)
    start = 1
    try:
        for row in reader:
            if row:  # blank lines are not rows
                yield start, row
            start = reader.line_num + 1
    except csv.Error as exc:  # e.g. a NUL byte, or a field above the csv module's limit
        raise ReaderError(f"{name}: line {reader.line_num}: not readable as CSV ({exc})") from exc


@contextmanager
def open_table(
    path: Path,
    *,
    fmt: str | None = None,
    encoding: str = "utf-8",
    delimiter: str = ",",
    member: str | None = None,
    sheet: str | None = None,
    on_decode_error: DecodeErrorHook | None = None,
    name: str | None = None,
) -> Iterator[Iterator[tuple[int, list[str]]]]:
    """Open ``path`` and yield an iterator of ``(line_number, cells)``; the first row is the header.

    XLSX cells are returned as they are typed (int, float, str, None); CSV cells are strings.
    ``name`` is how messages call the file (default: its name on disk).
    """
    fmt = detect_format(path, fmt)
    name = name or path.name
    if fmt == "csv":
        with path.open("rb") as binary:
            refuse_binary(name, _head(binary), encoding)
            yield _csv_rows(_decoded_lines(binary, encoding, on_decode_error), delimiter, name)
    elif fmt == "zip":
        try:
            archive = zipfile.ZipFile(path)
        except zipfile.BadZipFile as exc:
            with path.open("rb") as binary:
                found = describe(binary.read(SNIFF_BYTES))
            raise ReaderError(f"{name}: not a zip archive: it is {found}") from exc
        with archive:
            names = [n for n in archive.namelist() if not n.endswith("/")]
            if member is None:
                csvs = [n for n in names if n.lower().endswith((".csv", ".txt"))]
                if len(csvs) != 1:
                    raise ReaderError(
                        f"{name}: expected exactly one .csv member, found {len(csvs)}; "
                        "name it with file.member"
                    )
                member = csvs[0]
            elif member not in names:
                raise ReaderError(f"{name}: no member {member!r}")
            try:
                binary = archive.open(member)
            except (zipfile.BadZipFile, NotImplementedError, RuntimeError) as exc:
                raise ReaderError(f"{name}: cannot read its member {member!r} ({exc})") from exc
            with binary:
                refuse_binary(name, _head(binary), encoding, what=f"member {member!r}")
                lines = _decoded_lines(binary, encoding, on_decode_error)
                yield _csv_rows(lines, delimiter, f"{name}: {member}")
    elif fmt == "xlsx":
        with workbook_rows(path, name, sheet) as rows:
            yield rows
    else:
        raise ReaderError(f"unknown format {fmt!r}")


@contextmanager
def workbook_rows(
    source: Path | IO[bytes], name: str, sheet: str | None = None, *, skip_blank: bool = True
) -> Iterator[Iterator[tuple[int, list]]]:
    """The rows of an XLSX sheet (the first unless named) as ``(row_number, values)``; a file that
    is not a workbook, or a damaged one, raises `ReaderError` saying so."""
    import openpyxl

    try:
        book = openpyxl.load_workbook(source, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises several unrelated types for a bad file
        raise ReaderError(f"{name}: not a readable XLSX workbook: {_what(source, exc)}") from exc
    try:
        if sheet is not None and sheet not in book.sheetnames:
            raise ReaderError(f"{name}: no sheet {sheet!r}")
        ws = book[sheet] if sheet is not None else book.worksheets[0]

        def rows() -> Iterator[tuple[int, list]]:
            number = 0
            try:
                for number, values in enumerate(ws.iter_rows(values_only=True), start=1):
                    if not skip_blank or (
                        values and any(v is not None and v != "" for v in values)
                    ):
                        yield number, list(values)
            except Exception as exc:  # a damaged sheet fails while it is read
                raise ReaderError(
                    f"{name}: the workbook is damaged: row {number + 1} of sheet "
                    f"{ws.title!r} cannot be read ({type(exc).__name__}: {exc})"
                ) from exc

        yield rows()
    finally:
        book.close()


def _what(source: Path | IO[bytes], exc: Exception) -> str:
    """Why a workbook would not open: what the file is when that is known, else the error."""
    if isinstance(source, Path):
        with source.open("rb") as binary:
            head = binary.read(SNIFF_BYTES)
    else:
        head = source.getvalue()[:SNIFF_BYTES] if hasattr(source, "getvalue") else b""
    found = describe(head)
    if found in ("an XLSX workbook", "a zip archive"):
        return f"the file is damaged ({type(exc).__name__}: {exc})"
    if found == "text":
        return "it is text (a CSV file?)"
    return f"it is {found}"
