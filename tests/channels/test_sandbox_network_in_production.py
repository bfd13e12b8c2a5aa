"""In production (SOCIALOPS_ENV=production) the built-in Sandbox network is off unless an
organization opts in (Organization settings; the demo organization does). The connect page, the
connect flow, the sandbox's consent page, its webhook, the simulated audience and publishing all
respect it. Outside production every organization has it."""

from __future__ import annotations

import json
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from django.urls import reverse
from django.utils import timezone

from channels_registry import services, tasks
from channels_registry.models import ConnectAttempt, WebhookDelivery
from channels_registry.providers.sandbox import sign_webhook_body
from channels_registry.simulation import sandbox_channel_ids
from publishing.models import PostVariant
from publishing.scheduler import services as scheduling
from socialops.audit.models import AuditEvent
from socialops.errors import ApplicationError, ValidationFailed
from tests.publishing.scheduler_factories import make_post, network_posts, reload, tick, variants_of

from .factories import connect_sandbox, start_sandbox

pytestmark = pytest.mark.django_db

OFFER = b"A simulated network with a live audience"


def _opt_in(org, value=True):
    org.sandbox_network = value
    org.save(update_fields=["sandbox_network"])


def test_outside_production_every_organization_has_the_sandbox(alice_client, org_a, settings):
    settings.PRODUCTION = False
    assert OFFER in alice_client.get(reverse("channel_connect", args=[org_a.slug])).content


def test_in_production_the_connect_page_offers_the_sandbox_only_after_opting_in(
    alice_client, org_a, alice_m, settings
):
    settings.PRODUCTION = True
    page = reverse("channel_connect", args=[org_a.slug])
    assert OFFER not in alice_client.get(page).content
    assert (
        alice_client.post(page, {"network": "sandbox"}).status_code == 200
    )  # the picker again, no consent
    with pytest.raises(ValidationFailed, match="turned off for this organization"):
        services.start_connect(org_a, by=alice_m, provider_key="sandbox")
    assert not ConnectAttempt.objects.for_org(org_a).exists()

    saved = alice_client.post(
        reverse("org_settings", args=[org_a.slug]),
        {"name": org_a.name, "timezone": org_a.timezone, "language": "en", "sandbox_network": "on"},
    )
    assert saved.status_code == 302
    org_a.refresh_from_db()
    assert org_a.sandbox_network
    event = AuditEvent.objects.for_org(org_a).filter(action="organization.updated").latest("seq")
    assert event.changes["sandbox_network"] == [False, True]
    assert OFFER in alice_client.get(page).content
    assert alice_client.post(page, {"network": "sandbox"}).status_code == 302


def test_in_production_the_sandbox_consent_page_and_code_exchange_refuse_an_organization_that_did_not_opt_in(
    alice_client, org_a, alice_m, settings
):
    settings.PRODUCTION = True
    _opt_in(org_a)
    started, state, redirect_uri = start_sandbox(org_a, alice_m)
    consent = urlsplit(started.authorization_url)
    url = consent.path + "?" + consent.query
    assert alice_client.get(url).status_code == 200
    _opt_in(org_a, False)  # turned off while the person is on the consent page
    assert alice_client.get(url).status_code == 404
    assert (
        alice_client.get(
            reverse("sandbox_authorize") + "?" + consent.query.replace(state, "made-up")
        ).status_code
        == 404
    )
    from channels_registry.providers.sandbox import make_authorization_code

    with pytest.raises(ApplicationError, match="turned off"):
        services.complete_connect(
            state,
            make_authorization_code(["sbx-kitchen"], redirect_uri),
            user=alice_m.user,
            provider_key="sandbox",
        )
    assert parse_qs(consent.query)["redirect_uri"] == [redirect_uri]


def test_in_production_a_sandbox_channel_of_an_organization_that_did_not_opt_in_does_not_publish(
    org_a, alice, alice_m, settings, monkeypatch
):
    (kitchen,) = connect_sandbox(org_a, alice_m)  # connected while allowed (development)
    monkeypatch.setattr(scheduling, "_kick_dispatcher", lambda: None)
    post = make_post(org_a, alice, [kitchen])
    at = timezone.now() + timedelta(minutes=5)
    scheduling.schedule_post(post, by=alice_m, at=at, timezone_name="UTC")
    settings.PRODUCTION = True
    scheduling._providers.clear()
    results = tick(at + timedelta(seconds=1))
    assert [r.outcome for r in results] == ["failed"]
    (variant,) = variants_of(reload(post))
    assert variant.status == PostVariant.Status.FAILED
    assert "turned off for this organization" in variant.failure_reason
    assert network_posts(kitchen) == []


def test_in_production_an_organization_that_opted_in_publishes_to_the_sandbox(
    org_a, alice, alice_m, settings, monkeypatch
):
    (kitchen,) = connect_sandbox(org_a, alice_m)
    monkeypatch.setattr(scheduling, "_kick_dispatcher", lambda: None)
    settings.PRODUCTION = True
    _opt_in(org_a)
    post = make_post(org_a, alice, [kitchen])
    at = timezone.now() + timedelta(minutes=5)
    scheduling.schedule_post(post, by=alice_m, at=at, timezone_name="UTC")
    assert [r.outcome for r in tick(at + timedelta(seconds=1))] == ["published"]
    assert len(network_posts(kitchen)) == 1


def _push(client, account="sbx-kitchen"):
    body = json.dumps(
        {"events": [{"account": account, "kind": "comment", "id": "c1", "text": "Halo"}]}
    ).encode()
    return client.post(
        "/webhooks/sandbox/",
        data=body,
        content_type="application/json",
        HTTP_X_SANDBOX_SIGNATURE=sign_webhook_body(body),
    )


def test_in_production_the_sandbox_webhook_is_closed_until_an_organization_opts_in(
    client, org_a, alice_m, org_b, bob_m, settings, monkeypatch
):
    monkeypatch.setattr(tasks.process_webhook_delivery, "delay", lambda delivery_id: None)
    (ours,) = connect_sandbox(org_a, alice_m)
    (theirs,) = connect_sandbox(org_b, bob_m)
    settings.PRODUCTION = True
    assert _push(client).status_code == 404
    assert client.get("/webhooks/sandbox/", {"challenge": "abc"}).status_code == 404
    assert not WebhookDelivery.objects.exists()

    _opt_in(org_b)
    assert _push(client).status_code == 200
    delivery = services.process_webhook_delivery(WebhookDelivery.objects.get().pk)
    (event,) = delivery.events
    assert [c["channel_id"] for c in event["channels"]] == [theirs.pk]  # not org A's channel
    assert ours.pk != theirs.pk


def test_in_production_the_simulated_audience_visits_only_organizations_that_opted_in(
    org_a, alice_m, org_b, bob_m, settings
):
    (ours,) = connect_sandbox(org_a, alice_m)
    (theirs,) = connect_sandbox(org_b, bob_m)
    assert set(sandbox_channel_ids()) == {ours.pk, theirs.pk}
    settings.PRODUCTION = True
    _opt_in(org_b)
    assert sandbox_channel_ids() == [theirs.pk]
