"""Issue 13 (2): a POST retried with the same Idempotency-Key creates one object, not two.

Same key and body: the first answer again (``Idempotent-Replayed: true``), nothing new. Same key,
other body: 422 in the error shape. Keys are per token, kept 24 h, and a failed request frees its
key. Creates answer ``Location``.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from publishing.models import Post
from socialops.idempotency.models import IdempotencyKey
from socialops.idempotency.services import purge_expired

from .channels.factories import connect_sandbox
from .conftest import api_client_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def channel(org_a, alice_m):
    (channel,) = connect_sandbox(org_a, alice_m, ["sbx-kitchen"])
    return channel


def _create(api, channel, key, text="Launch day"):
    return api.post(
        "/api/v1/posts/",
        {"text": text, "channels": [channel.pk]},
        format="json",
        HTTP_IDEMPOTENCY_KEY=key,
    )


def _posts(org):
    return Post.objects.for_org(org).count()


def test_a_retry_with_the_same_key_creates_nothing_more(org_a, alice_api, channel):
    first = _create(alice_api, channel, "k-1")
    assert first.status_code == 201, first.content
    assert first["Location"].endswith(f"/api/v1/posts/{first.json()['id']}/")
    again = _create(alice_api, channel, "k-1")
    assert again.status_code == 201
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true" and again["Location"] == first["Location"]
    assert _posts(org_a) == 1
    # key order and spacing do not make another request
    same = alice_api.generic(
        "POST",
        "/api/v1/posts/",
        f'{{ "channels": [{channel.pk}], "text": "Launch day" }}',
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY="k-1",
    )
    assert same.status_code == 201 and same["Idempotent-Replayed"] == "true"
    assert _posts(org_a) == 1


def test_the_same_key_with_another_body_is_a_422(org_a, alice_api, channel):
    assert _create(alice_api, channel, "k-2").status_code == 201
    other = _create(alice_api, channel, "k-2", text="Something else")
    assert other.status_code == 422
    assert other.json()["error"]["code"] == "idempotency_key_reused"
    assert _posts(org_a) == 1


def test_without_a_key_each_post_is_new(org_a, alice_api, channel):
    for _ in range(2):
        assert (
            alice_api.post(
                "/api/v1/posts/", {"text": "x", "channels": [channel.pk]}, format="json"
            ).status_code
            == 201
        )
    assert _posts(org_a) == 2


def test_keys_are_per_token(org_a, alice_m, alice_api, channel):
    other_token = api_client_for(alice_m, name="second integration")
    assert _create(alice_api, channel, "shared").status_code == 201
    second = _create(other_token, channel, "shared")
    assert second.status_code == 201 and not second.has_header("Idempotent-Replayed")
    assert _posts(org_a) == 2


def test_a_failed_request_frees_its_key(org_a, alice_api, channel):
    bad = alice_api.post(
        "/api/v1/posts/", {"text": "x", "channels": []}, format="json", HTTP_IDEMPOTENCY_KEY="k-3"
    )
    assert bad.status_code == 400
    assert not IdempotencyKey.objects.for_org(org_a).filter(key="k-3").exists()
    fixed = _create(alice_api, channel, "k-3")
    assert fixed.status_code == 201 and _posts(org_a) == 1


def test_a_bad_key_is_a_400(alice_api, channel):
    response = _create(alice_api, channel, "x" * 256)
    assert response.status_code == 400
    assert "Idempotency-Key" in response.json()["error"]["fields"]


def test_patches_honour_the_key(org_a, alice_api, channel):
    post_id = _create(alice_api, channel, "k-4").json()["id"]
    for _ in range(2):
        response = alice_api.patch(
            f"/api/v1/posts/{post_id}/",
            {"text": "Edited once"},
            format="json",
            HTTP_IDEMPOTENCY_KEY="k-5",
        )
        assert response.status_code == 200, response.content
    post = Post.objects.for_org(org_a).get(pk=post_id)
    assert post.version == 2, "the replayed PATCH must not edit (and version) the post again"


def test_keys_expire_after_a_day(org_a, alice_api, channel):
    assert _create(alice_api, channel, "k-6").status_code == 201
    IdempotencyKey.objects.for_org(org_a).update(created_at=timezone.now() - timedelta(hours=25))
    assert _create(alice_api, channel, "k-6").status_code == 201
    assert _posts(org_a) == 2
    IdempotencyKey.objects.for_org(org_a).update(created_at=timezone.now() - timedelta(hours=25))
    assert purge_expired() == 1


def test_another_organizations_key_is_another_key(org_a, org_b, alice_api, bob_m, channel):
    (bob_channel,) = connect_sandbox(org_b, bob_m, ["sbx-kitchen"])
    bob_api = api_client_for(bob_m)
    assert _create(alice_api, channel, "same").status_code == 201
    response = _create(bob_api, bob_channel, "same")
    assert response.status_code == 201 and not response.has_header("Idempotent-Replayed")
    assert response.json()["id"] != _create(alice_api, channel, "same").json()["id"]


@pytest.mark.skipif(
    __import__("django.db").db.connection.vendor != "postgresql",
    reason="concurrent writers need row locks (SQLite serializes whole-database writes)",
)
@pytest.mark.django_db(transaction=True)
def test_two_concurrent_retries_create_one_post(org_a, alice_m, channel):
    """Two requests with one key at the same moment: the second waits on the key's row, then replays."""
    import threading

    from django.db import connections
    from rest_framework.test import APIClient

    from accounts import services

    raw = services.create_api_token(alice_m, name="concurrent").raw
    clients = [APIClient(), APIClient()]  # one token, two callers (a retry racing its original)
    for client in clients:
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    start, answers, errors = threading.Barrier(2), [], []

    def send(client):
        try:
            start.wait(10)
            answers.append(_create(client, channel, "race-1"))
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=send, args=(c,)) for c in clients]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert not errors, errors
    assert sorted(r.status_code for r in answers) == [201, 201]
    assert {r.json()["id"] for r in answers} == {answers[0].json()["id"]}
    assert sum(r.has_header("Idempotent-Replayed") for r in answers) == 1
    assert _posts(org_a) == 1
