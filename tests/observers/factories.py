"""A small observed election shared by the observers and reports tests.

Country KZ → regions 01 and 02 → districts 0101, 0201 → stations 237, 238 (district 0101) and 300
(district 0201). Organisations A and C form a coalition; B stands alone.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.utils import timezone

from baqylau.accounts.services import api_token_create
from baqylau.elections.models import AdminUnit, Choice, Contest, Election
from baqylau.observers.models import Coalition, Membership, Organisation
from baqylau.observers.services import add_membership, assign_observer, create_observer

PHONE_A1 = "+7 701 111 22 33"
PHONE_A2 = "8 (702) 444-55-66"
PHONE_B1 = "+7 705 777 88 99"


def unit(election, parent, kind, code, **extra) -> AdminUnit:
    path = f"{parent.path}/{code}" if parent else code
    return AdminUnit.objects.create(
        election=election,
        parent=parent,
        kind=kind,
        code=code,
        path=path,
        depth=(parent.depth + 1) if parent else 0,
        name_en=f"{kind} {code}",
        name_ru=f"{kind} {code}",
        **extra,
    )


@dataclass
class World:
    election: Election
    contest: Contest
    regions: dict
    stations: dict
    orgs: dict
    observers: dict
    users: dict
    tokens: dict


def build_world() -> World:
    User = get_user_model()
    election = Election.objects.create(
        code="kz-test", date=timezone.localdate(), kind="presidential", country="KZ", name_en="Test"
    )
    contest = Contest.objects.create(
        election=election, code="president", kind="presidential", protocol_form="kz_president"
    )
    Choice.objects.create(contest=contest, code="cand-a", number=1, name_en="A")
    Choice.objects.create(contest=contest, code="cand-b", number=2, name_en="B")
    kz = unit(election, None, "country", "KZ")
    r1 = unit(election, kz, "region", "01")
    r2 = unit(election, kz, "region", "02")
    d1 = unit(election, r1, "district", "0101")
    d2 = unit(election, r2, "district", "0201")
    stations = {
        "237": unit(election, d1, "station", "237", registered_voters=2170),
        "238": unit(election, d1, "station", "238", registered_voters=1000),
        "300": unit(election, d2, "station", "300", registered_voters=1500),
    }
    orgs = {
        "A": Organisation.objects.create(code="org-a", kind="ngo", name_en="Org A"),
        "B": Organisation.objects.create(code="org-b", kind="party", name_en="Org B"),
        "C": Organisation.objects.create(code="org-c", kind="ngo", name_en="Org C"),
    }
    coalition = Coalition.objects.create(code="coal", name_en="Coalition")
    coalition.organisations.add(orgs["A"], orgs["C"])
    observers = {
        "A1": create_observer(
            organisation=orgs["A"],
            name="Aigerim Nurlanovna",
            phone=PHONE_A1,
            document="ID 012345678",
            language="ru",
        ),
        "A2": create_observer(
            organisation=orgs["A"], name="Dauren Seitkali", phone=PHONE_A2, language="kk"
        ),
        "B1": create_observer(
            organisation=orgs["B"], name="Boris Party", phone=PHONE_B1, language="en"
        ),
        "C1": create_observer(organisation=orgs["C"], name="Saule Coalition", language="ru"),
        "L1": create_observer(
            organisation=orgs["A"], name="Consenting Person", language="ru", consent_lawyers=True
        ),
    }
    assign_observer(observer=observers["A1"], station=stations["237"], shift="opening")
    assign_observer(observer=observers["A1"], station=stations["237"], shift="count")
    assign_observer(observer=observers["A2"], station=stations["238"], shift="opening")
    assign_observer(observer=observers["L1"], station=stations["238"], shift="afternoon")
    assign_observer(observer=observers["B1"], station=stations["300"], shift="count")
    assign_observer(observer=observers["C1"], station=stations["238"], shift="count")

    users = {}

    def member(name, org, role, **extra):
        user = User.objects.create_user(username=name, password="pw-" + name)
        add_membership(user=user, organisation=orgs[org], role=role, **extra)
        users[name] = user
        return user

    member("coord_a", "A", Membership.Role.COORDINATOR)
    member("coord_b", "B", Membership.Role.COORDINATOR)
    member("regional_a1", "A", Membership.Role.REGIONAL, region=r1)
    member("regional_a2", "A", Membership.Role.REGIONAL, region=r2)
    member("moderator", "A", Membership.Role.MODERATOR)
    member("lawyer_a", "A", Membership.Role.LAWYER)
    member("obs_a1", "A", Membership.Role.OBSERVER, observer=observers["A1"])
    member("obs_a2", "A", Membership.Role.OBSERVER, observer=observers["A2"])
    member("obs_b1", "B", Membership.Role.OBSERVER, observer=observers["B1"])
    member("coord_c", "C", Membership.Role.COORDINATOR)
    tokens = {name: api_token_create(user=user)[1] for name, user in users.items()}
    return World(
        election=election,
        contest=contest,
        regions={"01": r1, "02": r2, "d1": d1, "d2": d2},
        stations=stations,
        orgs=orgs,
        observers=observers,
        users=users,
        tokens=tokens,
    )
