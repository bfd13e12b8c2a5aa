"""The channel inventory: every channel with its activity, reach and flags, for consolidation.

Activity comes from publishing (the latest published post, posts in the last 90 days). Reach
(followers, their trend, the engagement rate) comes from analytics once analytics stores metrics:
today it stores none (analytics/selectors.py has no metrics model), so every channel's reach is
``None`` and shown as "not yet measured", and the low-reach flag is never raised. When analytics
keeps metrics, :func:`_reach` reads them and nothing else changes.

Flags:
- ``inactive``: not archived and nothing published in the last 90 days;
- ``duplicate``: another channel of the same network with a near-identical name or handle
  (RapidFuzz similarity at least :data:`DUPLICATE_SIMILARITY`), or the same profile address;
- ``low_reach``: measured followers below :data:`LOW_REACH_FOLLOWERS`.

Four queries whatever the number of channels (channels with their teams, activity, and none
yet for reach); the duplicate search compares names within each network with ``cdist``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rapidfuzz import fuzz, process, utils

from channels_registry import selectors as channel_selectors
from channels_registry.models import Channel
from publishing import selectors as publishing_selectors

ACTIVITY_WINDOW = timedelta(days=90)
#: names at least this similar (RapidFuzz ratio, 0–100, after lower-casing and dropping punctuation)
DUPLICATE_SIMILARITY = 90
#: fewer followers than this is low reach (once followers are measured)
LOW_REACH_FOLLOWERS = 100


class Flag:
    INACTIVE = "inactive"
    DUPLICATE = "duplicate"
    LOW_REACH = "low_reach"

    choices = (
        (INACTIVE, _("Inactive: nothing published in 90 days")),
        (DUPLICATE, _("Likely duplicate")),
        (LOW_REACH, _("Low reach")),
    )
    values = tuple(v for v, _label in choices)


@dataclass(frozen=True)
class Reach:
    followers: int
    followers_change: int  # over the last 30 days
    engagement_rate: float  # engagements / impressions, 0..1


@dataclass
class InventoryRow:
    channel: Channel
    last_published_at: datetime | None
    posts_90_days: int
    reach: Reach | None  # None: not yet measured
    flags: set[str] = field(default_factory=set)
    duplicates_of: list[Channel] = field(default_factory=list)


@dataclass
class InventoryFilters:
    team: object = None  # accounts.Team: its subtree
    provider: str = ""
    flag: str = ""
    status: str = ""


def _reach(organization, channel_ids) -> dict[int, Reach]:
    """Measured reach by channel. Analytics stores no metrics yet: nothing is measured."""
    return {}


def duplicate_groups(channels) -> dict[int, list[Channel]]:
    """``{channel id: [its likely duplicates]}`` among ``channels``: same network and a name or
    handle at least :data:`DUPLICATE_SIMILARITY` alike, or the same profile address."""
    by_network: dict[str, list[Channel]] = {}
    for c in channels:
        by_network.setdefault(c.provider, []).append(c)
    out: dict[int, list[Channel]] = {}

    def pair(a: Channel, b: Channel) -> None:
        if a.pk != b.pk:
            out.setdefault(a.pk, [])
            if b not in out[a.pk]:
                out[a.pk].append(b)

    for group in by_network.values():
        if len(group) < 2:
            continue
        for key in ("name", "handle"):
            labels = [utils.default_process(getattr(c, key) or "") for c in group]
            scores = process.cdist(
                labels, labels, scorer=fuzz.ratio, score_cutoff=DUPLICATE_SIMILARITY, workers=1
            )
            for i, row in enumerate(scores):
                if not labels[i]:
                    continue
                for j in row.nonzero()[0]:
                    if j != i and labels[j]:
                        pair(group[i], group[int(j)])
        by_url: dict[str, list[Channel]] = {}
        for c in group:
            if c.url:
                by_url.setdefault(c.url.rstrip("/").lower(), []).append(c)
        for same in by_url.values():
            for a in same:
                for b in same:
                    pair(a, b)
    return out


def channel_inventory(
    organization, filters: InventoryFilters | None = None, *, now: datetime | None = None
) -> list[InventoryRow]:
    """Every channel of ``organization`` (the filters' team, network and status) with its flags;
    duplicates are looked for among all the organization's channels that are not archived."""
    f = filters or InventoryFilters()
    now = now or timezone.now()
    everything = list(channel_selectors.channels_of(organization))
    activity = publishing_selectors.channel_activity(organization, since=now - ACTIVITY_WINDOW)
    reach = _reach(organization, [c.pk for c in everything])
    live = [c for c in everything if c.status != Channel.Status.ARCHIVED]
    duplicates = duplicate_groups(live)
    subtree = None
    if f.team is not None:
        from accounts.selectors import team_subtree_ids

        subtree = team_subtree_ids(organization, f.team)
    rows = []
    for c in everything:
        if f.provider and c.provider != f.provider:
            continue
        if f.status and c.status != f.status:
            continue
        if subtree is not None and c.team_id not in subtree:
            continue
        seen = activity.get(c.pk)
        row = InventoryRow(
            channel=c,
            last_published_at=seen.last_published_at if seen else None,
            posts_90_days=seen.published_since if seen else 0,
            reach=reach.get(c.pk),
        )
        if c.status != Channel.Status.ARCHIVED:
            if row.posts_90_days == 0:
                row.flags.add(Flag.INACTIVE)
            if c.pk in duplicates:
                row.flags.add(Flag.DUPLICATE)
                row.duplicates_of = duplicates[c.pk]
            if row.reach is not None and row.reach.followers < LOW_REACH_FOLLOWERS:
                row.flags.add(Flag.LOW_REACH)
        if f.flag and f.flag not in row.flags:
            continue
        rows.append(row)
    return rows


def retire_targets(channel):
    """Where ``channel``'s scheduled posts may go: the organization's other active channels of its
    network (a queryset)."""
    return channel_selectors.channels_of(
        channel.organization,
        channel_selectors.ChannelFilters(provider=channel.provider, status="active"),
    ).exclude(pk=channel.pk)


def scheduled_posts(channel):
    return publishing_selectors.scheduled_on_channel(channel)
