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


def audience_says(
    channel,
    *,
    kind="comment",
    text="Berapa harganya kak?",
    author="rina",
    lang="id",
    n=None,
    hint="question",
):
    """The Sandbox network's audience writes something (a row on the simulated network)."""
    from channels_registry.models import SandboxInteraction

    n = n if n is not None else next(_seq)
    prefix = {"comment": "sbxc_", "dm": "sbxd_", "mention": "sbxm_"}[kind]
    return SandboxInteraction.objects.create(
        organization_id=channel.organization_id,
        channel=channel,
        external_id=f"{prefix}{n}",
        kind=kind,
        author_id=f"u_{author}",
        author_handle=author,
        author_name=author.title(),
        text=text,
        language=lang,
        sentiment_hint=hint,
        thread_id=f"dm_{author}" if kind == "dm" else f"thread_{n}",
    )


def inbox_with_conversation(channel, **kw):
    """A conversation on ``channel`` taken in by the poller, as in production; returns it."""
    from inbox.models import Conversation
    from inbox.services import poll_channel

    row = audience_says(channel, **kw)
    poll_channel(channel)
    return Conversation.objects.for_org(channel.organization_id).get(
        items__external_id=row.external_id
    )
