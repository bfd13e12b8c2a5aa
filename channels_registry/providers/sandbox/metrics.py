"""Sandbox: account and post metrics."""

from __future__ import annotations

from datetime import date

from ..base import (
    Credentials,
    DailyAccountMetrics,
    PostMetrics,
)


class SandboxMetrics:
    """Sandbox's account and post metrics (a part of ``SandboxProvider``)."""

    # --- metrics --------------------------------------------------------------------------
    def fetch_account_metrics(
        self, credentials: Credentials, account_id: str, since: date, until: date
    ) -> list[DailyAccountMetrics]:
        from ...models import SandboxFollowerSnapshot

        channel = self._channel(credentials, account_id)
        rows = SandboxFollowerSnapshot.objects.for_org(channel.organization_id).filter(
            channel=channel, day__gte=since, day__lte=until
        )
        return [
            DailyAccountMetrics(
                day=r.day,
                followers=r.followers,
                impressions=r.impressions,
                engagements=r.engagements,
                profile_views=r.profile_views,
            )
            for r in rows
        ]

    def fetch_post_metrics(
        self, credentials: Credentials, account_id: str, external_ids: list[str]
    ) -> list[PostMetrics]:
        from ...models import SandboxPost

        channel = self._channel(credentials, account_id)
        rows = SandboxPost.objects.for_org(channel.organization_id).filter(
            channel=channel, external_id__in=external_ids
        )
        return [
            PostMetrics(
                external_id=p.external_id,
                impressions=p.impressions,
                reach=int(p.impressions * 0.8),
                likes=p.likes,
                comments=p.comments,
                shares=p.shares,
            )
            for p in rows
        ]
