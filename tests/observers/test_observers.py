"""Observers: encryption at rest, identity only to their own organisation, import, roles."""

import io

import pytest
from django.db import IntegrityError, connection, transaction
from openpyxl import Workbook

from baqylau.observers import crypto
from baqylau.observers.models import AuditEvent, Membership, Observer
from baqylau.observers.selectors import can_see_identity, observer_card, visible_observers
from baqylau.observers.services import ImportFailed, import_observers, observer_by_phone
from tests.observers.factories import PHONE_A1


def test_personal_data_encrypted_at_rest(world):
    observer = world.observers["A1"]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT name_encrypted, phone_encrypted, document_encrypted, phone_hash "
            "FROM observers_observer WHERE id = %s",
            [observer.pk],
        )
        row = " ".join(cursor.fetchone())
    for secret in ("Aigerim", "7011112233", "701 111", "012345678"):
        assert secret not in row
    fresh = Observer.objects.get(pk=observer.pk)
    assert fresh.name == "Aigerim Nurlanovna"
    assert fresh.phone == "77011112233"
    assert fresh.document == "ID 012345678"


def test_phone_lookup_by_keyed_hash(world, settings):
    assert observer_by_phone("87011112233") == world.observers["A1"]
    assert observer_by_phone("+7 (701) 111-22-33") == world.observers["A1"]
    assert observer_by_phone("+7 700 000 00 00") is None
    settings.OBSERVER_DATA_KEY = "another key"
    assert crypto.phone_hash(PHONE_A1) != world.observers["A1"].phone_hash
    with pytest.raises(ValueError):
        Observer.objects.get(pk=world.observers["A1"].pk).name  # noqa: B018


def test_public_id_shape(world):
    ids = {o.public_id for o in world.observers.values()}
    assert len(ids) == len(world.observers)
    assert all(i.startswith("OBS-") and len(i) == 9 for i in ids)


def test_identity_only_to_own_organisation(world):
    a1 = world.observers["A1"]
    u = world.users
    assert can_see_identity(u["coord_a"], a1)
    assert can_see_identity(u["regional_a1"], a1)  # A1 works in region 01
    assert can_see_identity(u["obs_a1"], a1)
    for name in ("coord_b", "coord_c", "regional_a2", "moderator", "obs_a2", "lawyer_a"):
        assert not can_see_identity(u[name], a1), name
    # The lawyer sees observers who consented.
    assert can_see_identity(u["lawyer_a"], world.observers["L1"])
    card = observer_card(u["coord_b"], a1)
    assert "name" not in card and "phone" not in card and card["public_id"] == a1.public_id


def test_visible_observers_by_role(world):
    def codes(user):
        return {o.public_id for o in visible_observers(user)}

    obs = {k: v.public_id for k, v in world.observers.items()}
    assert codes(world.users["coord_a"]) == {obs["A1"], obs["A2"], obs["L1"]}
    assert codes(world.users["coord_b"]) == {obs["B1"]}
    assert codes(world.users["regional_a2"]) == set()
    assert codes(world.users["obs_a2"]) == {obs["A2"]}
    assert codes(world.users["lawyer_a"]) == {obs["L1"]}


def test_api_observers_never_leak_identity(client, world):
    r = client.get("/api/v1/observers", HTTP_AUTHORIZATION=f"Bearer {world.tokens['moderator']}")
    assert r.status_code == 200
    body = r.content.decode()
    assert world.observers["A1"].public_id in body
    for secret in ("Aigerim", "Boris", "7011112233", "Saule"):
        assert secret not in body
    r = client.get("/api/v1/observers", HTTP_AUTHORIZATION=f"Bearer {world.tokens['coord_a']}")
    assert "Aigerim Nurlanovna" in r.content.decode()
    assert "Boris" not in r.content.decode()


def test_observer_page(client, world):
    client.force_login(world.users["coord_b"])
    html = client.get("/en/staff/observers/").content.decode()
    assert "Boris Party" in html and "Aigerim" not in html
    assert world.observers["A1"].public_id not in html
    client.force_login(world.users["obs_a1"])
    assert client.get("/en/staff/observers/").status_code == 403


def test_audit_on_create_has_no_personal_data(world):
    event = AuditEvent.objects.filter(action="observer.create").first()
    assert event is not None
    text = str(event.after)
    assert "Aigerim" not in text and "7011112233" not in text
    assert event.after["personal_data_set"]


def test_membership_constraints(world):
    with pytest.raises(IntegrityError), transaction.atomic():
        Membership.objects.create(
            user=world.users["coord_a"], organisation=world.orgs["B"], role="regional"
        )
    with pytest.raises(IntegrityError), transaction.atomic():
        Membership.objects.create(
            user=world.users["coord_a"], organisation=world.orgs["B"], role="observer"
        )


CSV_OK = (
    "name,phone,document,accreditation_body_kind,accreditation_body_name,accreditation_number,"
    "accreditation_date,training,languages,language,availability,consent_lawyers\n"
    'Asel One,+7 701 900 00 01,ID1,ngo,Echo,A-17,2024-06-01,trained,"kk,ru",kk,"opening,count",yes\n'
    "Bolat Two,87019000002,,party,Ak Zhol,,01.06.2024,online,ru,,count,no\n"
)


def test_import_csv(world):
    observers = import_observers(
        organisation=world.orgs["A"], content=CSV_OK.encode(), filename="o.csv"
    )
    assert len(observers) == 2
    asel = Observer.objects.get(pk=observers[0].pk)
    assert asel.name == "Asel One" and asel.languages == ["kk", "ru"]
    assert asel.availability == ["opening", "count"] and asel.consent_lawyers
    assert observer_by_phone("+77019000002").name == "Bolat Two"


def test_import_is_all_or_nothing_with_row_errors(world):
    bad = CSV_OK + (
        "Bad Three,not a phone,,alien,,,2024-13-45,guru,fr,xx,night,maybe\n"
        ",+7 701 900 00 01,,,,,,,,,,\n"
        f"Dup,{PHONE_A1},,,,,,,,,,\n"
    )
    before = Observer.objects.count()
    with pytest.raises(ImportFailed) as exc:
        import_observers(organisation=world.orgs["A"], content=bad.encode(), filename="o.csv")
    assert Observer.objects.count() == before
    errors = {(e.line, e.column) for e in exc.value.errors}
    for column in (
        "phone",
        "accreditation_body_kind",
        "accreditation_date",
        "training",
        "languages",
        "language",
        "availability",
        "consent_lawyers",
    ):
        assert (4, column) in errors, column
    assert (5, "name") in errors and (5, "phone") in errors  # missing name; same phone as line 2
    assert any(e.line == 6 and "already registered" in e.reason for e in exc.value.errors)


def test_import_xlsx_and_unknown_column(world):
    book = Workbook()
    sheet = book.active
    sheet.append(["name", "phone", "accreditation_date"])
    sheet.append(["Xlsx Person", 77019000009, "2024-06-01"])
    buffer = io.BytesIO()
    book.save(buffer)
    observers = import_observers(
        organisation=world.orgs["B"], content=buffer.getvalue(), filename="o.xlsx"
    )
    assert observers[0].phone == "77019000009"
    with pytest.raises(ImportFailed) as exc:
        import_observers(
            organisation=world.orgs["B"], content=b"name,phone,shoe\n", filename="x.csv"
        )
    assert [(e.line, e.column, e.reason) for e in exc.value.errors] == [
        (1, "shoe", "unknown column")
    ]
