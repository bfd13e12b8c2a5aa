"""Contract suite of the built-in sandbox network (no HTTP: its "server" is the database).

The same promises as the real networks' suites: OAuth consent and code exchange, refresh,
health check, publish each supported kind, idempotency and find_existing, delete, inbox with a
cursor that only moves forward, reply, hide, delete, metrics, expired or foreign tokens, content
refused with a clear message, and signed webhooks. (Rate limits and 5xx have no meaning for a
network that makes no HTTP calls.)
"""

from __future__ import annotations

import json
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from django.utils import timezone

from channels_registry import selectors, simulation
from channels_registry.models import SandboxInteraction, SandboxPost
from channels_registry.providers import get_provider
from channels_registry.providers.base import MediaItem, PublishRequest, WebhookRequest
from channels_registry.providers.errors import AuthExpired, ContentRejected, ProviderError
from channels_registry.providers.sandbox import (
    SANDBOX_ACCOUNTS,
    issue_credentials,
    make_authorization_code,
    sign_webhook_body,
)

from ..channels.factories import connect_sandbox

pytestmark = pytest.mark.django_db


@pytest.fixture
def channel(org_a, alice_m):
    return connect_sandbox(org_a, alice_m, accounts=("sbx-kitchen",))[0]


@pytest.fixture
def provider():
    return get_provider("sandbox")


@pytest.fixture
def creds(channel):
    return selectors.credentials_for(channel)


def _image(n=1):
    return [
        MediaItem(
            kind="image",
            url=f"https://example.test/{i}.jpg",
            read=lambda: b"jpeg",
            width=1080,
            height=1350,
        )
        for i in range(n)
    ]


def test_the_consent_url_and_the_code_exchange_list_the_chosen_accounts(provider, org_a):
    url = provider.authorization_url(
        redirect_uri="http://testserver/connect/sandbox/callback", state="s1"
    )
    query = parse_qs(urlsplit(url).query)
    assert urlsplit(url).path == "/connect/sandbox/authorize"
    assert query["state"] == ["s1"] and query["response_type"] == ["code"]
    code = make_authorization_code(
        ["sbx-kitchen", "sbx-kopi"], "http://testserver/connect/sandbox/callback"
    )
    accounts = provider.exchange_code(
        code=code,
        redirect_uri="http://testserver/connect/sandbox/callback",
        extra={"organization_id": org_a.pk},
    )
    assert [a.external_id for a in accounts] == ["sbx-kitchen", "sbx-kopi"]
    assert {a.handle for a in accounts} <= {h for _e, h, _n in SANDBOX_ACCOUNTS}
    assert all(a.credentials.expires_at > timezone.now() for a in accounts)


def test_a_code_for_another_redirect_uri_or_a_forged_code_is_refused(provider, org_a):
    code = make_authorization_code(["sbx-kitchen"], "http://testserver/a")
    with pytest.raises(ProviderError):
        provider.exchange_code(
            code=code, redirect_uri="http://testserver/b", extra={"organization_id": org_a.pk}
        )
    with pytest.raises(ProviderError):
        provider.exchange_code(
            code="forged", redirect_uri="http://testserver/a", extra={"organization_id": org_a.pk}
        )


def test_refresh_issues_new_tokens_and_the_health_check_names_the_account(provider, channel, creds):
    fresh = provider.refresh(creds)
    assert fresh.access_token != creds.access_token and fresh.expires_at > timezone.now()
    account = provider.verify_credentials(fresh, channel.external_id)
    assert account.handle == channel.handle


def test_an_expired_token_raises_auth_expired(provider, channel, org_a):
    old = issue_credentials(channel.external_id, org_a.pk, now=timezone.now() - timedelta(days=30))
    with pytest.raises(AuthExpired):
        provider.publish(old, channel.external_id, PublishRequest(text="hello"))
    with pytest.raises(AuthExpired):
        provider.verify_credentials(old, channel.external_id)


def test_a_token_of_another_organization_does_not_reach_this_channel(provider, channel, org_b):
    foreign = issue_credentials(channel.external_id, org_b.pk)
    with pytest.raises(AuthExpired):
        provider.publish(foreign, channel.external_id, PublishRequest(text="hello"))


@pytest.mark.parametrize(
    ("request_kwargs", "media_count", "fmt"),
    [
        ({"text": "Plain text"}, 0, "post"),
        ({"text": "With a link", "link": "https://example.test/?utm_source=x"}, 0, "post"),
        ({"text": "One photo", "media": _image(1)}, 1, "post"),
        ({"text": "Carousel", "media": _image(5)}, 5, "post"),
        (
            {
                "text": "Video",
                "media": [
                    MediaItem(
                        kind="video",
                        url="https://example.test/v.mp4",
                        mime_type="video/mp4",
                        duration_seconds=12,
                    )
                ],
            },
            1,
            "post",
        ),
        ({"text": "", "media": _image(1), "format": "story"}, 1, "story"),
        (
            {
                "text": "Reel",
                "media": [
                    MediaItem(kind="video", url="https://example.test/r.mp4", mime_type="video/mp4")
                ],
                "format": "reel",
            },
            1,
            "reel",
        ),
    ],
)
def test_publishing_each_supported_kind(
    provider, channel, creds, org_a, request_kwargs, media_count, fmt
):
    result = provider.publish(creds, channel.external_id, PublishRequest(**request_kwargs))
    assert (
        result.status == "published"
        and result.external_id
        and result.url.endswith(result.external_id)
    )
    post = SandboxPost.objects.for_org(org_a).get(external_id=result.external_id)
    assert (post.media_count, post.format, post.text) == (media_count, fmt, request_kwargs["text"])


def test_the_first_comment_is_posted_under_the_post(provider, channel, creds, org_a):
    result = provider.publish(
        creds, channel.external_id, PublishRequest(text="Launch", first_comment="Link in bio")
    )
    comment = SandboxInteraction.objects.for_org(org_a).get(external_id=result.first_comment_id)
    assert (
        comment.text == "Link in bio"
        and comment.post.external_id == result.external_id
        and comment.from_account
    )


def test_the_same_idempotency_key_never_publishes_twice_and_find_existing_settles_it(
    provider, channel, creds, org_a
):
    request = PublishRequest(text="Once", idempotency_key="attempt-1")
    first = provider.publish(creds, channel.external_id, request)
    again = provider.publish(creds, channel.external_id, request)
    assert first.external_id == again.external_id
    assert SandboxPost.objects.for_org(org_a).count() == 1
    found = provider.find_existing(
        creds, channel.external_id, request, since=timezone.now() - timedelta(minutes=5)
    )
    assert found.external_id == first.external_id
    missing = PublishRequest(text="Never sent", idempotency_key="attempt-2")
    assert (
        provider.find_existing(
            creds, channel.external_id, missing, since=timezone.now() - timedelta(minutes=5)
        )
        is None
    )


@pytest.mark.parametrize(
    ("request_kwargs", "message"),
    [
        ({"text": "x" * 5001}, "longer than 5000"),
        ({"text": "   "}, "needs text or media"),
        ({"text": "Too many", "media": _image(11)}, "At most 10 images"),
    ],
)
def test_content_the_network_refuses_is_rejected_with_its_message(
    provider, channel, creds, org_a, request_kwargs, message
):
    with pytest.raises(ContentRejected, match=message) as info:
        provider.publish(creds, channel.external_id, PublishRequest(**request_kwargs))
    assert info.value.permanent
    assert SandboxPost.objects.for_org(org_a).count() == 0


def test_delete_post_removes_it_and_a_missing_post_is_a_clear_error(
    provider, channel, creds, org_a
):
    result = provider.publish(creds, channel.external_id, PublishRequest(text="Oops"))
    provider.delete_post(creds, channel.external_id, result.external_id)
    assert (
        SandboxPost.objects.for_org(org_a).get(external_id=result.external_id).deleted_at
        is not None
    )
    with pytest.raises(ProviderError):
        provider.delete_post(creds, channel.external_id, "sbxp_missing")


def test_the_inbox_cursor_only_returns_newer_items_then_reply_hide_and_delete(
    provider, channel, creds, org_a
):
    published = provider.publish(creds, channel.external_id, PublishRequest(text="Promo hari ini"))
    post = SandboxPost.objects.for_org(org_a).get(external_id=published.external_id)
    for minute in range(1, 30):
        simulation.advance_post(post, now=timezone.now() + timedelta(minutes=minute))
        if SandboxInteraction.objects.for_org(org_a).filter(from_account=False).count() >= 2:
            break
    first = provider.fetch_inbox(creds, channel.external_id)
    assert first.items and first.cursor
    assert all(
        item.post_external_id == published.external_id or item.kind in ("dm", "mention")
        for item in first.items
    )
    assert provider.fetch_inbox(creds, channel.external_id, first.cursor).items == []
    item = first.items[0]
    reply_id = provider.reply(creds, channel.external_id, item, "Terima kasih atas masukannya!")
    reply = SandboxInteraction.objects.for_org(org_a).get(external_id=reply_id)
    assert reply.parent_external_id == item.external_id and reply.from_account
    assert (
        provider.fetch_inbox(creds, channel.external_id, first.cursor).items == []
    )  # our own reply is not inbox
    provider.hide_comment(creds, channel.external_id, item.external_id)
    assert SandboxInteraction.objects.for_org(org_a).get(external_id=item.external_id).is_hidden
    provider.like_comment(creds, channel.external_id, item.external_id)
    assert SandboxInteraction.objects.for_org(org_a).get(external_id=item.external_id).is_liked
    provider.like_comment(creds, channel.external_id, item.external_id, liked=False)
    assert not SandboxInteraction.objects.for_org(org_a).get(external_id=item.external_id).is_liked
    provider.delete_comment(creds, channel.external_id, item.external_id)
    assert item.external_id not in [
        i.external_id for i in provider.fetch_inbox(creds, channel.external_id).items
    ]
    with pytest.raises(ProviderError):
        provider.hide_comment(creds, channel.external_id, "missing")


def test_metrics_for_the_account_and_each_post(provider, channel, creds, org_a):
    published = provider.publish(creds, channel.external_id, PublishRequest(text="Metrics"))
    post = SandboxPost.objects.for_org(org_a).get(external_id=published.external_id)
    now = timezone.now()
    for minute in range(1, 6):
        simulation.simulate_channel(
            channel, now=now + timedelta(minutes=minute)
        )  # posts and followers move
    post.refresh_from_db()
    [metrics] = provider.fetch_post_metrics(creds, channel.external_id, [published.external_id])
    assert metrics.impressions == post.impressions > 0 and metrics.likes == post.likes
    days = provider.fetch_account_metrics(
        creds, channel.external_id, now.date() - timedelta(days=1), now.date() + timedelta(days=1)
    )
    assert days and all(d.followers is not None for d in days)


def test_webhooks_are_accepted_only_with_a_valid_signature(provider, channel):
    body = json.dumps(
        {
            "events": [
                {
                    "account": channel.external_id,
                    "kind": "comment",
                    "id": "c9",
                    "text": "Halo",
                    "author_id": "u1",
                    "post_id": "p1",
                }
            ]
        }
    ).encode()
    good = WebhookRequest("POST", {"x-sandbox-signature": sign_webhook_body(body)}, {}, body)
    bad = WebhookRequest("POST", {"x-sandbox-signature": "sha256=" + "0" * 64}, {}, body)
    assert provider.verify_webhook(good) and not provider.verify_webhook(bad)
    [event] = provider.parse_webhook(good)
    assert (
        event.kind == "inbox_item"
        and event.item.text == "Halo"
        and event.account_external_id == channel.external_id
    )
    status, _ctype, answer = provider.webhook_handshake(
        WebhookRequest("GET", {}, {"challenge": "abc"}, b"")
    )
    assert status == 200 and json.loads(answer)["response_token"].startswith("sha256=")
