"""Expiring signed links: signature, expiry, user binding, the original's permission."""

from __future__ import annotations

import json
import time
from types import SimpleNamespace

import pytest
from django.contrib.auth.models import Permission, User
from django.core import signing
from django.core.exceptions import PermissionDenied

from baqylau.evidence import services
from baqylau.evidence.services import signed_url, store_media

from .conftest import gps_exif, jpeg_bytes, picture

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.evidence.urls")]


@pytest.fixture
def media(data_dir, make_submission):
    return store_media(make_submission(), jpeg_bytes(picture(7, (640, 480)), exif=gps_exif()))


@pytest.fixture
def moderator():
    user = User.objects.create_user("moderator", password="x")
    user.user_permissions.add(Permission.objects.get(codename="view_original"))
    return User.objects.get(pk=user.pk)  # fresh instance: no stale permission cache


@pytest.fixture
def observer():
    return User.objects.create_user("observer", password="x")


def _later(monkeypatch, seconds):
    real = time.time
    monkeypatch.setattr(
        services, "time", SimpleNamespace(time=lambda: real() + seconds, time_ns=time.time_ns)
    )


def test_an_expired_link_is_gone(client, media, monkeypatch):
    url = signed_url(media, None, ttl=60)
    assert client.get(url).status_code == 200
    _later(monkeypatch, 61)
    response = client.get(url)
    assert response.status_code == 410
    assert response["Cache-Control"] == "private, no-store"


def test_ttl_is_capped_by_the_setting(client, media, monkeypatch, settings):
    settings.EVIDENCE_LINK_MAX_TTL = 120
    url = signed_url(media, None, ttl=86400)
    _later(monkeypatch, 121)
    assert client.get(url).status_code == 410


def test_a_tampered_link_is_refused(client, media, make_submission):
    url = signed_url(media, None)
    token = url.rstrip("/").rsplit("/", 1)[1]
    body, signature = token.rsplit(":", 1)
    flipped = signature[:-1] + ("A" if signature[-1] != "A" else "B")
    assert client.get(url.replace(token, f"{body}:{flipped}")).status_code == 403
    # a genuine token of another file does not open this one, nor does a made-up one
    other = store_media(make_submission(), jpeg_bytes(picture(8, (320, 240))))
    other_token = signed_url(other, None).rsplit("/", 1)[1]
    assert client.get(url.replace(token, other_token[:-2] + token[-2:])).status_code == 403
    assert client.get("/evidence/eyJtIjoxfQ:1abc:xyz").status_code == 403
    assert client.post(url).status_code == 405


def test_a_link_issued_to_a_user_opens_only_for_that_user(client, media, observer, moderator):
    url = signed_url(media, observer)
    assert client.get(url).status_code == 403  # anonymous
    client.force_login(moderator)
    assert client.get(url).status_code == 403  # another user
    client.force_login(observer)
    assert client.get(url).status_code == 200


def test_originals_need_the_permission(client, media, observer, moderator, data_dir):
    with pytest.raises(PermissionDenied):
        signed_url(media, None, variant="original")
    with pytest.raises(PermissionDenied):
        signed_url(media, observer, variant="original")

    url = signed_url(media, moderator, variant="original")
    assert client.get(url).status_code == 403  # not logged in
    client.force_login(moderator)
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    assert response["Content-Disposition"].startswith("attachment")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert b"".join(response.streaming_content) == (data_dir / media.original).read_bytes()

    # the permission is checked again when the link is opened
    moderator.user_permissions.clear()
    assert client.get(url).status_code == 403


def test_a_display_link_cannot_be_turned_into_an_original_link(client, media, moderator):
    url = signed_url(media, moderator)
    token = url.rsplit("/", 1)[1]
    body, rest = token.split(":", 1)
    grant = json.loads(signing.b64_decode(body.encode()))
    assert grant["v"] == "display"
    forged = signing.b64_encode(json.dumps({**grant, "v": "original"}).encode()).decode()
    client.force_login(moderator)
    assert client.get(url).status_code == 200
    assert client.get(url.replace(token, f"{forged}:{rest}")).status_code == 403


@pytest.mark.urls("baqylau.urls")  # the real site: its 404 page links to the public pages
def test_stored_files_have_no_public_url(client, media):
    assert client.get(f"/{media.original}").status_code == 404
    assert client.get(f"/{media.display}").status_code == 404
    assert client.get(f"/media/{media.original}").status_code == 404
