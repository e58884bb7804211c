"""The whole API against its own OpenAPI schema, with generated requests (schemathesis): no server
error on any input, and every response (status, content type, body) as the schema documents it.
A bounded number of examples per operation keeps the suite within its time; it runs on both
databases (PostgreSQL is where jsonb and 32-bit columns bite)."""

from __future__ import annotations

import json

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import checks
from schemathesis.specs.openapi import checks as openapi_checks

from tests.observers.factories import build_world

pytestmark = pytest.mark.django_db

#: Examples per operation (schemathesis picks them by property-based testing).
EXAMPLES = 25
#: What every response must hold: no server error; a status, a content type, headers and a body
#: as the schema documents them. (Not "a schema-valid request is accepted": the schema cannot say
#: that a station must exist or a count must add up, and such requests are rightly refused.)
CHECKS = [
    checks.not_a_server_error,
    openapi_checks.status_code_conformance,
    openapi_checks.content_type_conformance,
    openapi_checks.response_headers_conformance,
    openapi_checks.response_schema_conformance,
]


@pytest.fixture
def world(settings, tmp_path):
    settings.DATA_DIR = tmp_path
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    return build_world()


def _check_operation(operation, headers: dict) -> None:
    @given(case=operation.as_strategy())
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        derandomize=True,
        database=None,
    )
    def run(case):
        case.call_and_validate(headers=headers, checks=CHECKS)

    run()


@pytest.fixture
def keep_connection():
    """As Django's test client does: the app must not close the test's database connection at
    the end of each request."""
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.mark.parametrize(
    "schema_path, least",
    [("/api/v1/openapi.json", 15), ("/en/observe/api/openapi.json", 4)],
    ids=["api", "observer-app"],
)
def test_the_api_holds_its_schema_on_any_input(world, keep_connection, schema_path, least):
    from baqylau.accounts.services import api_token_create
    from baqylau.wsgi import application

    schema = schemathesis.openapi.from_wsgi(schema_path, application)
    failures, checked = [], []
    for result in schema.get_all_operations():
        operation = result.ok()
        checked.append(operation.label)
        # a token of its own: an operation may revoke it (the observer app's logout)
        token = api_token_create(user=world.users["obs_a1"])[1]
        try:
            _check_operation(operation, {"Authorization": f"Bearer {token}"})
        except (KeyboardInterrupt, SystemExit):
            raise
        except BaseException as exc:  # noqa: BLE001 - every failing operation is listed
            failures.append(f"{operation.label}: {exc}"[:3000])
    assert len(checked) >= least, checked
    assert not failures, "\n\n".join(failures)
    # whatever the fuzzing sent was kept as evidence, and the ledger still verifies
    from baqylau.evidence import ledger
    from baqylau.intake.models import Submission

    assert Submission.objects.exists()
    report = ledger.verify()
    assert report.ok, report.problems[:5]


@pytest.mark.parametrize("schema_path", ["/api/v1/openapi.json", "/en/observe/api/openapi.json"])
def test_the_schema_names_each_key_once(client, schema_path):
    """Swagger UI (the API docs) refuses a schema with a key written twice (e.g. a status given
    as 429 and as "429"), so the docs would show nothing."""
    twice: list[str] = []

    def once(pairs):
        keys = [key for key, _ in pairs]
        twice.extend(key for key in set(keys) if keys.count(key) > 1)
        return dict(pairs)

    response = client.get(schema_path)
    assert response.status_code == 200
    json.loads(response.content, object_pairs_hook=once)
    assert twice == []
