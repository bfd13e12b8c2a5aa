"""publishing.posts.bulk: one action on a selection of posts (the posts list's bulk bar).

**Per-item outcome, not all-or-nothing.** Each selected post goes through the same service as on its
own page, in that service's own transaction, with that service's checks: the permission on that
post, the approval gates (``publishing.hooks``), publishing freezes, the post's state. A post that
is refused does not stop the others; the outcome lists what was done and, for each refused post,
the service's own message. All-or-nothing would make one frozen channel or one post waiting for
approval block a whole selection, with nothing to do but untick it and try again.

- cancel: :func:`scheduling.cancel_post` — only for a post that has a schedule (scheduled, going
  out, partly published, failed); published variants stay published.
- move: :func:`calendar.move_post` to another day, keeping each post's time of day in its own zone
  (the schedule's zone; a draft's planned slot in the viewer's zone).
- delete: :func:`authoring.delete_post` — drafts, and cancelled or failed posts that never went out
  (the service refuses anything else).
"""

from __future__ import annotations

import zoneinfo
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime

from django.utils.translation import gettext as _

from socialops.errors import ApplicationError, Conflict, ValidationFailed

from ..calendar import services as calendar_services
from ..models import Post
from ..scheduler import services as scheduling
from . import services as authoring

__all__ = ["BULK_ACTIONS", "BulkOutcome", "bulk_cancel", "bulk_delete_drafts", "bulk_move"]

P = Post.Status
BULK_ACTIONS = ("cancel", "move", "delete")
#: a post in one of these has a schedule that cancelling stops
_CANCELLABLE = (P.SCHEDULED, P.PUBLISHING, P.PARTIALLY_PUBLISHED, P.FAILED)
#: a post in one of these is not scheduled yet: moving it moves its planned slot
_NOT_SCHEDULED = (P.DRAFT, P.IN_REVIEW, P.APPROVED)


@dataclass
class BulkOutcome:
    done: list[Post] = field(default_factory=list)
    #: (post, the service's message), in the order selected
    refused: list[tuple[Post, str]] = field(default_factory=list)


def _each(posts: Iterable[Post], act: Callable[[Post], object]) -> BulkOutcome:
    outcome = BulkOutcome()
    for post in posts:
        try:
            act(post)
        except ApplicationError as exc:
            outcome.refused.append((post, exc.message))
        else:
            outcome.done.append(post)
    return outcome


def bulk_cancel(posts: Iterable[Post], *, by) -> BulkOutcome:
    def cancel(post: Post) -> None:
        if post.status not in _CANCELLABLE:
            raise Conflict(
                _("Only a scheduled post can be cancelled (this one is %(status)s).")
                % {"status": post.get_status_display()}
            )
        scheduling.cancel_post(post, by=by)

    return _each(posts, cancel)


def _zone(name: str) -> str:
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return "UTC"
    return name


def moved_time(post: Post, *, to: date, viewer_zone: str) -> tuple[datetime, str]:
    """The instant on day ``to`` at the post's own time of day, and the zone that time is meant in."""
    if post.status in _NOT_SCHEDULED:
        current, zone = post.planned_at, _zone(post.schedule_timezone or viewer_zone)
    else:
        current, zone = post.scheduled_at, _zone(post.schedule_timezone or viewer_zone)
    if current is None:
        raise ValidationFailed(_("It has no date yet: open it to plan or schedule it."))
    wall = current.astimezone(zoneinfo.ZoneInfo(zone)).time().replace(tzinfo=None)
    return scheduling.local_to_utc(datetime.combine(to, wall), zone), zone


def bulk_move(posts: Iterable[Post], *, by, to: date, viewer_zone: str) -> BulkOutcome:
    def move(post: Post) -> None:
        at, zone = moved_time(post, to=to, viewer_zone=viewer_zone)
        calendar_services.move_post(post, by=by, at=at, timezone_name=zone)

    return _each(posts, move)


def bulk_delete_drafts(posts: Iterable[Post], *, by) -> BulkOutcome:
    return _each(posts, lambda post: authoring.delete_post(post, by=by))
