"""The demo organization's channels."""

from __future__ import annotations

import logging
from datetime import timedelta

from django.db import transaction

from accounts.capabilities import Capability, require
from socialops.audit.services import record_event

from ..models import (
    Channel,
)
from ..providers import SANDBOX, get_provider
from .credentials import _store_credentials

log = logging.getLogger(__name__)

# --- Demo ----------------------------------------------------------------------------------------

DEMO_CHANNELS = [
    ("sbx-kitchen", "nusantara.kitchen", "Nusantara Kitchen", "Head office", "Asia/Jakarta"),
    ("sbx-id", "nusantara.id", "Nusantara Indonesia", "Indonesia", "Asia/Jakarta"),
    ("sbx-kopi", "kopi.pagi", "Kopi Pagi Jakarta", "Jakarta", "Asia/Jakarta"),
    ("sbx-promo", "promo.harian", "Promo Harian Surabaya", "Surabaya", "Asia/Jakarta"),
    ("sbx-sg", "nusantara.sg", "Nusantara Singapore", "Singapore", "Asia/Singapore"),
]


@transaction.atomic
def seed_demo_channels(org, *, by) -> list[Channel]:
    """Sandbox channels in several teams for the demo organization (safe to run again)."""
    from accounts.selectors import teams_of

    from ..providers.base import PublishRequest
    from ..providers.sandbox import account_for

    require(by, Capability.MANAGE_CHANNELS)
    teams = {t.name: t for t in teams_of(org)}
    provider = get_provider(SANDBOX)
    out = []
    for ext, handle, name, team_name, tz in DEMO_CHANNELS:
        channel = Channel.objects.for_org(org).filter(provider=SANDBOX, external_id=ext).first()
        if channel is None:
            account = account_for(ext, org.pk, handle=handle, name=name)
            channel = Channel.objects.create(
                organization=org,
                provider=SANDBOX,
                external_id=ext,
                handle=handle,
                name=name,
                url=account.url,
                team=teams.get(team_name),
                timezone=tz,
                connected_by=by.user,
                token_expires_at=account.credentials.expires_at,
            )
            _store_credentials(channel, account.credentials)
            record_event(
                org, "channel.connected", obj=channel, changes={"provider": SANDBOX, "demo": True}
            )
            provider.publish(
                account.credentials,
                ext,
                PublishRequest(
                    text=f"Selamat datang di {name}! Welcome to {name}.",
                    idempotency_key=f"demo-{ext}",
                ),
            )
        out.append(channel)
    return out


def play_sandbox_audience(channel: Channel, *, minutes: int = 45) -> int:
    """The demo: let the Sandbox's simulated audience react to ``channel`` over the last
    ``minutes`` minutes (comments on its posts, DMs, mentions in English and Indonesian), as if the
    simulation had been running. Safe to run again (each post's ticks are claimed once)."""
    from django.utils import timezone

    from ..simulation import simulate_channel

    if channel.provider != SANDBOX:
        return 0
    now = timezone.now()
    return sum(
        simulate_channel(channel, now=now - timedelta(minutes=m)) for m in range(minutes, 0, -1)
    )


def play_sandbox_history(channel: Channel, *, days: int = 60, today=None) -> int:
    """The demo: the Sandbox account's daily figures for the ``days`` days before today, as if its
    simulated audience had been there all along (followers drifting up, impressions, engagements,
    profile views). Days already recorded are left alone (safe to run again); returns the days added."""
    import random
    from datetime import UTC, datetime

    from ..models import SandboxFollowerSnapshot

    if channel.provider != SANDBOX:
        return 0
    today = today or datetime.now(UTC).date()
    org_id = channel.organization_id
    snapshots = SandboxFollowerSnapshot.objects.for_org(org_id)
    have = set(
        snapshots.filter(channel=channel, day__gte=today - timedelta(days=days)).values_list(
            "day", flat=True
        )
    )
    rng = random.Random(f"history-{channel.external_id}")  # noqa: S311 - a demo's shape, not a secret
    followers = 500 + random.Random(channel.external_id).randint(0, 4500)  # noqa: S311
    rows = []
    for back in range(days, 0, -1):
        day = today - timedelta(days=back)
        followers = max(0, followers + rng.choice([-2, 0, 1, 2, 3, 5]))
        if day in have:
            continue
        weekend = day.weekday() >= 5
        impressions = rng.randint(300, 900) // (2 if weekend else 1)
        rows.append(
            SandboxFollowerSnapshot(
                organization_id=org_id,
                channel=channel,
                day=day,
                followers=followers,
                impressions=impressions,
                engagements=impressions * rng.randint(2, 7) // 100,
                profile_views=rng.randint(5, 40),
            )
        )
    SandboxFollowerSnapshot.objects.bulk_create(rows, ignore_conflicts=True)
    return len(rows)
