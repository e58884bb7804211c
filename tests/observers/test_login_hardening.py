"""Login hardening: Argon2 hashes, lockout after failed logins (django-axes), optional TOTP.

These run against the project's real settings (axes with its database handler, django-otp)."""

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import check_password, make_password


def test_argon2_is_used_and_old_hashes_upgrade(db):
    user = get_user_model().objects.create_user("argon", password="correct horse")
    assert user.password.startswith("argon2$")
    legacy = make_password("old secret", hasher="pbkdf2_sha256")
    assert check_password("old secret", legacy)
    user.password = legacy
    user.save()
    assert user.check_password("old secret")  # verifying re-hashes with the first hasher
    user.refresh_from_db()
    assert user.password.startswith("argon2$")


@pytest.fixture
def strict_lockout(settings):
    """The real settings (axes with its database handler), with a lower limit for speed."""
    settings.AXES_FAILURE_LIMIT = 3
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    return settings


def test_lockout_after_failed_logins(client, db, strict_lockout):
    get_user_model().objects.create_user("staffer", password="right", is_staff=True)
    url = "/en/admin/login/"
    for _ in range(3):
        r = client.post(url, {"username": "staffer", "password": "wrong"}, REMOTE_ADDR="10.0.0.1")
    r = client.post(url, {"username": "staffer", "password": "right"}, REMOTE_ADDR="10.0.0.1")
    assert r.status_code in (403, 429)
    assert "_auth_user_id" not in client.session


def test_totp_enrolled_staff_must_verify(client, world, settings):
    settings.OTP_LOGIN_URL = "/otp/"
    from unittest import mock

    user = world.users["coord_a"]
    client.force_login(user)
    url = f"/en/staff/e/{world.election.code}/live/"
    with mock.patch("django_otp.user_has_device", return_value=True):
        r = client.get(url)
    assert r.status_code == 302 and r["Location"] == "/otp/"
    with mock.patch("django_otp.user_has_device", return_value=False):
        assert client.get(url).status_code == 200
