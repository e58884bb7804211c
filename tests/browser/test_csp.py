"""The Content-Security-Policy in the real browser: every kind of page loads and works with zero
violations — the public pages (a unit page with its map and its live refresh, a station page,
the map), the observer app's offline flow (service worker, IndexedDB outbox), the moderation and
legal pages, the admin (calendar widgets, actions), the API docs (Swagger UI) and the bots' check
page. A violation is caught both as Chromium's console message ("Refused to …") and as a
`securitypolicyviolation` event; a first test shows that both catch an inline script and a style
attribute, so that silence means no violation, not a deaf listener.
"""

from __future__ import annotations

import json

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from tests.observers.factories import build_world

from baqylau.dashboard.services import rebuild_summaries
from baqylau.elections.models import AdminUnit
from baqylau.jobs.worker import run_until_idle
from baqylau.observers.services import assign_observer
from baqylau.protocols.models import ProtocolCopy
from baqylau.simulate.copies import make_copies
from baqylau.simulate.engine import SimulationConfig, simulate
from baqylau.simulate.intake import submit_copies
from baqylau.simulate.loader import load_simulation

pytestmark = pytest.mark.django_db(transaction=True)

LISTEN = """
document.addEventListener("securitypolicyviolation", (e) => {
  (window.__csp = window.__csp || []).push(
    `${e.effectiveDirective} blocked ${e.blockedURI || "inline"} (${e.sourceFile}:${e.lineNumber})`
  );
});
"""


class Violations:
    """Every CSP violation the page reports, on any page it visits."""

    def __init__(self, page):
        self.page = page
        self.found: list[str] = []
        page.add_init_script(LISTEN)
        page.on("console", self._console)

    def _console(self, message) -> None:
        if "Content Security Policy" in message.text or message.text.startswith("Refused to"):
            self.found.append(f"console: {message.text}")

    def collect(self) -> list[str]:
        """The violations so far, the current page's events included."""
        try:
            events = self.page.evaluate("window.__csp || []")
            self.page.evaluate("window.__csp = []")
        except Exception:  # the page is navigating: its events are read on the next page
            events = []
        self.found.extend(f"event: {e} on {self.page.url}" for e in events)
        return self.found

    def visit(self, url: str):
        """Open a page; its HTML response must carry the policy with a nonce."""
        self.collect()
        response = self.page.goto(url)
        assert response is not None and response.ok, (url, response and response.status)
        policy = response.headers.get("content-security-policy", "")
        assert "script-src 'self' 'nonce-" in policy and "unsafe-inline" not in policy, (
            url,
            policy,
        )
        self.page.wait_for_load_state("load")
        return response


@pytest.fixture
def csp(page):
    return Violations(page)


def test_the_listeners_catch_an_inline_script_and_a_style_attribute(live_server, page, csp):
    csp.visit(f"{live_server.url}/en/")
    page.evaluate(
        """() => {
          const s = document.createElement("script");
          s.textContent = "window.__ran = true";
          document.body.appendChild(s);
          document.body.setAttribute("style", "background: red");
        }"""
    )
    page.wait_for_timeout(200)
    found = csp.collect()
    assert page.evaluate("window.__ran === undefined")  # the inline script did not run
    assert any(f.startswith("event: script-src") for f in found), found
    assert any(f.startswith("event: style-src") for f in found), found
    assert any(f.startswith("console: ") and "script" in f for f in found), found


def test_public_pages_with_map_and_live_refresh(live_server, page, csp, screenshot):
    sim = simulate(SimulationConfig(seed=7, n_stations=400, n_regions=20))
    election = load_simulation(sim, election_code="sim-csp")
    contest = election.contests.get()
    submit_copies(contest, sim, make_copies(sim, k=2, typo_rate=0.05, seed=7))
    run_until_idle()
    rebuild_summaries(election)
    country = AdminUnit.objects.get(election=election, kind="country")
    region = AdminUnit.objects.filter(election=election, kind="region").first()
    station = AdminUnit.objects.filter(election=election, kind="station").first()
    base = f"{live_server.url}/en/e/sim-csp"

    page.clock.install()  # the live refresh runs every minute: the test moves the clock on
    csp.visit(f"{base}/u/{country.id}/")
    assert page.locator("figure.map svg a").count() == 20
    with page.expect_response(lambda r: "/live.json" in r.url) as live:
        page.clock.run_for(61_000)
    assert live.value.status == 200 and live.value.json()["counters"]
    screenshot("unit-with-map")
    # the region selector submits its form from live.js (no inline handler)
    with page.expect_navigation():
        page.get_by_label("Choose a region").select_option(label=region.name_en)
    assert page.get_by_role("heading", level=1).inner_text() == region.name_en

    for url in (
        f"{live_server.url}/en/",
        f"{base}/",
        f"{base}/map/?measure=coverage",
        f"{base}/u/{station.id}/",
        f"{base}/data/",
        f"{live_server.url}/ru/e/sim-csp/u/{country.id}/",
        f"{live_server.url}/kk/e/sim-csp/u/{country.id}/",
    ):
        csp.visit(url)
    screenshot("station")
    assert csp.collect() == []


def test_observer_app_offline_flow(live_server, page, csp, settings, tmp_path, screenshot):
    settings.DATA_DIR = tmp_path
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    build_world()
    page.set_default_timeout(20_000)
    csp.visit(f"{live_server.url}/ru/observe/")
    page.fill("input[name=username]", "obs_a1")
    page.fill("input[name=password]", "pw-obs_a1")
    page.click("#login-form button[type=submit]")
    page.wait_for_selector("#home:not([hidden])")
    page.wait_for_function("navigator.serviceWorker && navigator.serviceWorker.controller !== null")

    page.context.set_offline(True)
    page.reload()  # the shell, from the service worker's cache, with its own policy
    page.wait_for_selector("#home:not([hidden])")
    page.click("a[href='#turnout']")
    page.fill("#f-turnout input[name=at]", "10:30")
    page.fill("#f-turnout input[name=count]", "412")
    page.click("#f-turnout button[type=submit]")
    page.wait_for_selector("#outbox:not([hidden]) li.item[data-state=queued]")
    screenshot("offline-queued")

    page.context.set_offline(False)  # the outbox (IndexedDB) is delivered
    page.wait_for_selector("li.item[data-state=recorded]")
    screenshot("delivered")
    assert csp.collect() == []


def test_staff_pages_admin_and_api_docs(live_server, page, csp, settings, tmp_path, screenshot):
    settings.DATA_DIR = tmp_path
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    world = build_world()
    sim = simulate(SimulationConfig(seed=3, n_stations=60, n_regions=3))
    election = load_simulation(sim, election_code="sim-staff")
    submit_copies(election.contests.get(), sim, make_copies(sim, k=2, typo_rate=0.2, seed=3))
    # an incident in each election, so that the legal pages offer a choice of elections
    sim_station = AdminUnit.objects.filter(election=election, kind="station").first()
    assign_observer(observer=world.observers["A1"], station=sim_station, shift="count")
    for code, station_id in (("kz-test", world.stations["237"].pk), ("sim-staff", sim_station.pk)):
        report = {
            "election": code,
            "station_id": station_id,
            "violation": "stuffing",
            "at": "10:15",
        }
        answer = Client().post(
            "/api/v1/reports/incident",
            data=json.dumps(report),
            content_type="application/json",
            headers={"Authorization": f"Bearer {world.tokens['obs_a1']}"},
        )
        assert answer.status_code == 201, answer.content
    run_until_idle()
    get_user_model().objects.create_superuser("chief", "chief@example.org", "pw-chief-1")
    base = live_server.url

    csp.visit(f"{base}/en/admin/login/")
    page.fill("input[name=username]", "chief")
    page.fill("input[name=password]", "pw-chief-1")
    with page.expect_navigation():
        page.click("input[type=submit]")
    assert "Site administration" in page.content()

    # the admin: index, a change list with its actions, an add form with calendar widgets
    csp.visit(f"{base}/en/admin/")
    csp.visit(f"{base}/en/admin/elections/election/")
    page.locator("#action-toggle").check()
    assert page.locator(".action-counter").inner_text().startswith("2 of 2")
    csp.visit(f"{base}/en/admin/elections/election/add/")
    page.locator(".datetimeshortcuts a").first.click()  # "Today"
    page.locator("a[id^=calendarlink]").first.click()
    page.wait_for_selector(".calendarbox", state="visible")
    screenshot("admin-calendar")
    page.locator(".calendarbox:visible .calendar-cancel a").click()
    page.wait_for_selector(".calendarbox", state="hidden")
    rows = page.locator(".dynamic-contests").count()
    page.locator(".add-row a").first.click()  # an inline row added by the admin's script
    assert page.locator(".dynamic-contests").count() == rows + 1
    csp.visit(f"{base}/en/admin/elections/importrun/import-file/")
    csp.visit(f"{base}/en/admin/auth/user/1/change/")

    # moderation: the queue, a copy, the incidents
    csp.visit(f"{base}/en/moderation/")
    copy = ProtocolCopy.objects.order_by("pk").first()
    csp.visit(f"{base}/en/moderation/copies/{copy.pk}/")
    csp.visit(f"{base}/en/moderation/incidents/")
    screenshot("moderation")

    # the legal pages; choosing an election submits the form from live.js
    csp.visit(f"{base}/en/legal/")
    csp.visit(f"{base}/en/legal/incidents/")
    choice = page.locator("select[name=election] option:not([selected])").first.get_attribute(
        "value"
    )
    with page.expect_navigation():
        page.locator("select[name=election]").select_option(choice)
    assert f"election={choice}" in page.url
    screenshot("legal")

    # the API docs (Swagger UI, served locally) render and expand an operation
    csp.visit(f"{base}/api/v1/docs")
    page.wait_for_selector("#swagger-ui .opblock")
    page.locator("#swagger-ui .opblock-summary").first.click()
    page.wait_for_selector("#swagger-ui .opblock-body")
    screenshot("api-docs")

    # the bots' check page (styled by the site's stylesheet: its label is a block over the textarea)
    csp.visit(f"{base}/bots/verify/")
    assert (
        page.evaluate("getComputedStyle(document.querySelector('.verify-form label')).display")
        == "block"
    )
    assert csp.collect() == []
