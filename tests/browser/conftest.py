"""Browser tests: Playwright driving Debian's Chromium (/usr/bin/chromium), never a downloaded one.

Every page load records the requests it makes; a request to anything but 127.0.0.1/localhost
fails the test (the public site must work with no network). Screenshots go to test-artifacts/.
"""

import os
import shutil
from pathlib import Path
from urllib.parse import urlparse

import pytest

CHROMIUM = os.environ.get("BAQYLAU_CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
LOCAL_HOSTS = {"127.0.0.1", "localhost", "[::1]"}

# Playwright's sync API runs an event loop in the test thread; the live server runs in another.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture(scope="session")
def chromium_path() -> str:
    if not (Path(CHROMIUM).exists() or shutil.which(CHROMIUM)):
        message = f"Chromium not found at {CHROMIUM} (install Debian's `chromium` package)"
        if os.environ.get("BAQYLAU_REQUIRE_BROWSER") == "1":
            pytest.fail(message)
        pytest.skip(message)
    return CHROMIUM


@pytest.fixture(scope="module")
def browser(chromium_path):
    """One Chromium per test module: Playwright's sync API keeps an event loop running in the
    main thread while it is active, so it must stop before the non-browser tests that call
    asyncio.run() (pytest-django runs database tests, browser tests among them, first)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=chromium_path,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield browser
        browser.close()


class ExternalRequests(list):
    """URLs of requests that left the machine (must stay empty)."""


@pytest.fixture
def page(browser, request):
    context = browser.new_context(viewport={"width": 412, "height": 915}, accept_downloads=True)
    page = context.new_page()
    external = ExternalRequests()

    def check(req):
        host = urlparse(req.url).hostname or ""
        if req.url.startswith(("data:", "blob:", "about:")):
            return
        if host not in LOCAL_HOSTS and f"[{host}]" not in LOCAL_HOSTS:
            external.append(req.url)

    page.on("request", check)
    page.external_requests = external
    yield page
    context.close()
    assert not external, f"requests outside 127.0.0.1: {external}"


@pytest.fixture
def screenshot(page, request):
    """screenshot('name') saves test-artifacts/<test>-<name>.png."""
    ARTIFACTS.mkdir(exist_ok=True)

    def take(name: str) -> Path:
        path = ARTIFACTS / f"{request.node.name}-{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take
