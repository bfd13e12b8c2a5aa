"""The metrics fetch takes each network's documented rate budget before every call: when our own
budget is spent the fetch stops (no further call reaches the network), the channel backs off by the
budget's wait and every number stored before is kept. Real providers against the loopback fakes."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from analytics import services
from analytics.models import AccountMetricDay, MetricsFetchState, PostMetricSnapshot
from channels_registry.providers import budgets
from channels_registry.providers.base import Credentials, ProviderConfig
from channels_registry.providers.facebook import FacebookProvider
from channels_registry.providers.x import XProvider
from tests.fakes.meta import MetaGraphFake
from tests.fakes.x import FakeX

from ..channels.factories import bulk_channels
from .factories import published_variant

pytestmark = pytest.mark.django_db


def _rows(model, org, channel):
    return sorted(
        model.objects.for_org(org)
        .filter(channel=channel)
        .values_list(*[f.attname for f in model._meta.concrete_fields if f.name != "id"])
    )


def _use(monkeypatch, provider, credentials):
    monkeypatch.setattr(services, "provider_for", lambda channel: provider)
    monkeypatch.setattr(services, "credentials_for", lambda channel: credentials)


@pytest.fixture
def meta(settings):
    settings.OUTBOUND_ALLOW_LOOPBACK = True
    server = MetaGraphFake().start()
    yield server
    server.stop()


@pytest.fixture
def x(settings):
    settings.OUTBOUND_ALLOW_LOOPBACK = True
    server = FakeX().start()
    yield server
    server.stop()


def _stops_at_the_budget(org, channel, fake, fetch_day):
    """Fetch once with the budget spent after one call; the second call never leaves."""
    before = (
        _rows(AccountMetricDay, org, channel),
        _rows(PostMetricSnapshot, org, channel),
    )
    assert before[0] and before[1]
    with fake.lock:
        fake.requests.clear()
    result = services.fetch_channel_metrics(channel, now=fetch_day, force=True)
    assert "budget" in result.error
    assert len(fake.requests) == 1  # the one call the budget allowed, then nothing
    state = MetricsFetchState.objects.for_org(org).get(channel=channel)
    assert state.failures == 1 and state.backoff_until > fetch_day
    assert state.next_fetch_at == state.backoff_until
    assert "budget" in state.last_error
    # the numbers stored before are all still there (the new day may add a fresh account row)
    assert set(before[1]) <= set(_rows(PostMetricSnapshot, org, channel))
    kept = {r[2]: r for r in _rows(AccountMetricDay, org, channel)}
    assert all(kept[r[2]] == r for r in before[0] if r[2] in kept)
    # during the backoff the sweep asks nothing of the network
    with fake.lock:
        fake.requests.clear()
    assert services.fetch_channel_metrics(channel, now=fetch_day).skipped == "backoff"
    assert fake.requests == []


def test_facebook_metrics_stop_at_the_pages_budget_and_keep_the_numbers(
    monkeypatch, org_a, alice, meta
):
    now = timezone.now()
    page = MetaGraphFake.PAGE_ID
    provider = FacebookProvider(
        ProviderConfig(
            client_id=meta.CLIENT_ID,
            client_secret=meta.CLIENT_SECRET,
            urls={key: meta.url for key in FacebookProvider.default_urls},
            extra={"poll_interval": 0},
        )
    )
    _use(monkeypatch, provider, Credentials(access_token=meta.PAGE_TOKEN, extra={"page_id": page}))
    [channel] = bulk_channels(org_a, 1, provider="facebook", external_id=page)
    for n in range(3):
        post_id = f"{page}_{900 + n}"
        meta.objects[post_id] = {
            "type": "post",
            "id": post_id,
            "page": page,
            "message": f"post {n}",
            "link": None,
            "photos": [],
            "created": meta.now(),
        }
        published_variant(org_a, alice, channel, external_id=post_id, at=now - timedelta(days=2))

    # the Pages budget (4,800 / 24 h, held as 2,400) scaled down to 9 calls
    monkeypatch.setattr(budgets, "META_PER_ACCOUNT_24H", 18)
    first = services.fetch_channel_metrics(channel, now=now)
    assert first.error == "" and first.posts == 3
    assert len(meta.requests) == 2 + 2 * 3  # insights + followers, then 2 per post: 1 call left
    _stops_at_the_budget(org_a, channel, meta, now + timedelta(days=1))


def _x_channel(monkeypatch, org, x):
    """An X channel of ``org`` whose fetch goes to the fake with a fresh user token."""
    provider = XProvider(
        ProviderConfig(
            client_id=x.client_id,
            client_secret=x.client_secret,
            urls={"api": x.url, "auth": f"{x.url}/i/oauth2/authorize", "token": f"{x.url}/t"},
            extra={"poll_interval": 0, "consumer_secret": x.consumer_secret},
        )
    )
    access, refresh = x.issue_token(x.me_id)
    _use(
        monkeypatch,
        provider,
        Credentials(access_token=access, refresh_token=refresh, extra={"user_id": x.me_id}),
    )
    [channel] = bulk_channels(org, 1, provider="x", external_id=x.me_id)
    return channel


def test_x_metrics_stop_at_the_users_budget_and_keep_the_numbers(monkeypatch, org_a, alice, x):
    now = timezone.now()
    channel = _x_channel(monkeypatch, org_a, x)
    for n in range(3):
        tweet = x.post_as(x.me_id, f"post {n}")
        x.set_metrics(tweet, public={"like_count": n + 1, "impression_count": 10 * n})
        published_variant(org_a, alice, channel, external_id=tweet, at=now - timedelta(days=2))

    # the user's /2/tweets budget (5,000 / 15 min, held as 2,500) scaled down to one call
    monkeypatch.setattr(budgets, "X_TWEETS_PER_USER_15MIN", 2)
    first = services.fetch_channel_metrics(channel, now=now)
    assert first.error == "" and first.posts == 3
    assert len(x.requests) == 2  # /2/users/me, then one /2/tweets lookup for the three
    # the next day /2/users/me is within its budget and /2/tweets is not
    _stops_at_the_budget(org_a, channel, x, now + timedelta(days=1))


def test_x_metrics_hold_when_x_says_none_are_left(monkeypatch, org_a, alice, x):
    """X counts calls made outside the product too: a successful answer with
    ``x-rate-limit-remaining: 0`` holds that endpoint until ``x-rate-limit-reset``, although our
    own budget has calls left; the next fetch sends nothing to /2/tweets and keeps the numbers."""
    now = timezone.now()
    channel = _x_channel(monkeypatch, org_a, x)
    tweet = x.post_as(x.me_id, "post")
    x.set_metrics(tweet, public={"like_count": 4, "impression_count": 40})
    published_variant(org_a, alice, channel, external_id=tweet, at=now - timedelta(days=2))
    with x.lock:
        x.rate_remaining["/2/tweets"] = 1  # someone else's calls used the window: one left

    first = services.fetch_channel_metrics(channel, now=now)
    assert first.error == "" and first.posts == 1
    with x.lock:
        x.requests.clear()
    second = services.fetch_channel_metrics(channel, now=now + timedelta(days=1), force=True)
    assert "limit" in second.error
    assert [r for r in x.requests if r.path.startswith("/2/tweets")] == []
    state = MetricsFetchState.objects.for_org(org_a).get(channel=channel)
    assert state.backoff_until > now + timedelta(days=1)
    assert _rows(PostMetricSnapshot, org_a, channel)  # the first fetch's numbers are kept
