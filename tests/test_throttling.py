"""API throttling: per token for requests with a valid token, per client address for those
without one (public figures, failed authentications); 429 with Retry-After and a message in the
sender's language. And an oversized body: 413 in JSON, what can be kept stored as a rejection."""

import hashlib
import json

import pytest
from django.core.cache import caches

from baqylau.intake.models import Rejection, Submission
from baqylau.throttling import CACHE
from tests.observers.factories import build_world

FORMS = "/api/v1/reports/forms"
PUBLIC = "/api/v1/public/elections"


@pytest.fixture
def world(db, settings, tmp_path):
    settings.DATA_DIR = tmp_path
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    return build_world()


@pytest.fixture
def rates(settings):
    """Small limits, and no history left by another test."""
    settings.API_THROTTLE_RATES = {"token": "3/min", "ip": "2/min"}
    caches[CACHE].clear()
    yield settings.API_THROTTLE_RATES
    caches[CACHE].clear()


def bearer(token):
    return {"Authorization": f"Bearer {token}"}


def assert_throttled(response, lang, fragment):
    assert response.status_code == 429, response.content
    wait = int(response["Retry-After"])
    assert 1 <= wait <= 60
    body = response.json()
    assert body["code"] == "throttled" and body["retry_after"] == wait
    assert set(body["messages"]) == {"kk", "ru", "en"}
    assert body["message"] == body["messages"][lang]
    assert fragment in body["message"] and str(wait) in body["message"]


@pytest.mark.parametrize(
    ("lang", "fragment"),
    [("kk", "Сұраныстар тым көп"), ("ru", "Слишком много запросов"), ("en", "Too many requests")],
)
def test_per_token_limit_answers_429_in_the_senders_language(client, world, rates, lang, fragment):
    headers = {**bearer(world.tokens["obs_a1"]), "Accept-Language": lang}
    for _ in range(3):
        assert client.get(FORMS, headers=headers).status_code == 200
    assert_throttled(client.get(FORMS, headers=headers), lang, fragment)
    # Another observer's token, from the same address, is not affected.
    assert client.get(FORMS, headers=bearer(world.tokens["obs_a2"])).status_code == 200


def test_per_address_limit_for_requests_without_a_token(client, world, rates):
    assert client.get(PUBLIC).status_code == 200
    assert client.get(PUBLIC).status_code == 200
    assert_throttled(client.get(PUBLIC, headers={"Accept-Language": "kk"}), "kk", "тым көп")
    # Another address is not affected; nor is a request with a valid token from this one.
    assert client.get(PUBLIC, REMOTE_ADDR="10.1.2.3").status_code == 200
    assert client.get(FORMS, headers=bearer(world.tokens["obs_a1"])).status_code == 200


def test_failed_authentications_count_against_the_address(client, world, rates):
    wrong = bearer("bq_not-a-token")
    assert client.get(FORMS, headers=wrong).status_code == 401
    assert client.get(FORMS, headers=wrong).status_code == 401
    assert_throttled(client.get(FORMS, headers={**wrong, "Accept-Language": "en"}), "en", "Too")
    assert client.get(FORMS, headers=bearer(world.tokens["obs_a1"])).status_code == 200


def test_forwarded_for_counts_only_behind_a_declared_proxy(client, world, rates, settings):
    """Without a proxy in front, X-Forwarded-For is the client's word: it must not reset the
    count. Behind one proxy (BAQYLAU_PROXIES=1), the address the proxy saw is counted."""
    for n in range(2):
        assert client.get(PUBLIC, headers={"X-Forwarded-For": f"192.0.2.{n}"}).status_code == 200
    assert client.get(PUBLIC, headers={"X-Forwarded-For": "192.0.2.9"}).status_code == 429
    settings.NINJA_NUM_PROXIES = 1
    caches[CACHE].clear()
    for _ in range(2):
        assert client.get(PUBLIC, headers={"X-Forwarded-For": "192.0.2.7"}).status_code == 200
    assert client.get(PUBLIC, headers={"X-Forwarded-For": "192.0.2.7"}).status_code == 429
    assert client.get(PUBLIC, headers={"X-Forwarded-For": "192.0.2.8"}).status_code == 200


def test_default_limits_let_an_observer_flush_a_full_outbox(client, world, settings):
    """The shipped per-token limit: an app's outbox back online (a hundred requests at once)
    goes through."""
    assert settings.API_THROTTLE_RATES["token"] == "600/min"
    caches[CACHE].clear()
    headers = bearer(world.tokens["obs_a1"])
    codes = {client.get(FORMS, headers=headers).status_code for _ in range(100)}
    assert codes == {200}


def test_openapi_documents_429_and_413(client, world):
    schema = client.get("/api/v1/openapi.json").json()
    for route, operations in schema["paths"].items():
        for method, operation in operations.items():
            assert "429" in operation["responses"], (method, route)
            if method == "post":
                assert "413" in operation["responses"], (method, route)


@pytest.mark.parametrize(
    ("lang", "fragment"),
    [("kk", "Сұраныс тым үлкен"), ("ru", "Слишком большой запрос"), ("en", "too large")],
)
def test_oversized_json_body_is_413_json_and_kept(client, world, settings, lang, fragment):
    settings.API_THROTTLE_RATES = {"token": None, "ip": None}
    body = json.dumps({"station": "237", "text": "x" * (10 * 1024 * 1024)}).encode()
    response = client.post(
        "/api/v1/reports/incident",
        data=body,
        content_type="application/json",
        headers={**bearer(world.tokens["obs_a1"]), "Accept-Language": lang},
    )
    assert response.status_code == 413, response.content[:300]
    assert response["Content-Type"].startswith("application/json")
    answer = response.json()
    assert answer["status"] == "rejected" and answer["code"] == "body_too_large"
    assert fragment in answer["message"] and str(len(body)) in answer["message"]
    assert set(answer["messages"]) == {"kk", "ru", "en"}

    stored = Submission.objects.get(pk=answer["submission"])
    assert stored.kind == "incident" and stored.channel == "api" and stored.language == lang
    assert stored.sender == world.observers["A1"].public_id
    assert stored.payload["content_length"] == str(len(body))
    head = body[:65_536]
    assert stored.payload["head"] == {
        "bytes": len(head),
        "sha256": hashlib.sha256(head).hexdigest(),
    }
    rejection = Rejection.objects.get(submission=stored)
    assert rejection.messages["problems"][0]["code"] == "body_too_large"


def test_oversized_form_field_is_413_json(client, world, settings):
    """A protocol's `data` form field above the limit: the form is cut short while it is read,
    so only its declared size is kept."""
    settings.API_THROTTLE_RATES = {"token": None, "ip": None}
    response = client.post(
        "/api/v1/protocols",
        data={"data": "{" + " " * (3 * 1024 * 1024) + "}"},
        headers=bearer(world.tokens["obs_a1"]),
    )
    assert response.status_code == 413, response.content[:300]
    answer = response.json()
    assert answer["code"] == "body_too_large"
    stored = Submission.objects.get(pk=answer["submission"])
    assert stored.kind == "protocol" and stored.payload["head"] is None


def test_a_form_with_too_many_fields_is_400_json_and_kept(client, world, settings):
    settings.API_THROTTLE_RATES = {"token": None, "ip": None}
    fields = {f"f{n}": "x" for n in range(settings.DATA_UPLOAD_MAX_NUMBER_FIELDS + 1)}
    response = client.post(
        "/api/v1/protocols",
        data=fields,
        headers={**bearer(world.tokens["obs_a1"]), "Accept-Language": "kk"},
    )
    assert response.status_code == 400, response.content[:300]
    answer = response.json()
    assert answer["code"] == "too_many_parts" and "тым көп" in answer["message"]
    stored = Submission.objects.get(pk=answer["submission"])
    assert stored.payload["refused"] == "too_many_parts"
    assert Rejection.objects.get(submission=stored).code == "too_many_parts"
