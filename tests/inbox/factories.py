"""Small factories for the inbox's tests: items as a network would deliver them."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

from channels_registry.providers.base import InboxItem

from ..channels.factories import connect_sandbox

_seq = itertools.count(1)
T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


def sandbox_channel(org, by, account="sbx-kitchen", **kw):
    return connect_sandbox(org, by, [account], **kw)[0]


def comment(post="p1", *, n=None, text="Berapa harganya kak?", minute=None, author="u_rina", **kw):
    n = n if n is not None else next(_seq)
    fields = dict(
        external_id=f"c{n}",
        kind="comment",
        text=text,
        author_id=author,
        author_name=author.removeprefix("u_").title(),
        author_handle=author.removeprefix("u_"),
        created_at=T0 + timedelta(minutes=minute if minute is not None else n),
        post_external_id=post,
        raw={"language": "id", "sentiment_hint": "question"},
    )
    fields.update(kw)
    return InboxItem(**fields)


def dm(author="u_budi", *, n=None, text="Refund saya belum masuk, mohon dibantu.", **kw):
    n = n if n is not None else next(_seq)
    fields = dict(
        external_id=f"d{n}",
        kind="dm",
        text=text,
        author_id=author,
        author_name=author.removeprefix("u_").title(),
        created_at=T0 + timedelta(minutes=n),
        thread_id=f"dm_{author}",
        raw={"language": "id", "sentiment_hint": "complaint"},
    )
    fields.update(kw)
    return InboxItem(**fields)
