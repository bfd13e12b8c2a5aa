"""Issue 16: the metrics fetch for 300 channels stays within every network's rate budget.

300 channels (50 each of Facebook, Instagram, X, LinkedIn, Bluesky, Mastodon), each with published
posts due for metrics (young ones daily, older ones weekly), fetched by the real sweep path
(``claim_due_channels`` then ``fetch_channel_metrics`` per claimed channel, as the beat task does)
with the real providers against the loopback fakes of tests/fakes/. Time is simulated: a sweep every
hour for a day and the next day's first sweep (the first fetch backfills, the next day fetches
again), ``now`` moving and the rate budgets' clock with it (a sweep's calls all count at its hour:
the worst case for the windows). Every call a fake receives is counted per account and per app, and
the largest count in any window of the documented limit's length is compared with the limit.
"""

from __future__ import annotations

import time as _time
from collections import defaultdict
from datetime import UTC, datetime, timedelta

from .foundation import Row

PER_NETWORK = 50
YOUNG_POSTS = 8  # published in the last 15 days: fetched daily
OLD_POSTS = 4  # 40 … 139 days old: fetched weekly
SWEEPS = 25  # hourly, a simulated day and the next day's fetch
NETWORKS = ("facebook", "instagram", "x", "linkedin", "bluesky", "mastodon")

#: (network, scope, how calls are grouped, documented limit, window seconds, source)
LIMITS = [
    ("facebook", "per Page", "account", 4800, 86400, "Meta Pages BUC 4,800 x engaged users / 24 h"),
    ("instagram", "per account", "account", 4800, 86400, "Meta Instagram BUC 4,800 x impr. / 24 h"),
    ("x", "per user GET /2/users/me", "x:me", 75, 900, "docs.x.com 75 / 15 min per user"),
    ("x", "per user GET /2/tweets", "x:tweets", 5000, 900, "docs.x.com 5,000 / 15 min per user"),
    ("linkedin", "per organization", "account", 2000, 86400, "unpublished daily; ours 2,000"),
    ("linkedin", "per app", "app", 100_000, 86400, "unpublished daily; ours 100,000"),
    ("bluesky", "per app (one IP)", "app", 3000, 300, "docs.bsky.app 3,000 / 5 min per IP"),
    ("mastodon", "per account", "account", 300, 300, "docs.joinmastodon.org 300 / 5 min"),
]


class _Clock:
    """``time`` for socialops.egress: the budgets refill on the simulated clock."""

    def __init__(self, now: float):
        self.now = now

    def time(self) -> float:
        return self.now

    def __getattr__(self, name):
        return getattr(_time, name)


def _max_in_window(events: list[tuple[float, int]], seconds: float) -> int:
    """The most calls in any window of ``seconds`` (events: (when, calls), any order)."""
    events = sorted(events)
    best = total = start = 0
    for when, n in events:
        total += n
        while events[start][0] <= when - seconds:
            total -= events[start][1]
            start += 1
        best = max(best, total)
    return best


def _world(t0: datetime):
    """Start the fakes, configure the providers, make the organization, channels and posts."""
    from django.conf import settings

    from accounts import services as accounts
    from accounts.models import Membership, User
    from channels_registry.models import Channel
    from channels_registry.providers.base import Credentials, ProviderConfig
    from channels_registry.providers.bluesky import BlueskyProvider
    from channels_registry.services.credentials import _store_credentials
    from publishing.models import Post, PostVariant
    from tests.fakes.bluesky import BlueskyFake
    from tests.fakes.linkedin import FakeLinkedIn
    from tests.fakes.mastodon import MastodonFake
    from tests.fakes.meta import MetaGraphFake
    from tests.fakes.x import FakeX

    bsky_accounts = {
        f"did:plc:bench{i:04d}": {
            "handle": f"bench{i}.bsky.social",
            "password": "bench-app-pass",
            "displayName": f"Bench {i}",
            "followersCount": 100 + i,
        }
        for i in range(PER_NETWORK)
    }
    fakes = {
        "meta": MetaGraphFake().start(),
        "x": FakeX().start(),
        "linkedin": FakeLinkedIn().start(),
        "bluesky": BlueskyFake(accounts=bsky_accounts).start(),
        "mastodon": MastodonFake().start(),
    }
    meta, x, li, bsky, masto = (fakes[k] for k in ("meta", "x", "linkedin", "bluesky", "mastodon"))
    settings.OUTBOUND_ALLOW_LOOPBACK = True
    meta_urls = ("api", "video", "rupload", "auth", "token", "ig_api", "ig_auth", "ig_token")
    meta_conf = {
        "client_id": meta.CLIENT_ID,
        "client_secret": meta.CLIENT_SECRET,
        "urls": dict.fromkeys(meta_urls, meta.url),
        "graph_version": "v23.0",
        "poll_interval": 0,
    }
    settings.SOCIALOPS_PROVIDERS = {
        **settings.SOCIALOPS_PROVIDERS,
        "facebook": meta_conf,
        "instagram": meta_conf,
        "x": {
            "client_id": x.client_id,
            "client_secret": x.client_secret,
            "urls": {"api": x.url, "auth": f"{x.url}/i/oauth2/authorize", "token": f"{x.url}/t"},
            "poll_interval": 0,
            "consumer_secret": x.consumer_secret,
        },
        "linkedin": {
            "client_id": li.client_id,
            "client_secret": li.client_secret,
            "urls": {"api": li.url, "auth": f"{li.url}/a", "token": f"{li.url}/t"},
            "poll_interval": 0,
        },
        "bluesky": {"urls": bsky.provider_urls(), "poll_interval": 0},
        "mastodon": {"client_id": "", "client_secret": "", "poll_interval": 0},
    }

    owner = User.objects.create_user("fetch@example.test", "bench-password-123")
    org = accounts.create_organization(name="Fetch", slug="fetch-bench", owner=owner)
    Membership.objects.for_org(org).get(user=owner)
    young = [t0 - timedelta(hours=2 + 45 * k) for k in range(YOUNG_POSTS)]
    old = [t0 - timedelta(days=40 + 33 * k) for k in range(OLD_POSTS)]
    bsky_provider = BlueskyProvider(
        ProviderConfig(urls=bsky.provider_urls(), extra={"poll_interval": 0})
    )
    channels, creds, post_ids = [], [], []
    for network in NETWORKS:
        for i in range(PER_NETWORK):
            ids: list[str] = []
            if network == "facebook":
                account = f"77{i:04d}"
                meta.pages[account] = {
                    "id": account,
                    "name": f"Page {i}",
                    "username": f"page{i}",
                    "link": f"https://www.facebook.com/page{i}",
                    "followers_count": 1000 + i,
                    "ig": None,
                    "tasks": ["ANALYZE", "CREATE_CONTENT", "MANAGE"],
                }
                token = meta.add_token(f"EAAbench{account}", "page", account)
                credentials = Credentials(access_token=token, extra={"page_id": account})
                for n in range(YOUNG_POSTS + OLD_POSTS):
                    post_id = f"{account}_{n + 1}"
                    meta.objects[post_id] = {
                        "type": "post",
                        "id": post_id,
                        "page": account,
                        "message": f"post {n}",
                        "link": None,
                        "photos": [],
                        "created": meta.now(),
                    }
                    ids.append(post_id)
            elif network == "instagram":
                account = f"178414{i:06d}"
                meta.ig_users[account] = {
                    "id": account,
                    "username": f"ig{i}",
                    "name": f"IG {i}",
                    "followers_count": 2000 + i,
                    "page": None,
                    "quota_usage": 0,
                    "profile_picture_url": "https://scontent.example/ig.jpg",
                }
                token = meta.add_token(f"IGbench{account}", "ig", account)
                credentials = Credentials(
                    access_token=token, extra={"login": "instagram", "ig_user_id": account}
                )
                for n in range(YOUNG_POSTS + OLD_POSTS):
                    media_id = f"{account}{n:03d}"
                    meta.objects[media_id] = {
                        "type": "ig_media",
                        "id": media_id,
                        "ig": account,
                        "media_type": "IMAGE",
                        "media_product_type": "FEED",
                        "caption": f"post {n}",
                        "created": meta.now(),
                    }
                    ids.append(media_id)
            elif network == "x":
                account = x.add_user(f"bench{i}", f"Bench {i}", followers=300 + i)
                access, refresh = x.issue_token(account, expires_in=10 * 86400)
                credentials = Credentials(
                    access_token=access, refresh_token=refresh, extra={"user_id": account}
                )
                for at in young + old:
                    tweet = x.post_as(account, f"post {at}", created_at=at)
                    x.set_metrics(tweet, public={"like_count": 3, "impression_count": 90})
                    ids.append(tweet)
            elif network == "linkedin":
                account = str(5000 + i)
                member = f"member-bench-{i}"
                li.orgs[account] = {
                    "id": int(account),
                    "localizedName": f"Org {i}",
                    "vanityName": f"org-{i}",
                }
                li.members[member] = {
                    "urn": f"urn:li:person:bench{i}",
                    "admin_of": [account],
                    "analyst_of": [],
                }
                li.followers[f"urn:li:organization:{account}"] = 700 + i
                token = li.issue_token(f"li-bench-{i}", member)
                credentials = Credentials(access_token=token)
                for n in range(YOUNG_POSTS + OLD_POSTS):
                    urn = f"urn:li:share:{7_200_000_000_000_000_000 + i * 1000 + n}"
                    li.post_stats[urn] = {"impressionCount": 40, "likeCount": 2, "clickCount": 1}
                    ids.append(urn)
            elif network == "bluesky":
                account = f"did:plc:bench{i:04d}"
                credentials = bsky_provider.login_with_app_password(
                    bsky_accounts[account]["handle"], "bench-app-pass"
                ).credentials
                for n in range(YOUNG_POSTS + OLD_POSTS):
                    ids.append(bsky.seed_post(account, f"post {n}")["uri"])
            else:
                who = masto.add_account(f"bench{i}", f"Bench {i}", followers=50 + i)
                account = who["id"]
                credentials = Credentials(
                    access_token=masto.issue_token(account),
                    extra={"instance_url": masto.url, "account_id": account},
                )
                for n in range(YOUNG_POSTS + OLD_POSTS):
                    ids.append(masto.post_as(who, f"post {n}")["id"])
            channels.append(
                Channel(
                    organization=org,
                    provider=network,
                    external_id=account,
                    handle=f"{network}{i}",
                    name=f"{network} {i}",
                )
            )
            creds.append(credentials)
            post_ids.append(ids)
    channels = Channel.objects.bulk_create(channels)
    for channel, credentials in zip(channels, creds, strict=True):
        _store_credentials(channel, credentials)
    posts = Post.objects.bulk_create(
        [
            Post(organization=org, author=owner, text="Fetch bench", status="published")
            for ids in post_ids
            for _ in ids
        ]
    )
    when = young + old
    PostVariant.objects.bulk_create(
        [
            PostVariant(
                organization=org,
                post=posts[n],
                channel=channel,
                text="Fetch bench",
                status="published",
                external_id=external_id,
                published_at=when[k],
            )
            for n, (channel, k, external_id) in enumerate(
                (c, k, e)
                for c, ids in zip(channels, post_ids, strict=True)
                for k, e in enumerate(ids)
            )
        ]
    )
    return fakes, channels


def _scope_key(network: str, channel, path: str) -> list[str]:
    keys = ["app", "account"]
    if network == "x":
        keys.append("x:me" if path.endswith("/2/users/me") else "x:tweets")
    return keys


def run() -> list[Row]:
    from django.core.cache import cache

    from analytics import services
    from socialops import egress

    t0 = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) + timedelta(minutes=1)
    fakes, channels = _world(t0)
    by_id = {c.pk: c for c in channels}
    fake_of = {
        "facebook": "meta",
        "instagram": "meta",
        "x": "x",
        "linkedin": "linkedin",
        "bluesky": "bluesky",
        "mastodon": "mastodon",
    }
    keys = [f"rate:metrics:{c.provider}:{c.external_id}" for c in channels]
    keys += [f"rate:metrics:x:me:{c.external_id}" for c in channels]
    keys += [f"rate:metrics:x:tweets:{c.external_id}" for c in channels]
    keys += ["rate:metrics:linkedin:app", "rate:metrics:bluesky:app"]
    cache.delete_many(keys)
    for fake in fakes.values():
        with fake.lock:
            fake.requests.clear()
    seen = dict.fromkeys(fakes, 0)
    # (network, scope, who) -> [(when, calls)]
    events: dict[tuple[str, str, str], list[tuple[float, int]]] = defaultdict(list)
    made: dict[str, int] = defaultdict(int)
    errors: dict[str, int] = defaultdict(int)
    spent: dict[str, float] = defaultdict(float)
    clock = _Clock(t0.timestamp())
    real_time = egress.time
    egress.time = clock
    swept = 0
    started = _time.monotonic()
    try:
        for sweep in range(SWEEPS):
            now = t0 + timedelta(hours=sweep)
            clock.now = now.timestamp()
            for channel_id in services.claim_due_channels(now=now):
                channel = by_id[channel_id]
                began = _time.monotonic()
                result = services.fetch_channel_metrics(channel, now=now)
                spent[channel.provider] += _time.monotonic() - began
                swept += 1
                if result.error:
                    errors[channel.provider] += 1
                fake = fakes[fake_of[channel.provider]]
                new = fake.requests[seen[fake_of[channel.provider]] :]
                seen[fake_of[channel.provider]] += len(new)
                made[channel.provider] += len(new)
                counted: dict[tuple[str, str, str], int] = defaultdict(int)
                for request in new:
                    for scope in _scope_key(channel.provider, channel, request.path):
                        who = "app" if scope == "app" else channel.external_id
                        counted[(channel.provider, scope, who)] += 1
                for key, n in counted.items():
                    events[key].append((now.timestamp(), n))
    finally:
        egress.time = real_time
        for fake in fakes.values():
            fake.stop()
        cache.delete_many(keys)
    elapsed = _time.monotonic() - started

    rows: list[Row] = [
        (
            "metrics fetch: 300 channels, 25 hourly sweeps (simulated)",
            f"{elapsed:.1f}",
            "s",
            f"{swept} channel fetches ("
            + ", ".join(f"{k} {v:.0f} s" for k, v in sorted(spent.items()))
            + "), errors: "
            + (", ".join(f"{k} {v}" for k, v in sorted(errors.items())) or "none"),
        )
    ]
    for network, scope, grouping, limit, seconds, source in LIMITS:
        window = f"{seconds // 3600} h" if seconds >= 3600 else f"{seconds // 60} min"
        worst = max(
            (
                _max_in_window(ev, seconds)
                for (net, sc, _who), ev in events.items()
                if net == network and sc == grouping
            ),
            default=0,
        )
        rows.append(
            (
                f"metrics fetch {network} {scope}: most calls in any {window}",
                str(worst),
                "calls",
                f"<= {limit:,} ({source}); within: {'yes' if worst <= limit else 'NO'}; "
                f"{made[network]} calls made",
            )
        )
    return rows
