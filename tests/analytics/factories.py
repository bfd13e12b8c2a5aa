"""Analytics test helpers: a scripted network (what a provider answers, call by call) and
published variants made as rows."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from channels_registry.providers.base import Credentials, DailyAccountMetrics, PostMetrics
from inbox.models import Conversation, Item
from publishing.models import Post, PostVariant


@dataclass
class ScriptedNetwork:
    """Answers ``fetch_account_metrics`` / ``fetch_post_metrics`` from dicts; raises ``error`` when set."""

    account: dict[date, dict] = field(default_factory=dict)
    posts: dict[str, dict] = field(default_factory=dict)
    error: Exception | None = None
    calls: list[tuple] = field(default_factory=list)

    def fetch_account_metrics(self, credentials, account_id, since, until):
        self.calls.append(("account", since, until))
        if self.error is not None:
            raise self.error
        return [
            DailyAccountMetrics(day=d, **values)
            for d, values in sorted(self.account.items())
            if since <= d <= until
        ]

    def fetch_post_metrics(self, credentials, account_id, external_ids):
        self.calls.append(("posts", tuple(external_ids)))
        if self.error is not None:
            raise self.error
        return [
            PostMetrics(external_id=e, **self.posts[e]) for e in external_ids if e in self.posts
        ]


def use_network(monkeypatch, network: ScriptedNetwork) -> ScriptedNetwork:
    from analytics import services

    monkeypatch.setattr(services, "provider_for", lambda channel: network)
    monkeypatch.setattr(services, "credentials_for", lambda channel: Credentials(access_token="t"))
    return network


def published_variant(org, author, channel, *, external_id: str, at: datetime) -> PostVariant:
    post = Post.objects.create(
        organization=org, author=author, text="Figures", status=Post.Status.PUBLISHED
    )
    return PostVariant.objects.create(
        organization=org,
        post=post,
        channel=channel,
        status=PostVariant.Status.PUBLISHED,
        external_id=external_id,
        published_at=at,
    )


def days(until: date, n: int) -> list[date]:
    return [until - timedelta(days=i) for i in range(n - 1, -1, -1)]


_n = iter(range(1, 10_000))


def conversation(channel, asked: datetime, *, answered_after=None, sla_in=None, sentiments=()):
    """A conversation with one inbound item per sentiment ("" for one not scored yet)."""
    n = next(_n)
    conv = Conversation.objects.create(
        organization_id=channel.organization_id,
        channel=channel,
        kind=Conversation.Kind.DM,
        external_thread_id=f"t{n}",
        created_at=asked,
        first_response_at=asked + answered_after if answered_after is not None else None,
        first_response_seconds=int(answered_after.total_seconds()) if answered_after else None,
        sla_due_at=asked + sla_in if sla_in is not None else None,
    )
    for i, sentiment in enumerate(sentiments):
        Item.objects.create(
            organization_id=channel.organization_id,
            channel=channel,
            conversation=conv,
            external_id=f"i{n}-{i}",
            kind=Item.Kind.DM,
            created_at=asked + timedelta(minutes=i),
            sentiment=sentiment,
        )
    return conv
