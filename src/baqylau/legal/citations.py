"""Legal citations: references stored as data and printed as the glossary says (pure, no Django).

The one function that writes a reference to the law in any language: documents, the violation
catalogue on every page, deadline rules and the lawyer's pages all call `format_citation` (or
`format_refs` for a stored list). The acts and every cited norm, with the official title and the
address on adilet.zan.kz, are in `citations.yaml`.

Kazakh counts from the larger unit to the smaller ("41-баптың 3-тармағы"), Russian from the smaller
to the larger ("пункт 3 статьи 41"), English "Article 41(3)". The grammatical case is the one the
sentence needs: kk nom / gen / dat ("… сәйкес") / loc ("… көзделген"); ru nom / gen / dat
("согласно …") / ins ("предусмотренного …") / prep; English has none.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

CITATIONS_FILE = Path(__file__).with_name("citations.yaml")
CASES = ("nom", "gen", "dat", "loc", "ins", "prep")

_REF = re.compile(
    r"^\s*(?P<act>[a-z_]+)"
    r"(?:\s+(?P<article>\d+(?:-\d+)?)"
    r"(?:\((?P<paragraphs>[\d\-, ]*)\))?"
    r"(?:\((?P<sub>\d+(?:-\d+)?)\))?)?\s*$"
)


class CitationError(ValueError):
    """A reference that is not written in the notation, or names an unknown act."""


@dataclass(frozen=True)
class Ref:
    act: str
    article: str = ""
    paragraphs: tuple[str, ...] = ()
    subparagraph: str = ""

    def __str__(self) -> str:
        if not self.article:
            return self.act
        out = f"{self.act} {self.article}"
        if self.paragraphs or self.subparagraph:
            out += f"({','.join(self.paragraphs)})"
        if self.subparagraph:
            out += f"({self.subparagraph})"
        return out


@lru_cache(maxsize=4)
def _load(path: str, mtime: float) -> dict[str, Any]:
    data = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    data.setdefault("acts", {})
    data.setdefault("norms", [])
    return data


def load(path: str | Path | None = None) -> dict[str, Any]:
    """The citations file (acts and norms), re-read when it changes."""
    path = Path(path or CITATIONS_FILE)
    return _load(str(path), path.stat().st_mtime)


def parse_ref(text: str) -> Ref:
    match = _REF.match(text or "")
    if not match:
        raise CitationError(f"not a reference: {text!r}")
    if match["act"] not in load()["acts"]:
        raise CitationError(f"unknown act {match['act']!r} in {text!r}")
    paragraphs = tuple(p.strip() for p in (match["paragraphs"] or "").split(",") if p.strip())
    return Ref(match["act"], match["article"] or "", paragraphs, match["sub"] or "")


def parse_refs(text: str) -> list[Ref]:
    """References separated by ";" ("election_law 41(3,6); criminal_code 151"); "" is none."""
    return [parse_ref(part) for part in (text or "").split(";") if part.strip()]


def validate_refs(text: str) -> None:
    """Raise CitationError unless every reference parses and is listed in the citations file."""
    missing = [str(ref) for ref in parse_refs(text) if not is_listed(ref)]
    if missing:
        raise CitationError(f"not listed in citations.yaml: {', '.join(missing)}")


def listed_refs() -> set[str]:
    return {str(parse_ref(norm["ref"])) for norm in load()["norms"]}


def is_listed(ref: Ref) -> bool:
    return str(ref) in listed_refs()


def norm(ref: Ref) -> dict[str, Any] | None:
    return next((n for n in load()["norms"] if str(parse_ref(n["ref"])) == str(ref)), None)


def act(name: str) -> dict[str, Any]:
    return load()["acts"][name]


def act_url(name: str, lang: str) -> str:
    urls = act(name).get("url") or {}
    return urls.get(lang) or urls.get("ru") or ""


# --- Kazakh --------------------------------------------------------------------------------------

_KK_ARTICLE = {  # after the act's genitive ("… заңның 41-бабы") / alone ("41-бап")
    True: {"nom": "бабы", "gen": "бабының", "dat": "бабына", "loc": "бабында"},
    False: {"nom": "бап", "gen": "баптың", "dat": "бапқа", "loc": "бапта"},
}
_KK_PARAGRAPH = {
    1: {"nom": "тармағы", "gen": "тармағының", "dat": "тармағына", "loc": "тармағында"},
    2: {"nom": "тармақтары", "gen": "тармақтарының", "dat": "тармақтарына", "loc": "тармақтарында"},
}
_KK_SUB = {
    "nom": "тармақшасы",
    "gen": "тармақшасының",
    "dat": "тармақшасына",
    "loc": "тармақшасында",
}


def _kk(ref: Ref, case: str, with_act: bool) -> str:
    case = case if case in _KK_SUB else "nom"
    named = with_act
    parts = [act(ref.act)["of"]["kk"]] if named else []
    deeper = bool(ref.paragraphs or ref.subparagraph)
    parts.append(f"{ref.article}-{_KK_ARTICLE[named]['gen' if deeper else case]}")
    if ref.paragraphs:
        number = 1 if len(ref.paragraphs) == 1 else 2
        form = _KK_PARAGRAPH[number]["gen" if ref.subparagraph else case]
        parts.append(f"{', '.join(ref.paragraphs)}-{form}")
    if ref.subparagraph:
        parts.append(f"{ref.subparagraph}) {_KK_SUB[case]}")
    return " ".join(parts)


# --- Russian -------------------------------------------------------------------------------------

_RU = {
    "article": {
        "nom": "статья",
        "gen": "статьи",
        "dat": "статье",
        "ins": "статьёй",
        "prep": "статье",
    },
    "paragraph": {
        "nom": "пункт",
        "gen": "пункта",
        "dat": "пункту",
        "ins": "пунктом",
        "prep": "пункте",
    },
    "paragraphs": {
        "nom": "пункты",
        "gen": "пунктов",
        "dat": "пунктам",
        "ins": "пунктами",
        "prep": "пунктах",
    },
    "sub": {
        "nom": "подпункт",
        "gen": "подпункта",
        "dat": "подпункту",
        "ins": "подпунктом",
        "prep": "подпункте",
    },
}


def _ru(ref: Ref, case: str, with_act: bool) -> str:
    case = case if case in _RU["article"] else "nom"
    parts = []
    if ref.subparagraph:
        parts.append(f"{_RU['sub'][case]} {ref.subparagraph})")
    if ref.paragraphs:
        word = "paragraph" if len(ref.paragraphs) == 1 else "paragraphs"
        parts.append(f"{_RU[word]['gen' if parts else case]} {', '.join(ref.paragraphs)}")
    parts.append(f"{_RU['article']['gen' if parts else case]} {ref.article}")
    if with_act:
        parts.append(act(ref.act)["of"]["ru"])
    return " ".join(parts)


# --- English -------------------------------------------------------------------------------------


def _en(ref: Ref, with_act: bool) -> str:
    out = f"Article {ref.article}"
    if ref.paragraphs:
        out += ", ".join(f"({p})" for p in ref.paragraphs)
    if ref.subparagraph:
        out += f", subparagraph {ref.subparagraph})"
    if with_act:
        out += " " + act(ref.act)["of"]["en"]
    return out


def format_citation(ref: Ref | str, lang: str, *, case: str = "nom", with_act: bool = True) -> str:
    """One reference in `lang` ("kk", "ru", anything else is English), in the grammatical case
    the sentence needs, with the act named (or not, when the text already names it)."""
    if isinstance(ref, str):
        ref = parse_ref(ref)
    lang = lang if lang in ("kk", "ru") else "en"
    if not ref.article:
        info = act(ref.act)
        if case == "dat" and lang in info.get("dative", {}):
            return info["dative"][lang]
        if case == "gen" or (lang == "en" and case != "nom"):
            return info["of"][lang] if lang != "en" else info["title"]["en"]
        return info["title"][lang]
    if lang == "kk":
        return _kk(ref, case, with_act)
    if lang == "ru":
        return _ru(ref, case, with_act)
    return _en(ref, with_act)


def format_refs(text: str, lang: str, *, case: str = "nom", with_act: bool = True) -> str:
    """A stored list of references ("election_law 41(3,6); criminal_code 151") in `lang`; text
    that is not in the notation is returned unchanged (never lost), "" stays ""."""
    try:
        refs = parse_refs(text)
    except CitationError:
        return text or ""
    return "; ".join(format_citation(r, lang, case=case, with_act=with_act) for r in refs)


_PLACEHOLDER = re.compile(r"\$\{cite:(?P<ref>[^}|]+)(?:\|(?P<case>[a-z]+))?\}")


def fill_citations(text: str, lang: str) -> str:
    """Replace `${cite:criminal_code 151|loc}` placeholders of a document template's wording."""
    return _PLACEHOLDER.sub(
        lambda m: format_citation(m["ref"].strip(), lang, case=m["case"] or "nom"), text
    )


def placeholders(text: str) -> list[Ref]:
    """The references a template's wording cites (for the test that all are listed)."""
    return [parse_ref(m["ref"].strip()) for m in _PLACEHOLDER.finditer(text or "")]


def refs_by_language(text: str) -> dict[str, str]:
    """A stored list of references written in kk, ru and en (for the apps and the API)."""
    return {lang: format_refs(text, lang) for lang in ("kk", "ru", "en")}
