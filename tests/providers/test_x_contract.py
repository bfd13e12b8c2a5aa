"""Contract tests for the X (Twitter) API v2 connector against its loopback fake.

The fake follows the documented request and response shapes (API-NOTES.md §3, §11); the tests
assert on what the fake RECEIVED as well as on what the provider returned.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from datetime import UTC, date, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from channels_registry.providers import provider_class
from channels_registry.providers.base import (  # HttpClient via base: importing http first is circular
    Credentials,
    HttpClient,
    InboxItem,
    MediaItem,
    ProviderConfig,
    PublishRequest,
    WebhookRequest,
)
from channels_registry.providers.errors import (
    AuthExpired,
    ContentRejected,
    ProviderError,
    RateLimited,
    TransientError,
    UnknownOutcome,
)
from channels_registry.providers.x import XProvider
from tests.fakes.base import FakeRequest
from tests.fakes.x import FakeX, form_of, parse_multipart, query_of

REDIRECT = "https://socialops.example/oauth/x/callback"
VERIFIER = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"


@pytest.fixture(scope="module")
def _server():
    server = FakeX().start()
    yield server
    server.stop()


@pytest.fixture
def fake(_server):
    _server.reset()
    return _server


def make_provider(fake: FakeX, **extra) -> XProvider:
    return XProvider(
        ProviderConfig(
            client_id=fake.client_id,
            client_secret=fake.client_secret,
            urls={
                "api": fake.url,
                "auth": f"{fake.url}/i/oauth2/authorize",
                "token": f"{fake.url}/2/oauth2/token",
            },
            extra={"poll_interval": 0, "consumer_secret": fake.consumer_secret, **extra},
        )
    )


@pytest.fixture
def provider(fake, settings):
    settings.OUTBOUND_ALLOW_LOOPBACK = True
    return make_provider(fake)


@pytest.fixture
def creds(fake):
    access, refresh = fake.issue_token(fake.me_id)
    return Credentials(
        access_token=access,
        refresh_token=refresh,
        extra={"user_id": fake.me_id, "username": "socialops_hq"},
    )


def png(n: int = 64) -> MediaItem:
    blob = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * (n // 256 + 1)
    return MediaItem(
        kind="image",
        url="https://socialops.example/m/1.png",
        read=lambda: blob,
        mime_type="image/png",
        size_bytes=len(blob),
    )


def video(size: int = 2500, mime: str = "video/mp4", kind: str = "video") -> MediaItem:
    blob = bytes(i % 251 for i in range(size))
    return MediaItem(
        kind=kind,
        url="https://socialops.example/m/v.mp4",
        read=lambda: blob,
        mime_type=mime,
        size_bytes=size,
        duration_seconds=12.0 if kind == "video" else None,
        width=1280,
        height=720,
    )


def posts(fake: FakeX) -> list[FakeRequest]:
    return fake.requests_to("POST", r"^/2/tweets$")


def xa_signature(secret: str, payload: bytes) -> str:
    return (
        "sha256="
        + base64.b64encode(hmac.new(secret.encode(), payload, hashlib.sha256).digest()).decode()
    )


# --- registry and capabilities ------------------------------------------------------------------


def test_the_registry_resolves_x_to_this_provider_with_its_documented_limits():
    assert provider_class("x") is XProvider
    caps = XProvider.capabilities
    assert (caps.text_limit, caps.text_counting, caps.max_images, caps.max_videos) == (
        280,
        "weighted",
        4,
        1,
    )
    assert (
        caps.auth_kind == "oauth2_pkce"
        and caps.webhooks
        and caps.hide_comments
        and caps.first_comment
    )
    assert not (caps.stories or caps.reels or caps.async_publish or caps.mixed_media)
    assert caps.image.max_bytes == 5 * 1024 * 1024 and caps.video.max_seconds == 140
    assert XProvider.default_urls["token"] == "https://api.x.com/2/oauth2/token"
    assert XProvider.default_urls["auth"] == "https://x.com/i/oauth2/authorize"
    assert {"tweet.read", "tweet.write", "users.read", "offline.access", "media.write"} <= set(
        XProvider.default_scopes
    )


# --- OAuth ----------------------------------------------------------------------------------------


def test_the_pkce_challenge_is_the_rfc_7636_s256_value():
    assert XProvider.pkce_challenge(VERIFIER) == "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"


def test_the_authorization_url_asks_for_pkce_s256_and_the_documented_scopes(provider, fake):
    url = provider.authorization_url(redirect_uri=REDIRECT, state="st-1", code_verifier=VERIFIER)
    parts = urlsplit(url)
    q = {k: v[0] for k, v in parse_qs(parts.query).items()}
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == f"{fake.url}/i/oauth2/authorize"
    assert (
        q["response_type"] == "code" and q["client_id"] == fake.client_id and q["state"] == "st-1"
    )
    assert q["redirect_uri"] == REDIRECT
    assert (
        q["code_challenge"] == XProvider.pkce_challenge(VERIFIER)
        and q["code_challenge_method"] == "S256"
    )
    assert q["scope"].split() == list(XProvider.default_scopes)
    assert "%20" in parts.query  # scopes space-separated, percent-encoded


def test_the_authorization_url_needs_a_code_verifier(provider):
    with pytest.raises(ProviderError):
        provider.authorization_url(redirect_uri=REDIRECT, state="s")


def _authorize(provider: XProvider) -> str:
    url = provider.authorization_url(redirect_uri=REDIRECT, state="st-2", code_verifier=VERIFIER)
    answer = httpx.get(url, follow_redirects=False)
    assert answer.status_code == 302, answer.text
    location = parse_qs(urlsplit(answer.headers["location"]).query)
    assert location["state"] == ["st-2"]
    return location["code"][0]


def test_exchanging_the_code_returns_the_account_with_a_refresh_token(provider, fake):
    code = _authorize(provider)
    before = datetime.now(UTC)
    [account] = provider.exchange_code(code=code, redirect_uri=REDIRECT, code_verifier=VERIFIER)

    assert account.external_id == fake.me_id and account.handle == "socialops_hq"
    assert account.name == "SocialOps HQ" and account.url.endswith("/socialops_hq")
    creds = account.credentials
    assert creds.access_token in fake.tokens and creds.refresh_token in fake.refresh_tokens
    assert (
        timedelta(hours=1, minutes=59) < creds.expires_at - before <= timedelta(hours=2, seconds=5)
    )
    assert "offline.access" in creds.scopes and creds.extra["username"] == "socialops_hq"

    [token_call] = fake.requests_to("POST", r"^/2/oauth2/token$")
    expected_basic = base64.b64encode(f"{fake.client_id}:{fake.client_secret}".encode()).decode()
    assert token_call.headers["authorization"] == f"Basic {expected_basic}"
    assert token_call.headers["content-type"].startswith("application/x-www-form-urlencoded")
    form = form_of(token_call)
    assert form["grant_type"] == "authorization_code" and form["code"] == code
    assert form["code_verifier"] == VERIFIER and form["redirect_uri"] == REDIRECT
    [me_call] = fake.requests_to("GET", r"^/2/users/me$")
    assert me_call.bearer == creds.access_token


def test_a_code_with_the_wrong_verifier_is_refused_as_auth_expired(provider):
    code = _authorize(provider)
    with pytest.raises(AuthExpired) as err:
        provider.exchange_code(
            code=code, redirect_uri=REDIRECT, code_verifier="not-the-verifier-" + "x" * 30
        )
    assert "Value passed for the token was invalid" in err.value.message


def test_wrong_app_credentials_are_a_permanent_provider_error(fake, settings):
    settings.OUTBOUND_ALLOW_LOOPBACK = True
    provider = make_provider(fake)
    provider.config.client_secret = "wrong"
    with pytest.raises(ProviderError) as err:
        provider.exchange_code(code="c", redirect_uri=REDIRECT, code_verifier=VERIFIER)
    assert err.value.permanent and not isinstance(err.value, AuthExpired)
    assert "wrong" not in err.value.message


def test_refresh_returns_the_rotated_refresh_token_and_the_old_one_stops_working(
    provider, fake, creds
):
    fresh = provider.refresh(creds)
    assert fresh.access_token != creds.access_token and fresh.refresh_token != creds.refresh_token
    assert fresh.extra["username"] == "socialops_hq" and fresh.expires_at > datetime.now(UTC)
    form = form_of(fake.requests_to("POST", r"^/2/oauth2/token$")[-1])
    assert form == {
        "grant_type": "refresh_token",
        "refresh_token": creds.refresh_token,
        "client_id": fake.client_id,
    }
    assert provider.verify_credentials(fresh, fake.me_id).external_id == fake.me_id

    with pytest.raises(AuthExpired):
        provider.refresh(creds)  # the old refresh token was single-use


def test_refresh_without_a_refresh_token_raises_auth_expired(provider):
    with pytest.raises(AuthExpired):
        provider.refresh(Credentials(access_token="a"))


def test_verify_credentials_names_the_user_behind_the_token(provider, fake, creds):
    account = provider.verify_credentials(creds, fake.me_id)
    assert (account.external_id, account.handle) == (fake.me_id, "socialops_hq")
    with pytest.raises(AuthExpired):
        provider.verify_credentials(creds, "999")


def test_an_expired_token_raises_auth_expired_without_leaking_it(provider, fake, creds):
    fake.expire_token(creds.access_token)
    with pytest.raises(AuthExpired) as err:
        provider.verify_credentials(creds, fake.me_id)
    assert err.value.status == 401 and creds.access_token not in str(err.value)
    with pytest.raises(AuthExpired):
        provider.publish(creds, fake.me_id, PublishRequest(text="hello"))
    assert creds.access_token not in repr(creds)


# --- weighted counting ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "length"),
    [
        ("hello", 5),
        ("a" * 280, 280),
        ("https://example.com/a/very/long/path/that/is/longer/than/23?x=1", 23),
        ("read https://example.com/x, now", 33),
        ("see example.com.", 28),  # the final period is not part of the link
        (
            "foo.jp",
            23,
        ),  # a bare ccTLD domain is a link too (twitter-text's conformance, extract.yml)
        ("www.foo.jp", 23),
        ("mail bob@example.com", 20),
        ("日本語", 6),
        ("한국어", 6),
        ("café", 4),
        ("…", 2),  # outside the light ranges
        ("“quoted” – dash", 15),
        ("👍", 2),
        ("👍🏽", 2),
        ("👩‍👩‍👧‍👦", 2),
        ("🇯🇵🇫🇷", 4),
        ("1️⃣", 2),
    ],
)
def test_weighted_counting_follows_twitter_text(text, length):
    assert XProvider.count_text(text) == length


def test_text_over_280_weighted_characters_is_rejected_before_anything_is_sent(
    provider, fake, creds
):
    with pytest.raises(ContentRejected) as err:
        provider.publish(creds, fake.me_id, PublishRequest(text="字" * 141))
    assert "282" in err.value.message and "280" in err.value.message
    assert posts(fake) == []
    provider.publish(creds, fake.me_id, PublishRequest(text="字" * 140))  # 280 exactly goes out
    assert len(posts(fake)) == 1


# --- publishing ---------------------------------------------------------------------------------------


def test_publishing_text_creates_a_tweet_and_returns_its_permalink(provider, fake, creds):
    result = provider.publish(creds, fake.me_id, PublishRequest(text="Hello from SocialOps"))
    assert result.status == "published"
    assert result.url == f"https://x.com/socialops_hq/status/{result.external_id}"
    [call] = posts(fake)
    assert call.bearer == creds.access_token and call.json() == {"text": "Hello from SocialOps"}
    assert fake.tweets[result.external_id]["author_id"] == fake.me_id


def test_a_link_is_appended_to_the_text_and_counted_as_23(provider, fake, creds):
    # a real TLD: twitter-text (and X) never links a reserved one such as .example
    link = "https://socialops.com/blog/" + "x" * 200
    provider.publish(creds, fake.me_id, PublishRequest(text="a" * 255, link=link))
    assert posts(fake)[0].json()["text"] == "a" * 255 + "\n\n" + link
    provider.publish(creds, fake.me_id, PublishRequest(text=f"already has it {link}", link=link))
    assert posts(fake)[1].json()["text"] == f"already has it {link}"


def test_an_image_is_uploaded_as_multipart_tweet_image_and_attached_with_alt_text(
    provider, fake, creds
):
    image = png()
    image.alt_text = "A chart of Q3 sales"
    result = provider.publish(creds, fake.me_id, PublishRequest(text="Q3", media=[image]))

    [upload] = fake.requests_to("POST", r"^/2/media/upload$")
    assert upload.headers["content-type"].startswith("multipart/form-data")
    parts = parse_multipart(upload.headers, upload.body)
    assert parts["media"] == image.read() and parts["media_category"] == b"tweet_image"
    [media_id] = posts(fake)[0].json()["media"]["media_ids"]
    assert fake.media[media_id]["alt_text"] == "A chart of Q3 sales"
    [meta] = fake.requests_to("POST", r"^/2/media/metadata$")
    assert meta.json() == {
        "id": media_id,
        "metadata": {"alt_text": {"text": "A chart of Q3 sales"}},
    }
    assert fake.tweets[result.external_id]["attachments"]["media_keys"] == [
        fake.media[media_id]["media_key"]
    ]


def test_four_images_are_attached_in_order(provider, fake, creds):
    provider.publish(
        creds, fake.me_id, PublishRequest(text="album", media=[png(100 + i) for i in range(4)])
    )
    uploads = [
        parse_multipart(r.headers, r.body) for r in fake.requests_to("POST", r"^/2/media/upload$")
    ]
    assert [len(u["media"]) for u in uploads] == [len(png(100 + i).read()) for i in range(4)]
    media_ids = posts(fake)[0].json()["media"]["media_ids"]
    assert media_ids == sorted(media_ids, key=int) and len(media_ids) == 4


@pytest.mark.parametrize(
    "media",
    [
        [png() for _ in range(5)],
        [video(), png()],
        [video(), video()],
        [video(mime="image/gif", kind="image"), png()],
    ],
)
def test_media_combinations_x_does_not_allow_are_rejected_before_uploading(
    provider, fake, creds, media
):
    with pytest.raises(ContentRejected):
        provider.publish(creds, fake.me_id, PublishRequest(text="too much", media=media))
    assert fake.requests_to("POST", r"^/2/media") == [] and posts(fake) == []


def test_a_video_is_uploaded_in_chunks_and_polled_until_processing_succeeds(fake, creds, settings):
    settings.OUTBOUND_ALLOW_LOOPBACK = True
    provider = make_provider(fake, chunk_size=1000)
    clip = video(2500)
    result = provider.publish(creds, fake.me_id, PublishRequest(text="launch video", media=[clip]))

    [init] = fake.requests_to("POST", r"^/2/media/upload/initialize$")
    assert init.json() == {
        "media_type": "video/mp4",
        "total_bytes": 2500,
        "media_category": "tweet_video",
    }
    media_id = next(iter(fake.media))
    appends = fake.requests_to("POST", rf"^/2/media/upload/{media_id}/append$")
    segments = [parse_multipart(a.headers, a.body) for a in appends]
    assert [s["segment_index"] for s in segments] == [b"0", b"1", b"2"]
    assert b"".join(s["media"] for s in segments) == clip.read()
    assert len(fake.requests_to("POST", rf"^/2/media/upload/{media_id}/finalize$")) == 1
    polls = fake.requests_to("GET", r"^/2/media/upload$")
    assert len(polls) == fake.processing_polls + 1
    assert query_of(polls[0]) == {"command": "STATUS", "media_id": media_id}
    assert posts(fake)[0].json()["media"] == {"media_ids": [media_id]}
    assert result.status == "published"


def test_a_gif_goes_through_the_chunked_upload_as_tweet_gif(provider, fake, creds):
    provider.publish(
        creds, fake.me_id, PublishRequest(text="gif", media=[video(800, "image/gif", kind="image")])
    )
    [init] = fake.requests_to("POST", r"^/2/media/upload/initialize$")
    assert init.json()["media_category"] == "tweet_gif" and init.json()["media_type"] == "image/gif"
    assert len(posts(fake)) == 1


def test_a_video_that_fails_processing_is_rejected_with_xs_message_and_not_posted(
    provider, fake, creds
):
    fake.processing_error = "Unsupported video codec"
    with pytest.raises(ContentRejected) as err:
        provider.publish(creds, fake.me_id, PublishRequest(text="bad video", media=[video()]))
    assert "Unsupported video codec" in err.value.message
    assert posts(fake) == []


def test_the_fake_also_accepts_the_older_command_form_of_chunked_upload(fake):
    access, _ = fake.issue_token(fake.me_id)
    auth = {"Authorization": f"Bearer {access}"}
    with httpx.Client(base_url=fake.url, headers=auth) as client:
        init = client.post(
            "/2/media/upload",
            data={
                "command": "INIT",
                "media_type": "video/mp4",
                "total_bytes": "6",
                "media_category": "tweet_video",
            },
        )
        media_id = init.json()["data"]["id"]
        append = client.post(
            "/2/media/upload",
            data={"command": "APPEND", "media_id": media_id, "segment_index": "0"},
            files={"media": ("c", b"abcdef")},
        )
        final = client.post("/2/media/upload", data={"command": "FINALIZE", "media_id": media_id})
    assert (init.status_code, append.status_code, final.status_code) == (200, 200, 200)
    assert final.json()["data"]["processing_info"]["state"] == "pending"


def test_a_first_comment_is_posted_as_a_self_reply(provider, fake, creds):
    result = provider.publish(
        creds, fake.me_id, PublishRequest(text="Main post", first_comment="More in the thread")
    )
    main, comment = posts(fake)
    assert main.json() == {"text": "Main post"}
    assert comment.json() == {
        "text": "More in the thread",
        "reply": {"in_reply_to_tweet_id": result.external_id},
    }
    assert fake.tweets[result.first_comment_id]["conversation_id"] == result.external_id


def test_a_failed_first_comment_does_not_undo_the_published_post(provider, fake, creds):
    fake.reply_failure = (
        503,
        {"title": "Service Unavailable", "type": "about:blank", "status": 503},
    )
    result = provider.publish(
        creds, fake.me_id, PublishRequest(text="Post", first_comment="Thread")
    )
    assert result.status == "published" and result.external_id in fake.tweets
    assert result.first_comment_id == "" and "first_comment_error" in result.raw
    assert len(posts(fake)) == 2


def test_a_first_comment_over_the_limit_is_refused_before_the_post_goes_out(provider, fake, creds):
    with pytest.raises(ContentRejected):
        provider.publish(creds, fake.me_id, PublishRequest(text="Post", first_comment="x" * 281))
    assert posts(fake) == []


@pytest.mark.parametrize("fmt", ["story", "reel"])
def test_stories_and_reels_are_rejected(provider, fake, creds, fmt):
    with pytest.raises(ContentRejected):
        provider.publish(creds, fake.me_id, PublishRequest(text="s", format=fmt))
    assert posts(fake) == []


def test_a_duplicate_tweet_is_rejected_with_xs_message(provider, fake, creds):
    provider.publish(creds, fake.me_id, PublishRequest(text="same words"))
    with pytest.raises(ContentRejected) as err:
        provider.publish(creds, fake.me_id, PublishRequest(text="same words"))
    assert err.value.message == "You are not allowed to create a Tweet with duplicate content."
    assert err.value.status == 403 and err.value.permanent


def test_xs_own_length_refusal_is_reported_as_content_rejected(fake, creds, settings):
    settings.OUTBOUND_ALLOW_LOOPBACK = True
    provider = make_provider(fake, max_weighted_length=25000)  # e.g. a Premium account's long posts
    with pytest.raises(ContentRejected) as err:
        provider.publish(creds, fake.me_id, PublishRequest(text="x" * 300))
    assert err.value.status == 400 and err.value.message.startswith("Your Tweet text is too long.")


def test_delete_post_removes_the_tweet_and_deleting_again_is_harmless(provider, fake, creds):
    result = provider.publish(creds, fake.me_id, PublishRequest(text="to delete"))
    provider.delete_post(creds, fake.me_id, result.external_id)
    assert result.external_id not in fake.tweets
    [call] = fake.requests_to("DELETE", rf"^/2/tweets/{result.external_id}$")
    assert call.bearer == creds.access_token
    provider.delete_post(creds, fake.me_id, result.external_id)


# --- find_existing ---------------------------------------------------------------------------------


def test_find_existing_finds_an_earlier_attempt_despite_tco_links_and_escaping(
    provider, fake, creds
):
    since = datetime.now(UTC) - timedelta(minutes=1)
    request = PublishRequest(
        text="Fish & chips <today>",
        link="https://socialops.example/menu",
        first_comment="Open till 9",
    )
    published = provider.publish(creds, fake.me_id, request)
    stored = fake.tweets[published.external_id]["text"]
    assert "t.co" in stored and "&amp;" in stored  # X rewrites links and escapes entities

    found = provider.find_existing(creds, fake.me_id, request, since)
    assert found is not None and found.external_id == published.external_id
    assert found.first_comment_id == published.first_comment_id
    lookup = fake.requests_to("GET", rf"^/2/users/{fake.me_id}/tweets$")[-1]
    q = query_of(lookup)
    assert datetime.fromisoformat(q["start_time"]) <= since and q["max_results"] == "100"


def test_find_existing_matches_a_post_with_media_despite_the_trailing_media_link(
    provider, fake, creds
):
    since = datetime.now(UTC) - timedelta(minutes=1)
    request = PublishRequest(text="Photo day", media=[png()])
    published = provider.publish(creds, fake.me_id, request)
    assert fake.tweets[published.external_id]["text"].startswith("Photo day https://t.co/")
    assert (
        provider.find_existing(creds, fake.me_id, request, since).external_id
        == published.external_id
    )
    assert (
        provider.find_existing(creds, fake.me_id, PublishRequest(text="Photo day"), since) is None
    )


def test_find_existing_returns_none_when_nothing_matches_or_it_is_older(provider, fake, creds):
    fake.post_as(fake.me_id, "old words", created_at=datetime.now(UTC) - timedelta(hours=3))
    since = datetime.now(UTC) - timedelta(minutes=5)
    provider.publish(creds, fake.me_id, PublishRequest(text="other words"))
    assert (
        provider.find_existing(creds, fake.me_id, PublishRequest(text="never sent"), since) is None
    )
    assert (
        provider.find_existing(creds, fake.me_id, PublishRequest(text="old words"), since) is None
    )


# --- inbox ----------------------------------------------------------------------------------------------


def test_fetch_inbox_returns_mentions_comments_replies_and_dms_then_only_newer_items(
    provider, fake, creds
):
    fan = fake.add_user("fan_one", "Fan One")
    other = fake.add_user("fan_two", "Fan Two")
    ours = fake.post_as(fake.me_id, "Our launch post")
    mention = fake.post_as(fan, "Hey @socialops_hq, when is the sale?")
    comment = fake.post_as(fan, "Love it!", reply_to=ours)
    deep = fake.post_as(
        other, "Agreed with you", reply_to=comment
    )  # mentions fan only: found by search
    dm = fake.send_dm(fan, fake.me_id, "Can you DM me the code?")
    fake.send_dm(fake.me_id, fan, "Sure")  # our own message is not an inbox item

    page = provider.fetch_inbox(creds, fake.me_id)
    by_id = {i.external_id: i for i in page.items}
    assert set(by_id) == {mention, comment, deep, dm}
    assert by_id[mention].kind == "mention" and by_id[mention].author_handle == "fan_one"
    assert by_id[mention].permalink == f"https://x.com/fan_one/status/{mention}"
    assert by_id[comment].kind == "comment" and by_id[comment].post_external_id == ours
    assert by_id[comment].parent_external_id == ours
    assert by_id[deep].kind == "reply" and by_id[deep].parent_external_id == comment
    assert by_id[deep].author_name == "Fan Two" and by_id[deep].thread_id == ours
    assert by_id[dm].kind == "dm" and by_id[dm].thread_id == "-".join(
        sorted([fan, fake.me_id], key=int)
    )
    assert by_id[dm].text == "Can you DM me the code?" and by_id[dm].author_handle == "fan_one"
    assert page.cursor

    [mentions_call] = fake.requests_to("GET", rf"^/2/users/{fake.me_id}/mentions$")
    q = query_of(mentions_call)
    assert (
        "since_id" not in q and q["expansions"] == "author_id" and "created_at" in q["tweet.fields"]
    )
    [search] = fake.requests_to("GET", r"^/2/tweets/search/recent$")
    assert f"conversation_id:{ours}" in query_of(search)["query"]
    assert f"-from:{fake.me_id}" in query_of(search)["query"]
    [dms] = fake.requests_to("GET", r"^/2/dm_events$")
    assert query_of(dms)["event_types"] == "MessageCreate"

    # nothing new: nothing returned; then one new mention: only that one
    assert provider.fetch_inbox(creds, fake.me_id, page.cursor).items == []
    newer = fake.post_as(other, "@socialops_hq ping")
    later = provider.fetch_inbox(creds, fake.me_id, page.cursor)
    assert [i.external_id for i in later.items] == [newer]
    assert query_of(fake.requests_to("GET", rf"^/2/users/{fake.me_id}/mentions$")[-1])[
        "since_id"
    ] == max(mention, comment, key=int)


def test_fetch_inbox_follows_pagination_tokens(fake, creds, settings):
    settings.OUTBOUND_ALLOW_LOOPBACK = True
    provider = make_provider(fake, search_replies=False, direct_messages=False)
    fan = fake.add_user("chatty", "Chatty")
    ids = [fake.post_as(fan, f"@socialops_hq message {n}") for n in range(150)]
    page = provider.fetch_inbox(creds, fake.me_id)
    assert sorted(i.external_id for i in page.items) == sorted(ids)
    calls = fake.requests_to("GET", rf"^/2/users/{fake.me_id}/mentions$")
    assert len(calls) == 2 and query_of(calls[1])["pagination_token"]


def test_replying_to_a_mention_posts_a_reply_tweet(provider, fake, creds):
    fan = fake.add_user("fan_one", "Fan One")
    mention = fake.post_as(fan, "@socialops_hq hi")
    item = InboxItem(external_id=mention, kind="mention", text="hi", author_id=fan)
    reply_id = provider.reply(creds, fake.me_id, item, "Hello back!")
    assert posts(fake)[-1].json() == {
        "text": "Hello back!",
        "reply": {"in_reply_to_tweet_id": mention},
    }
    assert fake.tweets[reply_id]["in_reply_to_user_id"] == fan


def test_replying_to_a_dm_sends_it_to_the_conversation(provider, fake, creds):
    fan = fake.add_user("fan_one", "Fan One")
    fake.send_dm(fan, fake.me_id, "hello?")
    [item] = [i for i in provider.fetch_inbox(creds, fake.me_id).items if i.kind == "dm"]
    event_id = provider.reply(creds, fake.me_id, item, "Hi! How can we help?")
    [call] = fake.requests_to("POST", r"^/2/dm_conversations/")
    assert call.path == f"/2/dm_conversations/{item.thread_id}/messages"
    assert call.json() == {"text": "Hi! How can we help?"}
    assert any(e["id"] == event_id and e["sender_id"] == fake.me_id for e in fake.dm_events)


def test_replying_to_a_dm_without_a_conversation_uses_the_participant_endpoint(
    provider, fake, creds
):
    fan = fake.add_user("fan_one", "Fan One")
    item = InboxItem(external_id="1", kind="dm", text="hi", author_id=fan)
    provider.reply(creds, fake.me_id, item, "Hello")
    [call] = fake.requests_to("POST", r"^/2/dm_conversations/")
    assert call.path == f"/2/dm_conversations/with/{fan}/messages"


def test_hide_comment_puts_hidden_true_and_false(provider, fake, creds):
    fan = fake.add_user("troll", "Troll")
    ours = fake.post_as(fake.me_id, "Our post")
    rude = fake.post_as(fan, "rude words", reply_to=ours)
    provider.hide_comment(creds, fake.me_id, rude)
    assert fake.tweets[rude]["hidden"] is True
    provider.hide_comment(creds, fake.me_id, rude, hidden=False)
    assert fake.tweets[rude]["hidden"] is False
    calls = fake.requests_to("PUT", rf"^/2/tweets/{rude}/hidden$")
    assert [c.json() for c in calls] == [{"hidden": True}, {"hidden": False}]


def test_hiding_a_reply_outside_our_conversations_is_content_rejected(provider, fake, creds):
    fan = fake.add_user("fan_one", "Fan One")
    theirs = fake.post_as(fan, "their post")
    reply = fake.post_as(fake.add_user("b", "B"), "reply", reply_to=theirs)
    with pytest.raises(ContentRejected) as err:
        provider.hide_comment(creds, fake.me_id, reply)
    assert "conversations you started" in err.value.message


def test_delete_comment_deletes_our_own_reply_but_not_someone_elses(provider, fake, creds):
    fan = fake.add_user("fan_one", "Fan One")
    mention = fake.post_as(fan, "@socialops_hq hi")
    ours = provider.reply(
        creds,
        fake.me_id,
        InboxItem(external_id=mention, kind="mention", text="", author_id=fan),
        "Thanks!",
    )
    provider.delete_comment(creds, fake.me_id, ours)
    assert ours not in fake.tweets
    with pytest.raises(ContentRejected) as err:
        provider.delete_comment(creds, fake.me_id, mention)
    assert err.value.status == 403 and mention in fake.tweets


# --- metrics --------------------------------------------------------------------------------------------


def test_account_metrics_read_the_follower_count(provider, fake, creds):
    today = datetime.now(UTC).date()
    [row] = provider.fetch_account_metrics(creds, fake.me_id, today - timedelta(days=7), today)
    assert row.day == today and row.followers == 1234
    assert (
        query_of(fake.requests_to("GET", r"^/2/users/me$")[-1])["user.fields"] == "public_metrics"
    )
    assert (
        provider.fetch_account_metrics(creds, fake.me_id, date(2020, 1, 1), date(2020, 1, 2)) == []
    )


def test_post_metrics_map_public_and_non_public_counts(provider, fake, creds):
    recent = provider.publish(creds, fake.me_id, PublishRequest(text="metrics please")).external_id
    old = fake.post_as(fake.me_id, "an old post", created_at=datetime.now(UTC) - timedelta(days=45))
    fake.set_metrics(
        recent,
        public={
            "like_count": 7,
            "reply_count": 2,
            "retweet_count": 3,
            "quote_count": 1,
            "bookmark_count": 4,
            "impression_count": 90,
        },
        non_public={"impression_count": 100, "url_link_clicks": 5},
    )
    fake.set_metrics(old, public={"like_count": 1, "impression_count": 50})

    metrics = {
        m.external_id: m
        for m in provider.fetch_post_metrics(creds, fake.me_id, [recent, old, "123"])
    }
    m = metrics[recent]
    assert (m.impressions, m.likes, m.comments, m.shares, m.saves, m.clicks) == (100, 7, 2, 4, 4, 5)
    assert (
        metrics[old].impressions == 50 and metrics[old].likes == 1 and metrics[old].clicks is None
    )
    assert "123" not in metrics
    first, second = fake.requests_to("GET", r"^/2/tweets$")
    assert (
        "non_public_metrics" in query_of(first)["tweet.fields"]
        and old not in query_of(first)["ids"]
    )
    assert (
        "non_public_metrics" not in query_of(second)["tweet.fields"]
        and old in query_of(second)["ids"]
    )


def test_video_views_come_from_the_attached_media(provider, fake, creds):
    result = provider.publish(creds, fake.me_id, PublishRequest(text="watch", media=[video()]))
    fake.media[next(iter(fake.media))]["view_count"] = 321
    [m] = provider.fetch_post_metrics(creds, fake.me_id, [result.external_id])
    assert m.video_views == 321


# --- errors ---------------------------------------------------------------------------------------------


def test_a_429_with_a_reset_header_raises_rate_limited_with_seconds_until_reset(
    provider, fake, creds
):
    reset = int(time.time()) + 120
    fake.fail_next(
        r"^/2/tweets$",
        429,
        {
            "title": "Too Many Requests",
            "detail": "Too Many Requests",
            "type": "about:blank",
            "status": 429,
        },
        headers={
            "x-rate-limit-limit": "100",
            "x-rate-limit-remaining": "0",
            "x-rate-limit-reset": str(reset),
        },
    )
    with pytest.raises(RateLimited) as err:
        provider.publish(creds, fake.me_id, PublishRequest(text="hi"))
    assert 118 <= err.value.retry_after <= 121 and not err.value.permanent


def test_the_24_hour_user_cap_waits_for_its_own_reset(provider, fake, creds):
    now = int(time.time())
    fake.fail_next(
        r"^/2/tweets$",
        429,
        {"title": "Too Many Requests", "status": 429},
        headers={
            "x-rate-limit-reset": str(now + 60),
            "x-user-limit-24hour-limit": "17",
            "x-user-limit-24hour-remaining": "0",
            "x-user-limit-24hour-reset": str(now + 5000),
        },
    )
    with pytest.raises(RateLimited) as err:
        provider.publish(creds, fake.me_id, PublishRequest(text="hi"))
    assert 4998 <= err.value.retry_after <= 5001


def test_a_reset_in_the_past_still_waits_at_least_a_second(provider, fake, creds):
    fake.fail_next(
        r"^/2/users/me$",
        429,
        {"title": "Too Many Requests"},
        headers={"x-rate-limit-reset": str(int(time.time()) - 30)},
    )
    with pytest.raises(RateLimited) as err:
        provider.verify_credentials(creds, fake.me_id)
    assert err.value.retry_after == 1


def test_a_5xx_on_a_read_raises_transient_error(provider, fake, creds):
    fake.fail_next(r"/mentions$", 503, {"title": "Service Unavailable", "status": 503})
    with pytest.raises(TransientError) as err:
        provider.fetch_inbox(creds, fake.me_id)
    assert not isinstance(err.value, UnknownOutcome) and err.value.status == 503


def test_a_5xx_on_create_is_an_unknown_outcome_to_settle_with_find_existing(provider, fake, creds):
    fake.fail_next(r"^/2/tweets$", 503, {"title": "Service Unavailable", "status": 503})
    with pytest.raises(UnknownOutcome):
        provider.publish(creds, fake.me_id, PublishRequest(text="maybe"))


def test_a_malformed_answer_raises_transient_error(provider, fake, creds):
    fake.fail_next(r"^/2/users/me$", 200, mode="garbage")
    with pytest.raises(TransientError) as err:
        provider.verify_credentials(creds, fake.me_id)
    assert "not JSON" in err.value.message


def test_a_time_out_after_sending_a_post_is_an_unknown_outcome(fake, creds, settings):
    settings.OUTBOUND_ALLOW_LOOPBACK = True
    provider = XProvider(make_provider(fake).config, http=HttpClient(timeout=0.2))
    fake.fail_next(r"^/2/tweets$", 0, 0.5, mode="hang")
    with pytest.raises(UnknownOutcome):
        provider.publish(creds, fake.me_id, PublishRequest(text="did it go?"))


def test_a_bad_request_reports_xs_error_messages(provider, fake, creds):
    fake.fail_next(
        r"^/2/tweets$",
        400,
        {
            "errors": [
                {"parameters": {"media.media_ids": ["1"]}, "message": "Your media IDs are invalid."}
            ],
            "title": "Invalid Request",
            "detail": "One or more parameters to your request was invalid.",
            "type": "https://api.twitter.com/2/problems/invalid-request",
        },
    )
    with pytest.raises(ContentRejected) as err:
        provider.publish(creds, fake.me_id, PublishRequest(text="x"))
    assert err.value.message == "Your media IDs are invalid."


def test_an_app_without_the_needed_access_level_is_a_permanent_error_not_rejected_content(
    provider, fake, creds
):
    fake.fail_next(
        r"^/2/tweets$",
        403,
        {
            "client_id": "1",
            "detail": "When authenticating requests to the Twitter API v2 endpoints, you must use "
            "keys and tokens from a Twitter developer App that is attached to a Project.",
            "title": "Client Forbidden",
            "reason": "client-not-enrolled",
            "type": "https://api.twitter.com/2/problems/client-forbidden",
        },
    )
    with pytest.raises(ProviderError) as err:
        provider.publish(creds, fake.me_id, PublishRequest(text="x"))
    assert err.value.permanent and not isinstance(err.value, ContentRejected)
    assert err.value.code == "client_forbidden"


# --- webhooks (Account Activity) -----------------------------------------------------------------------


def test_the_crc_challenge_is_answered_with_the_hmac_of_the_token(provider, fake):
    request = WebhookRequest(
        method="GET", headers={}, query={"crc_token": "challenge-123"}, body=b""
    )
    status, content_type, body = provider.webhook_handshake(request)
    assert (status, content_type) == (200, "application/json")
    assert json.loads(body) == {
        "response_token": xa_signature(fake.consumer_secret, b"challenge-123")
    }
    assert provider.webhook_handshake(WebhookRequest("GET", {}, {}, b"")) is None


def test_the_webhook_secret_defaults_to_the_client_secret(fake, settings):
    provider = XProvider(ProviderConfig(client_id="id", client_secret="the-secret"))
    payload = b'{"for_user_id":"1"}'
    good = WebhookRequest(
        "POST", {"x-twitter-webhooks-signature": xa_signature("the-secret", payload)}, {}, payload
    )
    assert provider.verify_webhook(good)


def test_a_correctly_signed_webhook_verifies_and_a_tampered_one_does_not(provider, fake):
    payload = json.dumps({"for_user_id": fake.me_id, "tweet_create_events": []}).encode()
    signature = xa_signature(fake.consumer_secret, payload)
    assert provider.verify_webhook(
        WebhookRequest("POST", {"x-twitter-webhooks-signature": signature}, {}, payload)
    )
    assert not provider.verify_webhook(
        WebhookRequest("POST", {"x-twitter-webhooks-signature": signature}, {}, payload + b" ")
    )
    assert not provider.verify_webhook(WebhookRequest("POST", {}, {}, payload))
    assert not provider.verify_webhook(
        WebhookRequest(
            "POST", {"x-twitter-webhooks-signature": xa_signature("other", payload)}, {}, payload
        )
    )


def test_parse_webhook_turns_tweet_and_dm_events_into_inbox_items(provider, fake):
    me = fake.me_id
    payload = {
        "for_user_id": me,
        "tweet_create_events": [
            {
                "created_at": "Wed Oct 10 20:19:24 +0000 2018",
                "id": 1050118621198921728,
                "id_str": "1050118621198921728",
                "text": "@socialops_hq Fish &amp; chips?",
                "in_reply_to_status_id_str": "1050118621198921700",
                "in_reply_to_user_id_str": me,
                "user": {"id_str": "2244994945", "name": "Fan", "screen_name": "fan"},
            },
            {
                "id_str": "1050118621198921999",
                "text": "our own post",
                "user": {"id_str": me, "name": "Us", "screen_name": "socialops_hq"},
            },
        ],
        "direct_message_events": [
            {
                "type": "message_create",
                "id": "954491830116155396",
                "created_timestamp": "1516403560557",
                "message_create": {
                    "target": {"recipient_id": me},
                    "sender_id": "3001969357",
                    "message_data": {"text": "Hello World!"},
                },
            },
        ],
        "users": {"3001969357": {"id": "3001969357", "name": "Jordan", "screen_name": "jordan"}},
    }
    events = provider.parse_webhook(WebhookRequest("POST", {}, {}, json.dumps(payload).encode()))
    inbox = [e for e in events if e.kind == "inbox_item"]
    assert all(e.account_external_id == me for e in events) and len(events) == 3
    tweet, dm = inbox[0].item, inbox[1].item
    assert (tweet.external_id, tweet.kind, tweet.author_handle) == (
        "1050118621198921728",
        "comment",
        "fan",
    )
    assert tweet.text == "@socialops_hq Fish & chips?" and tweet.created_at == datetime(
        2018, 10, 10, 20, 19, 24, tzinfo=UTC
    )
    assert tweet.parent_external_id == "1050118621198921700"
    assert (dm.kind, dm.text, dm.author_id, dm.author_handle) == (
        "dm",
        "Hello World!",
        "3001969357",
        "jordan",
    )
    assert dm.thread_id == "-".join(sorted([me, "3001969357"], key=int))
    assert [e.kind for e in events if e.kind != "inbox_item"] == ["other"]


def test_a_revoked_grant_arrives_as_deauthorized(provider):
    payload = {
        "for_user_id": "42",
        "user_event": {
            "revoke": {
                "date_time": "2018-05-24T09:48:12+00:00",
                "target": {"app_id": "13090192"},
                "source": {"user_id": "42"},
            }
        },
    }
    [event] = provider.parse_webhook(WebhookRequest("POST", {}, {}, json.dumps(payload).encode()))
    assert (event.kind, event.account_external_id) == ("deauthorized", "42")


def test_like_comment_likes_and_unlikes_as_the_account(provider, fake, creds):
    assert XProvider.capabilities.like_comments and "like.write" in XProvider.default_scopes
    fan = fake.add_user("fan_like", "Fan")
    ours = fake.post_as(fake.me_id, "Our post")
    kind = fake.post_as(fan, "love it", reply_to=ours)
    provider.like_comment(creds, fake.me_id, kind)
    [call] = fake.requests_to("POST", rf"^/2/users/{fake.me_id}/likes$")
    assert call.json() == {"tweet_id": kind}
    assert fake.tweets[kind]["liked_by"] == {fake.me_id}
    provider.like_comment(creds, fake.me_id, kind, liked=False)
    assert fake.requests_to("DELETE", rf"^/2/users/{fake.me_id}/likes/{kind}$")
    assert fake.tweets[kind]["liked_by"] == set()


def test_liking_a_missing_tweet_is_a_provider_error(provider, fake, creds):
    with pytest.raises(ProviderError):
        provider.like_comment(creds, fake.me_id, "999999999")
