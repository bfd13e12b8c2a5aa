"""X: account and post metrics."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from ..base import (
    Credentials,
    DailyAccountMetrics,
    PostMetrics,
)
from ..budgets import spend, x_me_budget, x_tweets_budget
from .client import (
    NON_PUBLIC_METRICS_DAYS,
    _shares,
    snowflake_time,
)


class XMetrics:
    """X's account and post metrics (a part of ``XProvider``).

    Each call takes the user's budget for its endpoint first (``budgets``: ``GET /2/users/me``
    75 / 15 min and ``GET /2/tweets`` 5,000 / 15 min per user, docs.x.com rate limits)."""

    # --- Metrics -------------------------------------------------------------------------------
    def fetch_account_metrics(
        self, credentials: Credentials, account_id: str, since: date, until: date
    ) -> list[DailyAccountMetrics]:
        """X v2 gives a snapshot of now (followers); no daily history on the standard API."""
        today = datetime.now(UTC).date()
        if not since <= today <= until:
            return []
        spend(x_me_budget(account_id))
        user = self._me(credentials, fields="public_metrics")
        metrics = user.get("public_metrics") or {}
        return [DailyAccountMetrics(day=today, followers=metrics.get("followers_count"))]

    def _lookup_metrics(
        self, credentials: Credentials, ids: list[str], fields: str, account_id: str = ""
    ) -> tuple[dict, dict]:
        body = self._call(
            credentials,
            "GET",
            "/2/tweets",
            params={
                "ids": ",".join(ids),
                "tweet.fields": f"{fields},attachments",
                "expansions": "attachments.media_keys",
                "media.fields": "public_metrics,type",
            },
            budgets=(x_tweets_budget(account_id or credentials.extra.get("user_id", "")),),
        )
        tweets = {str(t["id"]): t for t in body.get("data") or [] if t.get("id")}
        media = {
            m["media_key"]: m
            for m in (body.get("includes") or {}).get("media") or []
            if m.get("media_key")
        }
        return tweets, media

    def fetch_post_metrics(
        self, credentials: Credentials, account_id: str, external_ids: list[str]
    ) -> list[PostMetrics]:
        cutoff = datetime.now(UTC) - timedelta(days=NON_PUBLIC_METRICS_DAYS) + timedelta(minutes=5)
        tweets: dict[str, dict] = {}
        media: dict[str, dict] = {}
        ids = [str(i) for i in external_ids]
        for start in range(0, len(ids), 100):
            batch = ids[start : start + 100]
            recent = [i for i in batch if (snowflake_time(i) or cutoff) >= cutoff]
            older = [i for i in batch if i not in recent]
            if recent:
                found, found_media = self._lookup_metrics(
                    credentials, recent, "public_metrics,non_public_metrics", account_id
                )
                tweets.update(found)
                media.update(found_media)
                # non-public metrics are refused for posts that are not ours or too old: ask again without
                older += [i for i in recent if i not in found]
            if older:
                found, found_media = self._lookup_metrics(
                    credentials, older, "public_metrics", account_id
                )
                tweets.update(found)
                media.update(found_media)
        results = []
        for tweet_id in ids:
            tweet = tweets.get(tweet_id)
            if tweet is None:
                continue
            public = tweet.get("public_metrics") or {}
            private = tweet.get("non_public_metrics") or {}
            views = [
                (media[k].get("public_metrics") or {}).get("view_count")
                for k in (tweet.get("attachments") or {}).get("media_keys") or []
                if k in media
            ]
            views = [v for v in views if v is not None]
            results.append(
                PostMetrics(
                    external_id=tweet_id,
                    impressions=private.get("impression_count", public.get("impression_count")),
                    likes=public.get("like_count"),
                    comments=public.get("reply_count"),
                    shares=_shares(public),
                    saves=public.get("bookmark_count"),
                    clicks=private.get("url_link_clicks"),
                    video_views=sum(views) if views else None,
                )
            )
        return results
