"""Contract tests for the Mastodon connector against the loopback fake (docs.joinmastodon.org).

They assert on what the fake received (paths, headers, form fields) as well as on results, so a
drift from the documented API fails here. No database, no sleeps: polling runs with interval 0.
"""

from __future__ import annotations

import socket
from datetime import UTC, date, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from channels_registry.providers import provider_class
from channels_registry.providers.base import (
    Credentials,
    InboxItem,
    MediaItem,
    ProviderConfig,
    PublishRequest,
)
from channels_registry.providers.errors import (
    AuthExpired,
    BlockedDestination,
    ContentRejected,
    ProviderError,
    RateLimited,
    TransientError,
    UnknownOutcome,
)
from channels_registry.providers.mastodon import (
    MastodonProvider,
    html_to_text,
    instance_host,
    normalize_instance_url,
    qualified_account_id,
    split_account_id,
)
from tests.fakes.mastodon import MastodonFake

REDIRECT = "https://socialops.example/connect/mastodon/callback"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
MP4 = b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 64


@pytest.fixture
def fake(settings):
    settings.OUTBOUND_ALLOW_LOOPBACK = True
    server = MastodonFake().start()
    yield server
    server.stop()


def make_provider(fake: MastodonFake | None = None, **kw) -> MastodonProvider:
    return MastodonProvider(
        ProviderConfig(
            client_id="config-client",
            client_secret="config-secret",
            urls={"api": fake.url} if fake else {},
            extra={"poll_interval": 0, "media_timeout": 5, **kw.pop("extra", {})},
        ),
        **kw,
    )


@pytest.fixture
def provider(fake):
    p = make_provider(fake)
    yield p
    p.http.close()


@pytest.fixture
def creds(fake):
    token = fake.issue_token(fake.owner_id, " ".join(MastodonProvider.default_scopes))
    return Credentials(
        access_token=token, scopes=MastodonProvider.default_scopes, extra={"instance_url": fake.url}
    )


@pytest.fixture
def alice(fake):
    return fake.add_account("alice@elsewhere.example", "Alice")


def image(alt: str = "", data: bytes = PNG) -> MediaItem:
    return MediaItem(kind="image", url="", read=lambda: data, mime_type="image/png", alt_text=alt)


def statuses_posted(fake):
    return fake.requests_to("POST", r"^/api/v1/statuses$")


# --- registry and instance addresses ---------------------------------------------------------


def test_the_registry_names_this_provider():
    assert provider_class("mastodon") is MastodonProvider
    assert MastodonProvider.capabilities.auth_kind == "instance_oauth2"
    assert MastodonProvider.capabilities.hide_comments is False
    assert MastodonProvider.capabilities.webhooks is False


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("mastodon.social", "https://mastodon.social"),
        ("  https://Mastodon.Social/about  ", "https://mastodon.social"),
        ("@someone@fosstodon.org", "https://fosstodon.org"),
        ("https://social.example:8443/", "https://social.example:8443"),
    ],
)
def test_a_typed_instance_address_is_normalized(typed, expected):
    assert normalize_instance_url(typed) == expected


def test_an_instance_address_with_another_scheme_or_a_password_is_refused():
    with pytest.raises(BlockedDestination):
        normalize_instance_url("ftp://mastodon.social")
    with pytest.raises(BlockedDestination):
        normalize_instance_url("https://me:secret@mastodon.social")
    with pytest.raises(ProviderError):
        normalize_instance_url("")


def test_a_loopback_or_private_instance_is_refused_without_the_test_setting(settings, fake, creds):
    settings.OUTBOUND_ALLOW_LOOPBACK = False
    provider = make_provider()
    for address in (
        f"https://127.0.0.1:{urlsplit(fake.url).port}",
        "https://10.1.2.3",
        "https://localhost",
    ):
        with pytest.raises(BlockedDestination, match="private or local address"):
            provider.register_app(address, redirect_uri=REDIRECT)
    with pytest.raises(BlockedDestination):
        provider.authorization_url(
            redirect_uri=REDIRECT,
            state="s",
            extra={"instance_url": "https://192.168.1.10", "client_id": "c"},
        )
    with pytest.raises(BlockedDestination):  # plain http to the fake: refused before any request
        provider.verify_credentials(creds, fake.owner_id)
    assert fake.requests == []


def test_an_unreachable_instance_raises_a_clear_transient_error(settings):
    settings.OUTBOUND_ALLOW_LOOPBACK = True
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    provider = make_provider()
    with pytest.raises(
        TransientError, match=r"Mastodon server 127\.0\.0\.1 could not be reached"
    ) as info:
        provider.register_app(f"http://127.0.0.1:{port}", redirect_uri=REDIRECT)
    assert not isinstance(info.value, UnknownOutcome)


def test_credentials_without_an_instance_are_never_sent_elsewhere(fake):
    provider = make_provider()  # no configured instance
    with pytest.raises(ProviderError, match="which server"):
        provider.verify_credentials(Credentials(access_token="tok"), fake.owner_id)
    assert fake.requests == []


# --- app registration and OAuth --------------------------------------------------------------


def test_register_app_posts_the_documented_fields_and_returns_the_client_pair(fake):
    provider = make_provider(
        extra={"client_name": "SocialOps Test", "website": "https://socialops.example"}
    )
    pair = provider.register_app(fake.url, redirect_uri=REDIRECT)

    assert set(pair) == {"client_id", "client_secret"}
    assert fake.apps[pair["client_id"]]["client_secret"] == pair["client_secret"]
    (sent,) = fake.requests_to("POST", r"^/api/v1/apps$")
    form = sent.form()
    assert form == {
        "client_name": "SocialOps Test",
        "redirect_uris": REDIRECT,
        "scopes": " ".join(MastodonProvider.default_scopes),
        "website": "https://socialops.example",
    }
    assert "authorization" not in sent.headers


def test_a_bad_redirect_uri_is_rejected_with_the_servers_message(fake, provider):
    with pytest.raises(ContentRejected, match="Redirect URI must be an absolute URI"):
        provider.register_app(fake.url, redirect_uri="not-a-uri")


def test_the_authorization_url_uses_the_per_instance_client_and_pkce(fake, provider):
    pair = provider.register_app(fake.url, redirect_uri=REDIRECT)
    url = provider.authorization_url(
        redirect_uri=REDIRECT,
        state="st-1",
        code_verifier="v" * 50,
        extra={"instance_url": fake.url, **pair},
    )
    parts = urlsplit(url)
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == f"{fake.url}/oauth/authorize"
    assert query["response_type"] == "code"
    assert query["client_id"] == pair["client_id"]
    assert query["redirect_uri"] == REDIRECT
    assert query["scope"] == " ".join(MastodonProvider.default_scopes)
    assert query["state"] == "st-1"
    assert query["code_challenge_method"] == "S256"
    assert "client_secret" not in query

    # The instance accepts it: the signed-in person is sent back with a code and our state.
    answer = httpx.get(url, follow_redirects=False)
    assert answer.status_code == 302
    back = parse_qs(urlsplit(answer.headers["location"]).query)
    assert back["state"] == ["st-1"]
    assert back["code"]


def test_exchanging_the_code_returns_the_account_with_its_instance(fake, provider):
    pair = provider.register_app(fake.url, redirect_uri=REDIRECT)
    extra = {"instance_url": fake.url, **pair}
    url = provider.authorization_url(
        redirect_uri=REDIRECT, state="s", code_verifier="w" * 64, extra=extra
    )
    code = parse_qs(urlsplit(httpx.get(url).headers["location"]).query)["code"][0]

    (account,) = provider.exchange_code(
        code=code, redirect_uri=REDIRECT, code_verifier="w" * 64, extra=extra
    )

    (sent,) = fake.requests_to("POST", r"^/oauth/token$")
    form = sent.form()
    assert form["grant_type"] == "authorization_code"
    assert form["client_id"] == pair["client_id"]
    assert form["client_secret"] == pair["client_secret"]
    assert form["redirect_uri"] == REDIRECT
    assert form["code"] == code
    assert form["code_verifier"] == "w" * 64
    # Ids are unique per server only: the external id names the server (host and port).
    assert account.external_id == f"{fake.owner_id}@127.0.0.1:{urlsplit(fake.url).port}"
    assert account.handle == "@brand@127.0.0.1"
    assert account.name == "Brand Team"
    assert account.credentials.extra["instance_url"] == fake.url
    assert account.credentials.expires_at is None and account.credentials.refresh_token is None
    assert set(account.credentials.scopes) == set(MastodonProvider.default_scopes)
    (verify,) = fake.requests_to("GET", r"verify_credentials$")
    assert verify.bearer == account.credentials.access_token
    assert account.credentials.access_token not in repr(account.credentials)


def test_the_client_falls_back_to_the_provider_config(fake, provider):
    url = provider.authorization_url(
        redirect_uri=REDIRECT, state="s", extra={"instance_url": fake.url}
    )
    assert parse_qs(urlsplit(url).query)["client_id"] == ["config-client"]
    with pytest.raises(AuthExpired, match="invalid_client"):  # the fake never registered it
        provider.exchange_code(code="x", redirect_uri=REDIRECT, extra={"instance_url": fake.url})
    assert fake.requests_to("POST", r"^/oauth/token$")[0].form()["client_secret"] == "config-secret"


def test_a_used_code_is_refused_with_the_oauth_error(fake, provider):
    client_id, client_secret = fake.add_app(REDIRECT, " ".join(MastodonProvider.default_scopes))
    with pytest.raises(ProviderError, match="invalid_grant") as info:
        provider.exchange_code(
            code="nope",
            redirect_uri=REDIRECT,
            extra={
                "instance_url": fake.url,
                "client_id": client_id,
                "client_secret": client_secret,
            },
        )
    assert info.value.code == "invalid_grant"
    assert info.value.permanent


def test_refresh_keeps_the_non_expiring_token_after_checking_it(fake, provider, creds):
    assert provider.refresh(creds) is creds
    assert (
        fake.requests_to("GET", r"^/api/v1/accounts/verify_credentials$")[0].bearer
        == creds.access_token
    )


def test_verify_credentials_names_the_account(fake, provider, creds):
    account = provider.verify_credentials(creds, fake.owner_id)
    assert account.external_id == qualified_account_id(fake.owner_id, fake.url)
    assert account.extra["followers_count"] == 1234


def test_a_token_for_another_account_needs_reconnecting(fake, provider, creds, alice):
    with pytest.raises(AuthExpired, match="different account"):
        provider.verify_credentials(creds, alice["id"])


def test_an_expired_token_raises_auth_expired(fake, provider, creds):
    fake.revoke(creds.access_token)
    with pytest.raises(AuthExpired, match="The access token was revoked") as info:
        provider.publish(creds, fake.owner_id, PublishRequest(text="hello"))
    assert info.value.status == 401
    assert creds.access_token not in str(info.value)


def test_a_token_without_the_scope_raises_auth_expired(fake, provider):
    token = fake.issue_token(fake.owner_id, "read")
    creds = Credentials(access_token=token, extra={"instance_url": fake.url})
    with pytest.raises(AuthExpired, match="outside the authorized scopes"):
        provider.publish(creds, fake.owner_id, PublishRequest(text="hello"))


# --- publishing --------------------------------------------------------------------------------


def test_a_text_post_sends_the_idempotency_key_and_returns_the_status(fake, provider, creds):
    result = provider.publish(
        creds,
        fake.owner_id,
        PublishRequest(text="Hello fediverse #launch", idempotency_key="attempt-1"),
    )

    (sent,) = statuses_posted(fake)
    assert sent.headers["idempotency-key"] == "attempt-1"
    assert sent.bearer == creds.access_token
    assert sent.form() == {"status": "Hello fediverse #launch", "visibility": "public"}
    assert result.status == "published"
    assert result.external_id in fake.statuses
    assert result.url.endswith(f"/@brand/{result.external_id}")


def test_the_same_idempotency_key_does_not_post_twice(fake, provider, creds):
    first = provider.publish(creds, fake.owner_id, PublishRequest(text="once", idempotency_key="k"))
    second = provider.publish(
        creds, fake.owner_id, PublishRequest(text="once", idempotency_key="k")
    )
    assert first.external_id == second.external_id
    assert len(fake.statuses_by(fake.owner_id)) == 1


def test_a_link_post_puts_the_link_in_the_text_once(fake, provider, creds):
    provider.publish(
        creds, fake.owner_id, PublishRequest(text="Read this", link="https://brand.example/post")
    )
    provider.publish(
        creds,
        fake.owner_id,
        PublishRequest(text="Read https://brand.example/x", link="https://brand.example/x"),
    )
    first, second = (r.form()["status"] for r in statuses_posted(fake))
    assert first == "Read this\n\nhttps://brand.example/post"
    assert second == "Read https://brand.example/x"


def test_an_image_post_uploads_with_alt_text_then_attaches_the_media(fake, provider, creds):
    result = provider.publish(
        creds, fake.owner_id, PublishRequest(text="Look", media=[image("A red bike")])
    )

    (upload,) = fake.requests_to("POST", r"^/api/v2/media$")
    fields = fake.params(upload)
    assert fields["description"] == ["A red bike"]
    assert fields["file"][0]["data"] == PNG
    assert fields["file"][0]["content_type"] == "image/png"
    assert upload.bearer == creds.access_token
    (media_id,) = fake.media
    assert statuses_posted(fake)[0].form()["media_ids[]"] == media_id
    assert result.raw["media_attachments"][0]["description"] == "A red bike"


def test_four_images_make_one_status(fake, provider, creds):
    provider.publish(
        creds,
        fake.owner_id,
        PublishRequest(text="Gallery", media=[image(f"p{i}") for i in range(4)]),
    )
    assert len(fake.requests_to("POST", r"^/api/v2/media$")) == 4
    (sent,) = statuses_posted(fake)
    assert parse_qs(sent.body.decode())["media_ids[]"] == list(fake.media)


def test_a_video_is_polled_until_processed_before_the_status_is_posted(fake, provider, creds):
    video = MediaItem(
        kind="video", url="", read=lambda: MP4, mime_type="video/mp4", alt_text="Clip"
    )
    result = provider.publish(creds, fake.owner_id, PublishRequest(text="Watch", media=[video]))

    (media_id,) = fake.media
    polls = fake.requests_to("GET", rf"^/api/v1/media/{media_id}$")
    assert len(polls) == 3  # 206, 206, then 200 with a url
    last_poll = fake.requests.index(polls[-1])
    assert fake.requests.index(statuses_posted(fake)[0]) > last_poll
    assert result.raw["media_attachments"][0]["url"]


def test_media_that_never_finishes_processing_fails_before_posting(fake, creds):
    fake.processing_polls["video"] = 10_000
    provider = make_provider(fake, extra={"media_timeout": 0.05})
    video = MediaItem(kind="video", url="", read=lambda: MP4, mime_type="video/mp4")
    with pytest.raises(TransientError, match="still processing"):
        provider.publish(creds, fake.owner_id, PublishRequest(text="Watch", media=[video]))
    assert statuses_posted(fake) == []


def test_media_is_pulled_from_its_signed_url_when_there_are_no_bytes(fake, provider, creds):
    url = fake.serve_media("photo.png", PNG, "image/png")
    provider.publish(
        creds,
        fake.owner_id,
        PublishRequest(
            text="Pulled", media=[MediaItem(kind="image", url=url, mime_type="image/png")]
        ),
    )
    (upload,) = fake.requests_to("POST", r"^/api/v2/media$")
    assert fake.params(upload)["file"][0]["data"] == PNG


def test_a_video_with_images_is_rejected_before_anything_is_uploaded(fake, provider, creds):
    video = MediaItem(kind="video", url="", read=lambda: MP4, mime_type="video/mp4")
    with pytest.raises(ContentRejected, match="not both"):
        provider.publish(creds, fake.owner_id, PublishRequest(text="x", media=[image(), video]))
    assert fake.requests == []


@pytest.mark.parametrize("fmt", ["story", "reel"])
def test_stories_and_reels_are_rejected(fake, provider, creds, fmt):
    with pytest.raises(ContentRejected, match=f"no {fmt}s"):
        provider.publish(creds, fake.owner_id, PublishRequest(text="x", format=fmt))


def test_first_comment_is_a_threaded_self_reply(fake, provider, creds):
    result = provider.publish(
        creds,
        fake.owner_id,
        PublishRequest(text="Main post", first_comment="More in the thread", idempotency_key="a-2"),
    )

    main, comment = statuses_posted(fake)
    assert comment.form()["in_reply_to_id"] == result.external_id
    assert comment.form()["status"] == "More in the thread"
    assert comment.headers["idempotency-key"] == "a-2:first-comment"
    assert main.headers["idempotency-key"] == "a-2"
    assert fake.statuses[result.first_comment_id]["in_reply_to_id"] == result.external_id


def test_a_failed_first_comment_does_not_fail_the_publish(fake, provider, creds):
    # The instance refuses the comment (too long) after the post went out.
    result = provider.publish(
        creds, fake.owner_id, PublishRequest(text="Main", first_comment="x" * 600)
    )
    assert result.status == "published"
    assert result.external_id in fake.statuses
    assert result.first_comment_id == ""
    assert "character limit of 500 exceeded" in result.raw["first_comment_error"]
    assert len(statuses_posted(fake)) == 2


def test_a_text_too_long_is_rejected_with_mastodons_message(fake, provider, creds):
    with pytest.raises(ContentRejected, match="Text character limit of 500 exceeded") as info:
        provider.publish(creds, fake.owner_id, PublishRequest(text="y" * 501))
    assert info.value.status == 422
    assert info.value.permanent


def test_a_long_url_counts_as_23_characters_on_the_server(fake, provider, creds):
    text = "z" * 470 + " https://brand.example/" + "a" * 100
    assert provider.publish(creds, fake.owner_id, PublishRequest(text=text)).status == "published"


def test_a_media_file_mastodon_refuses_is_content_rejected(fake, provider, creds):
    bad = MediaItem(kind="image", url="", read=lambda: b"%PDF", mime_type="application/pdf")
    with pytest.raises(ContentRejected, match="File content type is invalid"):
        provider.publish(creds, fake.owner_id, PublishRequest(text="x", media=[bad]))
    assert statuses_posted(fake) == []


def test_delete_post_removes_the_status_and_a_gone_one_is_fine(fake, provider, creds):
    result = provider.publish(creds, fake.owner_id, PublishRequest(text="bye"))
    provider.delete_post(creds, fake.owner_id, result.external_id)
    assert result.external_id not in fake.statuses
    provider.delete_post(creds, fake.owner_id, result.external_id)  # 404: already deleted
    assert len(fake.requests_to("DELETE", rf"^/api/v1/statuses/{result.external_id}$")) == 2


# --- find_existing ---------------------------------------------------------------------------


def test_find_existing_finds_a_post_from_an_unconfirmed_attempt(fake, provider, creds, alice):
    since = datetime.now(UTC)
    request = PublishRequest(
        text="Big news for @alice@elsewhere.example & friends:\n\nsee https://brand.example/a-rather-long-path-to-news",
        media=[image("one")],
        first_comment="details below",
        idempotency_key="lost",
    )
    provider.publish(creds, fake.owner_id, request)  # the answer we pretend never arrived
    fake.post_as(fake.owner, "Something else entirely")
    fake.requests.clear()

    found = provider.find_existing(creds, fake.owner_id, request, since)

    (mine,) = [
        s for s in fake.statuses_by(fake.owner_id) if s["in_reply_to_id"] is None and s["media_ids"]
    ]
    assert found is not None and found.external_id == mine["id"]
    assert (
        found.first_comment_id
        and fake.statuses[found.first_comment_id]["in_reply_to_id"] == mine["id"]
    )
    listing = fake.requests_to("GET", rf"^/api/v1/accounts/{fake.owner_id}/statuses$")[0]
    assert listing.bearer == creds.access_token
    assert listing.q("exclude_reblogs") == "true"


def test_find_existing_returns_none_when_the_post_never_went_out(fake, provider, creds):
    fake.post_as(fake.owner, "An older post", created_at=datetime.now(UTC) - timedelta(days=2))
    fake.post_as(fake.owner, "A recent but different post")
    assert (
        provider.find_existing(
            creds,
            fake.owner_id,
            PublishRequest(text="Not posted"),
            datetime.now(UTC) - timedelta(minutes=5),
        )
        is None
    )


def test_find_existing_ignores_a_matching_post_older_than_the_attempt(fake, provider, creds):
    fake.post_as(fake.owner, "Daily hello", created_at=datetime.now(UTC) - timedelta(days=1))
    assert (
        provider.find_existing(
            creds,
            fake.owner_id,
            PublishRequest(text="Daily hello"),
            datetime.now(UTC) - timedelta(minutes=5),
        )
        is None
    )


def test_find_existing_pages_back_with_max_id(fake, provider, creds):
    since = datetime.now(UTC) - timedelta(minutes=1)
    target = fake.post_as(fake.owner, "The one")
    for i in range(45):
        fake.post_as(fake.owner, f"filler {i}")
    found = provider.find_existing(creds, fake.owner_id, PublishRequest(text="The one"), since)
    assert found is not None and found.external_id == target["id"]
    pages = fake.requests_to("GET", r"/statuses$")
    assert len(pages) == 2 and pages[1].q("max_id")


# --- inbox -------------------------------------------------------------------------------------


def test_fetch_inbox_returns_comments_mentions_and_dms_then_only_newer_items(
    fake, provider, creds, alice
):
    post = fake.post_as(fake.owner, "Our launch post")
    comment = fake.mention_owner(alice, "Congrats!", in_reply_to_id=post["id"])
    mention = fake.mention_owner(alice, "you should see this")
    dm = fake.mention_owner(alice, "psst, a question", visibility="direct")
    fake.add_notification("favourite", alice, post)

    page = provider.fetch_inbox(creds, fake.owner_id)

    by_id = {i.external_id: i for i in page.items}
    assert [i.external_id for i in page.items] == [comment["id"], mention["id"], dm["id"]]
    assert by_id[comment["id"]].kind == "comment"
    assert by_id[comment["id"]].post_external_id == post["id"]
    assert by_id[comment["id"]].text == "@brand Congrats!"
    assert by_id[comment["id"]].author_handle == "alice@elsewhere.example"
    assert by_id[mention["id"]].kind == "mention"
    assert by_id[dm["id"]].kind == "dm"
    assert by_id[dm["id"]].thread_id in fake.conversations
    (notifications,) = fake.requests_to("GET", r"^/api/v1/notifications$")
    assert notifications.query["types[]"] == ["mention"]
    assert notifications.bearer == creds.access_token

    later = fake.mention_owner(alice, "one more thing")
    fake.requests.clear()
    newer = provider.fetch_inbox(creds, fake.owner_id, page.cursor)
    assert [i.external_id for i in newer.items] == [later["id"]]
    (notifications,) = fake.requests_to("GET", r"^/api/v1/notifications$")
    assert int(notifications.q("min_id")) >= int(dm["id"])

    empty = provider.fetch_inbox(creds, fake.owner_id, newer.cursor)
    assert empty.items == [] and empty.cursor == newer.cursor


def test_fetch_inbox_pages_forward_when_more_arrive_than_one_page(fake, creds, alice):
    provider = make_provider(fake, extra={"inbox_page_size": 2})
    first = provider.fetch_inbox(creds, fake.owner_id)
    sent = [fake.mention_owner(alice, f"m{i}")["id"] for i in range(5)]
    seen, cursor = [], first.cursor
    for _ in range(4):
        page = provider.fetch_inbox(creds, fake.owner_id, cursor)
        seen += [i.external_id for i in page.items]
        cursor = page.cursor
    assert seen == sent  # nothing skipped, nothing twice, oldest first


def test_a_reply_threads_under_the_item_and_mentions_its_author(fake, provider, creds, alice):
    post = fake.post_as(fake.owner, "Our post")
    fake.mention_owner(alice, "Nice", in_reply_to_id=post["id"])
    (item,) = provider.fetch_inbox(creds, fake.owner_id).items

    reply_id = provider.reply(creds, fake.owner_id, item, "Thank you!")

    (sent,) = statuses_posted(fake)
    form = sent.form()
    assert form["in_reply_to_id"] == item.external_id
    assert form["status"] == "@alice@elsewhere.example Thank you!"
    assert form["visibility"] == "public"
    assert sent.headers["idempotency-key"].startswith("reply-")
    assert fake.statuses[reply_id]["in_reply_to_id"] == item.external_id
    # Retried after a lost answer: the server hands back the same reply.
    assert provider.reply(creds, fake.owner_id, item, "Thank you!") == reply_id


def test_a_reply_to_a_dm_stays_direct_and_leaves_the_conversation_answered(
    fake, provider, creds, alice
):
    fake.mention_owner(alice, "private question", visibility="direct")
    page = provider.fetch_inbox(creds, fake.owner_id)
    (item,) = page.items

    provider.reply(creds, fake.owner_id, item, "@alice@elsewhere.example private answer")

    form = statuses_posted(fake)[0].form()
    assert form["visibility"] == "direct"
    assert form["status"] == "@alice@elsewhere.example private answer"  # not mentioned twice
    assert provider.fetch_inbox(creds, fake.owner_id, page.cursor).items == []


def test_hiding_a_reply_is_not_supported(fake, provider, creds):
    with pytest.raises(ProviderError, match="cannot hide") as info:
        provider.hide_comment(creds, fake.owner_id, "1")
    assert info.value.permanent
    assert fake.requests == []


def test_delete_comment_deletes_our_own_reply(fake, provider, creds, alice):
    post = fake.post_as(fake.owner, "Our post")
    fake.mention_owner(alice, "Nice", in_reply_to_id=post["id"])
    (item,) = provider.fetch_inbox(creds, fake.owner_id).items
    reply_id = provider.reply(creds, fake.owner_id, item, "thanks")

    provider.delete_comment(creds, fake.owner_id, reply_id)

    assert reply_id not in fake.statuses
    assert fake.requests_to("DELETE", rf"^/api/v1/statuses/{reply_id}$")


def test_delete_comment_refuses_someone_elses_reply(fake, provider, creds, alice):
    theirs = fake.mention_owner(alice, "rude words")
    with pytest.raises(ProviderError, match="its own posts"):
        provider.delete_comment(creds, fake.owner_id, theirs["id"])
    assert theirs["id"] in fake.statuses
    assert fake.requests_to("DELETE", r"/api/v1/statuses/") == []


# --- metrics and limits ------------------------------------------------------------------------


def test_account_metrics_report_todays_followers(fake, provider, creds):
    today = datetime.now(UTC).date()
    (day,) = provider.fetch_account_metrics(creds, fake.owner_id, today - timedelta(days=7), today)
    assert day.day == today and day.followers == 1234 and day.impressions is None
    assert fake.requests_to("GET", rf"^/api/v1/accounts/{fake.owner_id}$")
    assert (
        provider.fetch_account_metrics(creds, fake.owner_id, date(2020, 1, 1), date(2020, 1, 31))
        == []
    )


def test_post_metrics_read_favourites_boosts_and_replies(fake, provider, creds):
    status = fake.post_as(fake.owner, "counted")
    status.update(favourites_count=7, reblogs_count=3, replies_count=2)

    (metrics,) = provider.fetch_post_metrics(creds, fake.owner_id, [status["id"], "999"])

    assert (metrics.external_id, metrics.likes, metrics.shares, metrics.comments) == (
        status["id"],
        7,
        3,
        2,
    )
    (sent,) = fake.requests_to("GET", r"^/api/v1/statuses$")
    assert sent.query["id[]"] == [status["id"], "999"]


def test_post_metrics_fall_back_to_one_by_one_on_older_servers(fake, provider, creds):
    fake.has_status_batch = False
    status = fake.post_as(fake.owner, "counted")
    status["favourites_count"] = 5
    (metrics,) = provider.fetch_post_metrics(creds, fake.owner_id, [status["id"], "999"])
    assert metrics.likes == 5
    assert len(fake.requests_to("GET", r"^/api/v1/statuses/\d+$")) == 2


def test_instance_limits_come_from_the_v2_instance_configuration(fake, provider):
    fake.max_characters = 1000
    fake.max_media_attachments = 6
    limits = provider.instance_limits(fake.url)
    assert limits["max_characters"] == 1000
    assert limits["max_media_attachments"] == 6
    assert limits["characters_reserved_per_url"] == 23
    assert limits["image_size_limit"] == 16 * 1024 * 1024
    (sent,) = fake.requests_to("GET", r"^/api/v2/instance$")
    assert "authorization" not in sent.headers
    caps = provider.instance_capabilities(fake.url)
    assert caps.text_limit == 1000 and caps.max_images == 6


def test_instance_limits_fall_back_to_v1_on_older_servers(fake, provider):
    fake.has_v2_instance = False
    fake.max_characters = 700
    assert provider.instance_limits(fake.url)["max_characters"] == 700
    assert fake.requests_to("GET", r"^/api/v1/instance$")


# --- errors ------------------------------------------------------------------------------------


def test_a_429_raises_rate_limited_with_seconds_until_the_reset(fake, provider, creds):
    fake.throttle_next(r"^/api/v1/notifications$", seconds=120)
    with pytest.raises(RateLimited) as info:
        provider.fetch_inbox(creds, fake.owner_id)
    assert 115 <= info.value.retry_after <= 121
    assert info.value.status == 429


def test_a_429_with_a_past_reset_waits_at_least_a_second(fake, provider, creds):
    fake.throttle_next(r"^/api/v1/statuses$", seconds=-30)
    with pytest.raises(RateLimited) as info:
        provider.publish(creds, fake.owner_id, PublishRequest(text="x"))
    assert info.value.retry_after == 1


def test_a_5xx_on_a_read_raises_transient_error(fake, provider, creds):
    fake.fail_next(r"^/api/v1/notifications$", 503, {"error": "Service Unavailable"})
    with pytest.raises(TransientError, match="HTTP 503") as info:
        provider.fetch_inbox(creds, fake.owner_id)
    assert not isinstance(info.value, UnknownOutcome)


def test_a_5xx_after_sending_a_post_is_an_unknown_outcome(fake, provider, creds):
    fake.fail_next(r"^/api/v1/statuses$", 502, {"error": "Bad Gateway"})
    with pytest.raises(UnknownOutcome):
        provider.publish(creds, fake.owner_id, PublishRequest(text="x"))


def test_a_non_json_answer_raises_transient_error(fake, provider, creds):
    fake.fail_next(r"^/api/v1/accounts/verify_credentials$", 200, mode="garbage")
    with pytest.raises(TransientError, match="not JSON"):
        provider.verify_credentials(creds, fake.owner_id)


def test_an_instance_error_text_is_bounded_to_one_short_line(fake, provider, creds):
    # The instance is one a person typed: whatever it puts in "error" must not flood a page.
    fake.fail_next(
        r"^/api/v1/statuses$", 422, {"error": "Validation failed:\n" + "x" * 5000 + " TAIL-MARKER"}
    )
    with pytest.raises(ContentRejected) as info:
        provider.publish(creds, fake.owner_id, PublishRequest(text="x"))
    message = info.value.message
    assert message.startswith("Validation failed: xxx") and len(message) <= 200
    assert "\n" not in message and "TAIL-MARKER" not in message


def test_a_garbled_answer_to_a_post_is_an_unknown_outcome(fake, provider, creds):
    fake.fail_next(r"^/api/v1/statuses$", 200, mode="garbage")
    with pytest.raises(UnknownOutcome, match="unreadable"):
        provider.publish(creds, fake.owner_id, PublishRequest(text="x"))


def test_a_post_that_times_out_is_an_unknown_outcome(fake, creds):
    # Imported here: importing channels_registry.http before channels_registry.providers is circular.
    from channels_registry.http import HttpClient

    provider = make_provider(fake, http=HttpClient(timeout=0.1))
    fake.fail_next(r"^/api/v1/statuses$", 200, body=0.4, mode="hang")
    with pytest.raises(UnknownOutcome):
        provider.publish(creds, fake.owner_id, PublishRequest(text="x"))


def test_a_missing_reply_target_is_a_permanent_error(fake, provider, creds):
    item = InboxItem(
        external_id="123", kind="mention", text="", author_id="1", author_handle="ghost"
    )
    with pytest.raises(ProviderError, match="does not appear to exist") as info:
        provider.reply(creds, fake.owner_id, item, "hello?")
    assert info.value.permanent and info.value.status == 404


def test_the_status_html_turns_back_into_text(fake):
    rendered = fake.render(
        "Hi @alice@elsewhere.example,\nsee https://brand.example/very/long/path/to/a/page & #tags\n\nBye"
    )
    assert (
        html_to_text(rendered)
        == "Hi @alice,\nsee https://brand.example/very/long/path/to/a/page & #tags\n\nBye"
    )


# --- server-qualified account ids --------------------------------------------------------------


@pytest.mark.parametrize(
    ("instance", "host"),
    [
        ("https://Mastodon.Social", "mastodon.social"),
        ("mastodon.social", "mastodon.social"),
        ("https://mastodon.social:443", "mastodon.social"),  # the default port is not written
        ("http://127.0.0.1:80", "127.0.0.1"),
        ("https://social.example:8443/", "social.example:8443"),
        ("https://Bücher.Example", "xn--bcher-kva.example"),  # IDN → punycode
        ("https://xn--bcher-kva.example", "xn--bcher-kva.example"),
        ("https://[::1]:8443", "[::1]:8443"),
    ],
)
def test_an_instance_is_written_one_way_in_a_qualified_id(instance, host):
    assert instance_host(instance) == host
    assert qualified_account_id("109", instance) == f"109@{host}"
    assert split_account_id(f"109@{host}") == ("109", host)


def test_an_older_unqualified_id_splits_to_the_bare_id():
    assert split_account_id("109") == ("109", "")


def test_every_call_takes_the_qualified_id_and_sends_the_bare_one(fake, provider, creds, alice):
    ours = qualified_account_id(fake.owner_id, fake.url)
    assert provider.verify_credentials(creds, ours).external_id == ours

    result = provider.publish(creds, ours, PublishRequest(text="qualified", first_comment="more"))
    assert fake.statuses[result.external_id]["account_id"] == fake.owner_id
    since = datetime.now(UTC) - timedelta(minutes=1)
    found = provider.find_existing(
        creds, ours, PublishRequest(text="qualified", first_comment="more"), since
    )
    assert found.external_id == result.external_id
    assert found.first_comment_id == result.first_comment_id
    assert fake.requests_to("GET", rf"^/api/v1/accounts/{fake.owner_id}/statuses$")

    # Our own first comment is not an inbox item; alice's mention is.
    mention = fake.mention_owner(alice, "hello", in_reply_to_id=result.external_id)
    page = provider.fetch_inbox(creds, ours)
    assert [i.external_id for i in page.items] == [mention["id"]]
    reply_id = provider.reply(creds, ours, page.items[0], "thanks")
    provider.delete_comment(creds, ours, reply_id)
    assert reply_id not in fake.statuses

    today = datetime.now(UTC).date()
    (day,) = provider.fetch_account_metrics(creds, ours, today, today)
    assert day.followers == 1234
    assert fake.requests_to("GET", rf"^/api/v1/accounts/{fake.owner_id}$")
    (metrics,) = provider.fetch_post_metrics(creds, ours, [result.external_id])
    assert metrics.external_id == result.external_id
    provider.delete_post(creds, ours, result.external_id)
    assert result.external_id not in fake.statuses
    assert not [r for r in fake.requests if "@" in r.path]


def test_a_qualified_id_of_another_server_is_never_sent_with_these_credentials(
    fake, provider, creds
):
    elsewhere = f"{fake.owner_id}@mastodon.social"
    fake.requests.clear()
    with pytest.raises(AuthExpired, match="mastodon.social"):
        provider.publish(creds, elsewhere, PublishRequest(text="not here"))
    with pytest.raises(AuthExpired):
        provider.verify_credentials(creds, elsewhere)
    assert fake.requests == []


def test_like_comment_favourites_and_unfavourites(fake, provider, creds, alice):
    assert MastodonProvider.capabilities.like_comments
    assert "write:favourites" in MastodonProvider.default_scopes
    theirs = fake.mention_owner(alice, "Mantap!")
    provider.like_comment(creds, fake.owner_id, theirs["id"])
    assert fake.requests_to("POST", rf"^/api/v1/statuses/{theirs['id']}/favourite$")
    assert fake.statuses[theirs["id"]]["favourites_count"] == 1
    provider.like_comment(creds, fake.owner_id, theirs["id"], liked=False)
    assert fake.requests_to("POST", rf"^/api/v1/statuses/{theirs['id']}/unfavourite$")
    assert fake.statuses[theirs["id"]]["favourites_count"] == 0


def test_liking_without_the_favourites_scope_is_refused(fake, provider, alice):
    token = fake.issue_token(fake.owner_id, "read:statuses write:statuses")
    narrow = Credentials(access_token=token, extra={"instance_url": fake.url})
    theirs = fake.mention_owner(alice, "Mantap!")
    with pytest.raises(ProviderError):
        provider.like_comment(narrow, fake.owner_id, theirs["id"])
    assert fake.statuses[theirs["id"]]["favourites_count"] == 0
