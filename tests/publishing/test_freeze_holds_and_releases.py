"""A publishing freeze holds due posts until lifted; then they go out, marked late, or are cancelled."""

from __future__ import annotations

import pytest

from accounts.capabilities import Role
from publishing.models import PostVariant, PublishingFreeze
from publishing.scheduler import services as scheduling
from socialops.errors import NotAllowed

from ..factories import add_member, make_team, make_user
from .scheduler_factories import (
    make_post,
    network_posts,
    reload,
    sandbox_channels,
    tick,
    variants_of,
)

pytestmark = pytest.mark.django_db


def test_an_organization_freeze_holds_due_posts_and_lifting_it_publishes_them(
    org_a, alice, alice_m
):
    (kitchen,) = sandbox_channels(org_a, alice_m)
    freeze = scheduling.create_freeze(
        org_a, by=alice_m, scope="organization", reason="Crisis: flood", on_lift="publish"
    )
    post = make_post(org_a, alice, [kitchen])
    scheduling.publish_now(post, by=alice_m)
    assert tick() == []
    (variant,) = variants_of(post)
    assert variant.status == PostVariant.Status.HELD
    assert network_posts(kitchen) == []

    scheduling.lift_freeze(freeze, by=alice_m)
    (result,) = tick()
    assert result.outcome == "published"
    variant = reload(variant)
    assert variant.status == PostVariant.Status.PUBLISHED and not variant.is_late
    assert reload(freeze).lifted_at is not None


def test_a_channel_freeze_holds_only_that_channel_and_can_mark_posts_late(org_a, alice, alice_m):
    kitchen, kopi = sandbox_channels(org_a, alice_m, ["sbx-kitchen", "sbx-kopi"])
    freeze = scheduling.create_freeze(
        org_a,
        by=alice_m,
        scope="channel",
        channel=kopi,
        reason="Account review",
        on_lift="mark_late",
    )
    post = make_post(org_a, alice, [kitchen, kopi])
    scheduling.publish_now(post, by=alice_m)
    tick()
    a, b = variants_of(post)
    assert (a.status, b.status) == (PostVariant.Status.PUBLISHED, PostVariant.Status.HELD)
    scheduling.lift_freeze(freeze, by=alice_m)
    tick()
    b = reload(b)
    assert b.status == PostVariant.Status.PUBLISHED and b.is_late


def test_a_team_freeze_covers_the_teams_channels_and_lifting_with_cancel_cancels_them(
    org_a, alice, alice_m
):
    region = make_team(org_a, "Region West", by=alice_m)
    local = make_team(org_a, "Local Bandung", parent=region, by=alice_m)
    (kitchen,) = sandbox_channels(org_a, alice_m, ["sbx-kitchen"], team=local)
    (kopi,) = sandbox_channels(org_a, alice_m, ["sbx-kopi"])
    freeze = scheduling.create_freeze(
        org_a, by=alice_m, scope="team", team=region, reason="Local holiday", on_lift="cancel"
    )
    post = make_post(org_a, alice, [kitchen, kopi])
    scheduling.publish_now(post, by=alice_m)
    tick()
    a, b = variants_of(post)
    assert (a.status, b.status) == (PostVariant.Status.HELD, PostVariant.Status.PUBLISHED)
    scheduling.lift_freeze(freeze, by=alice_m)
    assert reload(a).status == PostVariant.Status.CANCELLED
    assert tick() == [] and network_posts(kitchen) == []


def test_a_variant_held_by_two_freezes_waits_for_both(org_a, alice, alice_m):
    (kitchen,) = sandbox_channels(org_a, alice_m)
    one = scheduling.create_freeze(org_a, by=alice_m, scope="organization", reason="one")
    two = scheduling.create_freeze(
        org_a, by=alice_m, scope="channel", channel=kitchen, reason="two"
    )
    post = make_post(org_a, alice, [kitchen])
    scheduling.publish_now(post, by=alice_m)
    tick()
    scheduling.lift_freeze(one, by=alice_m)
    assert tick() == []
    scheduling.lift_freeze(two, by=alice_m)
    assert [r.outcome for r in tick()] == ["published"]


def test_only_governance_managers_may_freeze_the_organization(org_a, alice_m):
    publisher = add_member(org_a, make_user("pat@alpha.test"), Role.PUBLISHER)
    with pytest.raises(NotAllowed):
        scheduling.create_freeze(org_a, by=publisher, scope="organization", reason="no")
    assert not PublishingFreeze.objects.for_org(org_a).exists()
