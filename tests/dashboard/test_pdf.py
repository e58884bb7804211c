"""The typst PDF report in kk/ru/en: page 1 rendered to PNG is not blank, the text is there."""

import subprocess

import pytest
from django.urls import reverse
from tests.programs import needs_programs

from baqylau.dashboard import pdf

pytestmark = needs_programs("pdftoppm", "pdftotext")

EXPECTED = {
    "kk": ["Тәуелсіз бақылау есебі", "Қазақстан", "Сайлаушылардан", "Өңірлер картасы"],
    "ru": ["Отчёт независимого наблюдения", "Казахстан", "От избирателей", "Карта регионов"],
    "en": [
        "Independent observation report",
        "Kazakhstan",
        "From voters",
        "Map of the regions",
        # the tally's findings, as on the pages
        "Stations where the official result differs from the settled copies: 1",
        "Stations whose copies disagree, waiting for a moderator: 1",
    ],
}


def _text(path) -> str:
    text = subprocess.run(["pdftotext", str(path), "-"], check=True, capture_output=True).stdout
    return " ".join(text.decode().split())


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
    text = _text(path)
    for expected in EXPECTED[lang]:
        assert expected in text, (lang, expected)


def test_station_card_and_report_urls(client, observed, tmp_path):
    station = observed["station"]
    response = client.get("/kk" + reverse("dashboard:card", args=["test-kz", station.id])[3:])
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    path = tmp_path / "card.pdf"
    path.write_bytes(response.content)
    text = _text(path)
    assert "Station 101" in text and "Сайлаушылардан" in text
    report = client.get("/ru" + reverse("dashboard:report", args=["test-kz"])[3:])
    assert report.content.startswith(b"%PDF")


def test_card_of_a_station_whose_copies_disagree_accuses_nobody(client, observed, tmp_path):
    station = observed["disputed_station"]
    response = client.get("/en" + reverse("dashboard:card", args=["test-kz", station.id])[3:])
    path = tmp_path / "card.pdf"
    path.write_bytes(response.content)
    text = _text(path)
    assert "Stations whose copies disagree, waiting for a moderator: 1" in text
    assert "Stations where the official result differs from the settled copies: 0" in text
    assert "The official result gives" not in text
