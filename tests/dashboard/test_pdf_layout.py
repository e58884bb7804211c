"""The kk PDF report and station card are laid out for the longest labels: no two words overprint.

`pdftotext -bbox` gives every word's box; two words whose boxes overlap on a page were printed
over each other (a column header too wide for its column wraps into its neighbour). The column
headers must also read whole, each on its own, in `pdftotext -layout`.
"""

import re
import subprocess
from html import unescape

from django.urls import reverse
from django.utils import translation
from tests.programs import needs_programs

from baqylau.dashboard import pdf

pytestmark = needs_programs("pdftotext")


def _words(path) -> list[tuple[int, str, float, float, float, float]]:
    out = subprocess.run(["pdftotext", "-bbox", str(path), "-"], check=True, capture_output=True)
    words, page = [], 0
    for line in out.stdout.decode().splitlines():
        if "<page " in line:
            page += 1
        m = re.search(
            r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">(.*)</word>',
            line,
        )
        if m:
            x0, y0, x1, y1 = map(float, m.groups()[:4])
            words.append((page, unescape(m.group(5)), x0, y0, x1, y1))
    return words


def overprinted(path, tolerance: float = 0.5) -> list[tuple[str, str]]:
    """Pairs of words on the same page whose boxes overlap by more than `tolerance` points."""
    words = _words(path)
    pairs = []
    for i, (p, a, ax0, ay0, ax1, ay1) in enumerate(words):
        for q, b, bx0, by0, bx1, by1 in words[i + 1 :]:
            if p != q:
                continue
            dx = min(ax1, bx1) - max(ax0, bx0)
            dy = min(ay1, by1) - max(ay0, by0)
            if dx > tolerance and dy > tolerance:
                pairs.append((a, b))
    return pairs


def _layout(path) -> str:
    out = subprocess.run(["pdftotext", "-layout", str(path), "-"], check=True, capture_output=True)
    return out.stdout.decode()


def test_overlap_check_finds_overprinted_words(tmp_path):
    """The check itself: a PDF with two words printed on top of each other fails it."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig = plt.figure(figsize=(3, 1))
    fig.text(0.1, 0.5, "Байқаушылар", fontsize=12)
    fig.text(0.15, 0.5, "деректері", fontsize=12)
    path = tmp_path / "bad.pdf"
    fig.savefig(path)
    plt.close(fig)
    assert overprinted(path)


def test_kk_report_has_no_overprinted_headers(observed, tmp_path):
    path = tmp_path / "report-kk.pdf"
    path.write_bytes(pdf.election_report(observed["election"], "kk"))
    assert not overprinted(path)
    layout = _layout(path)
    with translation.override("kk"):
        from django.utils.translation import gettext as _

        for header in (_("Polling stations"), _("Leader (official)"), _("Violations")):
            for word in header.split():
                assert word in layout, header


def test_kk_station_card_has_no_overprinted_headers(client, observed, tmp_path):
    station = observed["station"]
    response = client.get("/kk" + reverse("dashboard:card", args=["test-kz", station.id])[3:])
    path = tmp_path / "card-kk.pdf"
    path.write_bytes(response.content)
    assert not overprinted(path)
