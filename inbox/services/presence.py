"""Who else is on a conversation, and who is typing a reply: heartbeats in Django's cache.

The conversation page posts a heartbeat every few seconds (htmx polling), with ``typing`` when the
reply box changed lately. Each conversation has one cache entry, ``{member id: entry}``, where an
entry says until when the member counts as viewing (and as typing). Nothing is written to the
database: presence is a hint, lost with the cache and rebuilt by the next heartbeats.

Two heartbeats of one conversation at the same instant may both read the entry and the second
write drop the first's member; that member reappears with their next heartbeat (seconds later).
A lock per heartbeat would cost more than that blink.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from django.core.cache import cache

from ..models import Conversation

#: a viewer who stops sending heartbeats (tab closed) is gone after this many seconds
VIEWING_TTL = 20
#: "is typing" lasts this long after the last keystroke's heartbeat
TYPING_TTL = 8
#: how often the page sends a heartbeat (seconds); well under VIEWING_TTL
HEARTBEAT_EVERY = 5


@dataclass(frozen=True)
class Presence:
    member_id: int
    name: str
    typing: bool


def _key(conversation: Conversation) -> str:
    return f"inbox:presence:{conversation.organization_id}:{conversation.pk}"


def _now(now: float | None) -> float:
    return time.time() if now is None else now


def _live(entries: dict, now: float) -> dict:
    return {mid: e for mid, e in entries.items() if e.get("until", 0) > now}


def heartbeat(
    conversation: Conversation, *, by, typing: bool = False, now: float | None = None
) -> None:
    """``by`` is on the conversation (and typing a reply, when ``typing``)."""
    now = _now(now)
    key = _key(conversation)
    entries = _live(cache.get(key) or {}, now)
    previous = entries.get(by.pk, {})
    entries[by.pk] = {
        "name": by.user.get_short_name() or by.user.email,
        "until": now + VIEWING_TTL,
        "typing_until": now + TYPING_TTL if typing else previous.get("typing_until", 0),
    }
    cache.set(key, entries, timeout=VIEWING_TTL + TYPING_TTL)


def leave(conversation: Conversation, *, by) -> None:
    """``by`` left the conversation (or sent their reply: no longer typing)."""
    key = _key(conversation)
    entries = cache.get(key) or {}
    if by.pk in entries:
        entries.pop(by.pk)
        cache.set(key, entries, timeout=VIEWING_TTL + TYPING_TTL)


def others_on(conversation: Conversation, *, by, now: float | None = None) -> list[Presence]:
    """Everyone but ``by`` viewing the conversation now, typists first, then by name."""
    now = _now(now)
    entries = _live(cache.get(_key(conversation)) or {}, now)
    out = [
        Presence(member_id=mid, name=e["name"], typing=e.get("typing_until", 0) > now)
        for mid, e in entries.items()
        if mid != by.pk
    ]
    return sorted(out, key=lambda p: (not p.typing, p.name.lower(), p.member_id))
