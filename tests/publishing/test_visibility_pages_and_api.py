"""A post that only goes to a restricted channel is invisible — a 404, missing from lists — to members
without a grant on that channel, on the pages and in the API; a grant (person or team) shows it."""

from __future__ import annotations

import pytest
from django.urls import reverse

from accounts.capabilities import Role
from channels_registry import services as channel_services
from channels_registry.models import Channel
from tests import factories as f
from tests.conftest import api_client_for

from .scheduler_factories import make_post, sandbox_channels

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(org_a, alice_m):
    open_ch, secret = sandbox_channels(org_a, alice_m, accounts=("sbx-kitchen", "sbx-promo"))
    channel_services.set_channel_access(secret, by=alice_m, access=Channel.Access.RESTRICTED)
    return {
        "secret": secret,
        "hidden": make_post(org_a, alice_m.user, [secret], text="Secret launch"),
        "public": make_post(org_a, alice_m.user, [open_ch], text="Open news"),
        "mixed": make_post(org_a, alice_m.user, [open_ch, secret], text="Mixed news"),
    }


@pytest.fixture
def pat(org_a):
    return f.add_member(org_a, f.make_user("pat@alpha.test"), Role.PUBLISHER)


def _page(client, post):
    return client.get(reverse("post_detail", kwargs={"org_slug": "alpha", "post_id": post.pk}))


def test_the_post_page_is_a_404_without_a_grant_and_shows_with_one(client, world, pat, alice_m):
    client.force_login(pat.user)
    assert _page(client, world["hidden"]).status_code == 404
    assert _page(client, world["public"]).status_code == 200
    channel_services.grant_channel_access(
        world["secret"], by=alice_m, capability="view_analytics", membership=pat
    )
    assert _page(client, world["hidden"]).status_code == 200


def test_the_post_list_leaves_out_posts_the_member_may_not_see(client, world, pat):
    client.force_login(pat.user)
    html = client.get(reverse("post_list", kwargs={"org_slug": "alpha"})).content.decode()
    assert "Open news" in html and "Mixed news" in html
    assert "Secret launch" not in html


def test_a_mixed_post_shows_only_the_variants_the_member_may_see(client, world, pat):
    client.force_login(pat.user)
    html = _page(client, world["mixed"]).content.decode()
    assert world["secret"].handle not in html


def test_the_api_answers_404_and_leaves_the_post_out_of_lists(world, pat):
    api = api_client_for(pat)
    assert api.get(f"/api/v1/posts/{world['hidden'].pk}/").status_code == 404
    listed = {p["id"] for p in api.get("/api/v1/posts/").json()["results"]}
    assert world["hidden"].pk not in listed and world["public"].pk in listed
    mixed = api.get(f"/api/v1/posts/{world['mixed'].pk}/").json()
    assert {
        v["channel"]["id"] if isinstance(v["channel"], dict) else v["channel"]
        for v in mixed["variants"]
    } == {world["public"].variants.get().channel_id}
    variants = api.get("/api/v1/variants/").json()["results"]
    assert world["secret"].pk not in {
        v["channel"]["id"] if isinstance(v["channel"], dict) else v["channel"] for v in variants
    }
    assert api.post(f"/api/v1/posts/{world['hidden'].pk}/cancel/").status_code == 404


def test_a_team_grant_shows_the_post_in_the_api(world, pat, org_a, alice_m):
    team = f.make_team(org_a, "Launch team")
    pat.teams.add(team)
    channel_services.grant_channel_access(
        world["secret"], by=alice_m, capability="publish", team=team
    )
    api = api_client_for(pat)
    assert api.get(f"/api/v1/posts/{world['hidden'].pk}/").status_code == 200
    assert world["hidden"].pk in {p["id"] for p in api.get("/api/v1/posts/").json()["results"]}


def test_editing_a_mixed_post_keeps_the_variant_the_editor_cannot_see(world, pat):
    from publishing.models import PostVariant
    from publishing.posts import services as authoring

    post = world["mixed"]
    visible = [
        v.channel
        for v in post.variants.select_related("channel")
        if v.channel_id != world["secret"].pk
    ]
    authoring.update_post(post, by=pat, text="Mixed news, corrected", channels=visible)
    channels = set(
        PostVariant.objects.for_org(post.organization)
        .filter(post=post)
        .values_list("channel_id", flat=True)
    )
    assert world["secret"].pk in channels and len(channels) == 2
