"""Admins manage the organization's webhook endpoints on Settings → Webhooks and through
/api/v1/webhook-endpoints/; others cannot; an endpoint disabled after failing tells the admins."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone
from standardwebhooks.webhooks import Webhook

from accounts.models import Notification
from socialops.webhooks import services
from socialops.webhooks.models import WebhookDelivery, WebhookEndpoint

from ..conftest import api_client_for
from ..factories import add_member, make_user

pytestmark = pytest.mark.django_db


def test_an_admin_adds_an_endpoint_and_sees_its_secret_once(alice_client, org_a, receiver):
    url = reverse("webhook_endpoint_list", args=["alpha"])
    page = alice_client.post(
        url, {"url": receiver.url, "description": "CRM", "events": ["post.published"]}, follow=True
    )
    endpoint = WebhookEndpoint.objects.for_org(org_a).get()
    assert page.status_code == 200 and endpoint.secret in page.content.decode()
    again = alice_client.get(reverse("webhook_endpoint_detail", args=["alpha", endpoint.pk]))
    assert endpoint.secret not in again.content.decode()
    assert receiver.url in alice_client.get(url).content.decode()


def test_the_page_says_what_is_wrong_with_an_address(alice_client, org_a):
    page = alice_client.post(
        reverse("webhook_endpoint_list", args=["alpha"]),
        {"url": "https://10.0.0.1/in", "events": ["post.published"]},
    )
    assert page.status_code == 200
    assert "private or local address" in page.content.decode()
    assert not WebhookEndpoint.objects.for_org(org_a).exists()


def test_the_delivery_log_shows_the_answer_and_replays(
    alice_client, org_a, receiver, django_capture_on_commit_callbacks
):
    endpoint = services.create_endpoint(org_a, url=receiver.url, events=["post.published"])
    receiver.answers.append(500)
    with django_capture_on_commit_callbacks(execute=True):
        (row,) = services.emit(org_a, "post.published", 3, {"id": 3})
    page = alice_client.get(
        reverse("webhook_endpoint_detail", args=["alpha", endpoint.pk])
    ).content.decode()
    assert "post.published" in page and "500" in page and "Replay" in page
    detail = alice_client.get(
        reverse("webhook_delivery_detail", args=["alpha", endpoint.pk, row.pk])
    )
    assert "receiver says no" in detail.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        alice_client.post(reverse("webhook_delivery_replay", args=["alpha", endpoint.pk, row.pk]))
    assert WebhookDelivery.objects.for_org(org_a).filter(replay_of=row).exists()


def test_rotate_and_disable_from_the_page(alice_client, org_a, receiver):
    endpoint = services.create_endpoint(org_a, url=receiver.url, events=["post.published"])
    old = endpoint.secret
    page = alice_client.post(
        reverse("webhook_endpoint_rotate", args=["alpha", endpoint.pk]), follow=True
    )
    endpoint.refresh_from_db()
    assert endpoint.secret != old and endpoint.previous_secret == old
    assert endpoint.secret in page.content.decode()
    alice_client.post(reverse("webhook_endpoint_toggle", args=["alpha", endpoint.pk]))
    endpoint.refresh_from_db()
    assert not endpoint.is_enabled and endpoint.disabled_reason == "by_admin"


def test_members_who_are_not_admins_are_refused(client, org_a, vera, receiver):
    endpoint = services.create_endpoint(org_a, url=receiver.url, events=["post.published"])
    client.force_login(vera)
    assert client.get(reverse("webhook_endpoint_list", args=["alpha"])).status_code == 403
    assert (
        client.get(reverse("webhook_endpoint_detail", args=["alpha", endpoint.pk])).status_code
        == 403
    )
    vera_api = api_client_for(vera.memberships.get(organization=org_a))
    assert vera_api.get("/api/v1/webhook-endpoints/").status_code == 403
    assert (
        vera_api.post(
            "/api/v1/webhook-endpoints/",
            {"url": receiver.url, "events": ["post.published"]},
            format="json",
        ).status_code
        == 403
    )


def test_the_api_manages_endpoints(alice_api, org_a, receiver, django_capture_on_commit_callbacks):
    created = alice_api.post(
        "/api/v1/webhook-endpoints/",
        {"url": receiver.url, "events": ["post.published", "approval.decided"]},
        format="json",
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["secret"].startswith("whsec_") and body["enabled"] is True
    pk = body["id"]
    listed = alice_api.get("/api/v1/webhook-endpoints/").json()
    assert [e["id"] for e in listed["results"]] == [pk] and "secret" not in listed["results"][0]

    patched = alice_api.patch(
        f"/api/v1/webhook-endpoints/{pk}/", {"description": "ERP"}, format="json"
    )
    assert patched.status_code == 200 and patched.json()["description"] == "ERP"
    rotated = alice_api.post(f"/api/v1/webhook-endpoints/{pk}/rotate-secret/")
    assert rotated.status_code == 200 and rotated.json()["secret"] != body["secret"]
    assert rotated.json()["previous_secret_until"]

    with django_capture_on_commit_callbacks(execute=True):
        services.emit(org_a, "approval.decided", 5, {"id": 5, "decision": "approved"})
    request = receiver.seen[-1]
    Webhook(body["secret"]).verify(
        request["body"], request["headers"]
    )  # the old secret, in its overlap
    Webhook(rotated.json()["secret"]).verify(request["body"], request["headers"])

    log = alice_api.get(f"/api/v1/webhook-endpoints/{pk}/deliveries/").json()
    (row,) = log["results"]
    assert row["status"] == "succeeded" and row["response_status"] == 200
    assert row["payload"]["data"] == {"id": 5, "decision": "approved"}
    with django_capture_on_commit_callbacks(execute=True):
        replayed = alice_api.post(f"/api/v1/webhook-endpoints/{pk}/deliveries/{row['id']}/replay/")
    assert replayed.status_code == 202 and replayed.json()["msg_id"] == row["msg_id"]
    assert len(receiver.seen) == 2

    assert alice_api.post(f"/api/v1/webhook-endpoints/{pk}/disable/").json()["enabled"] is False
    assert alice_api.post(f"/api/v1/webhook-endpoints/{pk}/disable/").status_code == 409
    assert alice_api.post(f"/api/v1/webhook-endpoints/{pk}/enable/").json()["enabled"] is True
    assert alice_api.delete(f"/api/v1/webhook-endpoints/{pk}/").status_code == 204
    assert not WebhookEndpoint.objects.for_org(org_a).exists()


@pytest.mark.parametrize(
    "data, field",
    [
        ({"url": "http://hooks.example.com/", "events": ["post.published"]}, "url"),
        ({"url": "https://192.168.0.10/", "events": ["post.published"]}, "url"),
        ({"url": "https://hooks.example.com/", "events": ["post.exploded"]}, "events"),
        ({"url": "https://hooks.example.com/", "events": []}, "events"),
        ({"url": 5, "events": ["post.published"]}, "url"),
    ],
)
def test_the_api_refuses_a_bad_endpoint_with_a_clear_error(alice_api, org_a, data, field):
    answer = alice_api.post("/api/v1/webhook-endpoints/", data, format="json")
    assert answer.status_code == 400, answer.content
    assert field in str(answer.json())
    assert not WebhookEndpoint.objects.for_org(org_a).exists()


def test_an_endpoint_disabled_after_failing_tells_the_admins_by_e_mail(
    org_a, alice, vera, receiver, settings, django_capture_on_commit_callbacks
):
    settings.WEBHOOK_DISABLE_MIN_FAILURES = 1
    settings.WEBHOOK_DISABLE_AFTER = timedelta(0)
    admin = make_user("ada@alpha.test", name="Ada Admin")
    add_member(org_a, admin, "admin")
    receiver.set_default(500)
    endpoint = services.create_endpoint(org_a, url=receiver.url, events=["post.published"])
    with django_capture_on_commit_callbacks(execute=True):
        with django_capture_on_commit_callbacks(execute=True):
            services.emit(org_a, "post.published", 1, {"id": 1})
    endpoint.refresh_from_db()
    assert not endpoint.is_enabled
    told = set(
        Notification.objects.for_org(org_a)
        .filter(kind="webhook_disabled")
        .values_list("recipient__email", flat=True)
    )
    assert told == {"alice@alpha.test", "ada@alpha.test"}  # the owner and the admin, not the viewer
    assert sorted(m.to[0] for m in mail.outbox) == ["ada@alpha.test", "alice@alpha.test"]
    assert receiver.url in mail.outbox[0].body and "500" in mail.outbox[0].body
    assert endpoint.failing_since <= timezone.now()
