"""The typst PDF report in kk/ru/en: page 1 rendered to PNG is not blank, the text is there."""

import shutil
import subprocess

import pytest
from django.urls import reverse
from tests.dashboard.data import make_observed_election

from baqylau.dashboard import pdf
from baqylau.dashboard.services import rebuild_summaries

pytestmark = pytest.mark.skipif(
    not (shutil.which("pdftoppm") and shutil.which("pdftotext")), reason="poppler-utils missing"
)

EXPECTED = {
    "kk": ["Тәуелсіз бақылау есебі", "Қазақстан", "Сайлаушылардан", "Өңірлер картасы"],
    "ru": ["Отчёт независимого наблюдения", "Казахстан", "От избирателей", "Карта регионов"],
    "en": ["Independent observation report", "Kazakhstan", "From voters", "Map of the regions"],
}


@pytest.fixture
def observed(db):
    data = make_observed_election()
    rebuild_summaries(data["election"])
    return data


def _not_blank(png: bytes) -> None:
    from io import BytesIO

    import numpy as np
    from PIL import Image

    pixels = np.asarray(Image.open(BytesIO(png)).convert("L"), dtype=float)
    assert pixels.var() > 100, "page 1 is blank"


@pytest.mark.parametrize("lang", ["kk", "ru", "en"])
def test_report_renders_in_each_language(observed, lang, tmp_path):
    data = pdf.election_report(observed["election"], lang)
    path = tmp_path / f"report-{lang}.pdf"
    path.write_bytes(data)
    png = subprocess.run(
        ["pdftoppm", "-png", "-r", "50", "-f", "1", "-l", "1", str(path)],
        check=True, capture_output=True,
    ).stdout  # fmt: skip
    _not_blank(png)
    text = subprocess.run(["pdftotext", str(path), "-"], check=True, capture_output=True).stdout
    text = " ".join(text.decode().split())
    for expected in EXPECTED[lang]:
        assert expected in text, (lang, expected)


def test_station_card_and_report_urls(client, observed, tmp_path):
    station = observed["station"]
    response = client.get("/kk" + reverse("dashboard:card", args=["test-kz", station.id])[3:])
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    path = tmp_path / "card.pdf"
    path.write_bytes(response.content)
    text = subprocess.run(["pdftotext", str(path), "-"], check=True, capture_output=True).stdout
    assert "Station 101" in text.decode() and "Сайлаушылардан" in text.decode()
    report = client.get("/ru" + reverse("dashboard:report", args=["test-kz"])[3:])
    assert report.content.startswith(b"%PDF")
