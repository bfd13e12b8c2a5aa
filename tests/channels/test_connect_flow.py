"""Connecting channels end to end against the sandbox's local consent page."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.capabilities import Role
from channels_registry import selectors, services
from channels_registry.models import Channel, ChannelCredential, ConnectAttempt
from channels_registry.providers.sandbox import make_authorization_code
from socialops.audit.models import AuditEvent
from socialops.errors import ApplicationError, NotAllowed
from tests import factories as f

from .factories import authorize_sandbox, connect_sandbox, start_sandbox

pytestmark = pytest.mark.django_db


def _path(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + ("?" + parts.query if parts.query else "")


def test_a_new_user_connects_sandbox_accounts_through_consent_and_chooser(alice_client, org_a):
    team = f.make_team(org_a, "Jakarta")
    # 1. Pick the network: we are sent to the network's consent page.
    response = alice_client.post(
        reverse("channel_connect", args=[org_a.slug]), {"network": "sandbox"}
    )
    assert response.status_code == 302
    consent = _path(response["Location"])
    assert consent.startswith("/connect/sandbox/authorize?")
    page = alice_client.get(consent)
    assert (
        page.status_code == 200
        and b"Nusantara Kitchen" in page.content
        and b"Kopi Pagi" in page.content
    )
    # 2. Grant two of the three accounts: the network sends us to the callback.
    response = alice_client.post(consent, {"account": ["sbx-kitchen", "sbx-kopi"], "allow": "1"})
    assert response.status_code == 302
    callback = _path(response["Location"])
    assert callback.startswith("/connect/sandbox/callback?")
    # 3. The callback resolves the organization from the attempt and shows the chooser.
    response = alice_client.get(callback)
    assert response.status_code == 302
    chooser = response["Location"]
    page = alice_client.get(chooser)
    assert page.status_code == 200 and b"kopi.pagi" in page.content
    # 4. Pick both, with a team and a time zone.
    response = alice_client.post(
        chooser,
        {"accounts": ["sbx-kitchen", "sbx-kopi"], "team": team.pk, "timezone": "Asia/Jakarta"},
    )
    assert response.status_code == 302
    channels = list(Channel.objects.for_org(org_a).order_by("external_id"))
    assert [c.external_id for c in channels] == ["sbx-kitchen", "sbx-kopi"]
    assert all(
        c.team == team and c.timezone == "Asia/Jakarta" and c.status == Channel.Status.ACTIVE
        for c in channels
    )
    assert all(c.token_expires_at is not None for c in channels)
    # Credentials are encrypted at rest: the raw token is nowhere in the stored blob.
    for channel in channels:
        creds = selectors.credentials_for(channel)
        blob = ChannelCredential.objects.for_org(org_a).get(channel=channel).blob
        assert (
            creds.access_token
            and creds.access_token not in blob
            and creds.refresh_token not in blob
        )
    # The attempt keeps no secrets once done, and the audit log saw it all.
    attempt = ConnectAttempt.objects.for_org(org_a).get()
    assert (
        attempt.status == ConnectAttempt.Status.COMPLETED
        and attempt.candidates_blob == ""
        and attempt.secret_context == ""
    )
    actions = set(AuditEvent.objects.for_org(org_a).values_list("action", flat=True))
    assert {"channel.connect_started", "channel.connect_authorized", "channel.connected"} <= actions
    # The channel page never shows a token.
    detail = alice_client.get(reverse("channel_detail", args=[org_a.slug, channels[0].pk]))
    assert detail.status_code == 200
    assert selectors.credentials_for(channels[0]).access_token.encode() not in detail.content


def test_the_state_is_stored_only_as_a_hash(org_a, alice_m):
    _started, state, _uri = start_sandbox(org_a, alice_m)
    attempt = ConnectAttempt.objects.for_org(org_a).get()
    assert state not in attempt.state_hash and attempt.expires_at - attempt.created_at == timedelta(
        minutes=10
    )


def test_a_wrong_state_is_refused_and_nothing_is_stored(org_a, alice_m, alice):
    start_sandbox(org_a, alice_m)
    with pytest.raises(ApplicationError):
        services.complete_connect("not-the-state", "whatever", user=alice, provider_key="sandbox")
    assert ConnectAttempt.objects.for_org(org_a).get().candidates_blob == ""
    assert not Channel.objects.for_org(org_a).exists()


def test_a_replayed_state_is_refused(org_a, alice_m, alice):
    _started, state, uri = start_sandbox(org_a, alice_m)
    code = make_authorization_code(["sbx-kitchen"], uri)
    services.complete_connect(state, code, user=alice, provider_key="sandbox")
    with pytest.raises(ApplicationError) as exc:
        services.complete_connect(state, code, user=alice, provider_key="sandbox")
    assert "already used" in exc.value.message


def test_an_expired_state_is_refused_and_nothing_is_stored(org_a, alice_m, alice):
    _started, state, uri = start_sandbox(org_a, alice_m)
    ConnectAttempt.objects.for_org(org_a).update(expires_at=timezone.now() - timedelta(seconds=1))
    with pytest.raises(ApplicationError) as exc:
        services.complete_connect(
            state, make_authorization_code(["sbx-kitchen"], uri), user=alice, provider_key="sandbox"
        )
    assert "expired" in exc.value.message
    attempt = ConnectAttempt.objects.for_org(org_a).get()
    assert attempt.status == ConnectAttempt.Status.FAILED and attempt.candidates_blob == ""
    assert not Channel.objects.for_org(org_a).exists()


def test_the_callback_page_refuses_a_wrong_state_with_a_clear_message(alice_client):
    response = alice_client.get("/connect/sandbox/callback?state=nope&code=x")
    assert response.status_code == 400
    assert b"not valid or was already used" in response.content


def test_another_members_attempt_is_refused_at_the_callback(client, org_a, alice_m):
    _started, state, uri = start_sandbox(org_a, alice_m)
    mallory = f.make_user("mallory@alpha.test")
    f.add_member(org_a, mallory, Role.ADMIN)
    client.force_login(mallory)
    code = make_authorization_code(["sbx-kitchen"], uri)
    response = client.get(f"/connect/sandbox/callback?state={state}&code={code}")
    assert response.status_code == 403
    attempt = ConnectAttempt.objects.for_org(org_a).get()
    assert attempt.status == ConnectAttempt.Status.STARTED and attempt.candidates_blob == ""
    with pytest.raises(NotAllowed):
        services.complete_connect(state, code, user=mallory, provider_key="sandbox")


def test_a_denied_consent_leaves_nothing_connected(alice_client, org_a):
    response = alice_client.post(
        reverse("channel_connect", args=[org_a.slug]), {"network": "sandbox"}
    )
    consent = _path(response["Location"])
    response = alice_client.post(consent, {"deny": "1"})
    assert "error=access_denied" in response["Location"]
    response = alice_client.get(_path(response["Location"]))
    assert response.status_code == 400
    assert ConnectAttempt.objects.for_org(org_a).get().status == ConnectAttempt.Status.FAILED
    assert not Channel.objects.for_org(org_a).exists()


def test_the_consent_page_refuses_a_foreign_redirect_uri(alice_client):
    response = alice_client.get(
        "/connect/sandbox/authorize?state=x&redirect_uri=https://evil.example/cb"
    )
    assert response.status_code == 400


def test_re_adding_an_account_reconnects_the_channel_instead_of_duplicating(org_a, alice_m):
    (channel,) = connect_sandbox(org_a, alice_m)
    services.mark_needs_reauth(channel, reason="token revoked")
    (again,) = connect_sandbox(org_a, alice_m)
    assert again.pk == channel.pk
    assert Channel.objects.for_org(org_a).count() == 1
    again.refresh_from_db()
    assert again.status == Channel.Status.ACTIVE and again.last_error == ""


def test_accounts_can_be_added_only_once_per_attempt(org_a, alice_m):
    attempt = authorize_sandbox(org_a, alice_m, ["sbx-kitchen"])
    services.add_channels(attempt, by=alice_m, external_ids=["sbx-kitchen"])
    with pytest.raises(ApplicationError):
        services.add_channels(attempt, by=alice_m, external_ids=["sbx-kitchen"])


def test_the_chooser_refuses_accounts_the_network_did_not_return(org_a, alice_m):
    attempt = authorize_sandbox(org_a, alice_m, ["sbx-kitchen"])
    with pytest.raises(ApplicationError):
        services.add_channels(attempt, by=alice_m, external_ids=["sbx-promo"])
    assert not Channel.objects.for_org(org_a).exists()


def test_a_viewer_cannot_start_a_connection(client, org_a, vera):
    client.force_login(vera)
    response = client.post(reverse("channel_connect", args=[org_a.slug]), {"network": "sandbox"})
    assert response.status_code == 403


def test_the_chooser_of_another_members_attempt_is_a_404(client, org_a, alice_m):
    attempt = authorize_sandbox(org_a, alice_m)
    other = f.make_user("admin2@alpha.test")
    f.add_member(org_a, other, Role.ADMIN)
    client.force_login(other)
    response = client.get(reverse("channel_connect_choose", args=[org_a.slug, attempt.pk]))
    assert response.status_code == 404


def test_reconnect_button_goes_back_through_consent(alice_client, org_a, alice_m):
    (channel,) = connect_sandbox(org_a, alice_m)
    response = alice_client.post(reverse("channel_reconnect", args=[org_a.slug, channel.pk]))
    assert response.status_code == 302 and "/connect/sandbox/authorize?" in response["Location"]
    attempt = ConnectAttempt.objects.for_org(org_a).order_by("-pk").first()
    assert attempt.channel_id == channel.pk
    query = parse_qs(urlsplit(response["Location"]).query)
    assert query["redirect_uri"][0].endswith("/connect/sandbox/callback")


def test_the_connect_page_asks_each_network_for_what_it_needs(alice_client, org_a):
    url = reverse("channel_connect", args=[org_a.slug])
    page = alice_client.get(url)
    assert page.status_code == 200 and b"Sandbox" in page.content and b"Mastodon" in page.content
    assert b'name="instance_url"' in alice_client.get(url, {"network": "mastodon"}).content
    bluesky = alice_client.get(url, {"network": "bluesky"}).content
    assert b'name="handle"' in bluesky and b'name="app_password"' in bluesky
