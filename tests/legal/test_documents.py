"""Acts, court complaints and prosecutor statements from simulated incidents, in kk and ru,
rendered to PDF and DOCX; the text is checked in the rendered output (pdftotext)."""

import datetime as dt
import io
import subprocess

import pytest
from docx import Document

from baqylau.evidence.ledger import verify as verify_ledger
from baqylau.evidence.models import LedgerEntry, MediaFile
from baqylau.legal import selectors, services
from baqylau.legal.models import DocumentTemplate, LegalDocument
from baqylau.observers.models import AuditEvent
from tests.programs import needs_programs

pytestmark = needs_programs("pdftotext")
KAZAKH_LETTERS = "ә ғ қ ң ө ұ ү һ і"


def pdf_text(document: LegalDocument) -> str:
    path = services.resolve(document.pdf_path)
    out = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, check=True)
    text = " ".join(out.stdout.decode("utf-8").split())  # one line: hashes never wrap
    return text.replace("\xad ", "").replace("-\xad", "")  # words hyphenated at a line end


def docx_text(document: LegalDocument) -> str:
    doc = Document(io.BytesIO(services.resolve(document.docx_path).read_bytes()))
    parts = [p.text for p in doc.paragraphs]
    parts += [cell.text for table in doc.tables for row in table.rows for cell in row.cells]
    return "\n".join(parts)


@pytest.fixture
def applicant(lawyer):
    services.save_applicant_profile(
        user=lawyer,
        details={
            "full_name": "Хисметов Хакимжан Салимұлы",
            "iin": "660303301369",
            "address": "Атырау, ул. Момышулы 17, кв. 9",
            "phone": "+7 701 303 96 20",
            "email": "lawyer@example.org",
        },
    )
    return lawyer


@pytest.mark.parametrize("lang", ["kk", "ru"])
def test_act_of_violation(world, incidents, lawyer, lang):
    incident = incidents[0]
    document = services.generate_act(user=lawyer, incident=incident, lang=lang)
    text = pdf_text(document)
    media = MediaFile.objects.get(submission=incident.submission)
    entry = LedgerEntry.objects.filter(ref=f"evidence.mediafile:{media.pk}").latest("seq")
    assert {"kk": "Сайлау учаскесі", "ru": "Избирательный участок"}[lang] in text
    assert "№ 237" in text
    # the articles from the catalogue, written as the glossary says
    assert {
        "kk": "Қазақстан Республикасы Қылмыстық кодексінің 151-бабы",
        "ru": "статья 151 Уголовного кодекса Республики Казахстан",
    }[lang] in text
    assert "art." not in text
    assert media.sha256 in text
    assert f"№{entry.seq}, " in text and entry.entry_hash in text  # ledger entry number and hash
    assert KAZAKH_LETTERS in text  # the observer's text, Kazakh letters rendered
    assert {"kk": "АКТ", "ru": "АКТ"}[lang] in text
    assert media.sha256 in docx_text(document)
    # the document itself is in the ledger, and the ledger still verifies
    recorded = LedgerEntry.objects.get(seq=document.ledger_seq)
    assert recorded.ref == f"legal.legaldocument:{document.pk}"
    assert recorded.content["sha256"] == document.pdf_sha256
    assert recorded.content["docx_sha256"] == document.docx_sha256
    assert verify_ledger(check_files=False).ok


def test_act_in_english_for_partners(world, incidents, lawyer):
    text = pdf_text(services.generate_act(user=lawyer, incident=incidents[1], lang="en"))
    assert "ACT" in text and "Polling station" in text and "№ 238" in text


@pytest.mark.parametrize("lang", ["kk", "ru"])
def test_court_complaint(world, incidents, applicant, lang):
    case = services.create_case(
        user=applicant,
        kind="complaint_court",
        language=lang,
        incidents=incidents,
        decision_date=dt.date(2019, 1, 25),
        respondent="УИК № 237, УИК № 238",
    )
    assert case.next_deadline == dt.date(2019, 2, 4)
    document = services.generate_case_document(user=applicant, case=case)
    text = pdf_text(document)
    assert "04.02.2019" in text  # the deadline (25 Jan + 10 days)
    assert "25.01.2019" in text
    assert "№ 237" in text and "№ 238" in text
    assert {
        "kk": "Конституциялық заңның 41-бабының 1, 2-тармақтары",
        "ru": "пункты 1, 2 статьи 41 Конституционного закона",
    }[lang] in text
    assert {"kk": "43-бабының 8-1-тармағы", "ru": "пункт 8-1 статьи 43"}[lang] in text
    assert "art." not in text and "p." not in text
    assert "660303301369" in text and "Хисметов Хакимжан Салимұлы" in text
    assert {"kk": "СОТТАН СҰРАЙМЫН", "ru": "ПРОШУ СУД"}[lang] in text
    assert {"kk": "20-бабының 9-тармағына сәйкес", "ru": "Согласно пункту 9 статьи 20"}[
        lang
    ] in text
    assert {"kk": "20-бабының 9-тармағы;", "ru": "пункт 9 статьи 20"}[lang] in text
    for incident in incidents:
        media = MediaFile.objects.get(submission=incident.submission)
        assert media.sha256 in text
    # facts grouped by station: 237 before 238, each station once
    assert text.index("№ 237") < text.index("№ 238")
    assert "04.02.2019" in docx_text(document)


@pytest.mark.parametrize("lang", ["kk", "ru"])
def test_prosecutor_statement(world, incidents, applicant, lang):
    case = services.create_case(
        user=applicant,
        kind="statement_prosecutor",
        language=lang,
        incidents=incidents[:1],
        decision_date=dt.date(2019, 6, 9),
    )
    assert case.next_deadline is None  # no filing deadline for a crime report
    text = pdf_text(services.generate_case_document(user=applicant, case=case))
    assert {
        "kk": "Қазақстан Республикасы Қылмыстық кодексінің 151-бабында",
        "ru": "предусмотренного статьёй 151 Уголовного кодекса Республики Казахстан",
    }[lang] in text
    assert {"kk": "кодексінің 419-бабы бойынша", "ru": "по статье 419 Уголовного кодекса"}[
        lang
    ] in text
    # the 2014 Criminal Procedure Code: registration in the unified register, then a pre-trial
    # investigation; no "opening of a criminal case"
    assert {
        "kk": "Сотқа дейінгі тергеп-тексерулердің бірыңғай тізілімінде тіркеу",
        "ru": "в Едином реестре досудебных расследований",
    }[lang] in text
    assert {"kk": "сотқа дейінгі тергеп-тексеру", "ru": "досудебное расследование"}[lang] in text
    for old in ("возбуд", "уголовное дело", "қылмыстық іс қозға", "art.", "ҚР ҚК", "УК РК"):
        assert old not in text
    assert "№ 237" in text
    assert MediaFile.objects.get(submission=incidents[0].submission).sha256 in text


CLAIM = {
    "kk": ("ТАЛАП АРЫЗ", "Талапкер", "Жауапкер", "Мамандандырылған ауданаралық әкімшілік сотқа"),
    "ru": (
        "ИСКОВОЕ ЗАЯВЛЕНИЕ",
        "Истец",
        "Ответчик",
        "В специализированный межрайонный административный суд",
    ),
    "en": ("STATEMENT OF CLAIM", "Claimant", "Defendant", "administrative court"),
}
OLD_APPLICATION = {
    "kk": ("Мүдделі тұлға", "Арыз беруші", "Аудандық (қалалық) сотқа"),
    "ru": ("Заинтересованное лицо", "Заявитель", "районный (городской) суд"),
    "en": ("Interested party", "Applicant", "APPLICATION"),
}


@pytest.mark.parametrize("lang", ["kk", "ru", "en"])
def test_court_document_is_a_claim_under_the_administrative_procedure_code(
    world, incidents, applicant, lang
):
    """Since 01.07.2021 election disputes go to administrative courts as claims (АППК / ӘРПК):
    claimant and defendant, not the civil-procedure application with an interested person."""
    case = services.create_case(
        user=applicant,
        kind="complaint_court",
        language=lang,
        incidents=incidents[:1],
        decision_date=dt.date(2019, 1, 25),
        respondent="УИК № 237",
    )
    text = pdf_text(services.generate_case_document(user=applicant, case=case))
    for wording in CLAIM[lang]:
        assert wording in text
    for wording in OLD_APPLICATION[lang]:
        assert wording not in text
    code = {
        "kk": "Қазақстан Республикасының Әкімшілік рәсімдік-процестік кодексіне сәйкес",
        "ru": "согласно Административному процедурно-процессуальному кодексу",
        "en": "Administrative Procedural and Process Code of the Republic of Kazakhstan",
    }
    assert code[lang] in text


def test_witnesses_by_pseudonym_until_revealed_and_only_with_consent(world, incidents, lawyer):
    incident = incidents[1]  # station 238 at 14:40: L1 (consented) on the afternoon shift
    witness = world.observers["L1"]
    hidden = pdf_text(services.generate_act(user=lawyer, incident=incident, lang="ru"))
    assert witness.public_id in hidden and "Consenting Person" not in hidden
    shown = services.generate_act(user=lawyer, incident=incident, lang="ru", reveal=True)
    text = pdf_text(shown)
    assert f"Consenting Person ({witness.public_id})" in text
    # the reporter A2 did not consent: still by pseudonym only
    assert "Dauren" not in text and world.observers["A2"].public_id in text
    assert shown.identities_revealed
    reveal = AuditEvent.objects.get(action="legal.identities.reveal")
    assert reveal.after == {"observers": [witness.public_id]} and reveal.actor == lawyer
    # at the count (21:30) C1 of another organisation is present: a witness, never named
    count = pdf_text(
        services.generate_act(user=lawyer, incident=incidents[2], lang="ru", reveal=True)
    )
    assert world.observers["C1"].public_id in count and "Saule" not in count


def test_lawyer_scope(world, incidents, lawyer):
    assert set(selectors.visible_incidents(lawyer)) == set(incidents)
    coordinator_b = world.users["coord_b"]
    with pytest.raises(services.NotAllowed):
        services.generate_act(user=coordinator_b, incident=incidents[0], lang="ru")
    observer = world.users["obs_a1"]
    with pytest.raises(services.NotAllowed):
        services.create_case(
            user=observer, kind="complaint_court", language="ru", incidents=incidents[:1]
        )


def test_findings_are_listed(world, incidents, lawyer):
    from baqylau.tally.services import recount
    from tests.legal.factories import make_station_finding

    make_station_finding(world)
    # what the lawyer's form offers: the tally's findings at the incidents' stations
    found = selectors.findings_for_stations([i.station for i in incidents])
    assert {(f.unit.code, f.line or f.choice.code) for f in found} == {
        ("237", "L5"),
        ("237", "cand-a"),
    }
    finding = next(f for f in found if f.line == "L5")
    assert (finding.observed, finding.official) == (812, 1240)
    assert len(finding.details["evidence"]["copies"]) == 2
    case = services.create_case(
        user=lawyer,
        kind="complaint_commission",
        language="ru",
        incidents=incidents[:1],
        findings=[finding],
        decision_date=dt.date(2019, 6, 10),
    )
    text = pdf_text(services.generate_case_document(user=lawyer, case=case))
    assert "812" in text and "1240" in text and "428" in text
    # a recount that changes nothing keeps the finding the case cites
    recount(world.contest)
    assert list(case.findings.all()) == [finding]


def test_template_edit_adds_a_version_and_is_used(world, incidents, lawyer):
    services.ensure_templates()
    current = selectors.active_template("act", "ru")
    phrases = dict(current.phrases, subtitle="о нарушении (редакция юриста)")
    new = services.edit_template(
        current,
        title=current.title,
        phrases=phrases,
        body=current.body,
        note="wording",
        actor=lawyer,
    )
    assert new.version == current.version + 1
    assert DocumentTemplate.objects.filter(kind="act", language="ru").count() == 2
    current.refresh_from_db()
    assert current.phrases["subtitle"] != phrases["subtitle"]  # the old version is unchanged
    document = services.generate_act(user=lawyer, incident=incidents[0], lang="ru")
    assert document.template == new
    assert "редакция юриста" in pdf_text(document)
    assert services.sync_package_templates() == []  # package version 1 already there


def test_observer_text_cannot_inject_typst(world, incidents, lawyer):
    incident = incidents[0]
    incident.text = '#set page(fill: red) ] #panic("x") $x$ *bold* <a> @ref'
    incident.save()
    text = pdf_text(services.generate_act(user=lawyer, incident=incident, lang="ru"))
    assert '#panic("x")' in text and "*bold*" in text
