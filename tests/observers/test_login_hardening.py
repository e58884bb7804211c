"""Login hardening: Argon2 hashes, lockout after failed logins (django-axes), optional TOTP.

The settings lines are applied here with override_settings, exactly as recommended for settings.py
(axes with its cache handler, so the test needs no axes tables)."""

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import check_password, make_password
from django.test import override_settings

ARGON2 = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]


@override_settings(PASSWORD_HASHERS=ARGON2)
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


AXES = {
    "INSTALLED_APPS_EXTRA": ["axes"],
    "AUTHENTICATION_BACKENDS": [
        "axes.backends.AxesStandaloneBackend",
        "django.contrib.auth.backends.ModelBackend",
    ],
    "AXES_FAILURE_LIMIT": 3,
    "AXES_HANDLER": "axes.handlers.cache.AxesCacheHandler",
}


@pytest.fixture
def axes_settings(settings):
    settings.INSTALLED_APPS = [*settings.INSTALLED_APPS, "axes"]
    settings.AUTHENTICATION_BACKENDS = AXES["AUTHENTICATION_BACKENDS"]
    settings.MIDDLEWARE = [*settings.MIDDLEWARE, "axes.middleware.AxesMiddleware"]
    settings.AXES_FAILURE_LIMIT = AXES["AXES_FAILURE_LIMIT"]
    settings.AXES_HANDLER = AXES["AXES_HANDLER"]
    settings.AXES_RESET_ON_SUCCESS = True
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    from django.core.cache import cache

    cache.clear()
    yield settings
    cache.clear()
    # axes connects its receivers on import, for good: disconnect them so that no other test
    # (without the axes tables) runs them.
    from axes import signals as axes_signals
    from django.contrib.auth import signals as auth_signals
    from django.core.signals import setting_changed

    auth_signals.user_login_failed.disconnect(axes_signals.handle_user_login_failed)
    auth_signals.user_logged_in.disconnect(axes_signals.handle_user_logged_in)
    auth_signals.user_logged_out.disconnect(axes_signals.handle_user_logged_out)
    setting_changed.disconnect(axes_signals.handle_setting_changed)


def test_lockout_after_failed_logins(client, db, axes_settings):
    get_user_model().objects.create_user("staffer", password="right", is_staff=True)
    url = "/en/admin/login/"
    for _ in range(3):
        r = client.post(url, {"username": "staffer", "password": "wrong"}, REMOTE_ADDR="10.0.0.1")
    r = client.post(url, {"username": "staffer", "password": "right"}, REMOTE_ADDR="10.0.0.1")
    assert r.status_code in (403, 429)
    assert "_auth_user_id" not in client.session


def test_totp_enrolled_staff_must_verify(client, world, settings):
    settings.INSTALLED_APPS = [
        *settings.INSTALLED_APPS,
        "django_otp",
        "django_otp.plugins.otp_totp",
    ]
    settings.MIDDLEWARE = [*settings.MIDDLEWARE, "django_otp.middleware.OTPMiddleware"]
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
