"""The staff home: one entry per role, links from every app's staff.py, sign-in in the user's language."""

import pytest
from django.contrib.auth import get_user_model

from baqylau.staff.links import collect_links, links_for


def test_registry_collects_links_of_every_app(db):
    names = {link.url_name for link in collect_links()}
    assert {
        "reports:live",
        "reports:observers:list",
        "moderation:queue",
        "legal:home",
        "admin:index",
    } <= names


@pytest.mark.parametrize(
    ("user", "shown", "hidden"),
    [
        (
            "coord_a",
            ["/kk/staff/observers/", "/live/"],
            ["/kk/moderation/", "/kk/legal/", "/kk/admin/"],
        ),
        ("regional_a1", ["/kk/staff/observers/", "/coverage/"], ["/kk/moderation/", "/kk/legal/"]),
        (
            "moderator",
            ["/kk/moderation/", "/kk/moderation/incidents/"],
            ["/kk/legal/", "/kk/admin/"],
        ),
        ("lawyer_a", ["/kk/legal/"], ["/kk/moderation/", "/kk/staff/observers/"]),
    ],
)
def test_home_shows_what_the_role_may_use(client, world, user, shown, hidden):
    client.force_login(world.users[user])
    page = client.get("/kk/staff/")
    assert page.status_code == 200
    html = page.content.decode()
    for href in shown:
        assert f'href="{href}' in html or href in html
    for href in hidden:
        assert f'href="{href}"' not in html
    # every link shown opens for this user (no link to a page the role is refused)
    for link in links_for(world.users[user], [world.election]):
        assert client.get(link.url).status_code == 200, link.url


def test_admin_sees_administration(client, world):
    chief = get_user_model().objects.create_superuser("chief", "c@example.org", "pw")
    client.force_login(chief)
    html = client.get("/ru/staff/").content.decode()
    assert 'href="/ru/admin/"' in html and 'href="/ru/moderation/"' in html


def test_observer_and_anonymous_do_not_enter(client, world):
    r = client.get("/kk/staff/")
    assert r.status_code == 302 and r["Location"].startswith("/kk/staff/login/")
    client.force_login(world.users["obs_a1"])
    assert client.get("/kk/staff/").status_code == 403


def test_login_page_in_the_users_language(client, world):
    assert client.get("/accounts/login/?next=/kk/staff/")["Location"].startswith("/")
    kk = client.get("/kk/staff/login/")
    assert kk.status_code == 200 and "Кіру" in kk.content.decode()
    ru = client.get("/ru/staff/login/").content.decode()
    assert "Войти" in ru
    r = client.post("/kk/staff/login/", {"username": "coord_a", "password": "pw-coord_a"})
    assert r.status_code == 302 and r["Location"] == "/kk/staff/"


def test_public_site_links_to_staff(client, db):
    assert 'href="/kk/staff/"' in client.get("/kk/").content.decode()


def test_lockout_page_is_translated(client, world, settings):
    settings.AXES_FAILURE_LIMIT = 2
    for _ in range(3):
        r = client.post(
            "/kk/staff/login/", {"username": "coord_a", "password": "wrong"}, REMOTE_ADDR="10.0.0.9"
        )
    assert r.status_code == 429
    html = r.content.decode()
    assert 'lang="kk"' in html and "Account locked" not in html


def test_error_pages_are_translated_and_branded(client, world):
    page = client.get("/kk/no-such-page/")
    assert page.status_code == 404
    html = page.content.decode()
    assert "Бет табылмады" in html and 'class="brand"' in html and "Not Found" not in html
    client.force_login(world.users["obs_a1"])
    denied = client.get("/ru/staff/")
    assert denied.status_code == 403 and "Доступ запрещён" in denied.content.decode()


def test_admin_in_kazakh(client, world):
    chief = get_user_model().objects.create_superuser("chief", "c@example.org", "pw")
    client.force_login(chief)
    html = client.get("/kk/admin/").content.decode()
    assert "Baqylau әкімшілігі" in html and "Соңғы әрекеттер" in html
    for leftover in ("Даңғо", "Последние действия", "Добавить", "AXES", "Tasks Database Backend"):
        assert leftover not in html, leftover
