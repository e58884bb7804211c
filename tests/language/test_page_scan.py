"""Every page of every role, in kk and ru: no word of another language, no raw code.

The pages come from the staff links registry (each role's links, as its home shows them) and the
public URL patterns; a page added to either is scanned without touching this test. The world has
a check-in, a turnout count and violation reports, so statuses and violation types are on the pages.
"""

from __future__ import annotations

import pytest

from baqylau.staff.links import links_for
from tests.language.scan import known_codes, problems, public_urls, visible_text
from tests.language.world import make_world

STAFF = ("coord_a", "regional_a1", "moderator", "lawyer_a", "chief")


@pytest.fixture
def world(db, settings, tmp_path):
    settings.DATA_DIR = tmp_path
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    return make_world()


def _scan(client, url, lang, codes, allowed, *, must_open=True) -> list:
    response = client.get(url, HTTP_ACCEPT_LANGUAGE=lang, follow=True)
    if must_open:
        assert response.status_code == 200, (url, response.status_code)
    if response.status_code != 200 or "text/html" not in response.get("Content-Type", ""):
        return []  # a unit a public URL does not apply to (live.json of a country), or data
    return problems(url, visible_text(response.content.decode(), lang), lang, codes, allowed)


@pytest.mark.parametrize("lang", ["kk", "ru"])
def test_every_page_speaks_one_language(client, world, lang):
    from django.utils import translation

    codes = known_codes()
    assert {"no_id_issue", "admitted", "coercion"} <= codes
    found, scanned = [], set()
    # personal data is shown as entered (the test observers' names are in Latin letters)
    personal = {w for o in world.observers.values() for w in o.name.split()}
    station = world.stations["237"]
    root = world.election.units.get(parent__isnull=True)
    with translation.override(lang):
        public = public_urls({"code": world.election.code, "unit_id": station.id}) + public_urls(
            {"code": world.election.code, "unit_id": root.id}
        )
    for url in sorted(set(public)):
        if url.startswith(f"/{lang}/") or url[1:3] not in ("kk", "ru", "en"):
            found += _scan(client, url, lang, codes, personal, must_open=False)
            scanned.add(url)
    for name in STAFF:
        user = world.users[name]
        client.force_login(user)
        with translation.override(lang):
            urls = [f"/{lang}/staff/"] + [link.url for link in links_for(user, [world.election])]
        for url in urls:
            found += _scan(client, url, lang, codes, personal | {user.get_username()})
            scanned.add(url)
        client.logout()
    assert len(scanned) > 15, scanned
    assert not found, f"{len(found)} problems:\n" + "\n".join(map(str, found))
