"""Intake caches are emptied in every process: a token revoked elsewhere stops working at once."""

import subprocess
import sys

import pytest

from baqylau import caches
from baqylau.accounts.models import ApiToken
from tests.observers.factories import build_world
from tests.reports.test_api import post


@pytest.fixture
def world(db, settings, tmp_path):
    settings.DATA_DIR = tmp_path
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    return build_world()


def turnout(client, world):
    return post(client, world, "turnout", {"station": "237", "at": "10:30", "count": 1})


def test_a_token_revoked_by_another_process_stops_working(client, world, monkeypatch, tmp_path):
    monkeypatch.setattr(caches, "CHECK_EVERY", 0.0)
    assert turnout(client, world).status_code == 201  # token, observer, placements now cached
    # Another process revokes the token: its database write sends no signal here...
    ApiToken.objects.filter(user__username="obs_a1").update(revoked=True)
    assert turnout(client, world).status_code in (200, 201)  # ...so the cached token still works
    # ...but it touches the epoch file, as `caches.invalidate` does there.
    code = f"import pathlib, time; pathlib.Path({str(tmp_path / 'cache-epoch')!r}).write_text('x')"
    subprocess.run([sys.executable, "-c", code], check=True)
    assert turnout(client, world).status_code == 401


def test_revoking_here_empties_this_process_at_once(client, world):
    from baqylau.accounts.services import api_token_revoke

    assert turnout(client, world).status_code == 201
    api_token_revoke(token=ApiToken.objects.get(user__username="obs_a1"))
    assert turnout(client, world).status_code == 401
    assert caches._epoch_file().exists()  # and the other processes are told


def test_invalidate_runs_every_registered_clearer(settings, tmp_path, monkeypatch):
    settings.DATA_DIR = tmp_path
    monkeypatch.setattr(caches, "_clearers", [])
    cache = {"stale": 1}
    caches.register(cache.clear)
    caches.invalidate()
    assert cache == {}
