"""kk numbers are grouped, and the live refresh writes what the page wrote (server's format)."""

import re

from django.contrib.humanize.templatetags.humanize import intcomma
from django.utils import translation


def test_kk_numbers_are_grouped():
    with translation.override("kk"):
        assert intcomma(1234567) == "1\xa0234\xa0567"
    with translation.override("ru"):
        assert intcomma(1234567) == "1\xa0234\xa0567"


def test_live_refresh_sends_the_page_formatted_figures(client, observed):
    country = observed["country"]
    page = client.get(f"/kk/e/test-kz/u/{country.id}/").content.decode()
    data = client.get(f"/kk/e/test-kz/u/{country.id}/live.json").json()
    updated = re.search(r"<time data-updated[^>]*>([^<]+)</time>", page).group(1)
    assert data["computed_at_text"] == updated  # the server's clock and format, not the browser's
    for key, text in data["counters_text"].items():
        assert text == intcomma(data["counters"][key]) or data["counters"][key] is None
        shown = re.search(rf'data-counter="{key}">([^<]*)<', page)
        if shown:
            assert shown.group(1) == text
