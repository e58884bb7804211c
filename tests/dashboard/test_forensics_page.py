"""The public forensics page: a published report (methods, caveat, figures) and the empty page."""

import pytest
from django.urls import reverse

from baqylau.forensics.report import TEXTS

pytestmark = pytest.mark.django_db

METHOD_TITLES = {
    "en": ["Integer percentages", "Election fingerprint", "Shpilkin", "Digit tests"],
    "ru": ["Целые проценты", "Электоральный отпечаток", "Шпилькин", "Тесты цифр"],
    "kk": ["Бүтін пайыздар", "Сайлау саусақ ізі", "Шпилькин", "Цифр сынақтары"],
}
CAVEAT = {
    "en": "A sign, not proof.",
    "ru": "Признак, а не доказательство.",
    "kk": "Белгі, дәлел емес.",
}


@pytest.fixture
def data_dir(settings, tmp_path):
    settings.DATA_DIR = tmp_path
    return tmp_path


@pytest.fixture
def election(data_dir):
    from baqylau.simulate.engine import SimulationConfig, simulate
    from baqylau.simulate.loader import load_simulation

    result = simulate(SimulationConfig(seed=7, n_stations=2000))
    return load_simulation(result, election_code="sim-fp")


@pytest.fixture
def published(election):
    from baqylau.forensics.services import publish_forensic_report

    return publish_forensic_report(election, draws=50, seed=3)


def _url(lang: str, name: str, *args) -> str:
    from django.utils import translation

    with translation.override(lang):
        return reverse(f"dashboard:{name}", args=args)


def test_publish_stores_report_and_figures_atomically(published, data_dir):
    from baqylau.forensics.services import published_report, report_dir

    stored = published_report("sim-fp")
    assert stored["published"]["draws"] == 50 and stored["published"]["seed"] == 3
    assert stored["published"]["generated_at"]
    assert set(stored["figures"]) >= {
        f"{name}-{lang}"
        for name in ("fingerprint", "integer_percentages", "turnout_histogram")
        for lang in ("kk", "ru", "en")
    }
    directory = report_dir("sim-fp")
    assert directory == data_dir / "forensics" / "sim-fp"
    runs = [p for p in directory.iterdir() if p.is_dir()]
    assert len(runs) == 1 and (runs[0] / "fingerprint-kk.png").is_file()
    assert not [p for p in directory.iterdir() if p.name.endswith(".tmp")]


def test_republishing_replaces_the_previous_run(published, election):
    from baqylau.forensics.services import publish_forensic_report, report_dir

    first = published["published"]["run"]
    again = publish_forensic_report(election, draws=20, seed=4)
    runs = [p.name for p in report_dir("sim-fp").iterdir() if p.is_dir()]
    assert runs == [again["published"]["run"]] and first not in runs


@pytest.mark.parametrize("lang", ["en", "ru", "kk"])
def test_page_shows_methods_and_caveat(client, published, lang):
    response = client.get(_url(lang, "forensics", "sim-fp"))
    assert response.status_code == 200
    html = response.content.decode()
    for title in METHOD_TITLES[lang]:
        assert title in html, title
    assert CAVEAT[lang] in html
    # the figures of the page's language: titles and axes in kk/ru/en
    assert f"fingerprint-{lang}.png" in html and f"turnout_histogram-{lang}.svg" in html
    assert "--publish" not in html


def test_page_texts_repeat_the_report_texts():
    from django.utils import translation

    from baqylau.dashboard.selectors import forensic_methods

    with translation.override("en"):
        methods = {key: (shows, cannot) for key, _title, shows, cannot in forensic_methods()}
    assert methods == TEXTS


@pytest.mark.parametrize(
    ("name", "ext", "kind"),
    [("fingerprint-en", "png", "image/png"), ("integer_percentages-kk", "svg", "image/svg")],
)
def test_figures_are_served(client, published, name, ext, kind):
    response = client.get(_url("en", "forensics-figure", "sim-fp", name, ext))
    assert response.status_code == 200
    assert response["Content-Type"].startswith(kind)
    body = b"".join(response.streaming_content)
    assert body.startswith(b"\x89PNG") if ext == "png" else b"<svg" in body


@pytest.mark.parametrize(
    ("name", "ext"),
    [
        ("nonexistent", "png"),
        ("fingerprint-en", "json"),
        ("report", "json"),
        ("fingerprint-en", "txt"),
        ("fingerprint-de", "png"),
    ],
)
def test_unknown_figure_is_404(client, published, name, ext):
    assert client.get(_url("en", "forensics-figure", "sim-fp", name, ext)).status_code == 404


def test_traversal_is_not_served(client, published):
    base = _url("en", "forensics", "sim-fp")
    for tail in ("..%2Freport.json", "../report.json", "%2e%2e/secret_key.png"):
        assert client.get(base + tail).status_code == 404


def test_page_without_report_says_how_to_publish(client, election):
    html = client.get(_url("en", "forensics", "sim-fp")).content.decode()
    assert "No forensic report has been published" in html
    assert "baqylau forensics --election sim-fp --publish" in html
    assert (
        client.get(_url("en", "forensics-figure", "sim-fp", "fingerprint-en", "png")).status_code
        == 404
    )


def test_overview_and_map_link_to_the_page(client, election):
    from baqylau.dashboard.services import rebuild_summaries
    from baqylau.elections.models import AdminUnit

    rebuild_summaries(election)
    country = AdminUnit.objects.get(election=election, depth=0)
    link = _url("en", "forensics", "sim-fp")
    assert link in client.get(_url("en", "unit", "sim-fp", country.id)).content.decode()
    assert link in client.get(_url("en", "map", "sim-fp")).content.decode()


SVG_WORDS = {
    "kk": ["келу", "учаскелер"],
    "ru": ["явка", "участки"],
    "en": ["turnout", "stations"],
}


@pytest.mark.parametrize("lang", ["kk", "ru", "en"])
def test_figure_titles_and_axes_are_in_the_language(client, published, lang):
    response = client.get(
        _url(lang, "forensics-figure", "sim-fp", f"turnout_histogram-{lang}", "svg")
    )
    svg = b"".join(response.streaming_content).decode()
    for word in SVG_WORDS[lang]:
        assert word in svg, (lang, word)


def test_observed_comparison_uses_the_observers_copies(client, election):
    """The simulated election's observers sent their copies: the forensic report takes its
    observed-station mask from them and compares observed with unobserved stations."""
    from baqylau.forensics.services import publish_forensic_report
    from baqylau.simulate.copies import make_copies
    from baqylau.simulate.engine import SimulationConfig, simulate
    from baqylau.simulate.intake import submit_copies

    sim = simulate(SimulationConfig(seed=7, n_stations=2000))  # the election of the fixture
    submit_copies(election.contests.get(), sim, make_copies(sim, k=1, typo_rate=0.0, seed=2))
    report = publish_forensic_report(election, draws=20, seed=1)
    observed = report["observed"]
    assert observed["available"], observed
    assert observed["observed"]["stations"] + observed["unobserved"]["stations"] <= 2000
    assert observed["observed"]["stations"] <= int(sim.observed.sum())
    # where observers were, less stuffing: unobserved stations report a higher leader share
    assert observed["leader_share_difference"] > 0
    html = client.get(_url("en", "forensics", "sim-fp")).content.decode()
    assert "Stations with observers / without" in html


@pytest.mark.parametrize(
    ("lang", "words"),
    [
        ("en", "no observer was placed at a station"),
        ("ru", "ни один наблюдатель не был направлен"),
        ("kk", "бірде-бір байқаушы"),
    ],
)
def test_without_observers_the_page_says_why(client, published, lang, words):
    """No placement and no copy in the election: the reason is that, not 'too few'."""
    assert published["observed"]["reason_code"] == "no_observers"
    html = client.get(_url(lang, "forensics", "sim-fp")).content.decode()
    assert words in html


@pytest.mark.parametrize(
    ("lang", "heading"),
    [("kk", "бұрмалау белгілері"), ("ru", "признаки фальсификаций"), ("en", "Election forensics")],
)
def test_pdf_report_carries_the_figures_of_its_language(published, election, lang, heading):
    import shutil
    import subprocess

    from django.utils import translation

    from baqylau.dashboard import pdf

    with translation.override(lang):
        files: dict[str, bytes] = {}
        sections = pdf._forensic_figures(election, files)
    names = [f for s in sections for f in s["figures"]]
    assert names and all(n.endswith(f"-{lang}.svg") for n in names), names
    assert all(files[n].lstrip().startswith(b"<?xml") or b"<svg" in files[n] for n in names)
    if shutil.which("pdftotext"):
        data = pdf.election_report(election, lang)
        text = subprocess.run(["pdftotext", "-", "-"], input=data, capture_output=True).stdout
        assert heading in " ".join(text.decode().split())


DIGIT_TABLE = {
    "en": ("Standard digit table", "Second-digit mean (2BL)", "Turnout", "All stations"),
    "ru": ("Стандартная таблица цифр", "Среднее вторых цифр (2BL)", "Явка", "Все участки"),
    "kk": ("Цифрлардың стандартты кестесі", "Екінші цифрлардың орташасы (2BL)", "Келу", "Барлық"),
}


@pytest.mark.parametrize("lang", ["en", "ru", "kk"])
def test_page_shows_the_digit_table(client, published, lang):
    """The report's standard digit table (turnout and the leader, the whole and each region,
    each statistic with its interval) is on the page in the page's language."""
    table = published["digits"]["table"]
    assert table["variables"][0] == "turnout" and len(table["variables"]) == 2
    regions = {r["unit"] for r in table["rows"]} - {""}
    assert regions and len(table["rows"]) == 2 * (1 + len(regions))
    html = client.get(_url(lang, "forensics", "sim-fp")).content.decode()
    for text in DIGIT_TABLE[lang]:
        assert text in html, text
    whole = next(r for r in table["rows"] if r["unit"] == "" and r["variable"] == "turnout")
    assert whole["stations"] == 2000 and whole["2bl"]["interval"]
