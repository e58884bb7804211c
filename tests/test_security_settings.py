"""Production settings: `check --deploy` is clean with the production environment of the README,
HSTS and Secure/HttpOnly cookies behind TLS, plain http still working for development and the
tests; a Content-Security-Policy with a fresh nonce on every HTML page and no template that needs
'unsafe-inline'; the SMS gateway's secret only in its header."""

from __future__ import annotations

import json
import os
import re
import secrets
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model

import baqylau

SRC = Path(baqylau.__file__).resolve().parent
PRODUCTION = {
    "SECRET_KEY": secrets.token_urlsafe(50),
    "ALLOWED_HOSTS": "baqylau.example.org",
    "BAQYLAU_HTTPS": "1",
}


def _run(tmp_path, *args: str, **env: str) -> subprocess.CompletedProcess:
    """A command in a clean environment (only what finds programs and files; SQLite in tmp) with
    `env` on top: nothing of this test process (DEBUG, DATABASE_URL, DJANGO_ALLOW_ASYNC_UNSAFE
    set by the browser tests, ...) leaks into what a production server would have."""
    keep = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "PYTHONPATH", "VIRTUAL_ENV")
    base = {k: v for k, v in os.environ.items() if k in keep}
    base["BAQYLAU_DATA_DIR"] = str(tmp_path)
    return subprocess.run(
        [sys.executable, *args], env={**base, **env}, capture_output=True, text=True, timeout=120
    )


def test_deploy_check_is_clean_with_the_production_environment(tmp_path):
    done = _run(
        tmp_path,
        "-m",
        "baqylau",
        "django",
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        **PRODUCTION,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "System check identified no issues (0 silenced)." in done.stdout


def test_deploy_check_warns_when_tls_is_not_declared(tmp_path):
    """Without BAQYLAU_HTTPS (what `make demo` and the tests run with) cookies are not Secure and
    http is not redirected, and `check --deploy` says so."""
    env = {k: v for k, v in PRODUCTION.items() if k != "BAQYLAU_HTTPS"}
    done = _run(
        tmp_path, "-m", "baqylau", "django", "check", "--deploy", "--fail-level", "WARNING", **env
    )
    assert done.returncode != 0
    found = set(re.findall(r"security\.W\d+", done.stdout + done.stderr))
    assert found == {"security.W008", "security.W012", "security.W016"}


SHOW = """
import json
from django.conf import settings
import django; django.setup()
print(json.dumps({k: getattr(settings, k) for k in (
    "DEBUG", "SECURE_SSL_REDIRECT", "SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE",
    "LANGUAGE_COOKIE_SECURE", "SESSION_COOKIE_HTTPONLY", "CSRF_COOKIE_HTTPONLY",
    "SECURE_HSTS_SECONDS", "SECURE_HSTS_INCLUDE_SUBDOMAINS", "SECURE_HSTS_PRELOAD",
    "NINJA_NUM_PROXIES")}))
"""


def _settings(tmp_path, **env) -> dict:
    done = _run(tmp_path, "-c", SHOW, DJANGO_SETTINGS_MODULE="baqylau.settings", **env)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_settings_from_the_environment(tmp_path):
    production = _settings(tmp_path, **PRODUCTION)
    assert production["SECURE_SSL_REDIRECT"] and production["SESSION_COOKIE_SECURE"]
    assert production["CSRF_COOKIE_SECURE"] and production["LANGUAGE_COOKIE_SECURE"]
    assert production["SECURE_HSTS_SECONDS"] == 31_536_000
    assert production["NINJA_NUM_PROXIES"] == 1  # behind TLS there is a proxy in front

    local = _settings(tmp_path)  # make demo, the tests: plain http on 127.0.0.1
    assert not local["SECURE_SSL_REDIRECT"] and not local["SESSION_COOKIE_SECURE"]
    assert local["SESSION_COOKIE_HTTPONLY"] and local["CSRF_COOKIE_HTTPONLY"]
    assert local["SECURE_HSTS_SECONDS"] == 31_536_000  # sent on https requests only
    assert local["NINJA_NUM_PROXIES"] == 0

    debug = _settings(tmp_path, DEBUG="1")
    assert debug["DEBUG"] and debug["SECURE_HSTS_SECONDS"] == 0


@pytest.fixture
def behind_tls(settings):
    """The settings BAQYLAU_HTTPS=1 gives, in this process."""
    settings.SECURE_SSL_REDIRECT = True
    settings.SESSION_COOKIE_SECURE = True
    settings.CSRF_COOKIE_SECURE = True
    settings.LANGUAGE_COOKIE_SECURE = True
    return settings


@pytest.mark.django_db
def test_https_gets_hsts_and_secure_httponly_cookies(client, behind_tls):
    plain = client.get("/en/admin/login/")
    assert plain.status_code == 301 and plain["Location"].startswith("https://")
    assert "Strict-Transport-Security" not in plain

    page = client.get("/en/admin/login/", secure=True)
    assert page["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"
    csrf = page.cookies["csrftoken"]
    assert csrf["secure"] and csrf["httponly"]

    get_user_model().objects.create_superuser("chief", "c@example.org", "pw-chief-1")
    logged_in = client.post(
        "/en/admin/login/",
        {"username": "chief", "password": "pw-chief-1", "next": "/en/admin/"},
        secure=True,
    )
    assert logged_in.status_code == 302
    session = logged_in.cookies["sessionid"]
    assert session["secure"] and session["httponly"] and session["samesite"] == "Lax"

    language = client.post("/i18n/setlang/", {"language": "kk", "next": "/"}, secure=True)
    cookie = language.cookies["django_language"]
    assert cookie["secure"] and cookie["httponly"]


@pytest.mark.django_db
def test_plain_http_still_works_without_tls_declared(client):
    """The default (make demo, the test suite): no redirect, the session works over http."""
    page = client.get("/en/admin/login/")
    assert page.status_code == 200 and "Strict-Transport-Security" not in page
    assert not page.cookies["csrftoken"]["secure"] and page.cookies["csrftoken"]["httponly"]


class _Scan(HTMLParser):
    """Inline scripts and styles (with their nonce), event-handler and style attributes."""

    def __init__(self):
        super().__init__()
        self.inline: list[tuple[str, str | None]] = []
        self.attributes: list[str] = []

    def handle_starttag(self, tag, attrs):
        values = dict(attrs)
        executable = values.get("type") in (None, "", "text/javascript", "module")
        if (tag == "script" and "src" not in values and executable) or tag == "style":
            self.inline.append((tag, values.get("nonce")))
        for name, value in attrs:
            if name.startswith("on") or name == "style":
                self.attributes.append(f"<{tag} {name}={value!r}>")
            if name in ("href", "src", "action") and (value or "").lower().startswith(
                "javascript:"
            ):
                self.attributes.append(f"<{tag} {name}={value!r}>")


def _policy_nonce(response) -> str:
    policy = response["Content-Security-Policy"]
    directives = dict(d.strip().split(" ", 1) for d in policy.split(";"))
    for name in ("script-src", "style-src"):
        assert "'unsafe-inline'" not in directives[name] and "'unsafe-eval'" not in directives[name]
    assert directives["object-src"] == "'none'" and directives["frame-ancestors"] == "'none'"
    nonce = re.search(r"'nonce-([^']+)'", directives["script-src"]).group(1)
    assert f"'nonce-{nonce}'" in directives["style-src"]
    return nonce


@pytest.mark.django_db
def test_every_html_page_has_the_policy_with_a_fresh_nonce(client, settings, tmp_path):
    from tests.observers.factories import build_world

    settings.DATA_DIR = tmp_path
    build_world()
    chief = get_user_model().objects.create_superuser("chief", "c@example.org", "pw-chief-1")
    anonymous = [
        "/en/",
        "/ru/e/kz-test/",
        "/kk/observe/",
        "/en/admin/login/",
        "/en/legal/login/",
        "/api/v1/docs",
        "/bots/verify/",
        "/en/no-such-page/",
    ]
    staff = [
        "/en/admin/",
        "/en/admin/elections/election/",
        "/en/admin/elections/election/add/",
        "/en/moderation/",
        "/en/moderation/incidents/",
        "/en/legal/",
        "/en/legal/incidents/",
    ]
    nonces = set()
    for url in anonymous + staff:
        if url == staff[0]:
            client.force_login(chief)
        response = client.get(url)
        assert response["Content-Type"].startswith("text/html"), url
        nonce = _policy_nonce(response)
        nonces.add(nonce)
        scan = _Scan()
        scan.feed(response.content.decode())
        assert scan.attributes == [], url
        for tag, given in scan.inline:
            assert given == nonce, (url, tag)
    assert len(nonces) == len(anonymous + staff)  # one per response


def test_json_and_static_responses_carry_the_policy_too(client, db):
    response = client.get("/api/v1/public/elections")
    assert response["Content-Type"].startswith("application/json")
    assert "default-src 'self'" in response["Content-Security-Policy"]
    assert "nonce-" not in response["Content-Security-Policy"]  # no page, no nonce


TEMPLATE_RULES = {
    "event-handler attribute": re.compile(r"<[^>]*\son[a-z]+\s*=", re.I),
    "style attribute": re.compile(r"<[^>]*\sstyle\s*=", re.I),
    "javascript: URL": re.compile(r"""=\s*["']?\s*javascript:""", re.I),
    "inline script without a nonce": re.compile(
        r"<script(?![^>]*\bsrc=)(?![^>]*\bnonce=)(?![^>]*application/json)[^>]*>", re.I
    ),
    "inline style without a nonce": re.compile(r"<style(?![^>]*\bnonce=)[^>]*>", re.I),
}


def test_no_template_needs_unsafe_inline():
    """Every template of the project, including those no test renders."""
    templates = sorted(SRC.rglob("templates/**/*.html"))
    assert len(templates) > 20
    found = [
        f"{path.relative_to(SRC)}: {rule}"
        for path in templates
        for rule, pattern in TEMPLATE_RULES.items()
        if pattern.search(path.read_text(encoding="utf-8"))
    ]
    assert found == []


@pytest.mark.django_db
def test_sms_secret_only_in_the_header(client, settings):
    settings.SMS_GATEWAY_SECRET = "s3cret"
    form = {"from": "+77010000000", "text": "T 1 1 1"}
    in_query = client.post("/sms/inbound/?secret=s3cret", data=form)
    assert in_query.status_code == 403
    assert "X-Baqylau-Secret header" in in_query.content.decode()
    in_form = client.post("/sms/inbound/", data={**form, "secret": "s3cret"})
    assert in_form.status_code == 403
    wrong = client.post("/sms/inbound/", data=form, headers={"X-Baqylau-Secret": "nope"})
    assert wrong.status_code == 403 and "header" not in wrong.content.decode()
    right = client.post("/sms/inbound/", data=form, headers={"X-Baqylau-Secret": "s3cret"})
    assert right.status_code == 200
