"""The channel inventory: activity per channel, the inactive and duplicate flags, reach not yet measured."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from channels_registry.models import Channel
from governance.inventory.selectors import (
    Flag,
    InventoryFilters,
    channel_inventory,
    duplicate_groups,
)
from publishing.models import PostVariant
from tests import factories as f
from tests.publishing.scheduler_factories import make_post

from .coverage_factories import channel

pytestmark = pytest.mark.django_db


def _published(org, author, ch, *, days_ago):
    post = make_post(org, author, [ch])
    at = timezone.now() - timedelta(days=days_ago)
    PostVariant.objects.for_org(org).filter(post=post).update(
        status=PostVariant.Status.PUBLISHED, published_at=at
    )
    return at


def _rows(org, **filters):
    return {r.channel.handle: r for r in channel_inventory(org, InventoryFilters(**filters))}


def test_last_post_and_posts_in_90_days_come_from_what_was_published(org_a, alice):
    busy = channel(org_a, "busy")
    quiet = channel(org_a, "quiet")
    channel(org_a, "never")
    newest = _published(org_a, alice, busy, days_ago=1)
    _published(org_a, alice, busy, days_ago=30)
    _published(org_a, alice, busy, days_ago=120)
    old = _published(org_a, alice, quiet, days_ago=100)
    # a scheduled post is not a post yet
    make_post(org_a, alice, [quiet])
    rows = _rows(org_a)
    assert (rows["busy"].last_published_at, rows["busy"].posts_90_days) == (newest, 2)
    assert (rows["quiet"].last_published_at, rows["quiet"].posts_90_days) == (old, 0)
    assert (rows["never"].last_published_at, rows["never"].posts_90_days) == (None, 0)
    assert Flag.INACTIVE not in rows["busy"].flags
    assert Flag.INACTIVE in rows["quiet"].flags
    assert Flag.INACTIVE in rows["never"].flags


def test_reach_is_not_yet_measured_and_no_channel_is_low_reach(org_a, alice):
    channel(org_a, "kitchen")
    (row,) = channel_inventory(org_a)
    assert row.reach is None
    assert Flag.LOW_REACH not in row.flags


def test_archived_channels_carry_no_flags(org_a):
    channel(org_a, "old", status=Channel.Status.ARCHIVED)
    channel(org_a, "old2", name="Old", status=Channel.Status.ARCHIVED)
    assert [r.flags for r in channel_inventory(org_a)] == [set(), set()]


def test_near_identical_names_on_one_network_are_likely_duplicates(org_a):
    a = channel(org_a, "kopi.pagi", name="Kopi Pagi Jakarta")
    b = channel(org_a, "kopipagi_jkt", name="Kopi Pagi - Jakarta!")
    c = channel(org_a, "kopi.sore", name="Kopi Sore Bandung")
    d = channel(org_a, "kopi.pagi.x", name="Kopi Pagi Jakarta", provider="x")
    found = duplicate_groups([a, b, c, d])
    assert found == {a.pk: [b], b.pk: [a]}  # another network's namesake is no duplicate


def test_near_identical_handles_and_the_same_profile_address_are_duplicates(org_a):
    a = channel(org_a, "nusantara.kitchen", name="Nusantara")
    b = channel(org_a, "nusantara_kitchen", name="NK official")
    c = channel(org_a, "promo", name="Promo", url="https://sandbox.example/@promo")
    d = channel(org_a, "promo2", name="Deals", url="https://sandbox.example/@promo/")
    found = duplicate_groups([a, b, c, d])
    assert found == {a.pk: [b], b.pk: [a], c.pk: [d], d.pk: [c]}


def test_the_duplicate_flag_names_the_other_channel(org_a):
    channel(org_a, "kopi.pagi", name="Kopi Pagi")
    channel(org_a, "kopi_pagi", name="Kopi Pagi")
    channel(org_a, "teh", name="Teh Manis")
    rows = _rows(org_a)
    assert Flag.DUPLICATE in rows["kopi.pagi"].flags
    assert [c.handle for c in rows["kopi.pagi"].duplicates_of] == ["kopi_pagi"]
    assert Flag.DUPLICATE not in rows["teh"].flags


def test_filters_by_team_subtree_network_and_flag(org_a, alice):
    region = f.make_team(org_a, "Region")
    city = f.make_team(org_a, "City", parent=region)
    channel(org_a, "city", team=city)
    active = channel(org_a, "active", team=region, provider="x")
    channel(org_a, "elsewhere")
    _published(org_a, alice, active, days_ago=2)
    assert set(_rows(org_a, team=region)) == {"city", "active"}
    assert set(_rows(org_a, provider="x")) == {"active"}
    assert set(_rows(org_a, flag=Flag.INACTIVE)) == {"city", "elsewhere"}
