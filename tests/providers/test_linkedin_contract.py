"""Contract tests for the LinkedIn organization-page connector against the documented-API fake."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest

from channels_registry.providers.base import (
    Credentials,
    InboxItem,
    MediaItem,
    ProviderConfig,
    PublishRequest,
)
from channels_registry.providers.errors import (
    AuthExpired,
    ContentRejected,
    ProviderError,
    RateLimited,
    TransientError,
    UnknownOutcome,
)
from channels_registry.providers.linkedin import LinkedInProvider, escape_little_text
from tests.fakes.linkedin import FakeLinkedIn, render_little

ORG = "1001"
ORG_URN = "urn:li:organization:1001"
CREDS = Credentials(access_token="good-token")


@pytest.fixture(scope="module")
def fake_server():
    server = FakeLinkedIn().start()  # one server per module: stopping one waits for its 0.5 s poll
    yield server
    server.stop()


@pytest.fixture
def fake(fake_server, settings):
    settings.OUTBOUND_ALLOW_LOOPBACK = True
    fake_server.reset()
    fake_server.issue_token("good-token")
    return fake_server


def make_provider(fake: FakeLinkedIn, **extra) -> LinkedInProvider:
    config = ProviderConfig(
        client_id=fake.client_id,
        client_secret=fake.client_secret,
        urls={
            "api": fake.url,
            "auth": f"{fake.url}/oauth/v2/authorization",
            "token": f"{fake.url}/oauth/v2/accessToken",
        },
        extra={"poll_interval": 0, "comments_page_size": 2, **extra},
    )
    return LinkedInProvider(config)


@pytest.fixture
def provider(fake):
    p = make_provider(fake)
    yield p
    p.http.close()


def image(data: bytes = b"\xff\xd8jpeg-bytes", alt: str = "") -> MediaItem:
    return MediaItem(
        kind="image", url="https://media.example/x.jpg", read=lambda: data, alt_text=alt
    )


def rest_requests(fake: FakeLinkedIn):
    return [r for r in fake.requests if r.path.startswith("/rest/")]


# --- OAuth ---------------------------------------------------------------------------------


def test_the_authorization_url_asks_for_a_code_with_the_organization_scopes(provider, fake):
    url = provider.authorization_url(redirect_uri="https://app.example/cb", state="s1")
    parts = urlsplit(url)
    q = parse_qs(parts.query)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == f"{fake.url}/oauth/v2/authorization"
    assert q["response_type"] == ["code"]
    assert q["client_id"] == [fake.client_id]
    assert q["redirect_uri"] == ["https://app.example/cb"]
    assert q["state"] == ["s1"]
    assert set(q["scope"][0].split(" ")) >= {
        "w_organization_social",
        "r_organization_social",
        "rw_organization_admin",
    }


def test_the_default_urls_are_linkedins_documented_endpoints():
    assert (
        LinkedInProvider.default_urls["auth"] == "https://www.linkedin.com/oauth/v2/authorization"
    )
    assert LinkedInProvider.default_urls["token"] == "https://www.linkedin.com/oauth/v2/accessToken"
    assert LinkedInProvider.default_urls["api"] == "https://api.linkedin.com"


def test_exchanging_a_code_lists_one_account_per_administered_organization(provider, fake):
    accounts = provider.exchange_code(code="good-code", redirect_uri="https://app.example/cb")

    assert [(a.external_id, a.name, a.handle) for a in accounts] == [
        ("1001", "Alpha Foods", "alpha-foods"),
        ("1002", "Alpha Labs", "alpha-labs"),
    ]
    assert accounts[0].extra["urn"] == ORG_URN
    assert accounts[0].url == "https://www.linkedin.com/company/alpha-foods/"
    creds = accounts[0].credentials
    assert creds.access_token.startswith("tok-")
    assert creds.refresh_token is None
    assert creds.expires_at is not None
    assert timedelta(days=59) < creds.expires_at - datetime.now(UTC) <= timedelta(days=60)
    assert "w_organization_social" in creds.scopes

    (token_req,) = fake.requests_to("POST", r"^/oauth/v2/accessToken$")
    assert token_req.headers["content-type"].startswith("application/x-www-form-urlencoded")
    assert token_req.form() == {
        "grant_type": "authorization_code",
        "code": "good-code",
        "redirect_uri": "https://app.example/cb",
        "client_id": fake.client_id,
        "client_secret": fake.client_secret,
    }
    (acl_req,) = fake.requests_to("GET", r"^/rest/organizationAcls$")
    assert acl_req.q("q") == "roleAssignee"
    assert acl_req.q("role") == "ADMINISTRATOR"
    assert acl_req.q("state") == "APPROVED"
    (org_req,) = fake.requests_to("GET", r"^/rest/organizations$")
    assert org_req.q("ids") == "List(1001,1002)"


def test_a_refused_code_raises_auth_expired(provider):
    with pytest.raises(AuthExpired) as exc:
        provider.exchange_code(code="stale-code", redirect_uri="https://app.example/cb")
    assert "authorization code expired" in exc.value.message


def test_refresh_without_a_refresh_token_asks_for_re_consent(provider, fake):
    with pytest.raises(AuthExpired) as exc:
        provider.refresh(Credentials(access_token="good-token"))
    assert "re-authorized" in exc.value.message
    assert fake.requests_to("POST", r"accessToken") == []


def test_a_partner_app_refreshes_its_token(provider, fake):
    fake.partner = True
    (account, _) = provider.exchange_code(code="good-code", redirect_uri="https://app.example/cb")
    old = account.credentials
    assert old.refresh_token and old.refresh_expires_at

    new = provider.refresh(old)

    assert new.access_token != old.access_token
    assert new.refresh_token == old.refresh_token
    assert new.expires_at and new.expires_at > datetime.now(UTC) + timedelta(days=59)
    last = fake.requests_to("POST", r"^/oauth/v2/accessToken$")[-1]
    assert last.form()["grant_type"] == "refresh_token"
    assert last.form()["refresh_token"] == old.refresh_token


def test_verify_credentials_names_the_administered_organization(provider):
    account = provider.verify_credentials(CREDS, ORG)
    assert (account.external_id, account.name) == ("1001", "Alpha Foods")


def test_verify_credentials_for_an_organization_no_longer_administered_raises_auth_expired(
    provider,
):
    with pytest.raises(AuthExpired) as exc:
        provider.verify_credentials(CREDS, "3003")
    assert "no longer an approved administrator" in exc.value.message


# --- publishing ----------------------------------------------------------------------------


def test_a_text_post_sends_escaped_little_text_and_returns_the_restli_id(provider, fake):
    text = "Hello (world) #launch with @team_x [beta] *now* ~ok | {x} <y> \\ done #"
    result = provider.publish(CREDS, ORG, PublishRequest(text=text))

    assert result.status == "published"
    assert result.external_id.startswith("urn:li:share:")
    assert result.url == f"https://www.linkedin.com/feed/update/{result.external_id}/"
    (req,) = fake.requests_to("POST", r"^/rest/posts$")
    body = req.json()
    assert body["author"] == ORG_URN
    assert body["commentary"] == (
        "Hello \\(world\\) #launch with \\@team\\_x \\[beta\\] \\*now\\* \\~ok \\| "
        "\\{x\\} \\<y\\> \\\\ done \\#"
    )
    assert body["visibility"] == "PUBLIC"
    assert body["lifecycleState"] == "PUBLISHED"
    assert body["distribution"] == {
        "feedDistribution": "MAIN_FEED",
        "targetEntities": [],
        "thirdPartyDistributionChannels": [],
    }
    assert "content" not in body
    assert req.headers["content-type"].startswith("application/json")
    # what members see is the whole text, not a version cut at the first reserved character
    assert fake.posts[result.external_id]["text"] == text


def test_a_mention_of_an_organization_passes_through_unescaped():
    text = "Thanks @[Alpha Labs](urn:li:organization:1002) (really)"
    escaped = escape_little_text(text)
    assert escaped == "Thanks @[Alpha Labs](urn:li:organization:1002) \\(really\\)"
    assert render_little(escaped) == "Thanks Alpha Labs (really)"
    assert escape_little_text("C# is #1, #Go_Team") == "C\\# is \\#1, #Go\\_Team"


def test_a_link_post_becomes_an_article_card(provider, fake):
    request = PublishRequest(text="Our new menu\nTry it", link="https://alpha.example/menu")
    result = provider.publish(CREDS, ORG, request)

    body = fake.requests_to("POST", r"^/rest/posts$")[0].json()
    assert body["content"] == {
        "article": {"source": "https://alpha.example/menu", "title": "Our new menu"}
    }
    assert (
        fake.posts[result.external_id]["content"]["article"]["source"]
        == "https://alpha.example/menu"
    )


def test_a_link_post_with_one_image_uses_it_as_the_article_thumbnail(provider, fake):
    request = PublishRequest(
        text="Menu", link="https://alpha.example/menu", media=[image(alt="A bowl")]
    )
    provider.publish(CREDS, ORG, request)

    article = fake.requests_to("POST", r"^/rest/posts$")[0].json()["content"]["article"]
    assert article["thumbnail"].startswith("urn:li:image:")
    assert article["thumbnailAltText"] == "A bowl"


def test_an_image_post_uploads_the_bytes_and_waits_until_the_image_is_available(provider, fake):
    fake.processing_polls = 2
    data = b"\xff\xd8" + b"x" * 100
    result = provider.publish(
        CREDS, ORG, PublishRequest(text="Pic", media=[image(data, alt="Soup")])
    )

    (init,) = fake.requests_to("POST", r"^/rest/images$")
    assert init.q("action") == "initializeUpload"
    assert init.json() == {"initializeUploadRequest": {"owner": ORG_URN}}
    (put,) = fake.requests_to("PUT", r"^/dms-uploads/")
    assert put.body == data
    assert put.headers["authorization"] == "Bearer good-token"
    polls = fake.requests_to("GET", r"^/rest/images/")
    assert len(polls) == 3  # PROCESSING, PROCESSING, AVAILABLE
    assert polls[0].path.startswith("/rest/images/urn%3Ali%3Aimage%3A")
    media = fake.requests_to("POST", r"^/rest/posts$")[0].json()["content"]["media"]
    assert media["altText"] == "Soup"
    assert fake.images[media["id"]]["bytes"] == data
    assert result.external_id.startswith("urn:li:share:")


def test_a_multi_image_post_sends_multiImage_with_every_upload(provider, fake):
    media = [image(b"img-%d" % i, alt=f"alt {i}") for i in range(3)]
    result = provider.publish(CREDS, ORG, PublishRequest(text="Three", media=media))

    content = fake.requests_to("POST", r"^/rest/posts$")[0].json()["content"]
    images = content["multiImage"]["images"]
    assert [i["altText"] for i in images] == ["alt 0", "alt 1", "alt 2"]
    assert [fake.images[i["id"]]["bytes"] for i in images] == [b"img-0", b"img-1", b"img-2"]
    assert result.external_id.startswith("urn:li:ugcPost:")


def test_more_than_twenty_images_are_rejected_before_any_call(provider, fake):
    with pytest.raises(ContentRejected, match="at most 20 images"):
        provider.publish(CREDS, ORG, PublishRequest(text="x", media=[image() for _ in range(21)]))
    assert rest_requests(fake) == []


def test_a_video_post_uploads_each_byte_range_and_finalizes_with_the_etags(provider, fake):
    fake.video_part_size = 10
    data = bytes(range(25))
    video = MediaItem(
        kind="video", url="https://media.example/v.mp4", read=lambda: data, mime_type="video/mp4"
    )
    result = provider.publish(CREDS, ORG, PublishRequest(text="Watch", media=[video]))

    init, finalize = fake.requests_to("POST", r"^/rest/videos$")
    assert init.q("action") == "initializeUpload"
    assert init.json() == {
        "initializeUploadRequest": {
            "owner": ORG_URN,
            "fileSizeBytes": 25,
            "uploadCaptions": False,
            "uploadThumbnail": False,
        }
    }
    puts = fake.requests_to("PUT", r"^/dms-uploads/")
    assert [p.body for p in puts] == [data[0:10], data[10:20], data[20:25]]
    assert all(p.headers["content-type"] == "application/octet-stream" for p in puts)
    assert finalize.q("action") == "finalizeUpload"
    fin = finalize.json()["finalizeUploadRequest"]
    assert fin["uploadedPartIds"] == [f"/ama/part-{p.path.rsplit('/', 1)[1]}" for p in puts]
    assert fin["uploadToken"] == fake.videos[fin["video"]]["uploadToken"]
    assert fake.requests_to("GET", r"^/rest/videos/urn%3Ali%3Avideo%3A")
    content = fake.requests_to("POST", r"^/rest/posts$")[0].json()["content"]
    assert content == {"media": {"id": fin["video"]}}
    assert result.external_id.startswith("urn:li:ugcPost:")


def test_media_that_fails_processing_raises_content_rejected(provider, fake):
    fake.fail_processing = True
    with pytest.raises(ContentRejected, match="could not process"):
        provider.publish(CREDS, ORG, PublishRequest(text="Pic", media=[image()]))
    assert fake.requests_to("POST", r"^/rest/posts$") == []


def test_a_first_comment_is_posted_as_the_organization(provider, fake):
    request = PublishRequest(text="Launch", first_comment="Details: https://alpha.example")
    result = provider.publish(CREDS, ORG, request)

    (req,) = fake.requests_to("POST", r"^/rest/socialActions/")
    assert req.path == f"/rest/socialActions/{result.external_id.replace(':', '%3A')}/comments"
    assert req.json() == {
        "actor": ORG_URN,
        "object": result.external_id,
        "message": {"text": "Details: https://alpha.example"},
    }
    assert result.first_comment_id.startswith("urn:li:comment:(urn:li:activity:")
    assert fake.comments[result.first_comment_id]["actor"] == ORG_URN


def test_stories_and_reels_are_rejected(provider, fake):
    for fmt in ("story", "reel"):
        with pytest.raises(ContentRejected):
            provider.publish(CREDS, ORG, PublishRequest(text="x", format=fmt))
    assert rest_requests(fake) == []


def test_text_over_3000_characters_is_rejected_before_calling_linkedin(provider, fake):
    with pytest.raises(ContentRejected, match="3000"):
        provider.publish(CREDS, ORG, PublishRequest(text="a" * 3001))
    assert rest_requests(fake) == []


def test_a_duplicate_post_raises_content_rejected_with_linkedins_message(provider):
    first = provider.publish(CREDS, ORG, PublishRequest(text="Same words"))
    with pytest.raises(ContentRejected) as exc:
        provider.publish(CREDS, ORG, PublishRequest(text="Same words"))
    assert f"Content is a duplicate of {first.external_id}" in exc.value.message
    assert exc.value.status == 422
    assert exc.value.permanent


def test_a_page_the_member_does_not_administer_raises_auth_expired(provider):
    with pytest.raises(AuthExpired) as exc:
        provider.publish(CREDS, "3003", PublishRequest(text="Hi"))
    assert exc.value.status == 403


def test_delete_post_sends_the_encoded_urn_and_tolerates_an_already_deleted_post(provider, fake):
    result = provider.publish(CREDS, ORG, PublishRequest(text="Bye"))
    provider.delete_post(CREDS, ORG, result.external_id)

    (req,) = fake.requests_to("DELETE", r"^/rest/posts/")
    assert req.path == "/rest/posts/" + result.external_id.replace(":", "%3A")
    assert result.external_id not in fake.posts
    provider.delete_post(CREDS, ORG, result.external_id)  # 404 → already gone


def test_find_existing_settles_an_unconfirmed_publish_by_its_text(provider, fake):
    since = datetime.now(UTC) - timedelta(minutes=5)
    request = PublishRequest(text="Lost (response) #news", first_comment="More soon")
    published = provider.publish(CREDS, ORG, request)
    provider.publish(CREDS, ORG, PublishRequest(text="Something else"))

    found = provider.find_existing(CREDS, ORG, request, since)

    assert found is not None
    assert found.external_id == published.external_id
    assert found.url == published.url
    assert found.first_comment_id == published.first_comment_id
    finder = fake.requests_to("GET", r"^/rest/posts$")[0]
    assert finder.q("q") == "author"
    assert finder.q("author") == ORG_URN
    assert finder.headers["x-restli-method"] == "FINDER"
    assert provider.find_existing(CREDS, ORG, PublishRequest(text="Never sent"), since) is None
    assert (
        provider.find_existing(CREDS, ORG, request, datetime.now(UTC) + timedelta(hours=1)) is None
    )


# --- inbox ---------------------------------------------------------------------------------


def test_fetch_inbox_returns_comments_and_replies_then_only_newer_ones_with_the_cursor(
    provider, fake
):
    post = provider.publish(
        CREDS, ORG, PublishRequest(text="Ask us", first_comment="Ask away")
    ).external_id
    base = fake.now_ms()
    c1 = fake.add_comment(post, "First!", at_ms=base + 1)
    fake.add_comment(post, "Second", at_ms=base + 2, actor="urn:li:person:Visitor2")
    fake.add_comment(post, "Third", at_ms=base + 3)
    fake.add_comment(post, "A reply", at_ms=base + 4, parent=c1, actor="urn:li:person:Visitor3")

    page = provider.fetch_inbox(CREDS, ORG)

    assert [(i.kind, i.text) for i in page.items] == [
        ("comment", "First!"),
        ("comment", "Second"),
        ("comment", "Third"),
        ("reply", "A reply"),
    ]
    first, reply = page.items[0], page.items[3]
    assert first.external_id == c1
    assert first.post_external_id == post
    assert first.author_id == "urn:li:person:Visitor1"
    assert first.created_at == datetime.fromtimestamp((base + 1) / 1000, tz=UTC)
    assert first.permalink.startswith(f"https://www.linkedin.com/feed/update/{post}/?commentUrn=")
    assert reply.parent_external_id == c1 and reply.thread_id == c1
    lists = [
        r for r in fake.requests_to("GET", r"^/rest/socialActions/") if r.path.endswith("/comments")
    ]
    assert [(r.q("start"), r.q("count")) for r in lists[:2]] == [("0", "2"), ("2", "2")]

    assert provider.fetch_inbox(CREDS, ORG, page.cursor).items == []
    fake.add_comment(post, "Late comment", at_ms=base + 10)
    newer = provider.fetch_inbox(CREDS, ORG, page.cursor)
    assert [i.text for i in newer.items] == ["Late comment"]
    assert newer.cursor != page.cursor


def test_reply_nests_under_the_comment_as_the_organization(provider, fake):
    post = provider.publish(CREDS, ORG, PublishRequest(text="Q&A")).external_id
    comment = fake.add_comment(post, "When?")
    (item,) = provider.fetch_inbox(CREDS, ORG).items

    reply_id = provider.reply(CREDS, ORG, item, "Tomorrow (9:00)")

    req = fake.requests_to("POST", r"^/rest/socialActions/")[-1]
    assert (
        req.path
        == "/rest/socialActions/"
        + comment.replace(":", "%3A").replace("(", "%28").replace(",", "%2C").replace(")", "%29")
        + "/comments"
    )
    assert req.json() == {
        "actor": ORG_URN,
        "object": fake.posts[post]["activity"],
        "message": {"text": "Tomorrow (9:00)"},
        "parentComment": comment,
    }
    assert fake.comments[reply_id]["parentComment"] == comment
    assert fake.comments[reply_id]["actor"] == ORG_URN


def test_a_reply_to_a_reply_goes_under_the_top_level_comment(provider, fake):
    post = provider.publish(CREDS, ORG, PublishRequest(text="Thread")).external_id
    top = fake.add_comment(post, "Top")
    fake.add_comment(post, "Nested", parent=top, actor="urn:li:person:V2", at_ms=fake.now_ms() + 5)
    nested = next(i for i in provider.fetch_inbox(CREDS, ORG).items if i.kind == "reply")

    reply_id = provider.reply(CREDS, ORG, nested, "Thanks both")

    assert fake.comments[reply_id]["parentComment"] == top


def test_direct_messages_cannot_be_answered(provider):
    dm = InboxItem(external_id="x", kind="dm", text="hi", author_id="urn:li:person:1")
    with pytest.raises(ContentRejected, match="no messaging API"):
        provider.reply(CREDS, ORG, dm, "hello")


def test_hiding_a_comment_is_not_supported(provider, fake):
    assert LinkedInProvider.capabilities.hide_comments is False
    with pytest.raises(ProviderError) as exc:
        provider.hide_comment(CREDS, ORG, "urn:li:comment:(urn:li:activity:1,2)")
    assert exc.value.permanent
    assert rest_requests(fake) == []


def test_delete_comment_removes_the_organizations_own_comment_only(provider, fake):
    result = provider.publish(CREDS, ORG, PublishRequest(text="Oops", first_comment="Wrong link"))
    own = result.first_comment_id

    provider.delete_comment(CREDS, ORG, own)

    (req,) = fake.requests_to("DELETE", r"^/rest/socialActions/")
    activity, comment_id = own[len("urn:li:comment:(") : -1].split(",")
    assert req.path == f"/rest/socialActions/{activity.replace(':', '%3A')}/comments/{comment_id}"
    assert req.q("actor") == ORG_URN
    assert own not in fake.comments

    visitor = fake.add_comment(result.external_id, "Not yours to delete")
    with pytest.raises(ContentRejected) as exc:
        provider.delete_comment(CREDS, ORG, visitor)
    assert exc.value.status == 403
    assert visitor in fake.comments


def test_like_comment_reacts_as_the_organization_through_the_reactions_api(provider, fake):
    post = provider.publish(CREDS, ORG, PublishRequest(text="Thoughts?")).external_id
    comment = fake.add_comment(post, "Love this")

    provider.like_comment(CREDS, ORG, comment)

    (req,) = fake.requests_to("POST", r"^/rest/reactions$")
    assert req.q("actor") == ORG_URN
    assert req.json() == {"root": comment, "reactionType": "LIKE"}
    assert fake.reactions == {(ORG_URN, comment): "LIKE"}
    provider.like_comment(CREDS, ORG, comment)  # again: still one like
    assert fake.reactions == {(ORG_URN, comment): "LIKE"}

    provider.like_comment(CREDS, ORG, comment, liked=False)

    (gone,) = fake.requests_to("DELETE", r"^/rest/reactions/")
    assert gone.path == (
        "/rest/reactions/(actor:urn%3Ali%3Aorganization%3A1001,entity:"
        + comment.replace(":", "%3A").replace("(", "%28").replace(",", "%2C").replace(")", "%29")
        + ")"
    )
    assert fake.reactions == {}
    provider.like_comment(CREDS, ORG, comment, liked=False)  # already gone: done, no error


def test_like_comment_refusals_are_clear(provider, fake):
    with pytest.raises(ContentRejected, match="Not a LinkedIn comment URN"):
        provider.like_comment(CREDS, ORG, "urn:li:share:1")
    post = provider.publish(CREDS, ORG, PublishRequest(text="Hi")).external_id
    comment = fake.add_comment(post, "Hello")
    with pytest.raises(ContentRejected) as exc:  # not an admin of this page
        provider.like_comment(CREDS, "3003", comment)
    assert exc.value.status == 403 and fake.reactions == {}
    with pytest.raises(ProviderError):  # a comment that is gone
        provider.like_comment(CREDS, ORG, "urn:li:comment:(urn:li:activity:9,9)")


# --- metrics -------------------------------------------------------------------------------


def test_account_metrics_map_daily_share_statistics_and_followers(provider, fake):
    today = datetime.now(UTC).date()
    d1, d2 = today - timedelta(days=3), today - timedelta(days=2)
    fake.daily_stats = {
        d1: {
            "impressionCount": 100,
            "clickCount": 5,
            "likeCount": 7,
            "commentCount": 2,
            "shareCount": 1,
            "engagement": 0.15,
        },
        d2: {
            "impressionCount": 50,
            "clickCount": 1,
            "likeCount": 1,
            "commentCount": 0,
            "shareCount": 0,
            "engagement": 0.04,
        },
    }
    fake.follower_gains = {d2: (3, 1), today - timedelta(days=1): (2, 0), today: (1, 0)}
    fake.followers = {ORG_URN: 1000}

    metrics = provider.fetch_account_metrics(CREDS, ORG, d1, d2)

    assert [(m.day, m.impressions, m.engagements, m.followers) for m in metrics] == [
        (d1, 100, 15, 1000 - 4 - 2 - 1),
        (d2, 50, 2, 1000 - 2 - 1),
    ]
    (stats,) = fake.requests_to("GET", r"^/rest/organizationalEntityShareStatistics$")
    assert stats.q("q") == "organizationalEntity"
    assert stats.q("organizationalEntity") == ORG_URN
    start = int(datetime(d1.year, d1.month, d1.day, tzinfo=UTC).timestamp() * 1000)
    end = start + 2 * 86_400_000
    assert (
        stats.q("timeIntervals") == f"(timeRange:(start:{start},end:{end}),timeGranularityType:DAY)"
    )
    (size,) = fake.requests_to("GET", r"^/rest/networkSizes/")
    assert size.path == "/rest/networkSizes/urn%3Ali%3Aorganization%3A1001"
    assert size.q("edgeType") == "COMPANY_FOLLOWED_BY_MEMBER"


def test_post_metrics_ask_for_shares_and_ugc_posts_by_list(provider, fake):
    share, ugc = "urn:li:share:11", "urn:li:ugcPost:22"
    fake.post_stats = {
        share: {
            "impressionCount": 900,
            "uniqueImpressionsCount": 700,
            "clickCount": 30,
            "likeCount": 20,
            "commentCount": 4,
            "shareCount": 2,
            "engagement": 0.06,
        },
        ugc: {
            "impressionCount": 10,
            "clickCount": 0,
            "likeCount": 1,
            "commentCount": 0,
            "shareCount": 0,
        },
    }

    metrics = provider.fetch_post_metrics(CREDS, ORG, [share, ugc, "urn:li:share:99"])

    assert [
        (m.external_id, m.impressions, m.reach, m.likes, m.comments, m.shares, m.clicks)
        for m in metrics
    ] == [(share, 900, 700, 20, 4, 2, 30), (ugc, 10, None, 1, 0, 0, 0)]
    reqs = fake.requests_to("GET", r"^/rest/organizationalEntityShareStatistics$")
    assert [r.q("shares") for r in reqs] == ["List(urn:li:share:11,urn:li:share:99)", None]
    assert reqs[1].q("ugcPosts") == "List(urn:li:ugcPost:22)"


# --- errors --------------------------------------------------------------------------------


def test_an_expired_token_raises_auth_expired_without_leaking_it(provider, fake):
    fake.issue_token("revoked-token-secret", revoked=True)
    with pytest.raises(AuthExpired) as exc:
        provider.publish(
            Credentials(access_token="revoked-token-secret"), ORG, PublishRequest(text="x")
        )
    assert exc.value.status == 401
    assert exc.value.code == "REVOKED_ACCESS_TOKEN"
    assert "revoked-token-secret" not in str(exc.value)


def test_a_429_raises_rate_limited_until_the_next_utc_midnight(provider, fake):
    provider._utcnow = lambda: datetime(2026, 11, 23, 23, 0, 0, tzinfo=UTC)
    fake.throttle_next(r"^/rest/posts$")
    with pytest.raises(RateLimited) as exc:
        provider.publish(CREDS, ORG, PublishRequest(text="x"))
    assert exc.value.retry_after == 3600
    assert "resets at 00:00 UTC" in exc.value.message

    provider._utcnow = lambda: datetime(2026, 11, 23, 23, 59, 30, tzinfo=UTC)
    fake.throttle_next(r"^/rest/organizationAcls$")
    with pytest.raises(RateLimited) as exc:
        provider.verify_credentials(CREDS, ORG)
    assert exc.value.retry_after == 60  # never less than a minute


def test_a_sunset_api_version_raises_a_permanent_error_naming_it(fake):
    fake.sunset_versions = {"202401"}
    provider = make_provider(fake, version="202401")
    with pytest.raises(ProviderError) as exc:
        provider.publish(CREDS, ORG, PublishRequest(text="x"))
    assert exc.value.status == 426
    assert exc.value.permanent
    assert "202401" in exc.value.message
    assert fake.requests[-1].headers["linkedin-version"] == "202401"


def test_every_rest_call_sends_the_version_and_protocol_headers(provider, fake):
    provider.publish(CREDS, ORG, PublishRequest(text="Hdr", media=[image()], first_comment="c"))
    provider.fetch_inbox(CREDS, ORG)
    calls = rest_requests(fake)
    assert len(calls) >= 6
    for r in calls:
        assert r.headers["linkedin-version"] == provider.version
        assert r.headers["x-restli-protocol-version"] == "2.0.0"
        assert r.headers["authorization"] == "Bearer good-token"


def test_a_server_error_raises_transient_error(provider, fake):
    fake.fail_next(
        r"^/rest/organizationAcls$", 503, {"status": 503, "message": "Service Unavailable"}
    )
    with pytest.raises(TransientError) as exc:
        provider.verify_credentials(CREDS, ORG)
    assert exc.value.status == 503


def test_a_server_error_on_publish_is_an_unknown_outcome_to_settle_with_find_existing(
    provider, fake
):
    fake.fail_next(r"^/rest/posts$", 504, {"status": 504, "message": "Gateway Timeout"})
    with pytest.raises(UnknownOutcome) as exc:
        provider.publish(CREDS, ORG, PublishRequest(text="x"))
    assert exc.value.status == 504
    assert len(fake.requests_to("POST", r"^/rest/posts$")) == 1  # never retried by the provider


@pytest.mark.parametrize("status", [200, 502])
def test_a_non_json_answer_raises_transient_error(provider, fake, status):
    fake.fail_next(r"^/rest/organizationAcls$", status, mode="garbage")
    with pytest.raises(TransientError):
        provider.verify_credentials(CREDS, ORG)


def test_a_422_raises_content_rejected_with_linkedins_message(provider, fake):
    fake.fail_next(
        r"^/rest/posts$",
        422,
        {
            "status": 422,
            "serviceErrorCode": 100,
            "code": "UNPROCESSABLE_ENTITY",
            "message": "/commentary :: contains a disallowed link",
        },
    )
    with pytest.raises(ContentRejected) as exc:
        provider.publish(CREDS, ORG, PublishRequest(text="x"))
    assert "/commentary :: contains a disallowed link" in exc.value.message


def test_the_bearer_token_goes_only_to_linkedin_upload_hosts(provider):
    assert "Authorization" in provider._upload_headers(
        CREDS, "https://www.linkedin.com/dms-uploads/x", "image/png"
    )
    assert "Authorization" not in provider._upload_headers(
        CREDS, "https://uploads.example/x", "image/png"
    )


# --- capabilities and webhooks -------------------------------------------------------------


def test_capabilities_match_the_documented_limits():
    caps = LinkedInProvider.capabilities
    assert (caps.text_limit, caps.max_images, caps.max_videos) == (3000, 20, 1)
    assert caps.first_comment and caps.link_posts and caps.comments_api and caps.delete_comments
    assert caps.like_comments
    assert not (
        caps.stories or caps.reels or caps.direct_messages or caps.hide_comments or caps.webhooks
    )
    assert caps.video is not None and caps.video.max_bytes == 500 * 1024 * 1024
    assert caps.video.max_seconds == 1800 and caps.video.min_seconds == 3


def test_webhooks_are_partner_only_so_none_are_handled(provider):
    from channels_registry.providers.base import WebhookRequest

    req = WebhookRequest(method="GET", headers={}, query={"challengeCode": "abc"}, body=b"")
    assert provider.webhook_handshake(req) is None
    assert provider.verify_webhook(req) is False
    assert provider.parse_webhook(req) == []
