"""How a post and its variants read on the pages: the state a person should see, and when it went out.

The stored status is the scheduler's truth; a person sees it from where they stand:

- a variant that is ``scheduled`` and already due (just published "now", retried, or waiting for a
  retry after a rate limit) is being published, not "scheduled": the dispatcher claims it within
  seconds. It reads "Publishing" (with the next try's time when it waits for one);
- a post reads from the variants the member may see: publishing while any of them is in flight,
  held while every live one is held by a freeze, else its own status;
- a published post says when it went out (the variants' ``published_at``), not when it was planned.

Pure functions of rows already loaded: no query here.
"""

from __future__ import annotations

import zoneinfo
from dataclasses import dataclass
from datetime import datetime

from django.utils import timezone

from ..models import Post, PostVariant

V = PostVariant.Status
P = Post.Status

#: variants whose outcome is not known yet (the page keeps asking while one is)
IN_FLIGHT = (V.PUBLISHING, V.UNCONFIRMED, V.PENDING)


@dataclass(frozen=True)
class State:
    status: str  # a PostVariant.Status / Post.Status value, for the badge's colour
    label: str
    #: a due variant waiting for its next try (rate limit, transient error): when that is
    retry_at: datetime | None = None


def _due(variant: PostVariant, now: datetime) -> bool:
    return variant.status == V.SCHEDULED and variant.due_at is not None and variant.due_at <= now


def variant_state(variant: PostVariant, *, now: datetime) -> State:
    if _due(variant, now):
        retry_at = (
            variant.next_attempt_at
            if variant.next_attempt_at and variant.next_attempt_at > now
            else None
        )
        return State(V.PUBLISHING, str(V.PUBLISHING.label), retry_at)
    return State(variant.status, variant.get_status_display())


def is_in_flight(variant: PostVariant, *, now: datetime) -> bool:
    """Still on its way out: the page shows it changing by itself until it settles."""
    return variant.status in IN_FLIGHT or _due(variant, now)


def post_state(post: Post, variants: list[PostVariant], *, now: datetime) -> State:
    """The post's state as the member sees it (``variants``: the ones they may see)."""
    if post.status in (P.SCHEDULED, P.PUBLISHING, P.PARTIALLY_PUBLISHED, P.FAILED):
        if any(is_in_flight(v, now=now) for v in variants):
            return State(P.PUBLISHING, str(P.PUBLISHING.label))
        live = [
            v for v in variants if v.status not in (V.CANCELLED, V.DRAFT, V.PUBLISHED, V.FAILED)
        ]
        if live and all(v.status == V.HELD for v in live):
            return State(V.HELD, str(V.HELD.label))
    return State(post.status, post.get_status_display())


def published_at(variants: list[PostVariant]) -> datetime | None:
    """When the post first went out on a channel the member may see (None: not yet)."""
    times = [v.published_at for v in variants if v.status == V.PUBLISHED and v.published_at]
    return min(times) if times else None


def both_zones(at: datetime | None, zone_name: str) -> dict | None:
    """``at`` on the wall clock of ``zone_name`` (the post's zone) and of the viewer's zone."""
    if at is None:
        return None
    try:
        zone = zoneinfo.ZoneInfo(zone_name or "UTC")
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        zone = zoneinfo.ZoneInfo("UTC")
    # "local" is naive on purpose: |date would convert an aware value to the viewer's zone.
    return {
        "utc": at,
        "zone": str(zone),
        "local": at.astimezone(zone).replace(tzinfo=None),
        "mine": timezone.localtime(at),
        "my_zone": timezone.get_current_timezone_name(),
    }


def post_when(post: Post, variants: list[PostVariant], state: State) -> dict | None:
    """What the post page says about time: ``{"kind": ..., "at": both_zones(...)}`` or None.

    kinds: ``published`` (first publish on a visible channel), ``publishing`` (due, going out now),
    ``scheduled`` (in the future), ``was_due`` (failed or cancelled after a schedule).
    """
    zone = post.schedule_timezone or "UTC"
    first = published_at(variants)
    if first is not None:
        return {"kind": "published", "at": both_zones(first, zone)}
    if post.scheduled_at is None:
        return None
    if state.status == P.PUBLISHING:
        kind = "publishing"
    elif post.status in (P.FAILED, P.CANCELLED):
        kind = "was_due"
    else:
        kind = "scheduled"
    return {"kind": kind, "at": both_zones(post.scheduled_at, zone)}
