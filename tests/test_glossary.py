"""Texts follow the glossary (docs/glossary.md, the repository's copy of ../shared/GLOSSARY.md).

Every term its "Do not use" table names fails the test wherever a user could read it: templates, the
kk/ru .po catalogues, bot and intake texts, legal document templates and form definitions (YAML),
Python messages and the docs. A term the table limits to one sense ("қабылданды (for *received*)")
is checked in the catalogues, where the English msgid says which sense is meant.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
GLOSSARY = ROOT / "docs" / "glossary.md"
SRC = ROOT / "src" / "baqylau"
CYRILLIC = re.compile(r"[А-Яа-яЁёӘәҒғҚқҢңӨөҰұҮүҺһІі]")
# An English abbreviation of a law citation inside kk/ru text ("art. 41 p.3").
ENGLISH_CITATION = re.compile(r"(?<![A-Za-z])(art|p)\.\s?\d", re.IGNORECASE)
# The sense a "(for …)" qualifier names, as it shows in the English msgid.
SENSES = {
    "received": r"receiv",
    "ballot stuffing": r"stuff",
    "the commission's figure": r"commission",
    "admitted": r"admit",
    "a checks policy": r"polic",
}


def _do_not_use() -> list[tuple[str, re.Pattern, str | None]]:
    """(term, pattern, sense regex or None) from the glossary's "Do not use" table."""
    text = GLOSSARY.read_text(encoding="utf-8")
    section = text.split("## 5. Do not use", 1)[1].split("\n## ", 1)[0]
    terms = []
    for line in section.splitlines():
        if not line.startswith("| ") or line.startswith("| do not write") or "---" in line:
            continue
        cell = line.split("|")[1].strip()
        if not CYRILLIC.search(cell):
            continue  # the English citation row is checked by ENGLISH_CITATION
        sense = None
        if found := re.search(r"\(for \*?([^)*]+)\*?\)", cell):
            sense = SENSES[found.group(1).strip()]
        cell = re.sub(r"\([^)]*\)", "", cell)
        for term in re.split(r"[;/]", cell):
            if term := term.strip():
                terms.append((term, _pattern(term), sense))
    return terms


def _pattern(term: str) -> re.Pattern:
    """A term and its inflected forms: one word as a prefix, several words by their stems."""
    if "«" in term:
        return re.compile(re.escape(term[: term.index("»") + 1]), re.IGNORECASE)
    words = term.split()
    if len(words) == 1:
        return re.compile(r"(?<!\w)" + re.escape(term), re.IGNORECASE)
    stems = [re.escape(w[:-3] if len(w) > 5 else w) + r"\w*" for w in words]
    return re.compile(r"(?<!\w)" + r"\s+".join(stems), re.IGNORECASE)


def _po_entries(path: Path) -> list[tuple[str, str]]:
    """(msgid, msgstr) pairs of a .po file (plural forms joined)."""
    entries, msgid, msgstr, current = [], [], [], None
    for line in path.read_text(encoding="utf-8").splitlines() + [""]:
        if line.startswith("msgid ") or line.startswith("msgid_plural "):
            if msgstr:
                entries.append(("".join(msgid), "".join(msgstr)))
                msgid, msgstr = [], []
            current = msgid
            current.append(line.split(" ", 1)[1].strip('"'))
        elif line.startswith("msgstr"):
            current = msgstr
            current.append(line.split(" ", 1)[1].strip('"'))
        elif line.startswith('"') and current is not None:
            current.append(line.strip('"'))
        elif not line.strip() and msgstr:
            entries.append(("".join(msgid), "".join(msgstr)))
            msgid, msgstr, current = [], [], None
    return [(i, s) for i, s in entries if i]


def _text_files() -> list[Path]:
    files = [
        p
        for ext in ("html", "yaml", "yml", "py", "js", "txt")
        for p in SRC.rglob(f"*.{ext}")
        if "migrations" not in p.parts
    ]
    files += [p for p in (ROOT / "docs").glob("*.md") if p != GLOSSARY]
    return files + [ROOT / "README.md"]


def test_glossary_is_the_shared_one():
    shared = ROOT.parent / "shared" / "GLOSSARY.md"
    if not shared.exists():
        pytest.skip("../shared/GLOSSARY.md is not here")
    assert GLOSSARY.read_text(encoding="utf-8") == shared.read_text(encoding="utf-8")


def test_do_not_use_list_is_read():
    terms = {t for t, _p, _s in _do_not_use()}
    assert {"бақылаушы", "үміткер", "қабылданды", "тіркелген сайлаушылар"} <= terms
    assert _pattern("тіркелген сайлаушылар").search("1 000 тіркелген сайлаушыға")
    assert not _pattern("бақылаушы").search("бақылау сомасы")


def test_catalogues_follow_the_glossary():
    bad = []
    catalogues = sorted(SRC.glob("*/locale/*/LC_MESSAGES/django.po"))
    assert catalogues
    for po in catalogues:
        lang = po.parts[-3]
        for msgid, msgstr in _po_entries(po):
            if lang in ("kk", "ru") and ENGLISH_CITATION.search(msgstr):
                bad.append(f"{po.relative_to(ROOT)}: {msgstr!r} (English citation)")
            if lang != "kk":
                continue
            for term, pattern, sense in _do_not_use():
                if pattern.search(msgstr) and (sense is None or re.search(sense, msgid, re.I)):
                    bad.append(f"{po.relative_to(ROOT)}: {term!r} in {msgstr!r}")
    assert not bad, "\n".join(bad)


def test_templates_texts_and_documents_follow_the_glossary():
    bad = []
    always = [(t, p) for t, p, sense in _do_not_use() if sense is None]
    for path in _text_files():
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if not CYRILLIC.search(line):
                continue
            if ENGLISH_CITATION.search(line):
                bad.append(f"{path.relative_to(ROOT)}:{n}: English citation in {line.strip()!r}")
            for term, pattern in always:
                if pattern.search(line):
                    bad.append(f"{path.relative_to(ROOT)}:{n}: {term!r} in {line.strip()!r}")
    assert not bad, "\n".join(bad)
