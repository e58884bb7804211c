"""Streaming table readers: CSV, CSV inside a .zip, XLSX (openpyxl read-only).

Each reader yields ``(line_number, cells)`` one row at a time and never holds the file in memory.
Bytes that are not valid in the declared encoding do not stop the reader: the physical line is
reported through ``on_decode_error(line, message)`` and decoded with replacement characters, so
the first pass can list every bad line.
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
    """The file cannot be opened as a table at all (bad zip, no sheet, empty file)."""


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


def _csv_rows(lines: Iterable[str], delimiter: str) -> Iterator[tuple[int, list[str]]]:
    reader = csv.reader(lines, delimiter=delimiter)
    start = 1
    for row in reader:
        if row:  # blank lines are not rows
            yield start, row
        start = reader.line_num + 1


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
) -> Iterator[Iterator[tuple[int, list[str]]]]:
    """Open ``path`` and yield an iterator of ``(line_number, cells)``; the first row is the header.

    XLSX cells are returned as they are typed (int, float, str, None); CSV cells are strings.
    """
    fmt = detect_format(path, fmt)
    if fmt == "csv":
        with path.open("rb") as binary:
            yield _csv_rows(_decoded_lines(binary, encoding, on_decode_error), delimiter)
    elif fmt == "zip":
        try:
            archive = zipfile.ZipFile(path)
        except zipfile.BadZipFile as exc:
            raise ReaderError(f"{path.name}: not a zip archive") from exc
        with archive:
            names = [n for n in archive.namelist() if not n.endswith("/")]
            if member is None:
                csvs = [n for n in names if n.lower().endswith((".csv", ".txt"))]
                if len(csvs) != 1:
                    raise ReaderError(
                        f"{path.name}: expected exactly one .csv member, found {len(csvs)}; "
                        "name it with file.member"
                    )
                member = csvs[0]
            elif member not in names:
                raise ReaderError(f"{path.name}: no member {member!r}")
            with archive.open(member) as binary:
                yield _csv_rows(_decoded_lines(binary, encoding, on_decode_error), delimiter)
    elif fmt == "xlsx":
        import openpyxl

        try:
            book = openpyxl.load_workbook(path, read_only=True, data_only=True)
        except Exception as exc:  # openpyxl raises several unrelated types for a bad file
            raise ReaderError(f"{path.name}: not a readable XLSX workbook ({exc})") from exc
        try:
            if sheet is not None and sheet not in book.sheetnames:
                raise ReaderError(f"{path.name}: no sheet {sheet!r}")
            ws = book[sheet] if sheet is not None else book.worksheets[0]

            def rows() -> Iterator[tuple[int, list]]:
                for number, values in enumerate(ws.iter_rows(values_only=True), start=1):
                    if values and any(v is not None and v != "" for v in values):
                        yield number, list(values)

            yield rows()
        finally:
            book.close()
    else:
        raise ReaderError(f"unknown format {fmt!r}")
