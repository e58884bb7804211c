"""Citations: every article the platform cites is listed in legal/citations.yaml (official title,
adilet.zan.kz address), and printed by the one formatter as the glossary says."""

from __future__ import annotations

import pytest
import yaml

from baqylau.legal import citations, deadlines, render
from baqylau.legal.citations import CitationError, format_citation, format_refs, parse_refs
from baqylau.reports.models import ViolationType


@pytest.mark.parametrize(
    ("ref", "lang", "case", "expected"),
    [
        ("election_law 41(3)", "kk", "nom", "41-баптың 3-тармағы"),
        ("election_law 41(3)", "ru", "nom", "пункт 3 статьи 41"),
        ("election_law 41(3)", "en", "nom", "Article 41(3)"),
        ("election_law 41(3,6)", "kk", "nom", "41-баптың 3, 6-тармақтары"),
        ("election_law 41(3,6)", "ru", "nom", "пункты 3, 6 статьи 41"),
        ("election_law 20(9)", "kk", "dat", "20-баптың 9-тармағына"),
        ("election_law 20(9)", "ru", "dat", "пункту 9 статьи 20"),
        ("election_law 12()(6-1)", "kk", "nom", "12-баптың 6-1) тармақшасы"),
        ("election_law 12()(6-1)", "ru", "nom", "подпункт 6-1) статьи 12"),
        ("election_law 20-1", "kk", "nom", "20-1-бап"),
        ("election_law 20-1", "ru", "nom", "статья 20-1"),
        ("criminal_code 151", "ru", "ins", "статьёй 151"),
        ("criminal_code 151", "kk", "loc", "151-бапта"),
    ],
)
def test_the_glossary_forms_without_the_act(ref, lang, case, expected):
    assert format_citation(ref, lang, case=case, with_act=False) == expected


def test_the_glossary_forms_with_the_law_named():
    assert format_citation("election_law 41(3)", "kk") == (
        "«Қазақстан Республикасындағы сайлау туралы» Конституциялық заңның 41-бабының 3-тармағы"
    )
    assert format_citation("election_law 41(3)", "ru") == (
        "пункт 3 статьи 41 Конституционного закона «О выборах в Республике Казахстан»"
    )
    assert format_citation("election_law 41(3)", "en") == (
        'Article 41(3) of the Constitutional Law "On Elections in the Republic of Kazakhstan"'
    )
    assert format_citation("criminal_code 151", "kk", case="loc") == (
        "Қазақстан Республикасы Қылмыстық кодексінің 151-бабында"
    )
    assert format_citation("administrative_procedure_code", "ru", case="dat") == (
        "Административному процедурно-процессуальному кодексу Республики Казахстан"
    )


def test_a_list_of_references_and_text_that_is_not_one():
    text = "election_law 41; criminal_code 151"
    assert format_refs(text, "ru", with_act=False) == "статья 41; статья 151"
    assert [str(r) for r in parse_refs(text)] == ["election_law 41", "criminal_code 151"]
    assert format_refs("", "kk") == ""
    with pytest.raises(CitationError):
        parse_refs("art. 41 p.3")
    with pytest.raises(CitationError):
        parse_refs("civil_code 1")
    with pytest.raises(CitationError):
        citations.validate_refs("election_law 999(1)")  # parses, but is not listed


def test_every_act_has_its_official_source():
    for name, act in citations.load()["acts"].items():
        for lang in ("kk", "ru", "en"):
            assert act["title"][lang] and act["of"][lang], name
            assert act["url"][lang].startswith("https://adilet.zan.kz/"), name
        assert act["number"], name
    for norm in citations.load()["norms"]:
        citations.parse_ref(norm["ref"])  # every listed norm is in the notation
        assert norm["about"] and "verified" in norm


@pytest.mark.django_db
def test_every_article_the_violation_catalogue_cites_is_listed():
    rows = list(ViolationType.objects.exclude(law_article=""))
    assert len(rows) >= 15  # the seeded catalogue
    for row in rows:
        row.full_clean()  # the field's validator: parses and is listed
        for ref in parse_refs(row.law_article):
            assert citations.is_listed(ref), (row.code, str(ref))


def test_every_article_the_templates_and_deadline_rules_cite_is_listed():
    cited = []
    for path in render.TEMPLATES_DIR.glob("*.yaml"):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        text = yaml.safe_dump(data["phrases"], allow_unicode=True)
        cited += citations.placeholders(text)
        # no article numbers typed into the wording: every one goes through the formatter
        for words in ("статья 1", "статьёй 1", "статье 4", "-бабы", "-бабында", "art. "):
            assert words not in text, (path.name, words)
    for rule in deadlines.load_rules().values():
        assert rule.cite, rule.code
        cited += parse_refs(rule.cite)
    assert {str(r) for r in cited} >= {"criminal_code 151", "criminal_code 419"}
    for ref in cited:
        assert citations.is_listed(ref), str(ref)


def test_deadline_basis_in_each_language():
    rule = deadlines.load_rules()["complaint_court"]
    assert rule.basis_in("ru", "dat").startswith("пункту 9 статьи 20 Конституционного закона")
    assert rule.basis_in("kk").endswith("Конституциялық заңның 20-бабының 9-тармағы")
    assert rule.basis_in("en").startswith("Article 20(9)")
