"""Law citations as the glossary writes them: never "art. 41 p.3" inside kk or ru text."""

import pytest

from baqylau.legal.citations import format_citation


@pytest.mark.parametrize(
    ("stored", "kk", "ru"),
    [
        ("art. 41 p.3", "41-баптың 3-тармағы", "п. 3 ст. 41"),
        (
            "art. 41 p.3, 6; art. 25 p.3",
            "41-баптың 3, 6-тармақтары; 25-баптың 3-тармағы",
            "п. 3, 6 ст. 41; п. 3 ст. 25",
        ),
        ("art. 43 p.7-1", "43-баптың 7-1-тармағы", "п. 7-1 ст. 43"),
        ("art. 20-1, art. 43 p.1", "20-1-бап; 43-баптың 1-тармағы", "ст. 20-1; п. 1 ст. 43"),
        ("art. 41; Criminal Code art. 151", "41-бап; ҚР ҚК 151-бабы", "ст. 41; ст. 151 УК РК"),
    ],
)
def test_citations_in_kk_and_ru(stored, kk, ru):
    assert format_citation(stored, "kk") == kk
    assert format_citation(stored, "ru") == ru
    assert format_citation(stored, "en") == stored
    assert "art." not in format_citation(stored, "kk") + format_citation(stored, "ru")


def test_text_without_articles_is_kept():
    assert format_citation("", "kk") == ""
    assert format_citation("see the note", "ru") == "see the note"
