"""Meta Graph API: timestamps, inbox cursors and ``pending_ref`` strings."""

from __future__ import annotations

import base64
import json
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from urllib.parse import parse_qs, urlencode

from ..errors import ProviderError


def parse_time(value: Any) -> datetime | None:
    """Graph timestamps: ``2024-05-29T12:00:00+0000`` (ISO with a basic offset) or Unix seconds."""
    if value in (None, ""):
        return None
    if isinstance(value, int | float):
        return datetime.fromtimestamp(value, tz=UTC)
    text = str(value)
    if text.isdigit():
        return datetime.fromtimestamp(int(text), tz=UTC)
    for fmt in ("%Y-%m-%dT%H:%M:%S%z", "%Y-%m-%dT%H:%M:%S.%f%z"):
        try:
            return datetime.strptime(text, fmt).astimezone(UTC)
        except ValueError:
            continue
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def day_start(day: date) -> int:
    return int(datetime.combine(day, time.min, tzinfo=UTC).timestamp())


def insight_day(end_time: Any) -> date | None:
    """Daily insight values carry the END of their day (``end_time`` = next midnight, Pacific)."""
    moment = parse_time(end_time)
    return (moment - timedelta(days=1)).date() if moment else None


def encode_cursor(newest: datetime | None, ids_at_newest: set[str]) -> str | None:
    """An opaque inbox cursor: the newest timestamp seen and the ids seen at exactly that second.

    Graph timestamps have one-second resolution, so "newer than t" would drop an item that shares
    the newest second but arrived after we listed; "at or after t" would repeat old ones. Keeping
    the ids at t gives exactly the newer items next time.
    """
    if newest is None:
        return None
    payload = {"t": int(newest.timestamp()), "ids": sorted(ids_at_newest)}
    return (
        base64.urlsafe_b64encode(json.dumps(payload, separators=(",", ":")).encode())
        .decode()
        .rstrip("=")
    )


def decode_cursor(cursor: str | None) -> tuple[int | None, set[str]]:
    if not cursor:
        return None, set()
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        payload = json.loads(base64.urlsafe_b64decode(padded.encode()))
        return int(payload["t"]), set(payload.get("ids") or [])
    except (ValueError, KeyError, TypeError) as exc:
        raise ProviderError(
            "The inbox cursor is not one this connector issued.", permanent=True
        ) from exc


class CursorTracker:
    """Collects inbox items newer than a cursor and computes the next cursor."""

    def __init__(self, cursor: str | None):
        self.since, self.seen = decode_cursor(cursor)
        self.newest: datetime | None = (
            datetime.fromtimestamp(self.since, tz=UTC) if self.since is not None else None
        )
        self.ids_at_newest: set[str] = set(self.seen)

    def is_new(self, external_id: str, created: datetime | None) -> bool:
        if self.since is None:
            return True
        if created is None:
            return False
        ts = int(created.timestamp())
        return ts > self.since or (ts == self.since and external_id not in self.seen)

    def is_older_than_cursor(self, created: datetime | None) -> bool:
        return (
            self.since is not None and created is not None and int(created.timestamp()) < self.since
        )

    def note(self, external_id: str, created: datetime | None) -> None:
        if created is None:
            return
        created = created.replace(microsecond=0)
        if self.newest is None or created > self.newest:
            self.newest, self.ids_at_newest = created, {external_id}
        elif created == self.newest:
            self.ids_at_newest.add(external_id)

    def cursor(self) -> str | None:
        return encode_cursor(self.newest, self.ids_at_newest)


def make_pending_ref(ref: str, first_comment: str | None) -> str:
    """``<ref>`` or ``<ref>?first_comment=<text>``: a first comment can only be posted once the
    async publish completes, and ``check_publish`` receives nothing but this string."""
    return f"{ref}?{urlencode({'first_comment': first_comment})}" if first_comment else ref


def split_pending_ref(pending_ref: str) -> tuple[str, str | None]:
    ref, _, query = pending_ref.partition("?")
    values = parse_qs(query).get("first_comment") if query else None
    return ref, (values[0] if values else None)
