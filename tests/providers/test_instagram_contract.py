"""Contract tests for the Instagram connector against the loopback Graph API fake (API-NOTES §2, §11)."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest

from channels_registry.providers.base import (
    Credentials,
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
from channels_registry.providers.instagram import InstagramProvider
from tests.fakes.meta import MetaGraphFake

IG = MetaGraphFake.IG_ID


@pytest.fixture
def fake(settings):
    settings.OUTBOUND_ALLOW_LOOPBACK = True
    server = MetaGraphFake().start()
    yield server
    server.stop()


def make_provider(fake: MetaGraphFake, **extra) -> InstagramProvider:
    # Instagram Login's hosts answer as "localhost" so tests can tell which host was called.
    ig_host = fake.url.replace("127.0.0.1", "localhost")
    urls = {
        "api": fake.url,
        "auth": fake.url,
        "token": fake.url,
        "ig_api": ig_host,
        "ig_auth": ig_host,
        "ig_token": ig_host,
    }
    config = ProviderConfig(
        client_id=fake.CLIENT_ID,
        client_secret=fake.CLIENT_SECRET,
        urls=urls,
        extra={"verify_token": "verify-me", "poll_interval": 0, **extra},
    )
    return InstagramProvider(config)


@pytest.fixture
def ig(fake):
    return make_provider(fake)


@pytest.fixture
def creds():
    """Facebook Login: the token of the Page the Instagram account is linked to."""
    return Credentials(
        access_token=MetaGraphFake.PAGE_TOKEN,
        extra={
            "login": "facebook",
            "ig_user_id": IG,
            "page_id": MetaGraphFake.PAGE_ID,
            "username": "alphafoods",
        },
    )


@pytest.fixture
def ig_login_creds():
    return Credentials(
        access_token=MetaGraphFake.IG_LOGIN_TOKEN,
        expires_at=datetime.now(UTC) + timedelta(days=50),
        extra={"login": "instagram", "ig_user_id": IG, "username": "alphafoods"},
    )


def last(fake: MetaGraphFake, method: str, path_regex: str):
    found = fake.requests_to(method, path_regex)
    assert found, f"no {method} {path_regex} reached the fake"
    return found[-1]


def body_of(request) -> dict:
    return json.loads(request.body)


def image(
    fake: MetaGraphFake, name: str = "a.jpg", w: int = 1080, h: int = 1350, alt: str = ""
) -> MediaItem:
    return MediaItem(kind="image", url=fake.add_image(name, w, h), width=w, height=h, alt_text=alt)


def video(fake: MetaGraphFake, name: str = "v.mp4") -> MediaItem:
    return MediaItem(
        kind="video", url=fake.add_video(name), mime_type="video/mp4", duration_seconds=12
    )


def publish_image(ig, creds, fake, text="Fresh bread", **kw):
    return ig.publish(
        creds, IG, PublishRequest(text=text, media=[image(fake, f"{abs(hash(text))}.jpg")], **kw)
    )


# --- OAuth ------------------------------------------------------------------------------------


def test_the_default_authorization_url_is_facebook_login_with_instagram_scopes(ig, fake):
    url = ig.authorization_url(redirect_uri="https://app.example/cb", state="s1")
    parts = urlsplit(url)
    query = parse_qs(parts.query)
    assert parts.netloc == urlsplit(fake.url).netloc and parts.path == "/v23.0/dialog/oauth"
    assert {
        "instagram_basic",
        "instagram_content_publish",
        "instagram_manage_comments",
        "instagram_manage_insights",
        "pages_show_list",
        "pages_read_engagement",
    } <= set(query["scope"][0].split(","))


def test_the_instagram_login_authorization_url_is_instagrams_own(fake):
    ig = make_provider(fake, login="instagram")
    parts = urlsplit(ig.authorization_url(redirect_uri="https://app.example/cb", state="s1"))
    query = parse_qs(parts.query)
    assert parts.hostname == "localhost" and parts.path == "/oauth/authorize"
    assert query["response_type"] == ["code"] and query["client_id"] == [fake.CLIENT_ID]
    assert set(query["scope"][0].split(",")) == {
        "instagram_business_basic",
        "instagram_business_content_publish",
        "instagram_business_manage_comments",
        "instagram_business_manage_insights",
    }


def test_facebook_login_lists_the_instagram_accounts_linked_to_the_pages(ig, fake):
    accounts = ig.exchange_code(code="fb-code-ok", redirect_uri="https://app.example/cb")
    assert [a.external_id for a in accounts] == [IG]  # Page 456 has no Instagram account
    account = accounts[0]
    assert account.handle == "alphafoods" and account.url == "https://www.instagram.com/alphafoods/"
    assert (
        account.credentials.access_token == fake.PAGE_TOKEN
        and account.credentials.expires_at is None
    )
    assert account.credentials.extra == {
        "login": "facebook",
        "ig_user_id": IG,
        "page_id": fake.PAGE_ID,
        "username": "alphafoods",
    }
    call = last(fake, "GET", r"/me/accounts$")
    assert "instagram_business_account{id,username" in call.q("fields")


def test_instagram_login_exchanges_the_code_for_a_long_lived_token(fake):
    ig = make_provider(fake, login="instagram")
    [account] = ig.exchange_code(code="ig-code-ok", redirect_uri="https://app.example/cb")

    code_call = last(fake, "POST", r"^/oauth/access_token$")
    assert code_call.headers["host"].startswith("localhost")
    assert code_call.form() == {
        "client_id": fake.CLIENT_ID,
        "client_secret": fake.CLIENT_SECRET,
        "grant_type": "authorization_code",
        "redirect_uri": "https://app.example/cb",
        "code": "ig-code-ok",
    }
    exchange = last(fake, "GET", r"^/access_token$")
    assert (
        exchange.q("grant_type") == "ig_exchange_token"
        and exchange.q("client_secret") == fake.CLIENT_SECRET
    )
    me = last(fake, "GET", r"/v23\.0/me$")
    assert "user_id" in me.q("fields").split(",")

    assert account.external_id == IG and account.handle == "alphafoods"
    creds = account.credentials
    assert creds.access_token.startswith("IGLong") and creds.extra["login"] == "instagram"
    assert timedelta(days=59) < creds.expires_at - datetime.now(UTC) < timedelta(days=61)
    assert "instagram_business_content_publish" in creds.scopes


def test_instagram_login_tokens_are_refreshed_with_ig_refresh_token(fake, ig_login_creds):
    ig = make_provider(fake)  # the credentials, not the config, say which login they came from
    fresh = ig.refresh(ig_login_creds)
    call = last(fake, "GET", r"^/refresh_access_token$")
    assert call.q("grant_type") == "ig_refresh_token" and call.headers["host"].startswith(
        "localhost"
    )
    assert fresh.access_token != ig_login_creds.access_token and fresh.extra == ig_login_creds.extra
    assert fresh.expires_at > ig_login_creds.expires_at


def test_an_expired_instagram_login_token_cannot_be_refreshed(fake, ig_login_creds):
    fake.expire_token(fake.IG_LOGIN_TOKEN)
    with pytest.raises(AuthExpired):
        make_provider(fake).refresh(ig_login_creds)


def test_facebook_login_page_tokens_are_confirmed_not_refreshed(ig, creds, fake):
    assert ig.refresh(creds) is creds
    assert not fake.requests_to("GET", r"refresh_access_token")


def test_verify_credentials_reads_the_instagram_account(ig, creds):
    account = ig.verify_credentials(creds, IG)
    assert account.handle == "alphafoods" and account.avatar_url.endswith("alpha.jpg")


# --- publishing -------------------------------------------------------------------------------


def test_an_image_post_checks_the_quota_creates_a_container_and_publishes_it(ig, creds, fake):
    item = image(fake, "bread.jpg", alt="A loaf on a board")
    result = ig.publish(creds, IG, PublishRequest(text="Fresh bread", media=[item]))

    assert result.status == "published"
    quota = fake.requests[0]
    assert (
        quota.path == f"/v23.0/{IG}/content_publishing_limit"
        and quota.q("fields") == "quota_usage,config"
    )
    container = last(fake, "POST", rf"/v23\.0/{IG}/media$")
    assert body_of(container) == {
        "image_url": item.url,
        "caption": "Fresh bread",
        "alt_text": "A loaf on a board",
    }
    assert container.headers["authorization"] == f"Bearer {fake.PAGE_TOKEN}"
    assert item.url in fake.fetched  # Instagram pulled the image
    container_id = body_of(last(fake, "POST", rf"/{IG}/media_publish$"))["creation_id"]
    assert fake.objects[container_id]["state"] == "PUBLISHED"
    assert last(fake, "GET", rf"/v23\.0/{container_id}$").q("fields") == "status_code,status"
    assert fake.objects[result.external_id]["caption"] == "Fresh bread"
    assert result.url.startswith("https://www.instagram.com/p/")


def test_a_reel_is_pending_until_its_container_finishes(ig, creds, fake):
    fake.video_polls_until_ready = 1
    clip = video(fake)
    pending = ig.publish(
        creds, IG, PublishRequest(text="Behind the scenes", format="reel", media=[clip])
    )

    assert pending.status == "pending"
    body = body_of(last(fake, "POST", rf"/{IG}/media$"))
    assert body == {
        "media_type": "REELS",
        "video_url": clip.url,
        "caption": "Behind the scenes",
        "share_to_feed": True,
    }
    container_id = pending.pending_ref  # the container id, as it came back from POST /media
    assert (
        fake.objects[container_id]["type"] == "container"
        and fake.objects[container_id]["media_type"] == "REELS"
    )
    assert not fake.requests_to("POST", r"/media_publish$")

    done = ig.check_publish(creds, IG, pending.pending_ref)
    assert done.status == "published"
    assert body_of(last(fake, "POST", rf"/{IG}/media_publish$")) == {"creation_id": container_id}
    assert fake.objects[done.external_id]["product"] == "REELS"


def test_check_publish_polls_once_and_stays_pending_while_in_progress(ig, creds, fake):
    fake.video_polls_until_ready = 3
    pending = ig.publish(creds, IG, PublishRequest(text="slow", format="reel", media=[video(fake)]))
    before = len(fake.requests_to("GET", rf"/{pending.pending_ref}$"))
    again = ig.check_publish(creds, IG, pending.pending_ref)
    assert again.status == "pending" and again.pending_ref == pending.pending_ref
    assert len(fake.requests_to("GET", rf"/{pending.pending_ref}$")) == before + 1


def test_a_story_is_a_stories_container_without_caption_or_comment(ig, creds, fake):
    item = image(fake, "story.jpg", 1080, 1920)
    result = ig.publish(
        creds, IG, PublishRequest(text="ignored", format="story", first_comment="no", media=[item])
    )
    assert body_of(last(fake, "POST", rf"/{IG}/media$")) == {
        "media_type": "STORIES",
        "image_url": item.url,
    }
    assert result.status == "published" and fake.objects[result.external_id]["product"] == "STORY"
    assert not fake.requests_to("POST", r"/comments$")


def test_a_carousel_creates_item_containers_then_a_carousel_container(ig, creds, fake):
    items = [image(fake, "c1.jpg"), image(fake, "c2.jpg", 1080, 1080)]
    result = ig.publish(creds, IG, PublishRequest(text="Two views", media=items))

    *children, carousel = fake.requests_to("POST", rf"/{IG}/media$")
    assert [body_of(c) for c in children] == [
        {"is_carousel_item": True, "image_url": i.url} for i in items
    ]
    body = body_of(carousel)
    assert body["media_type"] == "CAROUSEL" and body["caption"] == "Two views"
    assert body["children"].split(",") == [
        c for c in fake.objects if fake.objects[c].get("carousel_item")
    ]
    assert (
        result.status == "published"
        and fake.objects[result.external_id]["media_type"] == "CAROUSEL_ALBUM"
    )
    assert fake.ig_users[IG]["quota_usage"] == 1  # a carousel counts once


def test_a_carousel_with_a_video_waits_for_processing(ig, creds, fake):
    fake.video_polls_until_ready = 1
    pending = ig.publish(creds, IG, PublishRequest(text="Mixed", media=[image(fake), video(fake)]))
    assert pending.status == "pending"
    video_child = body_of(fake.requests_to("POST", rf"/{IG}/media$")[1])
    assert video_child["media_type"] == "VIDEO" and video_child["is_carousel_item"] is True
    assert ig.check_publish(creds, IG, pending.pending_ref).status == "published"


def test_the_first_comment_is_posted_on_the_published_media(ig, creds, fake):
    result = publish_image(ig, creds, fake, first_comment="#bread #bakery")
    assert body_of(last(fake, "POST", rf"/v23\.0/{result.external_id}/comments$")) == {
        "message": "#bread #bakery"
    }
    assert fake.objects[result.first_comment_id]["text"] == "#bread #bakery"


def test_a_first_comment_on_a_pending_reel_is_posted_when_check_publish_publishes(ig, creds, fake):
    fake.video_polls_until_ready = 1
    pending = ig.publish(
        creds,
        IG,
        PublishRequest(text="Reel", format="reel", first_comment="#reels", media=[video(fake)]),
    )
    assert pending.pending_ref.startswith(f"{pending.pending_ref.split('?')[0]}?first_comment=")
    done = ig.check_publish(creds, IG, pending.pending_ref)
    assert (
        done.first_comment_id and fake.objects[done.first_comment_id]["media"] == done.external_id
    )


def test_an_exhausted_publishing_quota_raises_rate_limited_before_creating_anything(
    ig, creds, fake
):
    fake.ig_users[IG]["quota_usage"] = 100
    with pytest.raises(RateLimited) as exc:
        publish_image(ig, creds, fake)
    assert exc.value.retry_after == 3600
    assert not fake.requests_to("POST", r".")


def test_an_image_with_an_unsupported_aspect_ratio_is_content_rejected_with_instagrams_message(
    ig, creds, fake
):
    wide = image(fake, "wide.jpg", 1500, 600)
    with pytest.raises(
        ContentRejected, match=r"aspect ratio \('2.50:1'\) cannot be published"
    ) as exc:
        ig.publish(creds, IG, PublishRequest(text="Panorama", media=[wide]))
    assert exc.value.code == "36003/2207009"


def test_a_png_is_content_rejected(ig, creds, fake):
    png = MediaItem(kind="image", url=fake.add_image("x.png", fmt="PNG"), mime_type="image/png")
    with pytest.raises(ContentRejected, match="Only JPEG"):
        ig.publish(creds, IG, PublishRequest(text="png", media=[png]))


def test_media_instagram_cannot_fetch_is_content_rejected(ig, creds, fake):
    gone = MediaItem(kind="image", url=f"{fake.url}/media/missing.jpg")
    with pytest.raises(ContentRejected, match="could not be fetched"):
        ig.publish(creds, IG, PublishRequest(text="404", media=[gone]))


def test_a_container_that_errors_is_content_rejected_on_check_publish(ig, creds, fake):
    fake.video_polls_until_ready = 1
    fake.next_container_outcome = ("ERROR", "ERROR: 2207026 unsupported video format")
    pending = ig.publish(
        creds, IG, PublishRequest(text="bad codec", format="reel", media=[video(fake)])
    )
    with pytest.raises(ContentRejected, match="2207026"):
        ig.check_publish(creds, IG, pending.pending_ref)


def test_an_expired_container_is_content_rejected(ig, creds, fake):
    fake.video_polls_until_ready = 1
    fake.next_container_outcome = ("EXPIRED", "EXPIRED")
    pending = ig.publish(creds, IG, PublishRequest(text="late", format="reel", media=[video(fake)]))
    with pytest.raises(ContentRejected, match="expired"):
        ig.check_publish(creds, IG, pending.pending_ref)


def test_a_container_already_published_is_an_unknown_outcome_for_find_existing(ig, creds, fake):
    fake.video_polls_until_ready = 1
    pending = ig.publish(
        creds, IG, PublishRequest(text="twice", format="reel", media=[video(fake)])
    )
    ig.check_publish(creds, IG, pending.pending_ref)
    with pytest.raises(UnknownOutcome):
        ig.check_publish(creds, IG, pending.pending_ref)


def test_captions_over_the_documented_limits_are_rejected_before_any_call(ig, creds, fake):
    with pytest.raises(ContentRejected, match="2200"):
        ig.publish(creds, IG, PublishRequest(text="x" * 2201, media=[image(fake)]))
    with pytest.raises(ContentRejected, match="30 hashtags"):
        ig.publish(
            creds,
            IG,
            PublishRequest(text=" ".join(f"#t{i}" for i in range(31)), media=[image(fake)]),
        )
    with pytest.raises(ContentRejected, match="photo or a video"):
        ig.publish(creds, IG, PublishRequest(text="text only"))
    assert fake.requests == []


def test_find_existing_finds_the_media_by_its_caption(ig, creds, fake):
    since = datetime.now(UTC) - timedelta(minutes=5)
    publish_image(ig, creds, fake, text="Something else")
    published = publish_image(ig, creds, fake, text="Lost answer")
    found = ig.find_existing(creds, IG, PublishRequest(text="Lost answer", media=[]), since)
    assert (
        found is not None
        and found.external_id == published.external_id
        and found.url == published.url
    )
    call = last(fake, "GET", rf"/{IG}/media$")
    assert call.q("since") == str(int(since.timestamp()) - 60) and "caption" in call.q("fields")
    assert ig.find_existing(creds, IG, PublishRequest(text="Never sent"), since) is None


def test_delete_post_deletes_the_media(ig, creds, fake):
    result = publish_image(ig, creds, fake)
    ig.delete_post(creds, IG, result.external_id)
    assert last(fake, "DELETE", rf"/v23\.0/{result.external_id}$")
    assert result.external_id not in fake.objects


def test_instagram_login_credentials_use_the_instagram_graph_host(fake, ig_login_creds):
    ig = make_provider(fake)
    result = ig.publish(
        ig_login_creds, IG, PublishRequest(text="via IG login", media=[image(fake)])
    )
    assert result.status == "published"
    graph_calls = [r for r in fake.requests if r.path.startswith("/v23.0/")]
    assert graph_calls and all(r.headers["host"].startswith("localhost") for r in graph_calls)
    assert all(r.headers["authorization"] == f"Bearer {fake.IG_LOGIN_TOKEN}" for r in graph_calls)


# --- engagement -------------------------------------------------------------------------------


def test_fetch_inbox_returns_new_comments_and_replies_then_only_newer_ones(ig, creds, fake):
    media_id = publish_image(ig, creds, fake).external_id
    c1 = fake.add_ig_comment(media_id, "Gluten free?", username="bob", from_id="55")
    r1 = fake.add_ig_comment(media_id, "Asking too", username="cy", from_id="56", parent=c1)
    fake.add_ig_comment(
        media_id, "Yes!", username="alphafoods", from_id=IG, parent=c1
    )  # our own reply

    page = ig.fetch_inbox(creds, IG)
    assert [i.external_id for i in page.items] == [c1, r1]
    first, reply = page.items
    assert (
        first.kind,
        first.text,
        first.author_handle,
        first.author_id,
        first.post_external_id,
    ) == ("comment", "Gluten free?", "bob", "55", media_id)
    assert reply.kind == "reply" and reply.parent_external_id == c1
    fields = last(fake, "GET", rf"/{media_id}/comments$").q("fields")
    assert fields.startswith("id,text,timestamp,username") and "replies{" in fields

    assert ig.fetch_inbox(creds, IG, page.cursor).items == []
    c2 = fake.add_ig_comment(media_id, "Price?", username="dee", from_id="57")
    assert [i.external_id for i in ig.fetch_inbox(creds, IG, page.cursor).items] == [c2]


def test_replying_to_a_comment_uses_the_replies_edge(ig, creds, fake):
    media_id = publish_image(ig, creds, fake).external_id
    c1 = fake.add_ig_comment(media_id, "Open Sunday?")
    reply_id = ig.reply(
        creds, IG, InboxItem(external_id=c1, kind="comment", text="", author_id="55"), "Yes, 9-5"
    )
    assert body_of(last(fake, "POST", rf"/v23\.0/{c1}/replies$")) == {"message": "Yes, 9-5"}
    assert fake.objects[reply_id]["parent"] == c1


def test_replying_to_a_reply_answers_under_its_top_comment(ig, creds, fake):
    media_id = publish_image(ig, creds, fake).external_id
    c1 = fake.add_ig_comment(media_id, "top")
    r1 = fake.add_ig_comment(media_id, "nested", parent=c1)
    ig.reply(
        creds,
        IG,
        InboxItem(external_id=r1, kind="reply", text="", author_id="55", parent_external_id=c1),
        "ok",
    )
    assert last(fake, "POST", r"/replies$").path == f"/v23.0/{c1}/replies"


def test_replying_to_a_mention_uses_the_mentions_edge(ig, creds, fake):
    item = InboxItem(
        external_id="c-9", kind="mention", text="", author_id="", post_external_id="m-9"
    )
    ig.reply(creds, IG, item, "Thanks!")
    assert body_of(last(fake, "POST", rf"/{IG}/mentions$")) == {
        "media_id": "m-9",
        "comment_id": "c-9",
        "message": "Thanks!",
    }


def test_hiding_a_comment_sends_hide(ig, creds, fake):
    media_id = publish_image(ig, creds, fake).external_id
    c1 = fake.add_ig_comment(media_id, "spam")
    ig.hide_comment(creds, IG, c1)
    assert body_of(last(fake, "POST", rf"/v23\.0/{c1}$")) == {"hide": True}
    assert fake.objects[c1]["hidden"] is True
    ig.hide_comment(creds, IG, c1, hidden=False)
    assert fake.objects[c1]["hidden"] is False


def test_deleting_a_comment(ig, creds, fake):
    media_id = publish_image(ig, creds, fake).external_id
    c1 = fake.add_ig_comment(media_id, "rude")
    ig.delete_comment(creds, IG, c1)
    assert c1 not in fake.objects


def test_direct_messages_are_not_claimed(ig, creds):
    assert ig.capabilities.direct_messages is False
    with pytest.raises(ProviderError):
        ig.reply(creds, IG, InboxItem(external_id="m", kind="dm", text="", author_id="1"), "hi")


# --- metrics ----------------------------------------------------------------------------------


def test_account_metrics_use_reach_by_day_and_total_values_without_impressions(ig, creds, fake):
    rows = ig.fetch_account_metrics(creds, IG, date(2025, 4, 1), date(2025, 4, 2))
    series = fake.requests_to("GET", rf"/{IG}/insights$")[0]
    assert series.q("metric") == "reach" and series.q("period") == "day"
    totals = fake.requests_to("GET", rf"/{IG}/insights$")[1:]
    assert len(totals) == 2 and all(t.q("metric_type") == "total_value" for t in totals)
    assert not any("impressions" in (r.q("metric") or "") for r in fake.requests)
    assert [r.day for r in rows] == [date(2025, 4, 1), date(2025, 4, 2)]
    assert rows[0].reach == 101 and rows[1].reach == 102
    assert rows[0].impressions == 11 and rows[0].engagements == 21 and rows[0].profile_views == 31
    assert rows[1].followers == 9876


def test_post_metrics_request_the_current_media_metrics(ig, creds, fake):
    media_id = publish_image(ig, creds, fake).external_id
    [metrics] = ig.fetch_post_metrics(creds, IG, [media_id])
    assert last(fake, "GET", rf"/{media_id}/insights$").q("metric") == (
        "views,reach,likes,comments,shares,saved,total_interactions"
    )
    assert (
        metrics.impressions,
        metrics.reach,
        metrics.likes,
        metrics.comments,
        metrics.shares,
        metrics.saves,
    ) == (10, 20, 30, 40, 50, 60)


# --- errors -----------------------------------------------------------------------------------


def test_an_expired_token_raises_auth_expired(ig, creds, fake):
    fake.expire_token(fake.PAGE_TOKEN)
    with pytest.raises(AuthExpired):
        publish_image(ig, creds, fake)


def test_an_instagram_throttle_raises_rate_limited_with_the_time_to_regain_access(ig, creds, fake):
    fake.throttle_next(rf"/{IG}/media$", code=80002, minutes=12, object_id=IG)
    with pytest.raises(RateLimited) as exc:
        publish_image(ig, creds, fake)
    assert exc.value.retry_after == 12 * 60


def test_a_429_without_an_error_object_still_raises_rate_limited(ig, creds, fake):
    fake.fail_next(
        rf"/{IG}/content_publishing_limit$", 429, {"message": "slow down"}, {"Retry-After": "30"}
    )
    with pytest.raises(RateLimited) as exc:
        publish_image(ig, creds, fake)
    assert exc.value.retry_after == 30


def test_a_server_error_raises_transient_error(ig, creds, fake):
    fake.fail_next(
        rf"/{IG}/media_publish$", 500, fake.error_body("An unknown error has occurred.", 1)
    )
    with pytest.raises(TransientError):
        publish_image(ig, creds, fake)


def test_a_non_json_answer_raises_transient_error(ig, creds, fake):
    fake.fail_next(rf"/{IG}/media$", 200, mode="garbage")
    with pytest.raises(TransientError):
        publish_image(ig, creds, fake)


def test_publishing_a_container_that_is_not_ready_is_transient(ig, creds, fake):
    fake.fail_next(
        rf"/{IG}/media_publish$",
        400,
        fake.error_body(
            "Media ID is not available",
            9007,
            2207027,
            user_msg="The media is not ready for publishing.",
        ),
    )
    with pytest.raises(TransientError):
        publish_image(ig, creds, fake)


# --- webhooks ---------------------------------------------------------------------------------


def hook(fake: MetaGraphFake, payload: dict, *, secret: str | None = None) -> WebhookRequest:
    body, headers = fake.signed_webhook(payload, secret)
    return WebhookRequest(method="POST", headers=headers, query={}, body=body)


COMMENT_HOOK = {
    "object": "instagram",
    "entry": [
        {
            "id": "1784",
            "time": 1717000000,
            "changes": [
                {
                    "field": "comments",
                    "value": {
                        "id": "cm1",
                        "text": "nice",
                        "from": {"id": "55", "username": "bob"},
                        "media": {"id": "m1", "media_product_type": "FEED"},
                    },
                }
            ],
        }
    ],
}
MENTION_HOOK = {
    "object": "instagram",
    "entry": [
        {
            "id": "1784",
            "time": 1717000000,
            "changes": [{"field": "mentions", "value": {"media_id": "m7", "comment_id": "cm7"}}],
        }
    ],
}


def test_the_webhook_handshake_echoes_the_challenge_for_our_verify_token(ig):
    ok = WebhookRequest(
        method="GET",
        headers={},
        body=b"",
        query={"hub.mode": "subscribe", "hub.verify_token": "verify-me", "hub.challenge": "42"},
    )
    assert ig.webhook_handshake(ok) == (200, "text/plain", "42")
    wrong = WebhookRequest(
        method="GET",
        headers={},
        body=b"",
        query={"hub.mode": "subscribe", "hub.verify_token": "nope", "hub.challenge": "42"},
    )
    assert ig.webhook_handshake(wrong) == (403, "text/plain", "Forbidden")


def test_webhook_signatures_are_checked_against_the_app_secret(ig, fake):
    assert ig.verify_webhook(hook(fake, COMMENT_HOOK))
    assert not ig.verify_webhook(hook(fake, COMMENT_HOOK, secret="not-ours"))


def test_a_comment_webhook_becomes_an_inbox_item(ig, fake):
    [event] = ig.parse_webhook(hook(fake, COMMENT_HOOK))
    assert event.account_external_id == "1784" and event.kind == "inbox_item"
    item = event.item
    assert (
        item.external_id,
        item.kind,
        item.text,
        item.author_id,
        item.author_handle,
        item.post_external_id,
    ) == ("cm1", "comment", "nice", "55", "bob", "m1")


def test_a_mention_webhook_becomes_a_mention(ig, fake):
    [event] = ig.parse_webhook(hook(fake, MENTION_HOOK))
    assert (event.item.kind, event.item.external_id, event.item.post_external_id) == (
        "mention",
        "cm7",
        "m7",
    )


def test_facebook_page_webhooks_are_not_instagrams(ig, fake):
    assert ig.parse_webhook(hook(fake, {"object": "page", "entry": []})) == []
