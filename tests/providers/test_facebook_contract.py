"""Contract tests for the Facebook Pages connector against the loopback Graph API fake (API-NOTES §1, §11)."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest

from channels_registry.providers.base import (  # (importing channels_registry.http first is circular)
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
from channels_registry.providers.facebook import FacebookProvider
from tests.fakes.meta import MetaGraphFake

PAGE = MetaGraphFake.PAGE_ID


@pytest.fixture
def fake(settings):
    settings.OUTBOUND_ALLOW_LOOPBACK = True
    server = MetaGraphFake().start()
    yield server
    server.stop()


def make_provider(fake: MetaGraphFake, **extra) -> FacebookProvider:
    config = ProviderConfig(
        client_id=fake.CLIENT_ID,
        client_secret=fake.CLIENT_SECRET,
        urls={key: fake.url for key in FacebookProvider.default_urls},
        extra={"verify_token": "verify-me", "poll_interval": 0, **extra},
    )
    return FacebookProvider(config)


@pytest.fixture
def fb(fake):
    return make_provider(fake)


@pytest.fixture
def creds():
    return Credentials(access_token=MetaGraphFake.PAGE_TOKEN, extra={"page_id": PAGE})


def last(fake: MetaGraphFake, method: str, path_regex: str):
    found = fake.requests_to(method, path_regex)
    assert found, f"no {method} {path_regex} reached the fake"
    return found[-1]


def body_of(request) -> dict:
    return json.loads(request.body)


# --- OAuth ------------------------------------------------------------------------------------


def test_the_authorization_url_is_the_facebook_login_dialog_with_the_page_scopes(fb, fake):
    url = fb.authorization_url(redirect_uri="https://app.example/cb", state="st4te")
    parts = urlsplit(url)
    query = parse_qs(parts.query)
    assert parts.path == "/v23.0/dialog/oauth"
    assert query["client_id"] == [fake.CLIENT_ID]
    assert query["redirect_uri"] == ["https://app.example/cb"]
    assert query["state"] == ["st4te"]
    scopes = query["scope"][0].split(",")
    assert {
        "pages_show_list",
        "pages_manage_posts",
        "pages_read_engagement",
        "pages_manage_engagement",
        "pages_messaging",
        "read_insights",
    } <= set(scopes)


def test_exchanging_the_code_lists_one_account_per_page_with_its_never_expiring_page_token(
    fb, fake
):
    accounts = fb.exchange_code(code="fb-code-ok", redirect_uri="https://app.example/cb")

    assert [a.external_id for a in accounts] == [PAGE, MetaGraphFake.PAGE2_ID]
    alpha = accounts[0]
    assert alpha.name == "Alpha Foods" and alpha.handle == "alphafoods"
    assert alpha.credentials.access_token == MetaGraphFake.PAGE_TOKEN
    assert alpha.credentials.expires_at is None
    assert "pages_manage_posts" in alpha.credentials.scopes
    assert accounts[1].handle == MetaGraphFake.PAGE2_ID  # no username: the id stands in

    short, long = fake.requests_to("GET", r"/v23\.0/oauth/access_token$")
    assert short.q("code") == "fb-code-ok" and short.q("client_secret") == fake.CLIENT_SECRET
    assert short.q("redirect_uri") == "https://app.example/cb"
    assert long.q("grant_type") == "fb_exchange_token"
    assert long.q("fb_exchange_token").startswith("EAAShort")
    accounts_call = last(fake, "GET", r"/me/accounts$")
    assert "access_token" in accounts_call.q("fields")
    assert accounts_call.headers["authorization"].startswith(
        "Bearer EAALong"
    )  # the long-lived user token
    assert "EAAPage" not in repr(alpha.credentials)


def test_a_used_code_cannot_be_exchanged_twice(fb):
    fb.exchange_code(code="fb-code-ok", redirect_uri="https://app.example/cb")
    with pytest.raises(ProviderError, match="authorization code has been used") as exc:
        fb.exchange_code(code="fb-code-ok", redirect_uri="https://app.example/cb")
    assert exc.value.permanent and not isinstance(exc.value, TransientError)


def test_refresh_confirms_a_page_token_and_keeps_it(fb, creds, fake):
    assert fb.refresh(creds) is creds
    assert last(fake, "GET", r"/v23\.0/me$").headers["authorization"] == f"Bearer {fake.PAGE_TOKEN}"


def test_refresh_of_a_dead_page_token_raises_auth_expired(fb, creds, fake):
    fake.expire_token(fake.PAGE_TOKEN)
    with pytest.raises(AuthExpired) as exc:
        fb.refresh(creds)
    assert exc.value.code == "190/463"
    assert fake.PAGE_TOKEN not in str(exc.value)


def test_verify_credentials_reads_the_page(fb, creds):
    account = fb.verify_credentials(creds, PAGE)
    assert account.external_id == PAGE
    assert account.name == "Alpha Foods"
    assert account.avatar_url.endswith(f"/{PAGE}.jpg")


# --- publishing -------------------------------------------------------------------------------


def test_a_text_post_goes_to_the_page_feed_with_the_token_in_the_header(fb, creds, fake):
    result = fb.publish(creds, PAGE, PublishRequest(text="Hello from Alpha"))

    assert result.status == "published"
    assert result.external_id.startswith(f"{PAGE}_")
    assert result.url.startswith("https://www.facebook.com/123/posts/")
    call = last(fake, "POST", rf"/v23\.0/{PAGE}/feed$")
    assert body_of(call) == {"message": "Hello from Alpha"}
    assert call.headers["authorization"] == f"Bearer {fake.PAGE_TOKEN}"
    assert "access_token" not in call.query
    assert fake.objects[result.external_id]["message"] == "Hello from Alpha"


def test_a_link_post_sends_the_link_field(fb, creds, fake):
    fb.publish(creds, PAGE, PublishRequest(text="Read this", link="https://alpha.example/news"))
    assert body_of(last(fake, "POST", rf"/{PAGE}/feed$")) == {
        "message": "Read this",
        "link": "https://alpha.example/news",
    }


def test_a_single_photo_is_pulled_by_meta_from_the_media_url(fb, creds, fake):
    url = fake.add_image("one.jpg")
    result = fb.publish(
        creds, PAGE, PublishRequest(text="Lunch", media=[MediaItem(kind="image", url=url)])
    )

    call = last(fake, "POST", rf"/{PAGE}/photos$")
    assert body_of(call) == {"url": url, "message": "Lunch"}
    assert url in fake.fetched
    post = fake.objects[result.external_id]
    assert post["type"] == "post" and post["message"] == "Lunch"  # the post id, not the photo id


def test_several_photos_are_uploaded_unpublished_then_attached_to_one_feed_post(fb, creds, fake):
    urls = [fake.add_image(f"p{i}.jpg") for i in range(3)]
    result = fb.publish(
        creds,
        PAGE,
        PublishRequest(text="Menu", media=[MediaItem(kind="image", url=u) for u in urls]),
    )

    uploads = fake.requests_to("POST", rf"/{PAGE}/photos$")
    assert [body_of(r) for r in uploads] == [{"url": u, "published": False} for u in urls]
    feed = body_of(last(fake, "POST", rf"/{PAGE}/feed$"))
    assert feed["message"] == "Menu"
    assert [m["media_fbid"] for m in feed["attached_media"]] == result.raw["media_fbids"]
    assert fake.objects[result.external_id]["photos"] == result.raw["media_fbids"]


def test_a_video_is_posted_by_file_url_to_the_video_host(fb, creds, fake):
    url = fake.add_video("clip.mp4")
    result = fb.publish(
        creds,
        PAGE,
        PublishRequest(
            text="Watch", media=[MediaItem(kind="video", url=url, mime_type="video/mp4")]
        ),
    )
    call = last(fake, "POST", rf"/v23\.0/{PAGE}/videos$")
    assert body_of(call) == {"file_url": url, "description": "Watch"}
    assert result.status == "published"
    assert result.url == f"https://www.facebook.com/{PAGE}/videos/{result.external_id}/"


def test_a_reel_is_started_uploaded_by_url_finished_and_polled_until_published(fb, creds, fake):
    url = fake.add_video("reel.mp4")
    fake.video_polls_until_ready = 1
    pending = fb.publish(
        creds,
        PAGE,
        PublishRequest(
            text="Reel time",
            format="reel",
            first_comment="#food",
            media=[MediaItem(kind="video", url=url)],
        ),
    )
    assert pending.status == "pending"
    video_id = pending.external_id

    start, finish = fake.requests_to("POST", rf"/v23\.0/{PAGE}/video_reels$")
    assert body_of(start) == {"upload_phase": "start"}
    assert body_of(finish) == {
        "upload_phase": "finish",
        "video_id": video_id,
        "video_state": "PUBLISHED",
        "description": "Reel time",
    }
    upload = last(fake, "POST", rf"/video-upload/v23\.0/{video_id}$")
    assert upload.headers["authorization"] == f"OAuth {fake.PAGE_TOKEN}"
    assert upload.headers["file_url"] == url
    assert url in fake.fetched

    still = fb.check_publish(creds, PAGE, pending.pending_ref)
    assert still.status == "pending"
    assert not fake.requests_to("POST", r"/comments$")  # the first comment waits for the reel

    done = fb.check_publish(creds, PAGE, still.pending_ref)
    assert done.status == "published"
    assert done.url == f"https://www.facebook.com/reel/{video_id}"
    assert last(fake, "GET", rf"/v23\.0/{video_id}$").q("fields") == "status"
    assert body_of(last(fake, "POST", r"/comments$")) == {"message": "#food"}
    assert done.first_comment_id


def test_a_reel_that_fails_processing_is_content_rejected(fb, creds, fake):
    fake.video_polls_until_ready = 0
    pending = fb.publish(
        creds,
        PAGE,
        PublishRequest(
            text="Bad", format="reel", media=[MediaItem(kind="video", url=fake.add_video("b.mp4"))]
        ),
    )
    fake.objects[pending.external_id]["fail"] = (
        "The video's aspect ratio is not supported for reels."
    )
    with pytest.raises(ContentRejected, match="aspect ratio"):
        fb.check_publish(creds, PAGE, pending.pending_ref)


def test_a_photo_story_publishes_an_unpublished_photo_as_a_story(fb, creds, fake):
    url = fake.add_image("story.jpg", 1080, 1920)
    result = fb.publish(
        creds,
        PAGE,
        PublishRequest(
            text="",
            format="story",
            first_comment="ignored",
            media=[MediaItem(kind="image", url=url)],
        ),
    )
    photo = body_of(last(fake, "POST", rf"/{PAGE}/photos$"))
    assert photo == {"url": url, "published": False}
    story = body_of(last(fake, "POST", rf"/{PAGE}/photo_stories$"))
    assert fake.objects[story["photo_id"]]["type"] == "photo"
    assert result.status == "published" and fake.objects[result.external_id]["type"] == "story"
    assert not fake.requests_to("POST", r"/comments$")


def test_a_video_story_goes_through_start_rupload_and_finish(fb, creds, fake):
    url = fake.add_video("vs.mp4")
    result = fb.publish(
        creds,
        PAGE,
        PublishRequest(text="", format="story", media=[MediaItem(kind="video", url=url)]),
    )
    start, finish = fake.requests_to("POST", rf"/{PAGE}/video_stories$")
    assert body_of(start) == {"upload_phase": "start"}
    assert body_of(finish)["upload_phase"] == "finish"
    assert last(fake, "POST", r"/video-upload/").headers["file_url"] == url
    assert result.status == "published" and result.external_id


def test_the_first_comment_is_posted_under_the_new_post(fb, creds, fake):
    result = fb.publish(
        creds, PAGE, PublishRequest(text="Launch", first_comment="Link in comments")
    )
    call = last(fake, "POST", rf"/{result.external_id}/comments$")
    assert body_of(call) == {"message": "Link in comments"}
    assert fake.objects[result.first_comment_id]["post"] == result.external_id


def test_a_failed_first_comment_does_not_fail_the_publish(fb, creds, fake):
    fake.fail_next(
        r"/comments$", 500, fake.error_body("An unknown error occurred", 1, transient=True)
    )
    result = fb.publish(creds, PAGE, PublishRequest(text="Still out", first_comment="oops"))
    assert result.status == "published"
    assert result.first_comment_id == ""
    assert "unknown error" in result.raw["first_comment_error"]


def test_mixing_photos_and_videos_is_rejected_before_any_call(fb, creds, fake):
    media = [
        MediaItem(kind="image", url=fake.add_image("m.jpg")),
        MediaItem(kind="video", url=fake.add_video("m.mp4")),
    ]
    with pytest.raises(ContentRejected):
        fb.publish(creds, PAGE, PublishRequest(text="x", media=media))
    assert not fake.requests_to("POST", r".")


def test_delete_post_deletes_the_post(fb, creds, fake):
    result = fb.publish(creds, PAGE, PublishRequest(text="Short-lived"))
    fb.delete_post(creds, PAGE, result.external_id)
    assert last(fake, "DELETE", rf"/v23\.0/{result.external_id}$")
    assert result.external_id not in fake.objects


def test_find_existing_finds_the_post_by_its_text_since_the_attempt(fb, creds, fake):
    since = datetime.now(UTC) - timedelta(minutes=5)
    fb.publish(creds, PAGE, PublishRequest(text="Other post"))
    published = fb.publish(creds, PAGE, PublishRequest(text="The one we lost"))

    found = fb.find_existing(creds, PAGE, PublishRequest(text="The one we lost"), since)
    assert found is not None and found.external_id == published.external_id
    call = last(fake, "GET", rf"/{PAGE}/feed$")
    assert call.q("since") == str(int(since.timestamp()) - 60)
    assert set(call.q("fields").split(",")) >= {"id", "message", "created_time"}
    assert fb.find_existing(creds, PAGE, PublishRequest(text="Never sent"), since) is None


def test_a_publish_that_times_out_raises_unknown_outcome_and_is_settled_by_find_existing(
    fake, creds
):
    fb = FacebookProvider(make_provider(fake).config, http=HttpClient(timeout=0.15))
    since = datetime.now(UTC)
    fake.fail_next(rf"/{PAGE}/feed$", mode="hang", body=0.3)
    with pytest.raises(UnknownOutcome):
        fb.publish(creds, PAGE, PublishRequest(text="Did it go?"))
    assert fb.find_existing(creds, PAGE, PublishRequest(text="Did it go?"), since) is None


# --- engagement -------------------------------------------------------------------------------


def test_fetch_inbox_returns_comments_replies_and_messages_then_only_newer_ones(fb, creds, fake):
    post = fb.publish(creds, PAGE, PublishRequest(text="Ask us")).external_id
    c1 = fake.add_visitor_comment(post, "Is it vegan?", from_id="99", from_name="Ana")
    r1 = fake.add_visitor_comment(post, "Me too", from_id="98", from_name="Ben", parent=c1)
    fake.add_visitor_comment(
        post, "Yes it is", from_id=PAGE, from_name="Alpha Foods", parent=c1
    )  # our reply
    m1 = fake.add_conversation(PAGE, "psid-77", "Cara", "Are you open today?")

    page = fb.fetch_inbox(creds, PAGE)
    by_id = {i.external_id: i for i in page.items}
    assert list(by_id) == [c1, r1, m1]  # oldest first, our own reply left out
    assert (
        by_id[c1].kind == "comment"
        and by_id[c1].author_name == "Ana"
        and by_id[c1].post_external_id == post
    )
    assert by_id[r1].kind == "reply" and by_id[r1].parent_external_id == c1
    assert (
        by_id[m1].kind == "dm"
        and by_id[m1].author_id == "psid-77"
        and by_id[m1].thread_id == "psid-77"
    )
    comments_call = last(fake, "GET", rf"/{post}/comments$")
    assert (
        comments_call.q("filter") == "stream"
        and comments_call.q("order") == "reverse_chronological"
    )
    assert {"id", "message", "from", "created_time", "is_hidden", "parent"} <= set(
        comments_call.q("fields").split(",")
    )
    assert last(fake, "GET", rf"/{PAGE}/conversations$").q("platform") == "messenger"
    assert page.cursor

    again = fb.fetch_inbox(creds, PAGE, page.cursor)
    assert again.items == []
    c2 = fake.add_visitor_comment(post, "What time?", from_id="97", from_name="Dan")
    m2 = fake.add_conversation(PAGE, "psid-77", "Cara", "Hello?")
    newer = fb.fetch_inbox(creds, PAGE, again.cursor)
    assert [i.external_id for i in newer.items] == [c2, m2]


def test_replying_to_a_comment_posts_a_comment_under_it(fb, creds, fake):
    post = fb.publish(creds, PAGE, PublishRequest(text="Q&A")).external_id
    c1 = fake.add_visitor_comment(post, "When?")
    reply_id = fb.reply(
        creds,
        PAGE,
        InboxItem(external_id=c1, kind="comment", text="When?", author_id="99"),
        "Friday",
    )
    assert body_of(last(fake, "POST", rf"/v23\.0/{c1}/comments$")) == {"message": "Friday"}
    assert fake.objects[reply_id]["parent"] == c1


def test_replying_to_a_message_uses_the_send_api_with_a_response_type(fb, creds, fake):
    fake.add_conversation(PAGE, "psid-77", "Cara", "Open?")
    item = InboxItem(external_id="m_1", kind="dm", text="Open?", author_id="psid-77")
    message_id = fb.reply(creds, PAGE, item, "Until 9pm")
    assert body_of(last(fake, "POST", rf"/v23\.0/{PAGE}/messages$")) == {
        "recipient": {"id": "psid-77"},
        "messaging_type": "RESPONSE",
        "message": {"text": "Until 9pm"},
    }
    assert message_id.startswith("m_")


def test_hiding_and_unhiding_a_comment(fb, creds, fake):
    post = fb.publish(creds, PAGE, PublishRequest(text="Spam magnet")).external_id
    c1 = fake.add_visitor_comment(post, "buy followers")
    fb.hide_comment(creds, PAGE, c1)
    assert body_of(last(fake, "POST", rf"/v23\.0/{c1}$")) == {"is_hidden": True}
    assert fake.objects[c1]["is_hidden"] is True
    fb.hide_comment(creds, PAGE, c1, hidden=False)
    assert fake.objects[c1]["is_hidden"] is False


def test_deleting_a_comment(fb, creds, fake):
    post = fb.publish(creds, PAGE, PublishRequest(text="x")).external_id
    c1 = fake.add_visitor_comment(post, "rude")
    fb.delete_comment(creds, PAGE, c1)
    assert last(fake, "DELETE", rf"/v23\.0/{c1}$")
    assert c1 not in fake.objects


# --- metrics ----------------------------------------------------------------------------------


def test_account_metrics_use_the_current_page_metric_names_and_the_follower_count(fb, creds, fake):
    rows = fb.fetch_account_metrics(creds, PAGE, date(2025, 3, 1), date(2025, 3, 3))
    call = last(fake, "GET", rf"/{PAGE}/insights$")
    metrics = call.q("metric").split(",")
    assert "page_media_view" in metrics and "page_total_media_view_unique" in metrics
    assert not any("impressions" in m or "page_fans" in m for m in metrics)
    assert call.q("period") == "day"
    assert [r.day for r in rows] == [date(2025, 3, 1), date(2025, 3, 2), date(2025, 3, 3)]
    assert rows[0].impressions == 101 and rows[0].reach == 201 and rows[0].engagements == 301
    assert rows[-1].followers == 5120 and rows[0].followers is None


def test_post_metrics_sum_reactions_by_type_and_read_comments_and_shares(fb, creds, fake):
    post = fb.publish(creds, PAGE, PublishRequest(text="measured")).external_id
    fake.add_visitor_comment(post, "nice")
    fake.objects[post]["shares"] = 4
    [metrics] = fb.fetch_post_metrics(creds, PAGE, [post])
    call = last(fake, "GET", rf"/{post}/insights$")
    assert (
        call.q("metric")
        == "post_media_view,post_total_media_view_unique,post_reactions_by_type_total,post_clicks"
    )
    assert metrics.impressions == 10 and metrics.reach == 20 and metrics.clicks == 40
    assert metrics.likes == 10  # 7 like + 2 love + 1 wow
    assert metrics.comments == 1 and metrics.shares == 4


# --- errors -----------------------------------------------------------------------------------


def test_an_expired_token_raises_auth_expired(fb, creds, fake):
    fake.expire_token(fake.PAGE_TOKEN)
    with pytest.raises(AuthExpired, match="Session has expired"):
        fb.publish(creds, PAGE, PublishRequest(text="x"))


def test_a_missing_permission_raises_auth_expired_because_only_reauthorizing_fixes_it(
    fb, creds, fake
):
    fake.fail_next(
        rf"/{PAGE}/feed$",
        403,
        fake.error_body("(#200) Requires pages_manage_posts permission", 200),
    )
    with pytest.raises(AuthExpired) as exc:
        fb.publish(creds, PAGE, PublishRequest(text="x"))
    assert exc.value.permanent and exc.value.code == "200"


def test_a_page_throttle_raises_rate_limited_with_the_time_to_regain_access(fb, creds, fake):
    fake.throttle_next(rf"/{PAGE}/feed$", code=80001, minutes=7)
    with pytest.raises(RateLimited) as exc:
        fb.publish(creds, PAGE, PublishRequest(text="x"))
    assert exc.value.retry_after == 7 * 60


@pytest.mark.parametrize("code", [4, 17, 32, 613])
def test_app_user_and_page_throttles_without_an_estimate_wait_five_minutes(fb, creds, fake, code):
    fake.fail_next(
        rf"/{PAGE}/feed$",
        400,
        fake.error_body(f"(#{code}) Application request limit reached", code),
    )
    with pytest.raises(RateLimited) as exc:
        fb.publish(creds, PAGE, PublishRequest(text="x"))
    assert exc.value.retry_after == 300


def test_a_server_error_raises_transient_error(fb, creds, fake):
    fake.fail_next(
        rf"/{PAGE}/feed$",
        503,
        fake.error_body("Service temporarily unavailable", 2, transient=True),
    )
    with pytest.raises(TransientError):
        fb.publish(creds, PAGE, PublishRequest(text="x"))


def test_a_transient_code_in_a_400_raises_transient_error(fb, creds, fake):
    fake.fail_next(rf"/{PAGE}/feed$", 400, fake.error_body("An unexpected error has occurred.", 1))
    with pytest.raises(TransientError):
        fb.publish(creds, PAGE, PublishRequest(text="x"))


def test_a_non_json_answer_raises_transient_error(fb, creds, fake):
    fake.fail_next(rf"/{PAGE}/feed$", 502, mode="garbage")
    with pytest.raises(TransientError):
        fb.publish(creds, PAGE, PublishRequest(text="x"))
    fake.fail_next(rf"/{PAGE}/feed$", 200, mode="garbage")
    with pytest.raises(TransientError, match="not JSON"):
        fb.publish(creds, PAGE, PublishRequest(text="y"))


def test_a_duplicate_post_is_content_rejected_with_metas_own_message(fb, creds, fake):
    fb.publish(creds, PAGE, PublishRequest(text="Same again"))
    with pytest.raises(ContentRejected, match="identical to the last one you posted") as exc:
        fb.publish(creds, PAGE, PublishRequest(text="Same again"))
    assert exc.value.code == "506/1455006"


def test_a_policy_block_is_content_rejected(fb, creds, fake):
    fake.fail_next(
        rf"/{PAGE}/feed$",
        400,
        fake.error_body(
            "It looks like you were misusing this feature",
            368,
            1390008,
            user_msg="You can't post this right now.",
        ),
    )
    with pytest.raises(ContentRejected, match="You can't post this right now"):
        fb.publish(creds, PAGE, PublishRequest(text="x"))


def test_the_graph_version_comes_from_the_provider_config(fake, creds):
    fb = make_provider(fake, graph_version="v24.0")
    fb.publish(creds, PAGE, PublishRequest(text="Versioned"))
    assert last(fake, "POST", rf"/v24\.0/{PAGE}/feed$")
    assert "v24.0/dialog/oauth" in fb.authorization_url(
        redirect_uri="https://a.example/cb", state="s"
    )


def test_the_graph_version_defaults_to_the_setting(fake, settings):
    settings.META_GRAPH_VERSION = "v25.0"
    assert make_provider(fake).graph_version == "v25.0"


def test_usage_headers_are_kept_for_callers_that_pace_themselves(fb, creds):
    fb.publish(creds, PAGE, PublishRequest(text="usage"))
    assert fb.last_usage["app"]["call_count"] == 3
    assert fb.last_usage["business"][PAGE][0]["type"] == "pages"


# --- webhooks ---------------------------------------------------------------------------------


def hook(fake: MetaGraphFake, payload: dict, *, secret: str | None = None) -> WebhookRequest:
    body, headers = fake.signed_webhook(payload, secret)
    return WebhookRequest(method="POST", headers=headers, query={}, body=body)


COMMENT_HOOK = {
    "object": "page",
    "entry": [
        {
            "id": "123",
            "time": 1717000000,
            "changes": [
                {
                    "field": "feed",
                    "value": {
                        "item": "comment",
                        "verb": "add",
                        "post_id": "123_456",
                        "comment_id": "456_1",
                        "parent_id": "123_456",
                        "from": {"id": "99", "name": "Ana"},
                        "message": "hi",
                        "created_time": 1717000000,
                    },
                }
            ],
        }
    ],
}
DM_HOOK = {
    "object": "page",
    "entry": [
        {
            "id": "123",
            "time": 1717000000,
            "messaging": [
                {
                    "sender": {"id": "PSID"},
                    "recipient": {"id": "123"},
                    "timestamp": 1717000000123,
                    "message": {"mid": "m_1", "text": "hi"},
                }
            ],
        }
    ],
}


def test_the_webhook_handshake_echoes_the_challenge_only_for_our_verify_token(fb):
    good = WebhookRequest(
        method="GET",
        headers={},
        body=b"",
        query={
            "hub.mode": "subscribe",
            "hub.verify_token": "verify-me",
            "hub.challenge": "1158201444",
        },
    )
    assert fb.webhook_handshake(good) == (200, "text/plain", "1158201444")
    bad = WebhookRequest(
        method="GET",
        headers={},
        body=b"",
        query={"hub.mode": "subscribe", "hub.verify_token": "guess", "hub.challenge": "1158201444"},
    )
    assert fb.webhook_handshake(bad)[0] == 403
    assert (
        fb.webhook_handshake(WebhookRequest(method="GET", headers={}, query={}, body=b"")) is None
    )


def test_a_webhook_signed_with_the_app_secret_verifies_and_a_forged_one_does_not(fb, fake):
    assert fb.verify_webhook(hook(fake, COMMENT_HOOK))
    assert not fb.verify_webhook(hook(fake, COMMENT_HOOK, secret="someone-else"))
    tampered = hook(fake, COMMENT_HOOK)
    tampered.body = tampered.body.replace(b"hi", b"ho")
    assert not fb.verify_webhook(tampered)
    unsigned = hook(fake, COMMENT_HOOK)
    unsigned.headers.pop("x-hub-signature-256")
    assert not fb.verify_webhook(unsigned)


def test_a_page_feed_comment_webhook_becomes_an_inbox_item(fb, fake):
    [event] = fb.parse_webhook(hook(fake, COMMENT_HOOK))
    assert event.account_external_id == "123" and event.kind == "inbox_item"
    item = event.item
    assert (
        item.external_id,
        item.kind,
        item.text,
        item.author_id,
        item.author_name,
        item.post_external_id,
    ) == ("456_1", "comment", "hi", "99", "Ana", "123_456")
    assert item.created_at == datetime.fromtimestamp(1717000000, tz=UTC)


def test_a_reply_webhook_names_its_parent_and_our_own_comments_are_skipped(fb, fake):
    payload = json.loads(json.dumps(COMMENT_HOOK))
    payload["entry"][0]["changes"][0]["value"]["parent_id"] = "456_0"
    [event] = fb.parse_webhook(hook(fake, payload))
    assert event.item.kind == "reply" and event.item.parent_external_id == "456_0"
    payload["entry"][0]["changes"][0]["value"]["from"] = {"id": "123", "name": "Alpha Foods"}
    assert fb.parse_webhook(hook(fake, payload)) == []


def test_a_messenger_webhook_becomes_a_direct_message(fb, fake):
    [event] = fb.parse_webhook(hook(fake, DM_HOOK))
    assert event.kind == "inbox_item"
    assert (event.item.kind, event.item.external_id, event.item.text, event.item.author_id) == (
        "dm",
        "m_1",
        "hi",
        "PSID",
    )
    assert event.item.created_at == datetime.fromtimestamp(1717000000.123, tz=UTC)


def test_liking_and_unliking_a_comment_as_the_page(fb, creds, fake):
    assert FacebookProvider.capabilities.like_comments
    post = fb.publish(creds, PAGE, PublishRequest(text="Menu baru")).external_id
    c1 = fake.add_visitor_comment(post, "Enak banget!")
    fb.like_comment(creds, PAGE, c1)
    assert last(fake, "POST", rf"/v23\.0/{c1}/likes$")
    assert fake.objects[c1]["liked_by"] == {PAGE}
    fb.like_comment(creds, PAGE, c1, liked=False)
    assert last(fake, "DELETE", rf"/v23\.0/{c1}/likes$")
    assert fake.objects[c1]["liked_by"] == set()


def test_liking_a_missing_comment_is_a_provider_error(fb, creds, fake):
    with pytest.raises(ProviderError):
        fb.like_comment(creds, PAGE, "123_missing")
