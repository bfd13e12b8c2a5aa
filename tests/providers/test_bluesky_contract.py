"""Contract tests for the Bluesky connector against the loopback AT Protocol fake.

They assert on what the fake received (XRPC paths, hosts, bearer tokens, record bodies) as well as
on results, so a drift from the documented API fails here.
"""

from __future__ import annotations

import io
import random
import re
import time
from datetime import UTC, date, datetime, timedelta

import pytest
from PIL import Image

from channels_registry.providers.base import (
    InboxItem,
    MediaItem,
    ProviderConfig,
    PublishRequest,
    WebhookRequest,
)
from channels_registry.providers.bluesky import BlueskyProvider, tid_for_key
from channels_registry.providers.errors import (
    AuthExpired,
    ContentRejected,
    ProviderError,
    RateLimited,
    TransientError,
    UnknownOutcome,
)
from tests.fakes.bluesky import (
    APP_PASSWORD,
    BRAND_DID,
    BRAND_HANDLE,
    FAN_DID,
    FAN_HANDLE,
    OTHER_DID,
    OTHER_HANDLE,
    BlueskyFake,
)

TID = re.compile(r"^[234567abcdefghij][234567abcdefghijklmnopqrstuvwxyz]{12}$")


# --- fixtures -------------------------------------------------------------------------------------------


@pytest.fixture
def fake():
    server = BlueskyFake().start()
    yield server
    server.stop()


def make_provider(fake: BlueskyFake, http=None, **extra) -> BlueskyProvider:
    config = ProviderConfig(
        urls=fake.provider_urls(), extra={"poll_interval": 0, "video_poll_timeout": 2, **extra}
    )
    return BlueskyProvider(config, http=http)


@pytest.fixture
def provider(fake, settings):
    settings.OUTBOUND_ALLOW_LOOPBACK = True
    p = make_provider(fake)
    yield p
    p.http.close()


@pytest.fixture
def account(provider):
    return provider.login_with_app_password(BRAND_HANDLE, APP_PASSWORD)


@pytest.fixture
def creds(account):
    return account.credentials


def xrpc(fake: BlueskyFake, nsid: str, method: str | None = None):
    return [
        r
        for r in fake.requests
        if r.path == f"/xrpc/{nsid}" and (method is None or r.method == method)
    ]


def created(fake: BlueskyFake, collection: str = "app.bsky.feed.post"):
    return [
        r.json()
        for r in xrpc(fake, "com.atproto.repo.createRecord")
        if r.json()["collection"] == collection
    ]


def png(width: int, height: int, *, noisy: bool = False) -> bytes:
    if noisy:
        rng = random.Random(7)
        img = Image.frombytes("RGB", (width, height), rng.randbytes(width * height * 3))
    else:
        img = Image.new("RGB", (width, height), (200, 30, 30))
    buf = io.BytesIO()
    img.save(buf, "PNG")
    return buf.getvalue()


def jpeg(width: int, height: int) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (width, height), (10, 120, 200)).save(buf, "JPEG")
    return buf.getvalue()


def image(data: bytes, mime: str = "image/png", alt: str = "") -> MediaItem:
    return MediaItem(
        kind="image",
        url="https://media.socialops.example/m/1",
        read=lambda: data,
        mime_type=mime,
        alt_text=alt,
    )


# --- connection ----------------------------------------------------------------------------------------------


def test_bluesky_connects_with_atproto_oauth_or_an_app_password(provider):
    # The OAuth flow itself is covered in test_bluesky_oauth.py.
    assert provider.capabilities.auth_kind == "atproto"
    with pytest.raises(ProviderError, match="handle"):
        provider.authorization_url(redirect_uri="https://app.example/cb", state="s")
    with pytest.raises(ProviderError, match="not started here"):
        provider.exchange_code(code="c", redirect_uri="https://app.example/cb")


def test_logging_in_with_an_app_password_returns_the_account_with_its_did_and_pds(provider, fake):
    account = provider.login_with_app_password("@" + BRAND_HANDLE, APP_PASSWORD)

    # handle → DID → DID document → its PDS, where the session is opened
    assert [r.path for r in fake.requests[:3]] == [
        f"/handle-wellknown/{BRAND_HANDLE}/.well-known/atproto-did",
        "/xrpc/com.atproto.identity.resolveHandle",
        f"/{BRAND_DID}",
    ]
    (login,) = xrpc(fake, "com.atproto.server.createSession", "POST")
    assert login.json() == {"identifier": BRAND_HANDLE, "password": APP_PASSWORD}
    assert login.headers["host"] == fake.pds_url.split("://")[1]  # the PDS the DID document names
    assert account.external_id == BRAND_DID
    assert account.handle == BRAND_HANDLE
    assert account.name == "Brand Co"
    assert account.avatar_url.endswith("brand.jpg")
    assert account.url == f"https://bsky.app/profile/{BRAND_HANDLE}"
    creds = account.credentials
    assert creds.extra["did"] == BRAND_DID
    assert creds.extra["pds_url"] == fake.pds_url  # from the DID document's #atproto_pds service
    assert creds.extra["service_url"] == fake.pds_url
    assert creds.scopes == ("com.atproto.appPass",)
    assert account.extra["app_password"] is True
    # expiry read from the JWT's exp claim
    assert (
        timedelta(hours=1, minutes=59) < creds.expires_at - datetime.now(UTC) <= timedelta(hours=2)
    )
    assert creds.refresh_expires_at - datetime.now(UTC) > timedelta(days=89)
    (profile,) = xrpc(fake, "app.bsky.actor.getProfile")
    assert profile.headers["host"] == fake.pds_url.split("://")[1]  # the PDS, not the entryway
    assert profile.bearer == creds.access_token
    assert profile.q("actor") == BRAND_DID
    assert creds.access_token not in repr(creds)


def test_a_wrong_app_password_raises_auth_expired_with_a_clear_message(provider, fake):
    with pytest.raises(AuthExpired) as info:
        provider.login_with_app_password(BRAND_HANDLE, "wrong-pass-word")
    assert info.value.message == "Bluesky did not accept that handle and app password."
    assert info.value.permanent is True
    assert "wrong-pass-word" not in str(info.value)


def test_a_throttled_login_raises_rate_limited(provider, fake):
    fake.fail_next(
        r"createSession",
        429,
        {"error": "RateLimitExceeded", "message": "Rate Limit Exceeded"},
        headers={
            "ratelimit-limit": "30",
            "ratelimit-remaining": "0",
            "ratelimit-reset": str(int(time.time()) + 120),
            "ratelimit-policy": "30;w=300",
        },
    )
    with pytest.raises(RateLimited) as info:
        provider.login_with_app_password(BRAND_HANDLE, APP_PASSWORD)
    assert 118 <= info.value.retry_after <= 120


def test_refresh_sends_the_refresh_jwt_to_the_pds_and_returns_new_tokens(provider, fake, creds):
    fresh = provider.refresh(creds)

    (call,) = xrpc(fake, "com.atproto.server.refreshSession", "POST")
    assert call.bearer == creds.refresh_token
    assert call.headers["host"] == fake.pds_url.split("://")[1]  # where the session was opened
    assert fresh.access_token != creds.access_token
    assert fresh.refresh_token != creds.refresh_token
    assert fresh.expires_at is not None
    assert fresh.extra["pds_url"] == fake.pds_url
    assert fresh.extra["did"] == BRAND_DID
    # The used refresh token still works during the PDS's two-hour grace period and hands out a
    # token with the same id (rotateRefreshToken), so two workers refreshing at once both go on ...
    again = provider.refresh(creds)
    assert claims(again.refresh_token)["jti"] == claims(fresh.refresh_token)["jti"]
    # ... and past the grace period it is refused: the person must sign in again.
    fake.refresh_grace = 0
    with pytest.raises(AuthExpired) as info:
        provider.refresh(creds)
    assert info.value.code == "ExpiredToken"
    assert provider.refresh(fresh).access_token  # the rotated token is the one to keep


def claims(jwt: str) -> dict:
    import base64
    import json

    part = jwt.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))


def test_verify_credentials_asks_the_pds_who_the_session_is(provider, fake, creds):
    account = provider.verify_credentials(creds, BRAND_DID)
    (call,) = xrpc(fake, "com.atproto.server.getSession", "GET")
    assert call.bearer == creds.access_token
    assert call.headers["host"] == fake.pds_url.split("://")[1]
    assert account.external_id == BRAND_DID
    assert account.handle == BRAND_HANDLE


def test_a_token_that_does_not_verify_and_a_refused_refresh_raise_auth_expired(
    provider, fake, creds
):
    # The PDS answers 400 InvalidToken for a token it cannot verify (auth-verifier.ts verifyBearerJwt);
    # the connector then tries the refresh token once, and only its refusal is final.
    creds.access_token = "not-a-token"
    creds.refresh_token = "not-a-refresh-token"
    with pytest.raises(AuthExpired) as info:
        provider.fetch_inbox(creds, BRAND_DID)
    assert info.value.code == "InvalidToken"
    assert info.value.status == 400
    (inbox,) = xrpc(fake, "app.bsky.notification.listNotifications")
    assert inbox.bearer == "not-a-token"
    assert [r.bearer for r in xrpc(fake, "com.atproto.server.refreshSession")] == [
        "not-a-refresh-token"
    ]


# --- publishing ----------------------------------------------------------------------------------------------


def test_publishing_text_creates_a_post_record_under_a_tid_from_the_idempotency_key(
    provider, fake, creds
):
    result = provider.publish(
        creds, BRAND_DID, PublishRequest(text="Hello Bluesky", idempotency_key="attempt-1")
    )

    (call,) = xrpc(fake, "com.atproto.repo.createRecord", "POST")
    assert call.bearer == creds.access_token
    assert call.headers["host"] == fake.pds_url.split("://")[1]
    body = call.json()
    rkey = tid_for_key("attempt-1")
    assert TID.match(rkey)
    assert body["repo"] == BRAND_DID
    assert body["collection"] == "app.bsky.feed.post"
    assert body["rkey"] == rkey
    record = body["record"]
    assert record["$type"] == "app.bsky.feed.post"
    assert record["text"] == "Hello Bluesky"
    assert re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$", record["createdAt"])
    assert "facets" not in record and "embed" not in record
    assert result.status == "published"
    assert result.external_id == f"at://{BRAND_DID}/app.bsky.feed.post/{rkey}"
    assert result.url == f"https://bsky.app/profile/{BRAND_HANDLE}/post/{rkey}"
    assert result.raw["cid"] == fake.posts_of()[rkey]["cid"]


def test_links_mentions_and_hashtags_get_facets_with_utf8_byte_offsets(provider, fake, creds):
    text = (
        f"Café ☕ news https://example.com/a?b=1. Hi @{OTHER_HANDLE} and @nobody.example.org "
        "#Launch2025! (https://example.org/x)"
    )
    provider.publish(creds, BRAND_DID, PublishRequest(text=text, idempotency_key="facets"))

    record = created(fake)[0]["record"]
    encoded = text.encode("utf-8")
    spans = [
        (encoded[f["index"]["byteStart"] : f["index"]["byteEnd"]].decode(), f["features"][0])
        for f in record["facets"]
    ]
    assert spans == [
        (
            "https://example.com/a?b=1",
            {"$type": "app.bsky.richtext.facet#link", "uri": "https://example.com/a?b=1"},
        ),
        (f"@{OTHER_HANDLE}", {"$type": "app.bsky.richtext.facet#mention", "did": OTHER_DID}),
        ("#Launch2025", {"$type": "app.bsky.richtext.facet#tag", "tag": "Launch2025"}),
        (
            "https://example.org/x",
            {"$type": "app.bsky.richtext.facet#link", "uri": "https://example.org/x"},
        ),
    ]
    mentions = [r for r in xrpc(fake, "com.atproto.identity.resolveHandle", "GET") if r.bearer]
    resolved = sorted(r.q("handle") for r in mentions)
    assert resolved == [OTHER_HANDLE, "nobody.example.org"]  # the unknown one stays plain text


def test_a_link_post_carries_an_external_card_with_title_description_and_thumb(
    provider, fake, creds
):
    fake.pages["article.html"] = (
        "text/html; charset=utf-8",
        (
            b"<html><head><title>Fallback</title>"
            b'<meta property="og:title" content="Spring menu">'
            b'<meta property="og:description" content="Twelve new dishes">'
            b'<meta property="og:image" content="/web/og.jpg"></head><body>x</body></html>'
        ),
    )
    fake.pages["og.jpg"] = ("image/jpeg", jpeg(1200, 630))
    link = f"{fake.url}/web/article.html"

    provider.publish(
        creds,
        BRAND_DID,
        PublishRequest(text="Our spring menu is here", link=link, idempotency_key="link-1"),
    )

    (upload,) = xrpc(fake, "com.atproto.repo.uploadBlob", "POST")
    assert upload.headers["content-type"] == "image/jpeg"
    assert upload.body == fake.pages["og.jpg"][1]
    record = created(fake)[0]["record"]
    assert record["text"] == "Our spring menu is here"
    external = record["embed"]["external"]
    assert record["embed"]["$type"] == "app.bsky.embed.external"
    assert external["uri"] == link
    assert external["title"] == "Spring menu"
    assert external["description"] == "Twelve new dishes"
    assert external["thumb"]["$type"] == "blob"
    assert external["thumb"]["mimeType"] == "image/jpeg"


def test_a_link_card_without_a_readable_page_still_goes_out(provider, fake, creds):
    link = f"{fake.url}/web/missing.html"
    provider.publish(
        creds, BRAND_DID, PublishRequest(text=f"See {link}", link=link, idempotency_key="link-2")
    )
    record = created(fake)[0]["record"]
    assert record["embed"]["external"] == {"uri": link, "title": link, "description": ""}
    assert record["facets"][0]["features"][0]["uri"] == link


def test_images_are_uploaded_as_blobs_with_alt_text_and_aspect_ratio(provider, fake, creds):
    first, second = png(1200, 675), jpeg(1080, 1350)
    request = PublishRequest(
        text="Two pictures",
        idempotency_key="img-2",
        media=[
            image(first, "image/png", alt="A red square"),
            image(second, "image/jpeg", alt="A blue portrait"),
        ],
    )
    provider.publish(creds, BRAND_DID, request)

    uploads = xrpc(fake, "com.atproto.repo.uploadBlob", "POST")
    assert [(u.headers["content-type"], u.body) for u in uploads] == [
        ("image/png", first),
        ("image/jpeg", second),
    ]
    assert all(u.bearer == creds.access_token for u in uploads)
    embed = created(fake)[0]["record"]["embed"]
    assert embed["$type"] == "app.bsky.embed.images"
    assert [(i["alt"], i["aspectRatio"]) for i in embed["images"]] == [
        ("A red square", {"width": 1200, "height": 675}),
        ("A blue portrait", {"width": 1080, "height": 1350}),
    ]
    assert embed["images"][0]["image"]["ref"]["$link"] in fake.blobs


def test_an_image_over_one_megabyte_is_reencoded_as_jpeg_under_the_limit(provider, fake, creds):
    big = png(800, 800, noisy=True)
    assert len(big) > 1_000_000
    provider.publish(
        creds, BRAND_DID, PublishRequest(text="Noise", idempotency_key="big", media=[image(big)])
    )

    (upload,) = xrpc(fake, "com.atproto.repo.uploadBlob", "POST")
    assert upload.headers["content-type"] == "image/jpeg"
    assert len(upload.body) <= 1_000_000
    with Image.open(io.BytesIO(upload.body)) as img:
        size = img.size
    ratio = created(fake)[0]["record"]["embed"]["images"][0]["aspectRatio"]
    assert (ratio["width"], ratio["height"]) == size
    assert ratio["width"] == ratio["height"]


def test_a_link_with_images_is_kept_in_the_text_since_a_post_has_one_embed(provider, fake, creds):
    link = "https://brand.example/menu"
    provider.publish(
        creds,
        BRAND_DID,
        PublishRequest(
            text="New menu", link=link, idempotency_key="img-link", media=[image(png(40, 30))]
        ),
    )
    record = created(fake)[0]["record"]
    assert record["text"] == f"New menu\n\n{link}"
    assert record["embed"]["$type"] == "app.bsky.embed.images"
    assert record["facets"][0]["features"][0] == {
        "$type": "app.bsky.richtext.facet#link",
        "uri": link,
    }
    assert not [r for r in fake.requests if r.path.startswith("/web/")]


def test_four_images_fit_in_one_post_but_five_are_refused_before_any_upload(provider, fake, creds):
    pic = png(100, 100)
    provider.publish(
        creds,
        BRAND_DID,
        PublishRequest(text="Four", idempotency_key="four", media=[image(pic) for _ in range(4)]),
    )
    assert len(created(fake)[0]["record"]["embed"]["images"]) == 4
    uploads_before = len(xrpc(fake, "com.atproto.repo.uploadBlob"))
    with pytest.raises(ContentRejected, match="at most 4 images"):
        provider.publish(
            creds,
            BRAND_DID,
            PublishRequest(
                text="Five", idempotency_key="five", media=[image(pic) for _ in range(5)]
            ),
        )
    assert len(xrpc(fake, "com.atproto.repo.uploadBlob")) == uploads_before


def video(data: bytes = b"\x00\x00\x00\x18ftypmp42" + bytes(4000), **kw) -> MediaItem:
    defaults = {
        "kind": "video",
        "url": "https://media.socialops.example/v/clip.mp4",
        "read": lambda: data,
        "mime_type": "video/mp4",
        "width": 1920,
        "height": 1080,
        "duration_seconds": 12.0,
        "alt_text": "A short clip",
    }
    return MediaItem(**{**defaults, **kw})


def test_a_video_is_processed_by_the_video_service_and_embedded(provider, fake, creds):
    clip = video()
    result = provider.publish(
        creds, BRAND_DID, PublishRequest(text="Watch", idempotency_key="vid", media=[clip])
    )

    limits_auth, upload_auth = xrpc(fake, "com.atproto.server.getServiceAuth", "GET")
    assert (limits_auth.q("aud"), limits_auth.q("lxm")) == (
        "did:web:video.bsky.app",
        "app.bsky.video.getUploadLimits",
    )
    pds_host = fake.pds_url.split("://")[1].replace(":", "%3A")
    assert (upload_auth.q("aud"), upload_auth.q("lxm")) == (
        f"did:web:{pds_host}",
        "com.atproto.repo.uploadBlob",
    )
    assert 0 < int(upload_auth.q("exp")) - time.time() <= 1800
    (upload,) = xrpc(fake, "app.bsky.video.uploadVideo", "POST")
    assert upload.q("did") == BRAND_DID
    assert upload.q("name") == "clip.mp4"
    assert upload.headers["content-type"] == "video/mp4"
    assert upload.bearer != creds.access_token and upload.bearer in fake.service_tokens
    assert upload.body == clip.read()
    assert len(xrpc(fake, "app.bsky.video.getJobStatus", "GET")) == 2
    assert not xrpc(fake, "com.atproto.repo.uploadBlob")
    embed = created(fake)[0]["record"]["embed"]
    assert embed["$type"] == "app.bsky.embed.video"
    assert embed["video"]["mimeType"] == "video/mp4"
    assert embed["alt"] == "A short clip"
    assert embed["aspectRatio"] == {"width": 1920, "height": 1080}
    assert result.status == "published"


def test_a_failed_video_job_raises_content_rejected_with_the_service_message(provider, fake, creds):
    fake.video_fail = {
        "error": "video processing error for job",
        "message": "Failed to process video",
        "failureCode": "encoding_failure",
    }
    with pytest.raises(ContentRejected, match="Failed to process video"):
        provider.publish(
            creds,
            BRAND_DID,
            PublishRequest(text="Watch", idempotency_key="vid-bad", media=[video()]),
        )
    assert not created(fake)


def test_the_daily_video_limit_is_checked_before_uploading(provider, fake, creds):
    fake.upload_limits = {
        "canUpload": False,
        "remainingDailyVideos": 0,
        "remainingDailyBytes": 0,
        "message": "You have reached your daily video upload limit",
    }
    with pytest.raises(ContentRejected, match="daily video upload limit"):
        provider.publish(
            creds,
            BRAND_DID,
            PublishRequest(text="Watch", idempotency_key="vid-lim", media=[video()]),
        )
    assert not xrpc(fake, "app.bsky.video.uploadVideo")


def test_a_video_can_be_uploaded_as_a_plain_blob_when_configured(fake, settings):
    settings.OUTBOUND_ALLOW_LOOPBACK = True
    provider = make_provider(fake, video_upload="blob")
    creds = provider.login_with_app_password(BRAND_HANDLE, APP_PASSWORD).credentials
    provider.publish(
        creds, BRAND_DID, PublishRequest(text="Watch", idempotency_key="vid-blob", media=[video()])
    )
    (upload,) = xrpc(fake, "com.atproto.repo.uploadBlob", "POST")
    assert upload.headers["content-type"] == "video/mp4"
    assert created(fake)[0]["record"]["embed"]["video"]["ref"]["$link"] in fake.blobs
    assert not xrpc(fake, "app.bsky.video.uploadVideo")


def test_videos_beyond_the_documented_limits_are_refused_before_uploading(provider, fake, creds):
    with pytest.raises(ContentRejected, match="3 minutes"):
        provider.publish(
            creds, BRAND_DID, PublishRequest(text="Long", media=[video(duration_seconds=181)])
        )
    with pytest.raises(ContentRejected, match="MP4"):
        provider.publish(
            creds, BRAND_DID, PublishRequest(text="Mov", media=[video(mime_type="video/quicktime")])
        )
    with pytest.raises(ContentRejected, match="either images or one video"):
        provider.publish(
            creds, BRAND_DID, PublishRequest(text="Mix", media=[video(), image(png(10, 10))])
        )
    assert not [r for r in fake.requests if "video" in r.path or "uploadBlob" in r.path]


def test_a_first_comment_is_posted_as_a_reply_to_the_new_post(provider, fake, creds):
    result = provider.publish(
        creds,
        BRAND_DID,
        PublishRequest(text="Main post", first_comment="Details below", idempotency_key="fc"),
    )
    post, comment = created(fake)
    ref = {"uri": result.external_id, "cid": result.raw["cid"]}
    assert comment["record"]["reply"] == {"root": ref, "parent": ref}
    assert comment["record"]["text"] == "Details below"
    assert comment["rkey"] == tid_for_key("fc:first-comment")
    assert result.first_comment_id == f"at://{BRAND_DID}/app.bsky.feed.post/{comment['rkey']}"
    again = provider.publish(
        creds,
        BRAND_DID,
        PublishRequest(text="Main post", first_comment="Details below", idempotency_key="fc"),
    )
    assert (again.external_id, again.first_comment_id) == (
        result.external_id,
        result.first_comment_id,
    )
    assert len(created(fake)) == 2


def test_stories_and_reels_are_refused(provider, creds):
    with pytest.raises(ContentRejected):
        provider.publish(creds, BRAND_DID, PublishRequest(text="x", format="story"))


def test_text_is_counted_in_graphemes_and_over_300_is_refused_before_anything_is_sent(
    provider, fake, creds
):
    flags = "🇫🇷" * 300  # 600 code points, 300 graphemes
    provider.publish(creds, BRAND_DID, PublishRequest(text=flags, idempotency_key="flags"))
    assert created(fake)[0]["record"]["text"] == flags
    with pytest.raises(ContentRejected, match="300"):
        provider.publish(
            creds,
            BRAND_DID,
            PublishRequest(text="a" * 301, idempotency_key="long", media=[image(png(10, 10))]),
        )
    assert len(created(fake)) == 1
    assert not xrpc(fake, "com.atproto.repo.uploadBlob")


@pytest.mark.parametrize(
    ("text", "graphemes"),
    [
        ("hello", 5),
        ("👨\u200d👩\u200d👧\u200d👦", 1),  # ZWJ family
        ("👍🏽", 1),  # skin tone
        ("🇫🇷🇩🇪", 2),  # flags
        ("e\u0301", 1),  # combining accent
        ("क्ष", 1),  # Devanagari conjunct
        ("\r\n", 1),
        ("한국어", 3),
        ("❤️", 1),  # variation selector
    ],
)
def test_graphemes_are_counted_like_bluesky_counts_them(text, graphemes):
    assert BlueskyProvider.count_text(text) == graphemes


def test_the_network_message_is_kept_when_bluesky_rejects_the_content(provider, fake, creds):
    message = "Invalid app.bsky.feed.post record: Record/embed/images/0/image file too large. 1000000 bytes maximum"
    fake.fail_next(r"createRecord", 400, {"error": "InvalidRequest", "message": message})
    with pytest.raises(ContentRejected) as info:
        provider.publish(creds, BRAND_DID, PublishRequest(text="x", idempotency_key="rejected"))
    assert info.value.message == message
    assert info.value.code == "InvalidRequest"
    assert (
        len(xrpc(fake, "com.atproto.repo.getRecord")) == 1
    )  # the pre-check only: a refusal needs no lookup


def test_rerunning_an_attempt_returns_its_post_without_uploading_or_writing_again(
    provider, fake, creds
):
    request = PublishRequest(
        text="Only once", idempotency_key="same-key", media=[image(png(20, 20))]
    )
    first = provider.publish(creds, BRAND_DID, request)
    second = provider.publish(creds, BRAND_DID, request)

    assert second.external_id == first.external_id
    assert second.raw.get("existing") is True
    assert len(fake.posts_of()) == 1
    assert len(created(fake)) == 1
    assert len(xrpc(fake, "com.atproto.repo.uploadBlob")) == 1
    lookups = xrpc(fake, "com.atproto.repo.getRecord", "GET")
    assert [(r.q("collection"), r.q("rkey")) for r in lookups] == [
        ("app.bsky.feed.post", tid_for_key("same-key"))
    ] * 2


def test_a_racing_second_write_with_the_same_key_collides_and_returns_the_first_post(
    provider, fake, creds
):
    request = PublishRequest(text="Only once", idempotency_key="race")
    first = provider.publish(creds, BRAND_DID, request)
    # the second attempt's pre-check misses the first (it was still in flight), so it writes too
    fake.fail_next(
        r"getRecord", 400, {"error": "RecordNotFound", "message": "Could not locate record"}
    )
    second = provider.publish(creds, BRAND_DID, request)

    assert second.external_id == first.external_id
    assert second.raw.get("existing") is True
    assert [c["rkey"] for c in created(fake)] == [
        tid_for_key("race")
    ] * 2  # the PDS refused the duplicate
    assert len(fake.posts_of()) == 1


def test_a_5xx_on_publish_raises_transient_error_after_checking_the_repo(provider, fake, creds):
    fake.fail_next(
        r"createRecord", 502, {"error": "UpstreamFailure", "message": "Upstream Failure"}
    )
    with pytest.raises(TransientError) as info:
        provider.publish(creds, BRAND_DID, PublishRequest(text="x", idempotency_key="k502"))
    assert info.value.status == 502
    pre_check, lookup = xrpc(fake, "com.atproto.repo.getRecord", "GET")
    assert fake.requests.index(pre_check) < fake.requests.index(
        xrpc(fake, "com.atproto.repo.createRecord")[0]
    )
    assert fake.requests.index(lookup) > fake.requests.index(
        xrpc(fake, "com.atproto.repo.createRecord")[0]
    )
    assert (lookup.q("repo"), lookup.q("collection"), lookup.q("rkey")) == (
        BRAND_DID,
        "app.bsky.feed.post",
        tid_for_key("k502"),
    )


def test_a_publish_that_times_out_is_unknown_and_settled_by_find_existing(fake, settings):
    from channels_registry.http import HttpClient  # after the providers package (import cycle)

    settings.OUTBOUND_ALLOW_LOOPBACK = True
    provider = make_provider(fake, http=HttpClient(timeout=0.2))
    creds = provider.login_with_app_password(BRAND_HANDLE, APP_PASSWORD).credentials
    fake.fail_next(r"createRecord", mode="hang", body=0.5)
    request = PublishRequest(text="Maybe", idempotency_key="hang")
    with pytest.raises(UnknownOutcome):
        provider.publish(creds, BRAND_DID, request)
    assert (
        provider.find_existing(
            creds, BRAND_DID, request, since=datetime.now(UTC) - timedelta(minutes=5)
        )
        is None
    )


def test_find_existing_looks_the_post_up_by_the_rkey_of_its_idempotency_key(provider, fake, creds):
    request = PublishRequest(text="Findable", idempotency_key="find-me")
    published = provider.publish(creds, BRAND_DID, request)
    since = datetime.now(UTC) - timedelta(minutes=5)

    found = provider.find_existing(creds, BRAND_DID, request, since=since)
    assert found is not None
    assert found.external_id == published.external_id
    assert found.url == published.url
    lookup = xrpc(fake, "com.atproto.repo.getRecord", "GET")[-1]
    assert lookup.q("rkey") == tid_for_key("find-me")
    assert lookup.bearer == creds.access_token
    assert (
        provider.find_existing(
            creds, BRAND_DID, PublishRequest(text="Findable", idempotency_key="other"), since=since
        )
        is None
    )


def test_find_existing_without_a_key_scans_recent_posts_for_the_text(provider, fake, creds):
    fake.seed_post(BRAND_DID, "Something else")
    published = provider.publish(creds, BRAND_DID, PublishRequest(text="No key here"))
    found = provider.find_existing(
        creds,
        BRAND_DID,
        PublishRequest(text="No key here"),
        since=datetime.now(UTC) - timedelta(minutes=5),
    )
    assert found is not None and found.external_id == published.external_id
    call = xrpc(fake, "com.atproto.repo.listRecords", "GET")[0]
    assert (call.q("repo"), call.q("collection")) == (BRAND_DID, "app.bsky.feed.post")


def test_find_existing_stops_at_a_short_page_although_the_pds_always_sends_a_cursor(
    provider, fake, creds
):
    fake.seed_post(BRAND_DID, "Something else")
    assert (
        provider.find_existing(
            creds,
            BRAND_DID,
            PublishRequest(text="Never sent"),
            since=datetime.now(UTC) - timedelta(days=30),
        )
        is None
    )
    (call,) = xrpc(fake, "com.atproto.repo.listRecords", "GET")
    assert call.q("limit") == "100"


def test_empty_media_is_refused_before_uploading_since_the_pds_would_store_it(
    provider, fake, creds
):
    with pytest.raises(ContentRejected, match="empty"):
        provider.publish(
            creds,
            BRAND_DID,
            PublishRequest(text="Blank", idempotency_key="blank", media=[image(b"")]),
        )
    assert not xrpc(fake, "com.atproto.repo.uploadBlob") and not fake.posts_of()


def test_an_image_the_pds_would_take_but_bluesky_would_not_show_is_fitted_under_one_megabyte(
    provider, fake, creds
):
    # The PDS validates image blobs against the lexicon only (2,000,000 bytes now, nothing in older
    # versions): an image of 1.0-2.0 MB would be written; the connector keeps it under 1,000,000.
    big = png(700, 700, noisy=True)
    assert 1_000_000 < len(big) <= 2_000_000
    provider.publish(
        creds, BRAND_DID, PublishRequest(text="Fits", idempotency_key="fits", media=[image(big)])
    )
    (upload,) = xrpc(fake, "com.atproto.repo.uploadBlob", "POST")
    assert len(upload.body) <= 1_000_000
    blob = created(fake)[0]["record"]["embed"]["images"][0]["image"]
    assert blob["size"] == len(upload.body) and blob["mimeType"] == "image/jpeg"


def test_delete_post_deletes_the_record(provider, fake, creds):
    published = provider.publish(
        creds, BRAND_DID, PublishRequest(text="Short-lived", idempotency_key="del")
    )
    provider.delete_post(creds, BRAND_DID, published.external_id)
    (call,) = xrpc(fake, "com.atproto.repo.deleteRecord", "POST")
    assert call.json() == {
        "repo": BRAND_DID,
        "collection": "app.bsky.feed.post",
        "rkey": tid_for_key("del"),
    }
    assert not fake.posts_of()
    with pytest.raises(ContentRejected):
        provider.delete_post(creds, BRAND_DID, f"at://{FAN_DID}/app.bsky.feed.post/3kabcdefghijk")


# --- engagement -------------------------------------------------------------------------------------------------


def seed_conversation(fake: BlueskyFake):
    post = fake.seed_post(BRAND_DID, "Our announcement")
    comment = fake.add_reply(FAN_DID, post["uri"], "Love it!")
    nested = fake.add_reply(OTHER_DID, comment["uri"], "Me too")
    fake.add_like(FAN_DID, post["uri"])  # not an inbox item
    mention = fake.add_mention(OTHER_DID, f"Hey @{BRAND_HANDLE} what time do you open?")
    quote = fake.add_quote(FAN_DID, post["uri"], "This!")
    return post, comment, nested, mention, quote


def test_fetch_inbox_returns_replies_mentions_and_quotes_and_a_cursor_for_newer_items(
    provider, fake, creds
):
    post, comment, nested, mention, quote = seed_conversation(fake)

    page = provider.fetch_inbox(creds, BRAND_DID)

    (call,) = xrpc(fake, "app.bsky.notification.listNotifications", "GET")
    assert call.query["reasons"] == ["reply", "mention", "quote"]
    assert call.bearer == creds.access_token
    by_id = {i.external_id: i for i in page.items}
    assert list(by_id) == [
        quote["uri"],
        mention["uri"],
        nested["uri"],
        comment["uri"],
    ]  # newest first
    item = by_id[comment["uri"]]
    assert (item.kind, item.text, item.author_id, item.author_handle, item.author_name) == (
        "comment",
        "Love it!",
        FAN_DID,
        FAN_HANDLE,
        "A Fan",
    )
    assert item.post_external_id == post["uri"]
    assert item.parent_external_id == post["uri"]
    assert item.thread_id == post["uri"]
    assert (
        item.permalink
        == f"https://bsky.app/profile/{FAN_HANDLE}/post/{comment['uri'].rsplit('/', 1)[1]}"
    )
    assert item.created_at is not None
    assert item.raw["cid"] == comment["cid"]
    assert (
        by_id[nested["uri"]].kind,
        by_id[nested["uri"]].post_external_id,
        by_id[nested["uri"]].parent_external_id,
    ) == ("reply", post["uri"], comment["uri"])
    assert by_id[mention["uri"]].kind == "mention"
    assert (by_id[quote["uri"]].kind, by_id[quote["uri"]].post_external_id) == (
        "mention",
        post["uri"],
    )
    assert page.cursor

    again = provider.fetch_inbox(creds, BRAND_DID, cursor=page.cursor)
    assert again.items == []
    assert xrpc(fake, "app.bsky.notification.listNotifications")[-1].q("seenAt")

    newer = fake.add_reply(FAN_DID, post["uri"], "One more thing")
    latest = provider.fetch_inbox(creds, BRAND_DID, cursor=again.cursor)
    assert [i.external_id for i in latest.items] == [newer["uri"]]
    assert provider.fetch_inbox(creds, BRAND_DID, cursor=latest.cursor).items == []


def test_fetch_inbox_pages_back_through_the_network_cursor_only_as_far_as_needed(
    provider, fake, creds
):
    post = fake.seed_post(BRAND_DID, "Popular")
    for n in range(130):
        fake.add_reply(FAN_DID, post["uri"], f"reply {n}")
    first = provider.fetch_inbox(creds, BRAND_DID)
    assert len(first.items) == 130
    calls = xrpc(fake, "app.bsky.notification.listNotifications")
    assert len(calls) == 2 and calls[1].q("cursor")

    for n in range(3):
        fake.add_reply(FAN_DID, post["uri"], f"late {n}")
    later = provider.fetch_inbox(creds, BRAND_DID, cursor=first.cursor)
    assert [i.text for i in later.items] == ["late 2", "late 1", "late 0"]
    assert len(xrpc(fake, "app.bsky.notification.listNotifications")) == 3


def test_reply_sends_root_and_parent_strong_refs(provider, fake, creds):
    post, comment, nested, _, _ = seed_conversation(fake)
    items = {i.external_id: i for i in provider.fetch_inbox(creds, BRAND_DID).items}

    reply_id = provider.reply(creds, BRAND_DID, items[nested["uri"]], f"Thanks @{FAN_HANDLE}!")

    body = created(fake)[-1]
    assert body["repo"] == BRAND_DID
    assert body["record"]["reply"] == {
        "root": {"uri": post["uri"], "cid": post["cid"]},
        "parent": {"uri": nested["uri"], "cid": nested["cid"]},
    }
    assert body["record"]["facets"][0]["features"][0] == {
        "$type": "app.bsky.richtext.facet#mention",
        "did": FAN_DID,
    }
    assert reply_id.startswith(f"at://{BRAND_DID}/app.bsky.feed.post/")
    assert fake.get(reply_id) is not None


def test_reply_looks_the_post_up_when_the_item_carries_no_cid(provider, fake, creds):
    post = fake.seed_post(BRAND_DID, "Question time")
    comment = fake.add_reply(FAN_DID, post["uri"], "When?")
    item = InboxItem(external_id=comment["uri"], kind="comment", text="When?", author_id=FAN_DID)
    provider.reply(creds, BRAND_DID, item, "Tomorrow")
    assert xrpc(fake, "app.bsky.feed.getPosts")[0].query["uris"] == [comment["uri"]]
    assert created(fake)[-1]["record"]["reply"]["root"] == {"uri": post["uri"], "cid": post["cid"]}


def test_a_reply_to_a_deleted_post_is_refused_before_anything_is_written(provider, fake, creds):
    # The PDS itself would write it (it checks the record's shape only), so the connector asks first.
    post = fake.seed_post(BRAND_DID, "Question time")
    comment = fake.add_reply(FAN_DID, post["uri"], "When?")
    item = InboxItem(
        external_id=comment["uri"],
        kind="comment",
        text="When?",
        author_id=FAN_DID,
        raw={"cid": comment["cid"], "record": comment["value"]},
    )
    fake.posts_of(FAN_DID).pop(comment["uri"].rsplit("/", 1)[1])  # the fan deleted it meanwhile
    with pytest.raises(ContentRejected, match="no longer exists") as info:
        provider.reply(creds, BRAND_DID, item, "Tomorrow")
    assert info.value.code == "ParentDeleted"
    assert not created(fake)


def test_hiding_a_reply_writes_it_into_the_root_posts_threadgate(provider, fake, creds):
    post, comment, nested, _, _ = seed_conversation(fake)
    rkey = post["uri"].rsplit("/", 1)[1]

    provider.hide_comment(creds, BRAND_DID, comment["uri"])
    (gate,) = created(fake, "app.bsky.feed.threadgate")
    assert gate["rkey"] == rkey
    assert gate["record"]["post"] == post["uri"]
    assert gate["record"]["hiddenReplies"] == [comment["uri"]]
    assert "allow" not in gate["record"]  # anyone may still reply

    first_cid = fake.records(BRAND_DID, "app.bsky.feed.threadgate")[rkey]["cid"]
    provider.hide_comment(creds, BRAND_DID, nested["uri"])
    put = xrpc(fake, "com.atproto.repo.putRecord", "POST")[-1].json()
    assert put["swapRecord"] == first_cid
    current = fake.records(BRAND_DID, "app.bsky.feed.threadgate")[rkey]
    assert current["value"]["hiddenReplies"] == [comment["uri"], nested["uri"]]

    provider.hide_comment(creds, BRAND_DID, comment["uri"], hidden=False)
    assert fake.records(BRAND_DID, "app.bsky.feed.threadgate")[rkey]["value"]["hiddenReplies"] == [
        nested["uri"]
    ]


def test_hiding_keeps_the_existing_reply_rules_and_uses_compare_and_swap(provider, fake, creds):
    post = fake.seed_post(BRAND_DID, "Followers only")
    rkey = post["uri"].rsplit("/", 1)[1]
    gate = fake._store(
        BRAND_DID,
        "app.bsky.feed.threadgate",
        rkey,
        {
            "$type": "app.bsky.feed.threadgate",
            "post": post["uri"],
            "createdAt": "2025-01-01T00:00:00.000Z",
            "allow": [{"$type": "app.bsky.feed.threadgate#followerRule"}],
        },
    )
    comment = fake.add_reply(FAN_DID, post["uri"], "spam spam")

    provider.hide_comment(creds, BRAND_DID, comment["uri"])

    (put,) = xrpc(fake, "com.atproto.repo.putRecord", "POST")
    body = put.json()
    assert body["swapRecord"] == gate["cid"]
    assert body["rkey"] == rkey
    assert body["record"]["allow"] == [{"$type": "app.bsky.feed.threadgate#followerRule"}]
    assert body["record"]["createdAt"] == "2025-01-01T00:00:00.000Z"
    assert body["record"]["hiddenReplies"] == [comment["uri"]]


def test_replies_in_other_peoples_threads_and_non_replies_cannot_be_hidden(provider, fake, creds):
    theirs = fake.seed_post(FAN_DID, "Fan post")
    reply = fake.add_reply(OTHER_DID, theirs["uri"], "reply in the fan's thread")
    with pytest.raises(ContentRejected, match="author of a thread"):
        provider.hide_comment(creds, BRAND_DID, reply["uri"])
    mention = fake.add_mention(OTHER_DID, f"hi @{BRAND_HANDLE}")
    with pytest.raises(ContentRejected, match="Only replies"):
        provider.hide_comment(creds, BRAND_DID, mention["uri"])
    assert not xrpc(fake, "com.atproto.repo.createRecord") and not xrpc(
        fake, "com.atproto.repo.putRecord"
    )


def test_our_own_replies_can_be_deleted_but_others_cannot(provider, fake, creds):
    post, comment, _, _, _ = seed_conversation(fake)
    items = {i.external_id: i for i in provider.fetch_inbox(creds, BRAND_DID).items}
    ours = provider.reply(creds, BRAND_DID, items[comment["uri"]], "Thank you")

    provider.delete_comment(creds, BRAND_DID, ours)
    (call,) = xrpc(fake, "com.atproto.repo.deleteRecord", "POST")
    assert call.json() == {
        "repo": BRAND_DID,
        "collection": "app.bsky.feed.post",
        "rkey": ours.rsplit("/", 1)[1],
    }
    assert fake.get(ours) is None

    with pytest.raises(ContentRejected, match="hide the reply instead"):
        provider.delete_comment(creds, BRAND_DID, comment["uri"])
    assert len(xrpc(fake, "com.atproto.repo.deleteRecord")) == 1


# --- metrics ------------------------------------------------------------------------------------------------------


def test_post_metrics_come_from_get_posts(provider, fake, creds):
    published = provider.publish(
        creds, BRAND_DID, PublishRequest(text="Measured", idempotency_key="m")
    )
    fake.add_reply(FAN_DID, published.external_id, "nice")
    fake.counts[published.external_id] = {
        "likeCount": 10,
        "repostCount": 3,
        "quoteCount": 2,
        "bookmarkCount": 4,
    }

    (metrics,) = provider.fetch_post_metrics(creds, BRAND_DID, [published.external_id])

    assert (
        metrics.external_id,
        metrics.likes,
        metrics.comments,
        metrics.shares,
        metrics.saves,
    ) == (published.external_id, 10, 1, 5, 4)
    assert metrics.impressions is None
    (call,) = xrpc(fake, "app.bsky.feed.getPosts", "GET")
    assert call.query["uris"] == [published.external_id]


def test_post_metrics_are_fetched_25_uris_at_a_time(provider, fake, creds):
    uris = [fake.seed_post(BRAND_DID, f"p{n}")["uri"] for n in range(30)]
    assert len(provider.fetch_post_metrics(creds, BRAND_DID, uris)) == 30
    assert [len(c.query["uris"]) for c in xrpc(fake, "app.bsky.feed.getPosts")] == [25, 5]


def test_account_metrics_report_todays_followers_from_get_profile(provider, fake, creds):
    today = datetime.now(UTC).date()
    (day,) = provider.fetch_account_metrics(creds, BRAND_DID, today - timedelta(days=7), today)
    assert (day.day, day.followers) == (today, 1234)
    assert xrpc(fake, "app.bsky.actor.getProfile")[-1].q("actor") == BRAND_DID
    assert (
        provider.fetch_account_metrics(creds, BRAND_DID, date(2020, 1, 1), date(2020, 1, 31)) == []
    )


# --- errors --------------------------------------------------------------------------------------------------------


def test_a_429_with_ratelimit_reset_raises_rate_limited_with_the_right_retry_after(
    provider, fake, creds
):
    fake.fail_next(
        r"createRecord",
        429,
        {"error": "RateLimitExceeded", "message": "Rate Limit Exceeded"},
        headers={
            "ratelimit-limit": "5000",
            "ratelimit-remaining": "0",
            "ratelimit-reset": str(int(time.time()) + 42),
            "ratelimit-policy": "5000;w=3600",
        },
    )
    with pytest.raises(RateLimited) as info:
        provider.publish(creds, BRAND_DID, PublishRequest(text="x", idempotency_key="rl"))
    assert 40 <= info.value.retry_after <= 42
    assert info.value.code == "RateLimitExceeded"


def test_a_5xx_on_a_read_raises_transient_error(provider, fake, creds):
    fake.fail_next(
        r"listNotifications", 503, {"error": "NotEnoughResources", "message": "try later"}
    )
    with pytest.raises(TransientError) as info:
        provider.fetch_inbox(creds, BRAND_DID)
    assert info.value.status == 503


def test_a_malformed_answer_raises_transient_error(provider, fake, creds):
    post = fake.seed_post(BRAND_DID, "x")
    fake.fail_next(r"getPosts", 200, mode="garbage")
    with pytest.raises(TransientError, match="not JSON"):
        provider.fetch_post_metrics(creds, BRAND_DID, [post["uri"]])
    fake.fail_next(r"getPosts", 502, mode="garbage")
    with pytest.raises(TransientError):
        provider.fetch_post_metrics(creds, BRAND_DID, [post["uri"]])


# --- capabilities and webhooks ---------------------------------------------------------------------------------------


def test_capabilities_describe_bluesky_limits():
    caps = BlueskyProvider.capabilities
    assert (caps.text_limit, caps.text_counting) == (300, "graphemes")
    assert caps.image.max_bytes == 1_000_000
    assert caps.max_images == 4
    assert caps.video.max_bytes == 100_000_000 and caps.video.max_seconds == 180
    assert caps.video.mime_types == ("video/mp4",)
    assert caps.hide_comments is True and caps.delete_comments is False
    assert caps.webhooks is False and caps.direct_messages is True
    assert BlueskyProvider.default_urls["api"] == "https://bsky.social"


def test_bluesky_pushes_no_webhooks(provider):
    request = WebhookRequest(method="POST", headers={}, query={}, body=b"{}")
    assert provider.webhook_handshake(request) is None
    assert provider.verify_webhook(request) is False
    assert provider.parse_webhook(request) == []


def test_liking_a_reply_creates_a_like_record_and_unliking_deletes_it(provider, fake, creds):
    assert BlueskyProvider.capabilities.like_comments
    post, comment, _, _, _ = seed_conversation(fake)
    provider.like_comment(creds, BRAND_DID, comment["uri"])
    (like,) = created(fake, "app.bsky.feed.like")
    assert like["repo"] == BRAND_DID
    assert like["record"]["subject"] == {"uri": comment["uri"], "cid": comment["cid"]}
    assert like["record"]["$type"] == "app.bsky.feed.like" and like["record"]["createdAt"]
    assert len(fake.records(BRAND_DID, "app.bsky.feed.like")) == 1
    provider.like_comment(creds, BRAND_DID, comment["uri"])  # already liked: nothing new
    assert len(created(fake, "app.bsky.feed.like")) == 1
    provider.like_comment(creds, BRAND_DID, comment["uri"], liked=False)
    (deleted,) = xrpc(fake, "com.atproto.repo.deleteRecord", "POST")
    assert deleted.json()["collection"] == "app.bsky.feed.like"
    assert fake.records(BRAND_DID, "app.bsky.feed.like") == {}


def test_liking_a_deleted_post_is_content_rejected(provider, fake, creds):
    with pytest.raises(ContentRejected, match="no longer exists"):
        provider.like_comment(creds, BRAND_DID, f"at://{FAN_DID}/app.bsky.feed.post/3kabcdefghij2")
