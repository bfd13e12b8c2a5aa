"""The events endpoint costs a fixed number of queries, whatever the number of posts in the range."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.capabilities import Role
from publishing.calendar import services as calendar_services

from .. import factories as f
from .conftest import P, V, events_of, in_days, make_post, month_range

pytestmark = pytest.mark.django_db

#: session + user + organization + membership (middleware), then: the team tree, the variants,
#: the channel-less plans, campaigns, notes, the viewer's teams (their holiday region), holiday
#: sets, cadence targets, cadence counts. A member who is not an owner or admin adds the channel
#: grant lookups of ``visible_channels`` / ``visible_posts`` (their teams and the team tree), once
#: per read that filters by visibility. Pinned: a change here is deliberate.
EXPECTED_OWNER = 12
EXPECTED_PUBLISHER = 20


def _count(client, org, params) -> tuple[int, int]:
    url = reverse("calendar_events", kwargs={"org_slug": org.slug})
    with CaptureQueriesContext(connection) as ctx:
        events = events_of(client.get(url, params))
    return len(ctx.captured_queries), len(events)


def _fill(org, alice, channels, campaign, n):
    for i in range(n):
        make_post(
            org,
            alice,
            channels,
            status=P.SCHEDULED,
            variant_status=V.SCHEDULED,
            at=in_days(1 + i % 9),
            campaign=campaign if i % 2 else None,
        )
        make_post(org, alice, channels[:1], planned_at=in_days(2 + i % 5))


@pytest.mark.parametrize("role", ["owner", "publisher"])
def test_the_query_count_does_not_grow_with_the_posts(
    client, org_a, alice, alice_m, channels, campaign, role
):
    hq = f.make_team(org_a, "HQ")
    region = f.make_team(org_a, "Region", parent=hq)
    calendar_services.set_holiday_countries(org_a, by=alice_m, team=None, countries=["ID", "SG"])
    calendar_services.create_note(org_a, by=alice_m, title="Launch", starts_on=in_days(2).date())
    for ch in channels:
        calendar_services.set_cadence_target(ch, by=alice_m, min_per_week=3, max_per_week=5)
    viewer = alice
    if role == "publisher":
        viewer = f.make_user("pub@alpha.test")
        m = f.add_member(org_a, viewer, Role.PUBLISHER)
        m.teams.add(region)
    client.force_login(viewer)
    params = {**month_range(in_days(5)), "team": region.pk}
    _fill(org_a, alice, channels, campaign, 3)
    _count(client, org_a, params)  # warm-up: the first request of a session writes the session
    few, few_events = _count(client, org_a, params)
    _fill(org_a, alice, channels, campaign, 40)
    many, many_events = _count(client, org_a, params)
    assert many_events > few_events + 100
    assert few == many == (EXPECTED_OWNER if role == "owner" else EXPECTED_PUBLISHER)
