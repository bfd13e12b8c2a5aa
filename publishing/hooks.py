"""Extension points publishing offers to the apps built on it (approvals, calendar, analytics).

Publishing never imports those apps: they connect to these signals and register gates in their
``AppConfig.ready``. Every signal is sent inside the transaction of the change it reports, so a
receiver's writes commit or roll back with it.
"""

from __future__ import annotations

from collections.abc import Callable

from django.dispatch import Signal

#: A post's publishable content changed and ``post.version`` was bumped.
#: kwargs: ``post`` (locked, saved), ``old_version`` (int), ``by`` (Membership), ``changes`` (dict)
post_content_changed = Signal()

#: A post's schedule changed (scheduled, moved on the calendar, published now).
#: kwargs: ``post``, ``by`` (Membership), ``previous_at`` (aware datetime or None), ``source`` ("web", "calendar",
#: "api", "csv"), ``action`` (the audit action: "post.scheduled", "post.publish_now", …)
post_scheduled = Signal()

#: A gate is called with ``(post, by)`` right before a post is scheduled or published now, with the
#: post row locked. It raises an ``ApplicationError`` (usually ``Conflict``) to refuse — for example
#: "this post needs approval first" — and returns None to let it through.
ScheduleGate = Callable[..., None]
_schedule_gates: list[ScheduleGate] = []


def register_schedule_gate(gate: ScheduleGate) -> ScheduleGate:
    """Register ``gate`` (idempotent: the same function twice is kept once). Usable as a decorator."""
    if gate not in _schedule_gates:
        _schedule_gates.append(gate)
    return gate


def check_schedule_gates(post, by) -> None:
    for gate in list(_schedule_gates):
        gate(post, by)


#: Where suggested publishing times come from: analytics (above publishing) registers its
#: ``best_time_slots(channel, *, days, now=None) -> list[Slot]`` here in its ``AppConfig.ready``;
#: the composer and the calendar ask :func:`best_time_slots`. Without a source there are none.
_best_time_source: Callable[..., list] | None = None


def register_best_time_source(source: Callable[..., list]) -> None:
    global _best_time_source
    _best_time_source = source


def best_time_slots(channel, *, days: int = 7, now=None) -> list:
    return [] if _best_time_source is None else _best_time_source(channel, days=days, now=now)
