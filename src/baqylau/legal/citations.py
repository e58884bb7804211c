"""Law citations written as docs/glossary.md §2 says, in the reader's language.

The catalogue stores a violation's articles in a compact English form ("art. 41 p.3, 6;
art. 25 p.3"; "Criminal Code art. 151"); English abbreviations never appear in kk or ru text, so
pages and documents format them here: kk counts from the article down ("41-баптың 3, 6-тармақтары"),
ru from the paragraph up ("п. 3, 6 ст. 41"). No Django imports: pure formatting.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_ARTICLE = re.compile(
    r"(?P<code>Criminal Code\s+)?art\.\s*(?P<art>\d+(?:-\d+)?)"
    r"(?:\s*p\.\s*(?P<paras>\d+(?:-\d+)?(?:\s*[–-]\s*\d+)?(?:\s*,\s*\d+(?:-\d+)?)*))?"
)


@dataclass(frozen=True)
class Citation:
    article: str
    paragraphs: tuple[str, ...] = ()
    criminal_code: bool = False


def parse(text: str) -> list[Citation]:
    """Every article reference in `text` (in order); an empty list when there is none."""
    found = []
    for m in _ARTICLE.finditer(text or ""):
        paras = m.group("paras") or ""
        parts = tuple(p.strip() for p in paras.split(",") if p.strip())
        found.append(Citation(m.group("art"), parts, bool(m.group("code"))))
    return found


def _kk(c: Citation) -> str:
    code = "ҚР ҚК " if c.criminal_code else ""
    if not c.paragraphs:
        return f"{code}{c.article}-бабы" if c.criminal_code else f"{c.article}-бап"
    if len(c.paragraphs) == 1 and not re.search(r"[–]", c.paragraphs[0]):
        return f"{code}{c.article}-баптың {c.paragraphs[0]}-тармағы"
    return f"{code}{c.article}-баптың {', '.join(c.paragraphs)}-тармақтары"


def _ru(c: Citation) -> str:
    code = " УК РК" if c.criminal_code else ""
    if not c.paragraphs:
        return f"ст. {c.article}{code}"
    return f"п. {', '.join(c.paragraphs)} ст. {c.article}{code}"


def format_citation(text: str, lang: str) -> str:
    """The stored reference in `lang`; English and unparsable text are returned unchanged."""
    citations = parse(text)
    if lang not in ("kk", "ru") or not citations:
        return text
    writer = _kk if lang == "kk" else _ru
    return "; ".join(writer(c) for c in citations)
