"""Every page of every role, in kk and ru: no word of another language, no raw code.

The pages come from the staff links registry (each role's links, as its home shows them) and the
public URL patterns; a page added to either is scanned without touching this test. The world has
a check-in, a turnout count and violation reports, so statuses and violation types are on the pages.
"""

from __future__ import annotations

import json

import pytest
from django.contrib.auth import get_user_model

from baqylau.staff.links import links_for
from tests.language.scan import known_codes, problems, public_urls, visible_text
from tests.observers.factories import build_world

STAFF = ("coord_a", "regional_a1", "moderator", "lawyer_a", "chief")


@pytest.fixture
def world(db, settings, tmp_path):
    settings.DATA_DIR = tmp_path
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    world = build_world()
    e = world.election
    e.name_kk, e.name_ru = "Президент сайлауы", "Выборы президента"
    e.save()
    names = {
        "country": ("Қазақстан", "Казахстан"),
        "region": ("{code} облысы", "Область {code}"),
        "district": ("{code} ауданы", "Район {code}"),
        "station": ("№ {code} сайлау учаскесі", "Избирательный участок № {code}"),
    }
    for unit in e.units.all():
        kk, ru = names.get(unit.kind, ("{code}", "{code}"))
        unit.name_kk, unit.name_ru = kk.format(code=unit.code), ru.format(code=unit.code)
        unit.save()
    for choice in world.contest.choices.all():
        choice.name_kk = choice.name_ru = f"Кандидат {choice.number}"
        choice.save()
    for n, org in enumerate(world.orgs.values(), 1):
        org.name_kk, org.name_ru = f"№ {n} бірлестік", f"Объединение № {n}"
        org.save()
    get_user_model().objects.create_superuser("chief", "c@example.org", "pw-chief")
    world.users["chief"] = get_user_model().objects.get(username="chief")
    for path, body in [
        ("checkin", {"station": "237", "status": "admitted", "at": "07:05"}),
        ("turnout", {"station": "237", "at": "10:30", "count": 412, "commission_count": 530}),
        ("incident", {"station": "237", "violation": "no_id_issue"}),
        ("incident", {"station": "237", "violation": "coercion"}),
    ]:
        r = _client_post(world, path, body)
        assert r.status_code == 201, r.content
    return world


def _client_post(world, path, body):
    from django.test import Client

    return Client().post(
        f"/api/v1/reports/{path}",
        data=json.dumps(body),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {world.tokens['obs_a1']}",
    )


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
