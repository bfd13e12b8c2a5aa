"""The post page while and after a post goes out: "Publishing" right after Publish now (not
"Scheduled"), the time it was published (not "Scheduled for"), and a small partial that htmx polls
while a variant is in flight and that stops asking once every variant has settled."""

from __future__ import annotations

import re
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.capabilities import Role
from channels_registry import services as channel_services
from channels_registry.models import Channel
from publishing.models import PostVariant
from publishing.scheduler import services as scheduling
from tests import factories as f

from .scheduler_factories import make_post, sandbox_channels, tick, variants_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def no_worker(monkeypatch):
    """Publish now without the dispatcher being kicked: the state right after the click."""
    monkeypatch.setattr(scheduling, "_kick_dispatcher", lambda: None)


def _page(client, post):
    return client.get(
        reverse("post_detail", args=[post.organization.slug, post.pk])
    ).content.decode()


def _progress(client, post):
    return client.get(reverse("post_progress", args=[post.organization.slug, post.pk]))


def _badge(html: str) -> str:
    found = re.search(r'<span id="post-state"[^>]*>(.*?)</span>\s*</span>', html, re.S)
    assert found, "the post's state badge is missing"
    return re.sub(r"<[^>]+>", "", found.group(1)).strip()


def test_right_after_publish_now_the_post_reads_publishing_not_scheduled(
    alice_client, org_a, alice, alice_m, no_worker
):
    (channel,) = sandbox_channels(org_a, alice_m)
    post = scheduling.publish_now(make_post(org_a, alice, [channel], text="Out now"), by=alice_m)
    html = _page(alice_client, post)
    assert _badge(html) == "Publishing"
    assert "Scheduled for" not in html
    assert "Publishing now" in html
    assert (
        reverse("post_edit", args=[org_a.slug, post.pk]) not in html
    )  # not edited while it goes out


def test_a_published_post_says_when_it_went_out(alice_client, org_a, alice, alice_m, no_worker):
    alice.timezone = "Europe/London"
    alice.save()
    (channel,) = sandbox_channels(org_a, alice_m)
    post = scheduling.publish_now(make_post(org_a, alice, [channel], text="Gone out"), by=alice_m)
    tick()
    (variant,) = variants_of(post)
    assert variant.status == PostVariant.Status.PUBLISHED
    html = _page(alice_client, post)
    assert _badge(html) == "Published"
    assert "Scheduled for" not in html
    london = variant.published_at.astimezone(ZoneInfo("Europe/London"))
    zone = london.tzname()  # GMT or BST
    assert f"Published on {london:%a} {london.day} {london:%b %Y}, {london:%H:%M} {zone}." in html


def test_the_page_polls_a_small_partial_until_every_variant_settles(
    alice_client, org_a, alice, alice_m, no_worker
):
    kitchen, kopi = sandbox_channels(org_a, alice_m, ["sbx-kitchen", "sbx-kopi"])
    post = scheduling.publish_now(
        make_post(org_a, alice, [kitchen, kopi], text="Two at once"), by=alice_m
    )
    url = reverse("post_progress", args=[org_a.slug, post.pk])
    html = _page(alice_client, post)
    assert f'hx-get="{url}"' in html and 'hx-trigger="every 2s"' in html

    partial = _progress(alice_client, post)
    assert partial.status_code == 200
    body = partial.content.decode()
    assert "<html" not in body and "primary-nav" not in body  # the partial, not the whole page
    assert 'hx-trigger="every 2s"' in body and 'id="variant-table"' in body
    assert 'id="post-state" hx-swap-oob="true"' in body  # the header's badge follows along

    tick()  # both variants go out
    body = _progress(alice_client, post).content.decode()
    assert "hx-trigger" not in body and "data-polling" not in body  # settled: htmx stops asking
    assert body.count("See the live post") == 2
    assert "Published" in body
    assert (
        "hx-trigger" not in _page(alice_client, post).split('id="post-progress"')[1].split(">")[0]
    )


def test_a_post_scheduled_for_later_is_not_polled(alice_client, org_a, alice, alice_m):
    (channel,) = sandbox_channels(org_a, alice_m)
    post = make_post(org_a, alice, [channel])
    scheduling.schedule_post(
        post, by=alice_m, at=timezone.now() + timedelta(days=2), timezone_name="Asia/Jakarta"
    )
    html = _page(alice_client, post)
    assert _badge(html) == "Scheduled" and "Scheduled for" in html
    assert "data-polling" not in html


def test_the_partial_shows_only_visible_variants_and_is_a_404_for_a_hidden_post(
    client, org_a, alice, alice_m
):
    open_ch, secret = sandbox_channels(org_a, alice_m, ["sbx-kitchen", "sbx-promo"])
    channel_services.set_channel_access(secret, by=alice_m, access=Channel.Access.RESTRICTED)
    mixed = make_post(org_a, alice, [open_ch, secret], text="Mixed")
    hidden = make_post(org_a, alice, [secret], text="Hidden")
    pat = f.add_member(org_a, f.make_user("pat@alpha.test"), Role.PUBLISHER)
    client.force_login(pat.user)
    body = _progress(client, mixed).content.decode()
    assert open_ch.handle in body and secret.handle not in body
    assert _progress(client, hidden).status_code == 404
