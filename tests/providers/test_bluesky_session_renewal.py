"""A Bluesky access token lasts two hours. When it has run out, every call made as the account renews
the session once (refreshSession, or the OAuth refresh grant) and goes again; only a refused refresh
means the account must sign in again (issue 11, item 1).

Against the loopback fake, which answers like the reference PDS: 400 ``ExpiredToken`` for an
expired session JWT, 401 ``invalid_token`` for an expired DPoP one.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from channels_registry.providers.base import InboxItem, PublishRequest
from channels_registry.providers.errors import AuthExpired
from tests.fakes.bluesky import APP_PASSWORD, BRAND_DID, BRAND_HANDLE, FAN_DID, BlueskyFake

from .test_bluesky_contract import make_provider
from .test_bluesky_oauth import connect as connect_oauth


@pytest.fixture
def fake():
    server = BlueskyFake().start()
    yield server
    server.stop()


@pytest.fixture
def provider(fake, settings):
    settings.OUTBOUND_ALLOW_LOOPBACK = True
    p = make_provider(fake)
    yield p
    p.http.close()


@pytest.fixture
def creds(provider):
    return provider.login_with_app_password(BRAND_HANDLE, APP_PASSWORD).credentials


def refreshes(fake):
    return fake.requests_to("POST", r"refreshSession$")


def _seed(fake):
    post = fake.seed_post(BRAND_DID, "our post")
    comment = fake.add_reply(FAN_DID, post["uri"], "nice")
    ours = fake.seed_post(
        BRAND_DID,
        "a reply of ours",
        reply={
            "root": {"uri": post["uri"], "cid": post["cid"]},
            "parent": {"uri": post["uri"], "cid": post["cid"]},
        },
    )
    return post, comment, ours


TODAY = datetime.now(UTC).date()

CALLS = {
    "publish": lambda p, c, post, comment, ours: p.publish(
        c, BRAND_DID, PublishRequest(text="hi", idempotency_key="k")
    ),
    "health check": lambda p, c, *_: p.verify_credentials(c, BRAND_DID),
    "inbox": lambda p, c, *_: p.fetch_inbox(c, BRAND_DID),
    "reply": lambda p, c, post, comment, ours: p.reply(
        c,
        BRAND_DID,
        InboxItem(external_id=comment["uri"], kind="comment", text="nice", author_id=FAN_DID),
        "thanks",
    ),
    "hide": lambda p, c, post, comment, ours: p.hide_comment(c, BRAND_DID, comment["uri"]),
    "delete comment": lambda p, c, post, comment, ours: p.delete_comment(c, BRAND_DID, ours["uri"]),
    "delete post": lambda p, c, post, comment, ours: p.delete_post(c, BRAND_DID, post["uri"]),
    "post metrics": lambda p, c, post, *_: p.fetch_post_metrics(c, BRAND_DID, [post["uri"]]),
    "account metrics": lambda p, c, *_: p.fetch_account_metrics(
        c, BRAND_DID, TODAY - timedelta(days=1), TODAY + timedelta(days=1)
    ),
}


@pytest.mark.parametrize("call", CALLS)
def test_every_call_renews_an_expired_session_once_and_goes_on(provider, fake, creds, call):
    post, comment, ours = _seed(fake)
    old_access, old_refresh = creds.access_token, creds.refresh_token
    fake.expire_access_tokens()
    fake.requests.clear()

    CALLS[call](provider, creds, post, comment, ours)

    (refresh,) = refreshes(fake)
    assert refresh.bearer == old_refresh
    # the caller's credentials now hold the new session (rotated refresh token included)
    assert creds.access_token != old_access and creds.refresh_token != old_refresh
    assert creds.access_token in fake.access_tokens
    # the refused call went again with the new token; nothing used the old one after the refresh
    at = fake.requests.index(refresh)
    refused = fake.requests[at - 1]
    assert refused.bearer == old_access
    assert [r.path for r in fake.requests[at + 1 :]][0] == refused.path
    assert all(r.bearer != old_access for r in fake.requests[at:])


def test_a_publish_after_the_token_expired_goes_out_exactly_once(provider, fake, creds):
    fake.expire_access_tokens()
    result = provider.publish(
        creds, BRAND_DID, PublishRequest(text="after a long outage", idempotency_key="k1")
    )
    assert [p["value"]["text"] for p in fake.posts_of().values()] == ["after a long outage"]
    assert result.external_id.endswith(result.raw["rkey"])


def test_a_token_known_to_be_expired_is_renewed_before_the_call(provider, fake, creds):
    creds.expires_at = datetime.now(UTC) - timedelta(minutes=5)
    fake.requests.clear()
    provider.fetch_inbox(creds, BRAND_DID)
    assert [r.path.rsplit(".", 1)[-1] for r in fake.requests] == [
        "refreshSession",
        "listNotifications",
    ]


def test_a_refused_refresh_is_the_only_reason_to_sign_in_again(provider, fake, creds):
    fake.expire_access_tokens()
    fake.revoke_refresh_tokens()  # e.g. the app password was deleted
    with pytest.raises(AuthExpired) as info:
        provider.publish(creds, BRAND_DID, PublishRequest(text="hello", idempotency_key="k2"))
    assert info.value.code == "ExpiredToken"
    assert "log in again" in info.value.message
    assert len(refreshes(fake)) == 1
    assert not fake.posts_of()


def test_a_refresher_given_with_the_credentials_does_the_renewal(provider, fake, creds):
    seen = []

    def refresher(stale):
        seen.append(stale.access_token)
        return provider.refresh(stale)

    creds.refresher = refresher
    stale = creds.access_token
    fake.expire_access_tokens()
    provider.verify_credentials(creds, BRAND_DID)
    assert seen == [stale]
    assert creds.access_token != stale and creds.refresher is refresher


def test_an_expired_oauth_session_is_renewed_with_the_refresh_grant(fake, settings):
    settings.OUTBOUND_ALLOW_LOOPBACK = True
    p = make_provider(fake)
    creds = connect_oauth(p).credentials
    old_refresh = creds.refresh_token
    fake.expire_access_tokens()

    result = p.publish(
        creds, BRAND_DID, PublishRequest(text="oauth after expiry", idempotency_key="k3")
    )

    grants = [
        r.form() for r in fake.requests_to("POST", r"^/oauth/token$") if "refresh_token" in r.form()
    ]
    assert [g["refresh_token"] for g in grants][-1] == old_refresh
    assert creds.refresh_token != old_refresh and creds.refresh_token in fake.oauth_refresh
    assert fake.posts_of()[result.raw["rkey"]]["value"]["text"] == "oauth after expiry"
    p.http.close()
