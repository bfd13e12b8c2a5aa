"""The range endpoint: every draft, in-review, scheduled, published and failed variant in its slot."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse

from accounts.capabilities import Role
from channels_registry.models import Channel

from .. import factories as f
from .conftest import P, V, events_of, in_days, make_post, month_range, posts_in

pytestmark = pytest.mark.django_db


def _get(client, org, **params):
    return client.get(reverse("calendar_events", kwargs={"org_slug": org.slug}), params)


def test_each_state_is_shown_in_its_slot_coloured_by_campaign(
    alice_client, org_a, alice, channels, campaign
):
    kitchen, kopi = channels
    at = in_days(2)
    draft = make_post(org_a, alice, [kitchen], planned_at=at, campaign=campaign, text="Draft idea")
    review = make_post(
        org_a, alice, [kitchen], status=P.IN_REVIEW, planned_at=at + timedelta(hours=1)
    )
    scheduled = make_post(
        org_a, alice, [kitchen, kopi], status=P.SCHEDULED, variant_status=V.SCHEDULED, at=at
    )
    published = make_post(
        org_a,
        alice,
        [kopi],
        status=P.PUBLISHED,
        variant_status=V.PUBLISHED,
        at=in_days(-3),
        published_at=in_days(-3, hour=11),
    )
    failed = make_post(
        org_a, alice, [kopi], status=P.FAILED, variant_status=V.FAILED, at=in_days(-2)
    )
    cancelled = make_post(
        org_a, alice, [kopi], status=P.CANCELLED, variant_status=V.CANCELLED, at=at
    )
    unplanned = make_post(org_a, alice, [kopi])  # a draft with no slot is not on the calendar
    events = posts_in(events_of(_get(alice_client, org_a, **month_range(at))))
    by_post = {}
    for e in events:
        by_post.setdefault(e["extendedProps"]["post"], []).append(e)
    assert set(by_post) == {draft.pk, review.pk, scheduled.pk, published.pk, failed.pk}
    assert cancelled.pk not in by_post and unplanned.pk not in by_post
    assert len(by_post[scheduled.pk]) == 2  # one event per variant (channel)
    assert by_post[draft.pk][0]["backgroundColor"] == "#aa3311"
    assert by_post[draft.pk][0]["extendedProps"]["status"] == "draft"
    assert by_post[review.pk][0]["extendedProps"]["status"] == "in_review"
    assert by_post[published.pk][0]["extendedProps"]["status"] == "published"
    assert by_post[published.pk][0]["extendedProps"]["startUtc"].startswith(
        in_days(-3, hour=11).isoformat()[:16]
    )
    assert by_post[published.pk][0]["editable"] is False
    assert by_post[failed.pk][0]["extendedProps"]["status"] == "failed"
    assert by_post[scheduled.pk][0]["editable"] is True
    assert by_post[scheduled.pk][0]["extendedProps"]["networkName"]
    assert "url" in by_post[draft.pk][0]


def test_only_the_range_asked_for_is_read(alice_client, org_a, alice, channels):
    inside = make_post(
        org_a, alice, channels[:1], status=P.SCHEDULED, variant_status=V.SCHEDULED, at=in_days(3)
    )
    make_post(
        org_a, alice, channels[:1], status=P.SCHEDULED, variant_status=V.SCHEDULED, at=in_days(60)
    )
    rng = {"start": in_days(1).date().isoformat(), "end": in_days(8).date().isoformat()}
    events = posts_in(events_of(_get(alice_client, org_a, **rng)))
    assert [e["extendedProps"]["post"] for e in events] == [inside.pk]


def test_times_are_in_the_viewers_zone(alice_client, org_a, alice, channels):
    alice.timezone = "Asia/Jakarta"
    alice.save()
    at = in_days(4, hour=2)  # 02:00 UTC = 09:00 in Jakarta
    make_post(org_a, alice, channels[:1], status=P.SCHEDULED, variant_status=V.SCHEDULED, at=at)
    data = _get(alice_client, org_a, **month_range(at)).json()
    (event,) = posts_in(data["events"])
    assert event["start"] == at.replace(hour=9).replace(tzinfo=None).isoformat()
    assert data["timezone"] == "Asia/Jakarta"


def test_a_bad_range_is_refused(alice_client, org_a):
    assert _get(alice_client, org_a).status_code == 400
    assert _get(alice_client, org_a, start="2026-01-01", end="2026-09-01").status_code == 400
    assert _get(alice_client, org_a, start="nonsense", end="2026-01-02").status_code == 400


def test_filters_by_channel_network_campaign_status_and_author(
    alice_client, org_a, alice, alice_m, channels, campaign
):
    kitchen, kopi = channels
    carol = f.make_user("carol@alpha.test", name="Carol")
    f.add_member(org_a, carol, Role.PUBLISHER)
    at = in_days(2)
    a = make_post(
        org_a,
        alice,
        [kitchen],
        status=P.SCHEDULED,
        variant_status=V.SCHEDULED,
        at=at,
        campaign=campaign,
    )
    b = make_post(org_a, carol, [kopi], planned_at=at)
    rng = month_range(at)

    def ids(**params):
        return {
            e["extendedProps"]["post"]
            for e in posts_in(events_of(_get(alice_client, org_a, **rng, **params)))
        }

    assert ids() == {a.pk, b.pk}
    assert ids(channel=kitchen.pk) == {a.pk}
    assert ids(network="sandbox") == {a.pk, b.pk}
    assert ids(network="instagram") == set()
    assert ids(campaign=campaign.pk) == {a.pk}
    assert ids(status="scheduled") == {a.pk}
    assert ids(status="draft") == {b.pk}
    assert ids(author=carol.pk) == {b.pk}
    assert ids(channel="junk") == {a.pk, b.pk}  # a malformed filter is ignored, not a 500


def test_team_filter_shows_the_subtree_and_the_central_plan(
    alice_client, org_a, alice, alice_m, channels
):
    hq = f.make_team(org_a, "Head office")
    indonesia = f.make_team(org_a, "Indonesia", parent=hq)
    jakarta = f.make_team(org_a, "Jakarta", parent=indonesia)
    singapore = f.make_team(org_a, "Singapore", parent=hq)
    at = in_days(2)
    central = make_post(org_a, alice, channels[:1], planned_at=at, team=hq)
    no_team = make_post(
        org_a, alice, channels[:1], planned_at=at
    )  # no team, channel without a team: central
    local = make_post(org_a, alice, channels[:1], planned_at=at, team=jakarta)
    other_region = make_post(org_a, alice, channels[:1], planned_at=at, team=singapore)
    rng = month_range(at)

    def ids(**params):
        return {
            e["extendedProps"]["post"]
            for e in posts_in(events_of(_get(alice_client, org_a, **rng, **params)))
        }

    assert ids(team=indonesia.pk) == {central.pk, no_team.pk, local.pk}
    assert ids(team=singapore.pk) == {central.pk, no_team.pk, other_region.pk}
    assert ids(team=hq.pk) == {
        central.pk,
        no_team.pk,
        local.pk,
        other_region.pk,
    }  # head office sees all


def test_a_member_sees_only_variants_on_channels_they_may_see(
    client, org_a, alice, alice_m, channels
):
    kitchen, kopi = channels
    Channel.objects.for_org(org_a).filter(pk=kopi.pk).update(access=Channel.Access.RESTRICTED)
    pat = f.make_user("pat@alpha.test", name="Pat")
    f.add_member(org_a, pat, Role.PUBLISHER)
    at = in_days(2)
    make_post(
        org_a,
        alice,
        [kitchen, kopi],
        status=P.SCHEDULED,
        variant_status=V.SCHEDULED,
        at=at,
        text="Two channels",
    )
    make_post(
        org_a,
        alice,
        [kopi],
        status=P.SCHEDULED,
        variant_status=V.SCHEDULED,
        at=at,
        text="Secret channel only",
    )
    client.force_login(pat)
    events = posts_in(events_of(_get(client, org_a, **month_range(at))))
    assert [e["extendedProps"]["channelId"] for e in events] == [kitchen.pk]
    assert "Secret channel only" not in str(events)


def test_another_organization_sees_nothing_of_ours(client, org_a, org_b, bob, alice, channels):
    make_post(org_a, alice, channels[:1], planned_at=in_days(2), text="Alpha secret plan")
    client.force_login(bob)
    response = client.get(
        reverse("calendar_events", kwargs={"org_slug": org_a.slug}), month_range(in_days(2))
    )
    assert response.status_code == 404
    response = client.get(
        reverse("calendar_events", kwargs={"org_slug": org_b.slug}), month_range(in_days(2))
    )
    assert "Alpha secret plan" not in response.content.decode()


def test_the_calendar_page_renders_with_its_filters(alice_client, org_a, channels):
    response = alice_client.get(reverse("calendar", kwargs={"org_slug": org_a.slug}))
    assert response.status_code == 200
    body = response.content.decode()
    assert 'id="calendar"' in body and "fullcalendar/index.global.min.js" in body
    assert "nonce-" in response["Content-Security-Policy"]
