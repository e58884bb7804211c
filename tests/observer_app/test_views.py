"""The app shell, manifest and service worker: per language, within /<lang>/observe/."""

import json

import pytest


@pytest.mark.parametrize(
    ("lang", "word"), [("kk", "Шығыс жәшік"), ("ru", "Исходящие"), ("en", "Outbox")]
)
def test_shell_in_each_language(client, db, lang, word):
    r = client.get(f"/{lang}/observe/")
    assert r.status_code == 200
    html = r.content.decode()
    assert f'<html lang="{lang}">' in html and word in html
    assert f'data-sw="/{lang}/observe/sw.js"' in html
    assert 'capture="environment"' in html and 'accept="image/*"' in html
    # No third-party assets, no inline script code (only the JSON data block).
    assert "http://" not in html.replace("http://www.w3.org", "")
    assert "https://" not in html
    texts = json.loads(
        html.split('id="bq-texts" type="application/json">')[1].split("</script>")[0]
    )
    assert texts["titles"]["turnout"]


def test_service_worker_scope_and_precache(client, db):
    r = client.get("/kk/observe/sw.js")
    assert r.status_code == 200
    assert r["Content-Type"].startswith("text/javascript")
    assert r["Service-Worker-Allowed"] == "/kk/observe/"
    assert r["Cache-Control"] == "no-cache"
    text = r.content.decode()
    config = json.loads(text.split("const CFG = ")[1].split(";\n")[0])
    assert config["home"] == "/kk/observe/" and config["api"] == "/kk/observe/api/"
    assert "/kk/observe/" in config["precache"]
    assert any(u.startswith("/static/observer_app/app.js?v=") for u in config["precache"])
    for url in config["precache"]:
        assert client.get(url).status_code == 200, url


def test_manifest(client, db):
    r = client.get("/ru/observe/manifest.webmanifest")
    body = r.json()
    assert body["start_url"] == "/ru/observe/" and body["scope"] == "/ru/observe/"


def test_assets_are_small():
    from baqylau.observer_app.views import APP_DIR

    total = sum(p.stat().st_size for p in (APP_DIR / "static" / "observer_app").iterdir())
    assert total < 40_000  # a cheap phone on a slow network loads the app once, quickly
