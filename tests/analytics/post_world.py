"""Known published variants with known figures, for the per-post analytics tests.

Organization A (alpha):
- Sandbox channel (team Jakarta, under HQ):
  - A: "Launch day", campaign Launch, published 2026-11-05; fetched on 11-15 (600 impressions) and
    11-20: 1000 impressions, 800 reach, 50 likes, 10 comments, 5 shares, 5 saves, 30 link clicks,
    no video views → 70 engagements, 7.00 %.
  - B: "Tuesday tip", no campaign, published 2026-11-10; 200 impressions, 2 likes, 1 comment,
    1 share, 0 saves → 4 engagements, 2.00 %.
  - E: published 2026-10-01, outside the range.
- Mastodon channel (no team):
  - C: "Launch day" on Mastodon, campaign Launch, published 2026-11-06; no impressions or reach,
    20 likes, 3 comments, 7 shares → 30 engagements, no rate.
  - D: "Quiet post", published 2026-11-12, never fetched.
Organization B (bravo): one variant with 99999 impressions in campaign "Bravo Secret".
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from analytics import services
from channels_registry.providers.base import PostMetrics
from publishing.models import Campaign, Post, PostVariant

from .. import factories as f
from ..channels.factories import bulk_channels, connect_sandbox

SINCE, UNTIL = date(2026, 11, 1), date(2026, 11, 28)
FETCHED_AT = datetime(2026, 11, 20, 6, 0, tzinfo=UTC)


def publish(org, author, channel, *, text, at, campaign=None, external_id) -> PostVariant:
    post = Post.objects.create(
        organization=org,
        author=author,
        text=text,
        campaign=campaign,
        status=Post.Status.PUBLISHED,
    )
    return PostVariant.objects.create(
        organization=org,
        post=post,
        channel=channel,
        status=PostVariant.Status.PUBLISHED,
        external_id=external_id,
        external_url=f"https://example.test/{external_id}",
        published_at=at,
    )


def feed(channel, day: date, figures: dict[PostVariant, dict], *, fetched_at=None) -> None:
    """Store the posts' figures as fetched on ``day`` through the fetch's upsert and rollup."""
    services.upsert_post_metrics(
        channel,
        day=day,
        metrics=[PostMetrics(external_id=v.external_id, **m) for v, m in figures.items()],
        variant_ids={v.external_id: v.pk for v in figures},
        fetched_at=fetched_at or datetime(day.year, day.month, day.day, 6, 0, tzinfo=UTC),
    )
    services.rollup_channel(channel, since=date(2026, 9, 1), until=day)


def build(org_a, alice_m, org_b, bob_m) -> dict:
    hq = f.make_team(org_a, "HQ")
    jakarta = f.make_team(org_a, "Jakarta", parent=hq)
    sandbox = connect_sandbox(org_a, alice_m, ["sbx-kitchen"], team=jakarta)[0]
    mastodon = bulk_channels(org_a, 1, provider="mastodon")[0]
    launch = Campaign.objects.create(organization=org_a, name="Launch", color="#ff0000")
    author = alice_m.user

    def at(month, day):
        return datetime(2026, month, day, 9, 0, tzinfo=UTC)

    a = publish(
        org_a, author, sandbox, text="Launch day", at=at(11, 5), campaign=launch, external_id="a"
    )
    b = publish(org_a, author, sandbox, text="Tuesday tip", at=at(11, 10), external_id="b")
    e = publish(org_a, author, sandbox, text="Old news", at=at(10, 1), external_id="e")
    c = publish(
        org_a, author, mastodon, text="Launch day", at=at(11, 6), campaign=launch, external_id="c"
    )
    d = publish(org_a, author, mastodon, text="Quiet post", at=at(11, 12), external_id="d")
    feed(sandbox, date(2026, 11, 15), {a: {"impressions": 600, "likes": 20}})
    feed(
        sandbox,
        date(2026, 11, 20),
        {
            a: {
                "impressions": 1000,
                "reach": 800,
                "likes": 50,
                "comments": 10,
                "shares": 5,
                "saves": 5,
                "clicks": 30,
            },
            b: {"impressions": 200, "likes": 2, "comments": 1, "shares": 1, "saves": 0},
            e: {"impressions": 5000, "likes": 500},
        },
        fetched_at=FETCHED_AT,
    )
    feed(mastodon, date(2026, 11, 20), {c: {"likes": 20, "comments": 3, "shares": 7}})

    foreign_channel = connect_sandbox(org_b, bob_m, ["sbx-kitchen"])[0]
    secret = Campaign.objects.create(organization=org_b, name="Bravo Secret")
    foreign = publish(
        org_b,
        bob_m.user,
        foreign_channel,
        text="Bravo secret post",
        at=at(11, 7),
        campaign=secret,
        external_id="z",
    )
    feed(foreign_channel, date(2026, 11, 20), {foreign: {"impressions": 99999, "likes": 1}})
    return {
        "sandbox": sandbox,
        "mastodon": mastodon,
        "jakarta": jakarta,
        "launch": launch,
        "a": a,
        "b": b,
        "c": c,
        "d": d,
        "e": e,
        "foreign_channel": foreign_channel,
        "foreign_campaign": secret,
        "foreign": foreign,
    }
