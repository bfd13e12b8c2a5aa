"""The sandbox network's live audience: published posts gain impressions, likes and comments
over time, DMs arrive and followers move.

Every step is deterministic: a post's n-th tick draws from ``random.Random(f"{post id}:{n}")``
and a channel's minute draws from ``random.Random(f"{channel}:{minute}")``, so tests can assert
exact outcomes and a replayed tick does the same thing.
"""

from __future__ import annotations

import random
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from .models import Channel, SandboxFollowerSnapshot, SandboxInteraction, SandboxPost
from .providers import SANDBOX

#: a post stops gaining attention after this many ticks (minutes)
MAX_TICKS = 24 * 60

AUTHORS = [
    ("aulia.r", "Aulia Rahma"),
    ("budi_s", "Budi Santoso"),
    ("chen.wei", "Chen Wei"),
    ("dian.p", "Dian Pratiwi"),
    ("emma.j", "Emma Jones"),
    ("fajar88", "Fajar Nugroho"),
    ("grace.t", "Grace Tan"),
    ("hendra.w", "Hendra Wijaya"),
    ("intan_k", "Intan Kusuma"),
    ("james.o", "James O'Brien"),
    ("kartika", "Kartika Sari"),
    ("liam.n", "Liam Nguyen"),
]

#: (kind, language, text)
COMMENTS: list[tuple[str, str, str]] = [
    ("question", "en", "What time do you open on Sundays?"),
    ("question", "en", "Is this available for delivery in Surabaya?"),
    ("question", "en", "How much is the family pack?"),
    ("question", "id", "Apakah ada cabang di Bandung?"),
    ("question", "id", "Berapa harganya kak?"),
    ("question", "id", "Promo ini berlaku sampai kapan?"),
    ("praise", "en", "Love this! Best coffee in town."),
    ("praise", "en", "Great service yesterday, thank you!"),
    ("praise", "id", "Enak banget, pasti balik lagi!"),
    ("praise", "id", "Mantap, pelayanannya ramah sekali."),
    ("complaint", "en", "My order arrived cold and an hour late."),
    ("complaint", "en", "I was charged twice, please fix this."),
    ("complaint", "id", "Pesanan saya belum sampai dari kemarin."),
    ("complaint", "id", "Kecewa, rasanya tidak seperti biasanya."),
    ("neutral", "en", "Tagging my sister here"),
    ("neutral", "id", "Wah baru tahu ada menu ini"),
]
DMS: list[tuple[str, str, str]] = [
    ("question", "en", "Hi, can I change the address on my order?"),
    ("question", "id", "Halo kak, bisa pesan untuk acara kantor 50 orang?"),
    ("complaint", "en", "Nobody answers the phone at your Jakarta store."),
    ("complaint", "id", "Refund saya belum masuk, mohon dibantu."),
    ("praise", "id", "Terima kasih, kuenya sampai dengan selamat!"),
]


@dataclass(frozen=True)
class TickPlan:
    impressions: int
    likes: int
    shares: int
    #: (kind, language, text, author handle, author name) or None
    comment: tuple[str, str, str, str, str] | None


def plan_post_tick(post_external_id: str, tick: int) -> TickPlan:
    """What happens to one post in its ``tick``-th minute. Pure and deterministic."""
    rng = random.Random(f"{post_external_id}:{tick}")  # noqa: S311 - a simulation, not security
    # Attention decays: strong in the first hour, a trickle after a day.
    decay = max(0.05, 1.0 / (1 + tick / 30))
    impressions = int(rng.randint(5, 60) * decay) + rng.randint(0, 3)
    likes = sum(1 for _ in range(impressions) if rng.random() < 0.08)
    shares = 1 if rng.random() < 0.03 * decay else 0
    comment = None
    if rng.random() < 0.35 * decay + 0.02:
        kind, lang, text = rng.choice(COMMENTS)
        handle, name = rng.choice(AUTHORS)
        comment = (kind, lang, text, handle, name)
    return TickPlan(impressions=impressions, likes=likes, shares=shares, comment=comment)


def _eid(prefix: str) -> str:
    return prefix + secrets.token_hex(8)


def advance_post(post: SandboxPost, *, now: datetime) -> TickPlan | None:
    """Apply the post's next tick (claimed with a conditional update, so a second worker skips it)."""
    if post.deleted_at is not None or post.ticks >= MAX_TICKS:
        return None
    plan = plan_post_tick(post.external_id, post.ticks)
    posts = SandboxPost.objects.for_org(post.organization_id)
    with transaction.atomic():
        claimed = posts.filter(pk=post.pk, ticks=post.ticks).update(
            ticks=F("ticks") + 1,
            impressions=F("impressions") + plan.impressions,
            likes=F("likes") + plan.likes,
            shares=F("shares") + plan.shares,
            comments=F("comments") + (1 if plan.comment else 0),
        )
        if not claimed:
            return None
        if plan.comment:
            kind, lang, text, handle, name = plan.comment
            SandboxInteraction.objects.create(
                organization_id=post.organization_id,
                channel_id=post.channel_id,
                post=post,
                external_id=f"sbxc_{post.external_id}_{post.ticks}",
                kind=SandboxInteraction.Kind.COMMENT,
                author_id=f"u_{handle}",
                author_handle=handle,
                author_name=name,
                text=text,
                language=lang,
                sentiment_hint=kind,
                created_at=now,
            )
    post.ticks += 1
    return plan


def advance_channel(channel: Channel, *, now: datetime) -> None:
    """A channel's minute: maybe a DM or a mention, and today's follower count moves."""
    minute = int(now.timestamp() // 60)
    rng = random.Random(f"{channel.organization_id}:{channel.external_id}:{minute}")  # noqa: S311
    org_id = channel.organization_id
    with transaction.atomic():
        if rng.random() < 0.05:
            kind, lang, text = rng.choice(DMS)
            handle, name = rng.choice(AUTHORS)
            SandboxInteraction.objects.for_org(org_id).get_or_create(
                channel=channel,
                external_id=f"sbxd_{minute}",
                defaults={
                    "organization_id": org_id,
                    "kind": SandboxInteraction.Kind.DM,
                    "author_id": f"u_{handle}",
                    "author_handle": handle,
                    "author_name": name,
                    "text": text,
                    "language": lang,
                    "sentiment_hint": kind,
                    "thread_id": f"dm_{handle}",
                    "created_at": now,
                },
            )
        elif rng.random() < 0.03:
            handle, name = rng.choice(AUTHORS)
            SandboxInteraction.objects.for_org(org_id).get_or_create(
                channel=channel,
                external_id=f"sbxm_{minute}",
                defaults={
                    "organization_id": org_id,
                    "kind": SandboxInteraction.Kind.MENTION,
                    "author_id": f"u_{handle}",
                    "author_handle": handle,
                    "author_name": name,
                    "text": f"Shout-out to @{channel.handle}!",
                    "language": "en",
                    "sentiment_hint": "praise",
                    "created_at": now,
                },
            )
        today = now.date()
        snapshots = SandboxFollowerSnapshot.objects.for_org(org_id)
        snap = snapshots.filter(channel=channel, day=today).first()
        if snap is None:
            previous = snapshots.filter(channel=channel, day__lt=today).order_by("-day").first()
            base = (
                previous.followers
                if previous
                else 500 + random.Random(channel.external_id).randint(0, 4500)  # noqa: S311
            )
            snap = snapshots.create(
                organization_id=org_id, channel=channel, day=today, followers=base
            )
        delta = rng.choice([-1, 0, 0, 1, 1, 2])
        snapshots.filter(pk=snap.pk).update(
            followers=max(0, snap.followers + delta),
            impressions=F("impressions") + rng.randint(0, 40),
            engagements=F("engagements") + rng.randint(0, 5),
            profile_views=F("profile_views") + rng.randint(0, 3),
        )


def simulate_channel(channel: Channel, *, now: datetime | None = None) -> int:
    now = now or timezone.now()
    advanced = 0
    since = now - timedelta(minutes=MAX_TICKS + 60)
    for post in SandboxPost.objects.for_org(channel.organization_id).filter(
        channel=channel, deleted_at__isnull=True, ticks__lt=MAX_TICKS, created_at__gte=since
    ):
        if advance_post(post, now=now):
            advanced += 1
    advance_channel(channel, now=now)
    return advanced


def sandbox_channel_ids() -> list[int]:
    """Every active sandbox channel, all organizations: the simulation is system work. In
    production only those of organizations that opted in to the Sandbox network."""
    channels = Channel.objects.unscoped().filter(provider=SANDBOX, status=Channel.Status.ACTIVE)
    if getattr(settings, "PRODUCTION", False):
        channels = channels.filter(organization__sandbox_network=True)
    return list(channels.values_list("pk", flat=True))
