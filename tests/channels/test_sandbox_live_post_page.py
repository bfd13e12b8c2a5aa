"""The "See the live post" link of a sandbox variant opens a real page: the simulated post with its comments and
figures, built from SITE_URL, for members of the organization who may see the channel (a 404 for
anyone else), and SITE_URL follows where `make run` serves."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.capabilities import Role
from channels_registry import services as channel_services
from channels_registry.models import Channel, SandboxInteraction, SandboxPost
from channels_registry.simulation import advance_post
from publishing.scheduler import services as scheduling
from tests import factories as f

from ..publishing.scheduler_factories import make_post, tick, variants_of
from .factories import connect_sandbox

pytestmark = pytest.mark.django_db


@pytest.fixture
def published(org_a, alice, alice_m, monkeypatch, settings):
    settings.SITE_URL = "http://127.0.0.1:8123"
    monkeypatch.setattr(scheduling, "_kick_dispatcher", lambda: None)
    (channel,) = connect_sandbox(org_a, alice_m, ["sbx-kitchen"])
    post = scheduling.publish_now(
        make_post(
            org_a, alice, [channel], text="Rendang bowl is back", first_comment="Order at the link"
        ),
        by=alice_m,
    )
    tick()
    (variant,) = variants_of(post)
    network_post = SandboxPost.objects.for_org(org_a).get(channel=channel)
    now = timezone.now()
    for minute in range(40):  # the simulated audience reacts: figures and comments
        advance_post(network_post, now=now + timedelta(minutes=minute))
    return {"channel": channel, "variant": variant, "network_post": network_post}


def _path(url: str) -> str:
    return url.removeprefix("http://127.0.0.1:8123")


def test_the_live_link_is_a_page_of_the_app_built_from_site_url(alice_client, org_a, published):
    variant, network_post = published["variant"], published["network_post"]
    expected = "http://127.0.0.1:8123" + reverse(
        "sandbox_post", args=[org_a.slug, network_post.external_id]
    )
    assert variant.external_url == expected
    response = alice_client.get(_path(variant.external_url))
    assert response.status_code == 200
    html = response.content.decode()
    network_post.refresh_from_db()
    assert (
        "Rendang bowl is back" in html and "Order at the link" in html
    )  # the text and the first comment
    assert network_post.comments > 0 and network_post.impressions > 0
    comment = (
        SandboxInteraction.objects.for_org(org_a)
        .filter(post=network_post, from_account=False)
        .first()
    )
    assert comment is not None and comment.text in html
    assert f">{network_post.impressions:,}<" in html or f">{network_post.impressions}<" in html


def test_members_who_may_not_see_the_channel_and_other_organizations_get_a_404(
    client, org_a, org_b, bob, alice_m, published
):
    url = _path(published["variant"].external_url)
    client.force_login(bob)  # another organization's owner
    assert client.get(url).status_code == 404
    legacy = f"/sandbox/posts/{published['network_post'].external_id}"
    assert client.get(legacy).status_code == 404

    pat = f.add_member(org_a, f.make_user("pat@alpha.test"), Role.PUBLISHER)
    client.force_login(pat.user)
    assert client.get(url).status_code == 200
    channel_services.set_channel_access(
        published["channel"], by=alice_m, access=Channel.Access.RESTRICTED
    )
    assert client.get(url).status_code == 404

    client.logout()
    assert client.get(url).status_code == 302  # to the sign-in page


def test_a_link_stored_before_the_organization_was_in_it_still_opens(
    alice_client, org_a, published
):
    external_id = published["network_post"].external_id
    response = alice_client.get(f"/sandbox/posts/{external_id}")
    assert response.status_code == 302
    assert response["Location"] == reverse("sandbox_post", args=[org_a.slug, external_id])


def test_a_deleted_sandbox_post_is_gone(alice_client, published):
    SandboxPost.objects.for_org(published["network_post"].organization_id).filter(
        pk=published["network_post"].pk
    ).update(deleted_at=timezone.now())
    assert alice_client.get(_path(published["variant"].external_url)).status_code == 404


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({}, "http://127.0.0.1:8000"),
        ({"SOCIALOPS_PORT": "8123"}, "http://127.0.0.1:8123"),
        # honcho hands every process its own PORT (5000, 5100, …): it must never move SITE_URL.
        ({"PORT": "5100"}, "http://127.0.0.1:8000"),
        ({"SOCIALOPS_HOST": "0.0.0.0", "SOCIALOPS_PORT": "9000"}, "http://127.0.0.1:9000"),  # noqa: S104 - what `make run` may listen on
        (
            {"SOCIALOPS_PORT": "8123", "SITE_URL": "https://social.example/"},
            "https://social.example",
        ),
    ],
)
def test_site_url_follows_where_make_run_serves_unless_set(env, expected):
    clean = {
        k: v
        for k, v in os.environ.items()
        if k not in ("HOST", "PORT", "SOCIALOPS_HOST", "SOCIALOPS_PORT", "SITE_URL")
    }
    code = (
        "import django; django.setup(); from django.conf import settings; print(settings.SITE_URL)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        env={**clean, **env, "DJANGO_SETTINGS_MODULE": "socialops.settings"},
        cwd=Path(__file__).resolve().parents[2],
        capture_output=True,
        text=True,
        check=True,
    )
    assert out.stdout.strip() == expected
