"""Extension points publishing offers to the apps built on it (approvals, calendar, analytics).

Publishing never imports those apps. Calls run one way, down the layers: an app above publishing
calls publishing's services, and publishing reaches up only through what is registered here in
that app's ``AppConfig.ready``:

- schedule gates: asked before publishing itself schedules or publishes a post (composer,
  calendar, API, CSV); a gate may refuse. A caller that has already satisfied a gate (approvals,
  scheduling the post it has just approved) names it in ``cleared_gates`` and that gate is not
  asked again.
- new-version handlers: told, inside the edit's transaction, that a post's publishable content
  changed (approvals starts a new round on it).

The signals only announce facts to whoever listens (sent inside the transaction of the change
they report); no business step depends on one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from django.dispatch import Signal

#: Announces: a post's publishable content changed and ``post.version`` was bumped.
#: kwargs: ``post`` (locked, saved), ``old_version`` (int), ``by`` (Membership), ``changes`` (dict)
post_content_changed = Signal()

#: Announces: a post's schedule changed (scheduled, moved on the calendar, published now).
#: kwargs: ``post``, ``by`` (Membership), ``previous_at`` (aware datetime or None), ``source`` ("web", "calendar",
#: "api", "csv", "approval"), ``action`` (the audit action: "post.scheduled", "post.publish_now", …)
post_scheduled = Signal()

#: A gate is called with ``(post, by)`` right before a post is scheduled or published now, with the
#: post row locked and carrying the schedule it is about to get (``post.scheduled_at``,
#: ``post.schedule_timezone``; its status is still the current one). It raises an
#: ``ApplicationError`` (usually ``Conflict``) to refuse — for example "this post needs approval
#: first" — and returns None to let it through. Its writes commit or roll back with the schedule.
ScheduleGate = Callable[..., None]
_schedule_gates: list[ScheduleGate] = []

#: A new-version handler is called with ``(post, *, old_version, by, changes)`` (as the signal's
#: kwargs) inside the edit's transaction, the post row locked and saved with its new version.
NewVersionHandler = Callable[..., None]
_new_version_handlers: list[NewVersionHandler] = []


def register_schedule_gate(gate: ScheduleGate) -> ScheduleGate:
    """Register ``gate`` (idempotent: the same function twice is kept once). Usable as a decorator."""
    if gate not in _schedule_gates:
        _schedule_gates.append(gate)
    return gate


def check_schedule_gates(post, by, *, cleared_gates: Iterable[ScheduleGate] = ()) -> None:
    """Ask every registered gate but those the caller has already satisfied (``cleared_gates``)."""
    cleared = list(cleared_gates)
    for gate in list(_schedule_gates):
        if gate not in cleared:
            gate(post, by)


def register_new_version_handler(handler: NewVersionHandler) -> NewVersionHandler:
    """Register ``handler`` (idempotent). Usable as a decorator."""
    if handler not in _new_version_handlers:
        _new_version_handlers.append(handler)
    return handler


def new_version(post, *, old_version: int, by, changes: dict) -> None:
    """The edit made a new version of ``post``: the registered handlers act on it, then it is announced."""
    for handler in list(_new_version_handlers):
        handler(post, old_version=old_version, by=by, changes=changes)
    post_content_changed.send(
        sender=type(post), post=post, old_version=old_version, by=by, changes=changes
    )


#: Where suggested publishing times come from: analytics (above publishing) registers its
#: ``best_time_slots(channel, *, days, now=None) -> list[Slot]`` here in its ``AppConfig.ready``;
#: the composer and the calendar ask :func:`best_time_slots`. Without a source there are none.
_best_time_source: Callable[..., list] | None = None


def register_best_time_source(source: Callable[..., list]) -> None:
    global _best_time_source
    _best_time_source = source


def best_time_slots(channel, *, days: int = 7, now=None) -> list:
    return [] if _best_time_source is None else _best_time_source(channel, days=days, now=now)
