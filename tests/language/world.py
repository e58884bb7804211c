"""A small observed election whose every name has kk and ru forms, for the language scan and the
phone-width browser test."""

from __future__ import annotations

import json

from django.contrib.auth import get_user_model

from tests.observers.factories import build_world


def make_world():
    """The observers' test world with kk/ru names everywhere, a superuser (chief), a check-in, a
    turnout count and two violation reports sent through the API."""
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
    world.contest.name_kk, world.contest.name_ru = "Президент сайлауы", "Выборы президента"
    world.contest.save()
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
