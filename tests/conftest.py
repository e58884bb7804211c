"""Shared test fixtures.

Real election data lives in ../shared/data (never in this repository). Tests that need it use the
`shared_data` fixture: it skips with a reason where the data is absent (a user's fresh clone) and
fails instead when BAQYLAU_REQUIRE_SHARED_DATA=1 (set by .ci/run), so CI can never skip silently.
"""

import importlib
import os
from pathlib import Path

import pytest

SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


def _require_shared() -> bool:
    return os.environ.get("BAQYLAU_REQUIRE_SHARED_DATA") == "1"


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """Path of ../shared/data; skip (or fail in CI) when it is missing."""
    if not SHARED_DATA.is_dir():
        message = f"real election data not found at {SHARED_DATA}"
        if _require_shared():
            pytest.fail(message + " (BAQYLAU_REQUIRE_SHARED_DATA=1)")
        pytest.skip(message)
    return SHARED_DATA


def shared_file(shared: Path, relative: str) -> Path:
    """One file of ../shared/data, with the same skip/fail rule when it is missing."""
    path = shared / relative
    if not path.exists():
        message = f"{relative} not found in {shared}"
        if _require_shared():
            pytest.fail(message)
        pytest.skip(message)
    return path


def pytest_collection_modifyitems(config, items):
    """On the PostgreSQL pass, run only the tests that touch the database.

    The pure tests (engine, simulator, forensics) do not depend on the database and already ran
    in the SQLite pass; running them twice would only double the suite's time.
    """
    if os.environ.get("BAQYLAU_TEST_DB") != "postgres":
        return
    selected, deselected = [], []
    for item in items:
        marked = item.get_closest_marker("django_db") or item.get_closest_marker("uses_database")
        uses_db = marked is not None or any(
            name in getattr(item, "fixturenames", ())
            for name in ("db", "transactional_db", "client", "live_server")
        )
        (selected if uses_db else deselected).append(item)
    if deselected:
        config.hook.pytest_deselected(items=deselected)
        items[:] = selected


# Catalogues that migrations seed (reject reasons, violation types, document templates, the
# ledger's head row). Transactional tests end with a flush that empties every table, so the
# next transactional test would find them gone: seed them again (the functions are idempotent).
SEEDED_BY_MIGRATIONS = [
    ("baqylau.evidence.migrations.0003_media_fields_ledger", "create_head"),
    ("baqylau.moderation.migrations.0003_reject_reason_catalogue", "add_reasons"),
    ("baqylau.reports.migrations.0002_violation_catalogue", "seed"),
    ("baqylau.reports.migrations.0004_law_article_references", "forward"),
    ("baqylau.legal.migrations.0002_seed_templates", "seed"),
]


@pytest.fixture(autouse=True)
def _catalogues_after_flush(request):
    marker = request.node.get_closest_marker("django_db")
    transactional = (marker is not None and marker.kwargs.get("transaction")) or (
        "transactional_db" in request.fixturenames or "live_server" in request.fixturenames
    )
    if not transactional:
        return
    request.getfixturevalue("transactional_db")
    from django.apps import apps

    for module, function in SEEDED_BY_MIGRATIONS:
        getattr(importlib.import_module(module), function)(apps, None)


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix):
    """SQLite's test database in a file (WAL, busy timeout), not in shared memory: tests where a
    live server, a worker thread and the test write at once (as in production) then wait for each
    other's locks instead of failing at once, as shared-memory SQLite does."""
    from django.conf import settings

    database = settings.DATABASES["default"]
    if database["ENGINE"] == "django.db.backends.sqlite3":
        database.setdefault("TEST", {})["NAME"] = str(Path(settings.DATA_DIR) / "test.sqlite3")


@pytest.fixture(autouse=True)
def _fresh_api_throttle():
    """Every test starts with no API request counted (the throttle's history is per process, so
    the whole session would otherwise share one address's count)."""
    from django.core.cache import caches

    from baqylau.throttling import CACHE

    caches[CACHE].clear()
