"""Every staff page, in kk, fits a 390 px phone without horizontal scrolling.

Each role signs in through the sign-in page (as a person would), opens its staff home and every
page the home links to (the staff links registry: pages other apps add are checked too).
"""

from urllib.parse import urlparse

import pytest
from tests.browser.conftest import LOCAL_HOSTS
from tests.language.world import make_world

from baqylau.staff.links import links_for

pytestmark = pytest.mark.django_db(transaction=True)

ROLES = {
    "coord_a": "pw-coord_a",
    "regional_a1": "pw-regional_a1",
    "moderator": "pw-moderator",
    "lawyer_a": "pw-lawyer_a",
    "chief": "pw-chief",
}
WIDTH = 390


def _overflow(page) -> int:
    """How many CSS pixels the page is wider than the viewport (0: no horizontal scroll)."""
    return page.evaluate(
        "() => Math.max(document.documentElement.scrollWidth, document.body.scrollWidth)"
        " - window.innerWidth"
    )


def test_staff_pages_fit_a_390px_phone_in_kk(live_server, browser, settings, tmp_path):
    settings.DATA_DIR = tmp_path
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    world = make_world()
    world.users["chief"].set_password(ROLES["chief"])
    world.users["chief"].save()
    too_wide, external, visited = [], [], 0
    for username, password in ROLES.items():
        context = browser.new_context(viewport={"width": WIDTH, "height": 844})
        page = context.new_page()
        page.on(
            "request",
            lambda req: (
                None
                if req.url.startswith(("data:", "blob:", "about:"))
                or (urlparse(req.url).hostname or "") in LOCAL_HOSTS
                else external.append(req.url)
            ),
        )
        page.goto(f"{live_server.url}/kk/staff/login/")
        page.fill("#id_username", username)
        page.fill("#id_password", password)
        with page.expect_navigation():
            page.click(".login-form button[type=submit]")
        assert urlparse(page.url).path == "/kk/staff/", (username, page.url)
        from django.utils import translation

        with translation.override("kk"):
            urls = ["/kk/staff/"] + [
                link.url for link in links_for(world.users[username], [world.election])
            ]
        for url in urls:
            page.goto(live_server.url + url)
            visited += 1
            if (extra := _overflow(page)) > 0:
                too_wide.append(f"{username} {url}: {extra} px too wide")
        context.close()
    assert visited > 10
    assert not external, external
    assert not too_wide, "\n".join(too_wide)
