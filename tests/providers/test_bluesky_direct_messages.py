"""Bluesky chat (direct messages) against the loopback fake: read through the PDS's proxy with a
privileged session, answered with sendMessage, skipped for sessions that may not read chat."""

from __future__ import annotations

import time

import httpx
import pytest

from channels_registry.providers.base import Credentials, InboxItem
from channels_registry.providers.errors import ContentRejected, ProviderError, RateLimited
from tests.fakes.bluesky import (
    APP_PASSWORD,
    BRAND_DID,
    BRAND_HANDLE,
    CHAT_APP_PASSWORD,
    CHAT_PROXY,
    FAN_DID,
    FAN_HANDLE,
    OTHER_DID,
    BlueskyFake,
)

from .test_bluesky_contract import make_provider, xrpc

CHAT_CALLS = ("chat.bsky.convo.listConvos", "chat.bsky.convo.getMessages")


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
def chat_creds(provider):
    """A session from an app password made with "Allow access to your direct messages"."""
    return provider.login_with_app_password(BRAND_HANDLE, CHAT_APP_PASSWORD).credentials


@pytest.fixture
def plain_creds(provider):
    """A session from an app password made without it."""
    return provider.login_with_app_password(BRAND_HANDLE, APP_PASSWORD).credentials


def dms(page):
    return [i for i in page.items if i.kind == "dm"]


def chat_calls(fake):
    return [r for r in fake.requests if r.path.startswith("/xrpc/chat.bsky.")]


def test_direct_messages_come_with_the_inbox_through_the_pds_chat_proxy(provider, fake, chat_creds):
    post = fake.seed_post(BRAND_DID, "Opening hours changed")
    comment = fake.add_reply(FAN_DID, post["uri"], "Nice")
    first = fake.add_dm(FAN_DID, "Hi, is my order on its way?")
    fake.add_dm(BRAND_DID, "Let me check", to=FAN_DID)  # the brand's own answer, from the app
    second = fake.add_dm(FAN_DID, "Order 1234")
    other = fake.add_dm(OTHER_DID, "Do you ship abroad?")

    page = provider.fetch_inbox(chat_creds, BRAND_DID)

    assert [i.external_id for i in page.items if i.kind != "dm"] == [comment["uri"]]
    got = dms(page)
    assert [i.external_id for i in got] == [first["id"], second["id"], other["id"]]  # oldest first
    item = got[0]
    assert (item.text, item.author_id, item.author_handle, item.author_name) == (
        "Hi, is my order on its way?",
        FAN_DID,
        FAN_HANDLE,
        "A Fan",
    )
    assert item.thread_id == first["convoId"] == second["convoId"] != other["convoId"]
    assert item.created_at is not None and item.permalink.endswith(f"/messages/{item.thread_id}")
    # every chat call went to the account's PDS with the proxy header and the session
    assert chat_calls(fake)
    for call in chat_calls(fake):
        assert call.headers["atproto-proxy"] == CHAT_PROXY
        assert call.headers["host"].startswith("localhost:")
        assert call.bearer == chat_creds.access_token
    assert page.cursor

    again = provider.fetch_inbox(chat_creds, BRAND_DID, cursor=page.cursor)
    assert again.items == []
    # nothing moved: one listConvos page, no conversation read again
    assert len(xrpc(fake, "chat.bsky.convo.getMessages")) == 2

    newer = fake.add_dm(OTHER_DID, "Hello?")
    latest = provider.fetch_inbox(chat_creds, BRAND_DID, cursor=again.cursor)
    assert [(i.external_id, i.thread_id) for i in latest.items] == [(newer["id"], other["convoId"])]
    assert provider.fetch_inbox(chat_creds, BRAND_DID, cursor=latest.cursor).items == []


def test_an_app_password_without_dm_access_skips_dms_and_keeps_comments(
    provider, fake, plain_creds
):
    post = fake.seed_post(BRAND_DID, "Hello")
    comment = fake.add_reply(FAN_DID, post["uri"], "Hi!")
    fake.add_dm(FAN_DID, "A private question")

    page = provider.fetch_inbox(plain_creds, BRAND_DID)

    assert [i.external_id for i in page.items] == [comment["uri"]]
    assert chat_calls(fake) == []  # the session's scope already says so: nothing is asked
    assert provider.chat_access(plain_creds) is False
    facts = provider.account_facts(plain_creds, BRAND_DID)
    assert facts["direct_messages"] is False
    assert (
        provider.account_facts(
            provider.login_with_app_password(BRAND_HANDLE, CHAT_APP_PASSWORD).credentials, BRAND_DID
        )["direct_messages"]
        is True
    )


def test_a_chat_refusal_learnt_from_the_network_is_remembered_not_retried_every_poll(
    provider, fake, plain_creds
):
    # stored credentials that do not say their scope: only the PDS can tell
    creds = Credentials(
        access_token=plain_creds.access_token,
        refresh_token=plain_creds.refresh_token,
        expires_at=plain_creds.expires_at,
        extra=dict(plain_creds.extra),
    )
    assert provider.chat_access(creds) is None
    post = fake.seed_post(BRAND_DID, "Hello")
    comment = fake.add_reply(FAN_DID, post["uri"], "Hi!")
    fake.add_dm(FAN_DID, "A private question")

    page = provider.fetch_inbox(creds, BRAND_DID)

    assert [i.external_id for i in page.items] == [comment["uri"]]
    (refused,) = chat_calls(fake)
    assert refused.path == "/xrpc/chat.bsky.convo.listConvos"
    # "Bad token method" is not a dead session: no refresh was spent on it
    assert xrpc(fake, "com.atproto.server.refreshSession") == []
    assert creds.access_token == plain_creds.access_token

    later = fake.add_reply(FAN_DID, post["uri"], "Still there?")
    again = provider.fetch_inbox(creds, BRAND_DID, cursor=page.cursor)
    assert [i.external_id for i in again.items] == [later["uri"]]
    assert len(chat_calls(fake)) == 1  # not asked again before dm_recheck_hours
    assert provider.account_facts(creds, BRAND_DID)["direct_messages"] is False

    rechecking = make_provider(fake, dm_recheck_hours=0)
    rechecking.fetch_inbox(creds, BRAND_DID, cursor=again.cursor)
    assert len(chat_calls(fake)) == 3  # the account_facts probe, then the recheck
    rechecking.http.close()


def test_the_fake_refuses_chat_without_the_proxy_header_or_the_privileged_scope(
    fake, provider, chat_creds, plain_creds
):
    url = f"{fake.pds_url}/xrpc/chat.bsky.convo.listConvos"
    bare = httpx.get(url, headers={"Authorization": f"Bearer {chat_creds.access_token}"})
    assert (bare.status_code, bare.json()["error"]) == (501, "MethodNotImplemented")
    plain = httpx.get(
        url,
        headers={
            "Authorization": f"Bearer {plain_creds.access_token}",
            "atproto-proxy": CHAT_PROXY,
        },
    )
    assert plain.status_code == 400
    assert plain.json() == {"error": "InvalidToken", "message": "Bad token method"}
    ok = httpx.get(
        url,
        headers={"Authorization": f"Bearer {chat_creds.access_token}", "atproto-proxy": CHAT_PROXY},
    )
    assert ok.status_code == 200 and ok.json() == {"convos": []}


def test_conversations_and_messages_are_paged_and_the_first_poll_reads_back_a_bounded_way(
    fake, settings, chat_creds
):
    settings.OUTBOUND_ALLOW_LOOPBACK = True
    provider = make_provider(fake, dm_backfill=120, dm_backfill_convos=2)
    fake.add_dm(OTHER_DID, "an old conversation")
    long = [fake.add_dm(FAN_DID, f"message {n}") for n in range(130)]

    # the first poll: the 2 latest conversations, each read back at most 120 messages
    first = provider.fetch_inbox(chat_creds, BRAND_DID)

    (listed,) = xrpc(fake, "chat.bsky.convo.listConvos")
    assert listed.q("limit") == "2"
    fan_reads = [
        r for r in xrpc(fake, "chat.bsky.convo.getMessages") if r.q("convoId") == long[0]["convoId"]
    ]
    assert len(fan_reads) == 2 and fan_reads[1].q("cursor")  # 100 a page
    texts = [i.text for i in dms(first)]
    assert texts == ["an old conversation", *[f"message {n}" for n in range(10, 130)]]

    # 52 new conversations later: listConvos is paged (50 a page) down to a known one
    senders = [f"did:plc:pager{n:02d}aaaaaaaaaaaaaaaaaa" for n in range(52)]
    for n, did in enumerate(senders):
        fake.add_dm(did, f"hello {n}")
    before = len(xrpc(fake, "chat.bsky.convo.listConvos"))
    second = provider.fetch_inbox(chat_creds, BRAND_DID, cursor=first.cursor)
    pages = xrpc(fake, "chat.bsky.convo.listConvos")[before:]
    assert len(pages) == 2 and not pages[0].q("cursor") and pages[1].q("cursor")
    assert sorted(i.text for i in second.items) == sorted(f"hello {n}" for n in range(52))

    # a later poll reads a moved conversation only down to what the cursor had
    fresh = [fake.add_dm(FAN_DID, f"again {n}") for n in range(3)]
    before = len(fake.requests)
    third = provider.fetch_inbox(chat_creds, BRAND_DID, cursor=second.cursor)
    assert [i.external_id for i in third.items] == [m["id"] for m in fresh]
    calls = [r.path.rsplit("/", 1)[1] for r in fake.requests[before:]]
    assert calls == ["app.bsky.notification.listNotifications", *CHAT_CALLS]
    provider.http.close()


def test_messages_the_account_deleted_for_itself_are_not_inbox_items(provider, fake, chat_creds):
    kept = fake.add_dm(FAN_DID, "Here is my address")
    gone = fake.add_dm(FAN_DID, "oops, wrong chat")
    fake.delete_dm_for(BRAND_DID, gone["convoId"], gone["id"])

    page = provider.fetch_inbox(chat_creds, BRAND_DID)

    assert [i.external_id for i in dms(page)] == [kept["id"]]
    raw = xrpc(fake, "chat.bsky.convo.getMessages")
    assert raw  # the deleted one was served, as a deletedMessageView, and skipped


def test_a_reply_to_a_dm_is_sent_to_its_conversation_with_send_message(provider, fake, chat_creds):
    incoming = fake.add_dm(FAN_DID, "Is the shop open today?")
    (item,) = dms(provider.fetch_inbox(chat_creds, BRAND_DID))

    sent_id = provider.reply(chat_creds, BRAND_DID, item, "Yes, until 9 pm!")

    (call,) = xrpc(fake, "chat.bsky.convo.sendMessage", "POST")
    assert call.headers["atproto-proxy"] == CHAT_PROXY
    assert call.json() == {"convoId": incoming["convoId"], "message": {"text": "Yes, until 9 pm!"}}
    convo = fake.convos[incoming["convoId"]]
    assert convo["messages"][-1]["id"] == sent_id
    assert convo["messages"][-1]["sender"] == BRAND_DID
    assert xrpc(fake, "com.atproto.repo.createRecord") == []  # not a post

    # an item that names no conversation finds the one with its sender first
    bare = InboxItem(external_id="x", kind="dm", text="hi", author_id=OTHER_DID)
    provider.reply(chat_creds, BRAND_DID, bare, "Hello Alice")
    (lookup,) = xrpc(fake, "chat.bsky.convo.getConvoForMembers")
    assert lookup.query["members"] == [OTHER_DID]
    assert fake.convo_between(BRAND_DID, OTHER_DID)["messages"][-1]["text"] == "Hello Alice"


def test_a_dm_reply_over_1000_graphemes_is_refused_before_sending(provider, fake, chat_creds):
    incoming = fake.add_dm(FAN_DID, "Tell me everything")
    item = InboxItem(
        external_id=incoming["id"],
        kind="dm",
        text="Tell me everything",
        author_id=FAN_DID,
        thread_id=incoming["convoId"],
    )
    with pytest.raises(ContentRejected, match="1,000"):
        provider.reply(chat_creds, BRAND_DID, item, "👍🏽" * 1001)
    assert xrpc(fake, "chat.bsky.convo.sendMessage") == []
    provider.reply(chat_creds, BRAND_DID, item, "👍🏽" * 1000)  # 1,000 graphemes, 2,000 code points
    assert fake.convos[incoming["convoId"]]["messages"][-1]["text"] == "👍🏽" * 1000


def test_a_dm_reply_without_dm_access_fails_with_a_clear_error(provider, fake, plain_creds):
    incoming = fake.add_dm(FAN_DID, "hello")
    item = InboxItem(
        external_id=incoming["id"],
        kind="dm",
        text="hello",
        author_id=FAN_DID,
        thread_id=incoming["convoId"],
    )
    with pytest.raises(ProviderError) as info:
        provider.reply(plain_creds, BRAND_DID, item, "hi")
    assert info.value.code == "ScopeMissing" and info.value.permanent
    assert "not allowed" in info.value.message
    assert fake.convos[incoming["convoId"]]["messages"][-1]["text"] == "hello"


def test_a_rate_limited_chat_call_holds_the_poll_back_but_other_chat_failures_do_not(
    provider, fake, chat_creds
):
    post = fake.seed_post(BRAND_DID, "Hello")
    comment = fake.add_reply(FAN_DID, post["uri"], "Hi!")
    fake.add_dm(FAN_DID, "psst")
    fake.fail_next(
        r"listConvos",
        429,
        {"error": "RateLimitExceeded", "message": "Rate Limit Exceeded"},
        headers={"ratelimit-reset": str(int(time.time()) + 30)},
    )
    with pytest.raises(RateLimited) as info:
        provider.fetch_inbox(chat_creds, BRAND_DID)
    assert 28 <= info.value.retry_after <= 30

    fake.fail_next(r"getMessages", 502, {"error": "UpstreamFailure", "message": "chat down"})
    page = provider.fetch_inbox(chat_creds, BRAND_DID)
    assert [i.external_id for i in page.items] == [comment["uri"]]  # comments still come
    recovered = provider.fetch_inbox(chat_creds, BRAND_DID, cursor=page.cursor)
    assert [i.text for i in recovered.items] == ["psst"]  # the DM state had not moved


def test_an_oauth_session_reads_chat_only_with_the_chat_scope(provider):
    with_chat = Credentials(
        access_token="t", scopes=("atproto", "transition:generic", "transition:chat.bsky")
    )
    without = Credentials(access_token="t", scopes=("atproto", "transition:generic"))
    assert provider.chat_access(with_chat) is True
    assert provider.chat_access(without) is False
