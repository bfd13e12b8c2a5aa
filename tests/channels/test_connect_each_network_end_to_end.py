"""A person connects a channel of every network through the real pages and the real connectors,
talking to the loopback fakes (tests/fakes/): consent → callback → chooser → channels.

Each fake starts once per module; a per-test fixture points ``SOCIALOPS_PROVIDERS[<network>]`` at
it (client id and secret, URL overrides, extras) and lets the HTTP client reach 127.0.0.1.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import itertools
import json
import socket
from datetime import timedelta
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest
from django.urls import reverse
from django.utils import timezone

from channels_registry import selectors, services
from channels_registry.models import Channel, ChannelCredential, ConnectAttempt, WebhookDelivery
from socialops.audit.models import AuditEvent
from tests import factories as f
from tests.fakes.bluesky import APP_PASSWORD, BRAND_DID, BRAND_HANDLE, BlueskyFake
from tests.fakes.linkedin import FakeLinkedIn
from tests.fakes.mastodon import MastodonFake
from tests.fakes.meta import MetaGraphFake
from tests.fakes.x import FakeX

pytestmark = pytest.mark.django_db

CALLBACK = "http://testserver/connect/{}/callback"
_codes = itertools.count(1)


# --- fakes, started once per module ------------------------------------------------------------


def _serve(server):
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def _x():
    yield from _serve(FakeX())


@pytest.fixture(scope="module")
def _meta():
    yield from _serve(MetaGraphFake())


@pytest.fixture(scope="module")
def _linkedin():
    yield from _serve(FakeLinkedIn())


@pytest.fixture(scope="module")
def _mastodon():
    yield from _serve(MastodonFake())


@pytest.fixture(scope="module")
def _bluesky():
    yield from _serve(BlueskyFake())


def _configure(settings, key: str, conf: dict) -> None:
    settings.OUTBOUND_ALLOW_LOOPBACK = True
    settings.SOCIALOPS_PROVIDERS = {**settings.SOCIALOPS_PROVIDERS, key: conf}


@pytest.fixture
def x_fake(_x, settings):
    _x.reset()
    _configure(
        settings,
        "x",
        {
            "client_id": _x.client_id,
            "client_secret": _x.client_secret,
            "urls": {
                "api": _x.url,
                "auth": f"{_x.url}/i/oauth2/authorize",
                "token": f"{_x.url}/2/oauth2/token",
            },
            "poll_interval": 0,
            "consumer_secret": _x.consumer_secret,
        },
    )
    return _x


META_EXTRA = {"graph_version": "v23.0", "poll_interval": 0, "verify_token": "our-verify-token"}


@pytest.fixture
def meta_fake(_meta, settings):
    with _meta.lock:
        _meta.requests.clear()
        _meta.failures.clear()
    for key in ("facebook", "instagram"):
        _configure(
            settings,
            key,
            {
                "client_id": MetaGraphFake.CLIENT_ID,
                "client_secret": MetaGraphFake.CLIENT_SECRET,
                "urls": {
                    name: _meta.url
                    for name in (
                        "api",
                        "video",
                        "rupload",
                        "auth",
                        "token",
                        "ig_api",
                        "ig_auth",
                        "ig_token",
                    )
                },
                **META_EXTRA,
            },
        )
    return _meta


@pytest.fixture
def linkedin_fake(_linkedin, settings):
    _linkedin.reset()
    _configure(
        settings,
        "linkedin",
        {
            "client_id": _linkedin.client_id,
            "client_secret": _linkedin.client_secret,
            "urls": {
                "api": _linkedin.url,
                "auth": f"{_linkedin.url}/oauth/v2/authorization",
                "token": f"{_linkedin.url}/oauth/v2/accessToken",
            },
            "poll_interval": 0,
        },
    )
    return _linkedin


@pytest.fixture
def mastodon_fake(_mastodon, settings):
    with _mastodon.lock:
        _mastodon.requests.clear()
        _mastodon.failures.clear()
    _configure(settings, "mastodon", {"client_id": "", "client_secret": "", "poll_interval": 0})
    return _mastodon


@pytest.fixture
def bluesky_fake(_bluesky, settings):
    with _bluesky.lock:
        _bluesky.requests.clear()
        _bluesky.failures.clear()
    _configure(settings, "bluesky", {"urls": _bluesky.provider_urls(), "poll_interval": 0})
    return _bluesky


# --- the steps a person takes ------------------------------------------------------------------


def _path(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + ("?" + parts.query if parts.query else "")


def _query(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


def start(client, org, network: str, **fields) -> str:
    """Submit the Channels → Connect form; return where it sends the browser (the consent page)."""
    response = client.post(
        reverse("channel_connect", args=[org.slug]), {"network": network, **fields}
    )
    assert response.status_code == 302, response.context and response.context["form"].errors
    return response["Location"]


def consent_on_fake(authorize_url: str) -> str:
    """The network's consent page approves at once: the redirect back to us, as the browser follows it."""
    answer = httpx.get(authorize_url, follow_redirects=False)
    assert answer.status_code == 302, answer.text
    return answer.headers["location"]


def callback_with(network: str, state: str, **params) -> str:
    return _path(CALLBACK.format(network) + "?" + urlencode({"state": state, **params}))


def come_back(client, callback_url: str) -> str:
    """Follow the network's redirect to our callback; return the chooser's address."""
    response = client.get(_path(callback_url))
    assert response.status_code == 302, response.content.decode()[:2000]
    return response["Location"]


def choose(client, chooser: str, accounts: list[str], *, team=None, tz: str = "Asia/Jakarta"):
    data = {"accounts": accounts, "timezone": tz}
    if team is not None:
        data["team"] = team.pk
    return client.post(chooser, data)


def assert_stored_encrypted(org, channel: Channel) -> None:
    creds = selectors.credentials_for(channel)
    blob = ChannelCredential.objects.for_org(org).get(channel=channel).blob
    assert creds.access_token and creds.access_token not in blob
    if creds.refresh_token:
        assert creds.refresh_token not in blob


def assert_audited(org, *actions: str) -> None:
    seen = set(AuditEvent.objects.for_org(org).values_list("action", flat=True))
    assert set(actions) <= seen, seen


def assert_nothing_connected(org) -> None:
    assert not Channel.objects.for_org(org).exists()
    assert not ChannelCredential.objects.for_org(org).exists()
    for attempt in ConnectAttempt.objects.for_org(org):
        assert attempt.status != ConnectAttempt.Status.COMPLETED
        assert attempt.candidates_blob == "" and attempt.secret_context == ""


def fb_code(fake: MetaGraphFake) -> str:
    code = f"fb-code-{next(_codes)}"
    fake.codes[code] = {"kind": "fb", "user": fake.USER_ID, "redirect_uri": None}
    return code


def linkedin_code(fake: FakeLinkedIn) -> str:
    code = f"li-code-{next(_codes)}"
    fake.codes[code] = "member-1"
    return code


# --- X (OAuth 2.0 with PKCE) -------------------------------------------------------------------


def test_a_user_connects_an_x_account_through_consent_with_pkce(alice_client, org_a, x_fake):
    team = f.make_team(org_a, "Jakarta")
    authorize = start(alice_client, org_a, "x")
    parts, q = urlsplit(authorize), _query(authorize)
    assert f"{parts.scheme}://{parts.netloc}" == x_fake.url and parts.path == "/i/oauth2/authorize"
    assert q["client_id"] == x_fake.client_id and q["redirect_uri"] == CALLBACK.format("x")
    assert (
        q["response_type"] == "code"
        and q["state"]
        and {"users.read", "offline.access"} <= set(q["scope"].split())
    )
    assert q["code_challenge_method"] == "S256" and len(q["code_challenge"]) == 43

    chooser = come_back(alice_client, consent_on_fake(authorize))
    page = alice_client.get(chooser)
    assert page.status_code == 200 and b"socialops_hq" in page.content
    response = choose(alice_client, chooser, [x_fake.me_id], team=team)
    assert response.status_code == 302, response.content.decode()[:2000]

    channel = Channel.objects.for_org(org_a).get()
    assert (channel.provider, channel.external_id, channel.handle) == (
        "x",
        x_fake.me_id,
        "socialops_hq",
    )
    assert (
        channel.status == Channel.Status.ACTIVE
        and channel.team == team
        and channel.timezone == "Asia/Jakarta"
    )
    assert timedelta(hours=1) < channel.token_expires_at - timezone.now() <= timedelta(hours=2)
    creds = selectors.credentials_for(channel)
    assert (
        creds.access_token in x_fake.tokens and creds.refresh_token
    )  # offline.access gave a refresh token
    assert_stored_encrypted(org_a, channel)
    assert_audited(
        org_a, "channel.connect_started", "channel.connect_authorized", "channel.connected"
    )
    # The token request carried the verifier whose S256 challenge went to the consent page.
    [token_call] = x_fake.requests_to("POST", r"^/2/oauth2/token$")
    verifier = parse_qs(token_call.body.decode())["code_verifier"][0]
    assert (
        base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
        == q["code_challenge"]
    )


def test_an_x_account_the_grant_did_not_cover_is_refused_and_nothing_is_created(
    alice_client, org_a, x_fake
):
    other = x_fake.add_user("someone_else", "Someone Else")
    chooser = come_back(alice_client, consent_on_fake(start(alice_client, org_a, "x")))
    response = choose(alice_client, chooser, [other])
    assert response.status_code == 200
    assert b"Select a valid choice" in response.content
    assert not Channel.objects.for_org(org_a).exists()
    # Straight to the service (a forged form) it is refused as well.
    attempt = ConnectAttempt.objects.for_org(org_a).get()
    with pytest.raises(services.ValidationFailed, match="Pick accounts from the list"):
        services.add_channels(
            attempt, by=f.membership(org_a, attempt.membership.user), external_ids=[other]
        )
    assert not Channel.objects.for_org(org_a).exists()


def test_a_replayed_x_callback_is_refused(alice_client, org_a, x_fake):
    callback = consent_on_fake(start(alice_client, org_a, "x"))
    come_back(alice_client, callback)
    again = alice_client.get(_path(callback))
    assert again.status_code == 400
    assert b"not valid or was already used" in again.content
    assert (
        len(x_fake.requests_to("POST", r"^/2/oauth2/token$")) == 1
    )  # the code was not traded twice


def test_an_x_consent_the_person_refused_leaves_nothing(alice_client, org_a, x_fake):
    state = _query(start(alice_client, org_a, "x"))["state"]
    response = alice_client.get(
        callback_with("x", state, error="access_denied", error_description="The user denied access")
    )
    assert response.status_code == 400
    assert b"The network did not authorize the connection." in response.content
    assert_nothing_connected(org_a)
    assert ConnectAttempt.objects.for_org(org_a).get().status == ConnectAttempt.Status.FAILED
    assert not x_fake.requests_to("POST", r"^/2/oauth2/token$")


def test_an_x_answer_that_is_not_what_the_docs_say_leaves_nothing(alice_client, org_a, x_fake):
    x_fake.fail_next(r"^/2/users/me$", 200, mode="garbage")
    response = alice_client.get(_path(consent_on_fake(start(alice_client, org_a, "x"))))
    assert response.status_code == 400
    assert b"X said" in response.content and b"not JSON" in response.content
    assert_nothing_connected(org_a)


def test_an_x_code_the_network_rejects_gives_a_clear_message_and_leaves_nothing(
    alice_client, org_a, x_fake
):
    state = _query(start(alice_client, org_a, "x"))["state"]
    response = alice_client.get(callback_with("x", state, code="code-made-up"))
    assert response.status_code == 400
    assert b"X said" in response.content
    assert_nothing_connected(org_a)


# --- Facebook Pages ----------------------------------------------------------------------------


def test_a_user_connects_two_facebook_pages_out_of_those_they_manage(
    alice_client, org_a, meta_fake
):
    team = f.make_team(org_a, "Surabaya")
    authorize = start(alice_client, org_a, "facebook")
    parts, q = urlsplit(authorize), _query(authorize)
    assert (
        f"{parts.scheme}://{parts.netloc}" == meta_fake.url and parts.path == "/v23.0/dialog/oauth"
    )
    assert q["client_id"] == MetaGraphFake.CLIENT_ID and q["redirect_uri"] == CALLBACK.format(
        "facebook"
    )
    assert q["state"] and {"pages_show_list", "pages_manage_posts"} <= set(q["scope"].split(","))

    chooser = come_back(
        alice_client, callback_with("facebook", q["state"], code=fb_code(meta_fake))
    )
    page = alice_client.get(chooser)
    assert (
        page.status_code == 200 and b"Alpha Foods" in page.content and b"Bravo Page" in page.content
    )
    response = choose(
        alice_client, chooser, [MetaGraphFake.PAGE_ID, MetaGraphFake.PAGE2_ID], team=team
    )
    assert response.status_code == 302, response.content.decode()[:2000]

    channels = {c.external_id: c for c in Channel.objects.for_org(org_a)}
    assert set(channels) == {MetaGraphFake.PAGE_ID, MetaGraphFake.PAGE2_ID}
    alpha = channels[MetaGraphFake.PAGE_ID]
    assert (alpha.provider, alpha.handle, alpha.name) == ("facebook", "alphafoods", "Alpha Foods")
    assert all(c.status == Channel.Status.ACTIVE and c.team == team for c in channels.values())
    assert alpha.token_expires_at is None  # Page tokens from a long-lived user token do not expire
    assert selectors.credentials_for(alpha).access_token == MetaGraphFake.PAGE_TOKEN
    for channel in channels.values():
        assert_stored_encrypted(org_a, channel)
    assert_audited(
        org_a, "channel.connect_started", "channel.connect_authorized", "channel.connected"
    )
    # code → short-lived → long-lived user token, app secret sent to the token endpoint only
    assert len(meta_fake.requests_to("GET", r"/oauth/access_token$")) == 2


def test_a_facebook_page_the_user_does_not_administer_is_refused(alice_client, org_a, meta_fake):
    state = _query(start(alice_client, org_a, "facebook"))["state"]
    chooser = come_back(alice_client, callback_with("facebook", state, code=fb_code(meta_fake)))
    response = choose(alice_client, chooser, ["999999"])
    assert response.status_code == 200 and b"Select a valid choice" in response.content
    assert not Channel.objects.for_org(org_a).exists()
    # The choice is still open: the right page can be added afterwards.
    assert choose(alice_client, chooser, [MetaGraphFake.PAGE_ID]).status_code == 302
    assert list(Channel.objects.for_org(org_a).values_list("external_id", flat=True)) == [
        MetaGraphFake.PAGE_ID
    ]


def test_a_replayed_facebook_callback_and_a_refused_consent_are_clear(
    alice_client, org_a, meta_fake
):
    state = _query(start(alice_client, org_a, "facebook"))["state"]
    callback = callback_with("facebook", state, code=fb_code(meta_fake))
    come_back(alice_client, callback)
    again = alice_client.get(callback)
    assert again.status_code == 400 and b"not valid or was already used" in again.content

    state = _query(start(alice_client, org_a, "facebook"))["state"]
    response = alice_client.get(
        callback_with(
            "facebook", state, error="access_denied", error_code="200", error_reason="user_denied"
        )
    )
    assert response.status_code == 400
    assert not Channel.objects.for_org(org_a).exists()


# --- Instagram (through Facebook Login) --------------------------------------------------------


def test_a_user_connects_the_instagram_account_linked_to_their_page(alice_client, org_a, meta_fake):
    authorize = start(alice_client, org_a, "instagram")
    parts, q = urlsplit(authorize), _query(authorize)
    assert (
        f"{parts.scheme}://{parts.netloc}" == meta_fake.url and parts.path == "/v23.0/dialog/oauth"
    )
    assert q["client_id"] == MetaGraphFake.CLIENT_ID and q["redirect_uri"] == CALLBACK.format(
        "instagram"
    )
    assert {"instagram_basic", "instagram_content_publish"} <= set(q["scope"].split(","))

    chooser = come_back(
        alice_client, callback_with("instagram", q["state"], code=fb_code(meta_fake))
    )
    page = alice_client.get(chooser)
    assert page.status_code == 200 and b"alphafoods" in page.content
    assert b"Bravo Page" not in page.content  # a Page without an Instagram account is not offered
    assert choose(alice_client, chooser, [MetaGraphFake.IG_ID]).status_code == 302
    channel = Channel.objects.for_org(org_a).get()
    assert (channel.provider, channel.external_id, channel.handle) == (
        "instagram",
        MetaGraphFake.IG_ID,
        "alphafoods",
    )
    assert channel.status == Channel.Status.ACTIVE
    creds = selectors.credentials_for(channel)
    assert creds.extra["page_id"] == MetaGraphFake.PAGE_ID and creds.extra["login"] == "facebook"
    assert_stored_encrypted(org_a, channel)
    assert_audited(org_a, "channel.connected")


def test_a_user_connects_instagram_through_business_login_for_instagram(
    alice_client, org_a, meta_fake, settings
):
    conf = settings.SOCIALOPS_PROVIDERS["instagram"]
    settings.SOCIALOPS_PROVIDERS = {
        **settings.SOCIALOPS_PROVIDERS,
        "instagram": {**conf, "login": "instagram"},
    }
    authorize = start(alice_client, org_a, "instagram")
    parts, q = urlsplit(authorize), _query(authorize)
    assert f"{parts.scheme}://{parts.netloc}" == meta_fake.url and parts.path == "/oauth/authorize"
    assert q["client_id"] == MetaGraphFake.CLIENT_ID and q["redirect_uri"] == CALLBACK.format(
        "instagram"
    )
    assert "instagram_business_basic" in q["scope"].split(",") and q["state"]
    code = f"ig-code-{next(_codes)}"
    meta_fake.codes[code] = {"kind": "ig", "ig": MetaGraphFake.IG_ID, "redirect_uri": None}
    chooser = come_back(alice_client, callback_with("instagram", q["state"], code=code))
    assert choose(alice_client, chooser, [MetaGraphFake.IG_ID]).status_code == 302
    channel = Channel.objects.for_org(org_a).get()
    assert (channel.external_id, channel.handle, channel.status) == (
        MetaGraphFake.IG_ID,
        "alphafoods",
        "active",
    )
    assert (
        timedelta(days=59) < channel.token_expires_at - timezone.now() <= timedelta(days=60)
    )  # long-lived token
    assert selectors.credentials_for(channel).extra["login"] == "instagram"
    assert_stored_encrypted(org_a, channel)


def test_an_instagram_account_not_returned_is_refused(alice_client, org_a, meta_fake):
    state = _query(start(alice_client, org_a, "instagram"))["state"]
    chooser = come_back(alice_client, callback_with("instagram", state, code=fb_code(meta_fake)))
    response = choose(alice_client, chooser, ["17841499999999999"])
    assert response.status_code == 200 and b"Select a valid choice" in response.content
    assert not Channel.objects.for_org(org_a).exists()


# --- LinkedIn organization pages ---------------------------------------------------------------


def test_a_user_connects_the_linkedin_organizations_they_administer(
    alice_client, org_a, linkedin_fake
):
    authorize = start(alice_client, org_a, "linkedin")
    parts, q = urlsplit(authorize), _query(authorize)
    assert (
        f"{parts.scheme}://{parts.netloc}" == linkedin_fake.url
        and parts.path == "/oauth/v2/authorization"
    )
    assert q["client_id"] == linkedin_fake.client_id and q["redirect_uri"] == CALLBACK.format(
        "linkedin"
    )
    assert q["state"] and {"w_organization_social", "rw_organization_admin"} <= set(
        q["scope"].split()
    )

    chooser = come_back(
        alice_client, callback_with("linkedin", q["state"], code=linkedin_code(linkedin_fake))
    )
    page = alice_client.get(chooser)
    assert b"Alpha Foods" in page.content and b"Alpha Labs" in page.content
    assert b"Other Co" not in page.content  # an analyst role is not an administrator's
    assert choose(alice_client, chooser, ["1001"], tz="Europe/Berlin").status_code == 302
    channel = Channel.objects.for_org(org_a).get()
    assert (channel.provider, channel.external_id, channel.handle) == (
        "linkedin",
        "1001",
        "alpha-foods",
    )
    assert channel.status == Channel.Status.ACTIVE and channel.timezone == "Europe/Berlin"
    assert timedelta(days=59) < channel.token_expires_at - timezone.now() <= timedelta(days=60)
    assert_stored_encrypted(org_a, channel)
    assert_audited(org_a, "channel.connect_authorized", "channel.connected")


def test_a_linkedin_organization_the_member_only_analyses_is_refused(
    alice_client, org_a, linkedin_fake
):
    state = _query(start(alice_client, org_a, "linkedin"))["state"]
    chooser = come_back(
        alice_client, callback_with("linkedin", state, code=linkedin_code(linkedin_fake))
    )
    response = choose(alice_client, chooser, ["3003"])
    assert response.status_code == 200 and b"Select a valid choice" in response.content
    assert not Channel.objects.for_org(org_a).exists()


def test_a_linkedin_member_who_administers_no_organization_gets_a_clear_message(
    alice_client, org_a, linkedin_fake
):
    linkedin_fake.members["member-1"]["admin_of"] = []
    state = _query(start(alice_client, org_a, "linkedin"))["state"]
    response = alice_client.get(callback_with("linkedin", state, code=linkedin_code(linkedin_fake)))
    assert response.status_code == 400
    assert b"did not return any page or profile you administer" in response.content
    assert_nothing_connected(org_a)


def test_a_replayed_or_refused_linkedin_callback_leaves_nothing(alice_client, org_a, linkedin_fake):
    state = _query(start(alice_client, org_a, "linkedin"))["state"]
    callback = callback_with("linkedin", state, code=linkedin_code(linkedin_fake))
    come_back(alice_client, callback)
    assert alice_client.get(callback).status_code == 400
    state = _query(start(alice_client, org_a, "linkedin"))["state"]
    response = alice_client.get(
        callback_with(
            "linkedin",
            state,
            error="user_cancelled_authorize",
            error_description="The user cancelled the authorization",
        )
    )
    assert response.status_code == 400
    assert not Channel.objects.for_org(org_a).exists()


# --- Mastodon (any instance) -------------------------------------------------------------------


def test_a_user_connects_a_mastodon_account_on_their_instance(alice_client, org_a, mastodon_fake):
    authorize = start(alice_client, org_a, "mastodon", instance_url=mastodon_fake.url)
    [registration] = mastodon_fake.requests_to("POST", r"^/api/v1/apps$")
    assert parse_qs(registration.body.decode())["redirect_uris"] == [CALLBACK.format("mastodon")]
    parts, q = urlsplit(authorize), _query(authorize)
    assert (
        f"{parts.scheme}://{parts.netloc}" == mastodon_fake.url and parts.path == "/oauth/authorize"
    )
    assert (
        q["client_id"] in mastodon_fake.apps
        and q["redirect_uri"] == CALLBACK.format("mastodon")
        and q["state"]
    )
    client_secret = mastodon_fake.apps[q["client_id"]]["client_secret"]
    assert client_secret not in ConnectAttempt.objects.for_org(org_a).get().secret_context

    chooser = come_back(alice_client, consent_on_fake(authorize))
    page = alice_client.get(chooser)
    assert b"Brand Team (@brand@127.0.0.1)" in page.content and b"@@" not in page.content
    ours = f"{mastodon_fake.owner_id}@127.0.0.1:{urlsplit(mastodon_fake.url).port}"  # ids are unique per server
    assert choose(alice_client, chooser, [ours]).status_code == 302
    channel = Channel.objects.for_org(org_a).get()
    assert channel.provider == "mastodon" and channel.external_id == ours
    assert channel.handle == "@brand@127.0.0.1"
    listing = alice_client.get(reverse("channel_list", args=[org_a.slug]))
    assert b"@brand@127.0.0.1" in listing.content and b"@@brand" not in listing.content
    assert channel.status == Channel.Status.ACTIVE
    creds = selectors.credentials_for(channel)
    assert creds.extra["instance_url"] == mastodon_fake.url
    assert_stored_encrypted(org_a, channel)
    assert_audited(org_a, "channel.connect_started", "channel.connected")


def test_the_same_account_id_on_another_instance_does_not_take_over_the_channel(
    alice_client, org_a, mastodon_fake
):
    chooser = come_back(
        alice_client,
        consent_on_fake(start(alice_client, org_a, "mastodon", instance_url=mastodon_fake.url)),
    )
    choose(
        alice_client,
        chooser,
        [f"{mastodon_fake.owner_id}@127.0.0.1:{urlsplit(mastodon_fake.url).port}"],
    )
    ours = Channel.objects.for_org(org_a).get()
    token = selectors.credentials_for(ours).access_token
    other = MastodonFake(domain="other.example").start()
    try:
        assert other.owner_id == mastodon_fake.owner_id  # ids are only unique per server
        chooser = come_back(
            alice_client,
            consent_on_fake(start(alice_client, org_a, "mastodon", instance_url=other.url)),
        )
        response = choose(
            alice_client, chooser, [f"{other.owner_id}@127.0.0.1:{urlsplit(other.url).port}"]
        )
    finally:
        other.stop()
    assert response.status_code == 302  # another server's account is another channel
    theirs = Channel.objects.for_org(org_a).exclude(pk=ours.pk).get()
    assert (
        theirs.url != ours.url
        and selectors.credentials_for(theirs).extra["instance_url"] == other.url
    )
    still = Channel.objects.for_org(org_a).get(pk=ours.pk)
    assert still.url == ours.url and selectors.credentials_for(still).access_token == token


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_an_unreachable_mastodon_instance_is_a_clear_form_error(alice_client, org_a, mastodon_fake):
    address = f"http://127.0.0.1:{_closed_port()}"
    response = alice_client.post(
        reverse("channel_connect", args=[org_a.slug]),
        {"network": "mastodon", "instance_url": address},
    )
    assert response.status_code == 200
    assert (
        b"Could not register SocialOps with" in response.content
        and b"could not be reached" in response.content
    )
    assert (
        not ConnectAttempt.objects.for_org(org_a).exists()
        and not Channel.objects.for_org(org_a).exists()
    )


@pytest.mark.parametrize("address", ["127.0.0.1", "https://10.1.2.3", "localhost"])
def test_a_private_mastodon_address_is_refused_outside_tests(
    alice_client, org_a, mastodon_fake, settings, address
):
    settings.OUTBOUND_ALLOW_LOOPBACK = False
    response = alice_client.post(
        reverse("channel_connect", args=[org_a.slug]),
        {"network": "mastodon", "instance_url": address},
    )
    assert response.status_code == 200
    assert b"private or local address" in response.content
    assert not ConnectAttempt.objects.for_org(org_a).exists()
    assert not mastodon_fake.requests_to("POST", r"^/api/v1/apps$")


# --- Bluesky (handle + app password) -----------------------------------------------------------


def test_a_user_connects_bluesky_with_a_handle_and_an_app_password(
    alice_client, org_a, bluesky_fake
):
    chooser = start(
        alice_client, org_a, "bluesky", handle=f"@{BRAND_HANDLE}", app_password=APP_PASSWORD
    )
    page = alice_client.get(chooser)
    assert page.status_code == 200 and BRAND_HANDLE.encode() in page.content
    assert APP_PASSWORD.encode() not in page.content
    assert choose(alice_client, chooser, [BRAND_DID]).status_code == 302
    channel = Channel.objects.for_org(org_a).get()
    assert (channel.provider, channel.external_id, channel.handle) == (
        "bluesky",
        BRAND_DID,
        BRAND_HANDLE,
    )
    assert channel.status == Channel.Status.ACTIVE and channel.token_expires_at is not None
    creds = selectors.credentials_for(channel)
    assert creds.extra["did"] == BRAND_DID and creds.extra["pds_url"].startswith(
        "http://localhost:"
    )
    assert_stored_encrypted(org_a, channel)
    blob = ChannelCredential.objects.for_org(org_a).get(channel=channel).blob
    assert APP_PASSWORD not in blob
    assert_audited(
        org_a, "channel.connect_started", "channel.connect_authorized", "channel.connected"
    )


def test_a_wrong_bluesky_app_password_is_a_clear_form_error(alice_client, org_a, bluesky_fake):
    response = alice_client.post(
        reverse("channel_connect", args=[org_a.slug]),
        {"network": "bluesky", "handle": BRAND_HANDLE, "app_password": "wrong-pass-word-xxxx"},
    )
    assert response.status_code == 200
    assert b"The handle or app password is wrong." in response.content
    assert (
        not ConnectAttempt.objects.for_org(org_a).exists()
        and not Channel.objects.for_org(org_a).exists()
    )


# --- Reconnecting ------------------------------------------------------------------------------


def test_an_x_channel_needing_reauth_is_reconnected_in_place(alice_client, org_a, x_fake):
    chooser = come_back(alice_client, consent_on_fake(start(alice_client, org_a, "x")))
    choose(alice_client, chooser, [x_fake.me_id])
    channel = Channel.objects.for_org(org_a).get()
    old = selectors.credentials_for(channel).access_token
    services.mark_needs_reauth(channel, reason="token revoked")
    channel.refresh_from_db()
    assert channel.status == Channel.Status.NEEDS_REAUTH

    response = alice_client.post(reverse("channel_reconnect", args=[org_a.slug, channel.pk]))
    assert response.status_code == 302
    chooser = come_back(alice_client, consent_on_fake(response["Location"]))
    page = alice_client.get(chooser)
    assert b"checked" in page.content  # the channel's own account is preselected
    assert choose(alice_client, chooser, [x_fake.me_id]).status_code == 302

    [again] = Channel.objects.for_org(org_a)
    assert (
        again.pk == channel.pk and again.status == Channel.Status.ACTIVE and again.last_error == ""
    )
    assert selectors.credentials_for(again).access_token not in (old, "")
    assert_audited(org_a, "channel.needs_reauth", "channel.reconnected")


def test_a_bluesky_channel_needing_reauth_is_reconnected_through_the_same_form(
    alice_client, org_a, bluesky_fake
):
    chooser = start(alice_client, org_a, "bluesky", handle=BRAND_HANDLE, app_password=APP_PASSWORD)
    choose(alice_client, chooser, [BRAND_DID])
    channel = Channel.objects.for_org(org_a).get()
    old = selectors.credentials_for(channel).access_token
    services.mark_needs_reauth(channel, reason="session expired")

    response = alice_client.post(reverse("channel_reconnect", args=[org_a.slug, channel.pk]))
    assert response.status_code == 302 and "network=bluesky" in response["Location"]
    chooser = start(alice_client, org_a, "bluesky", handle=BRAND_HANDLE, app_password=APP_PASSWORD)
    assert choose(alice_client, chooser, [BRAND_DID]).status_code == 302
    [again] = Channel.objects.for_org(org_a)
    assert again.pk == channel.pk and again.status == Channel.Status.ACTIVE
    assert selectors.credentials_for(again).access_token != old


# --- Webhooks through the real view ------------------------------------------------------------


def _connect_facebook_page(client, org, fake) -> Channel:
    state = _query(start(client, org, "facebook"))["state"]
    chooser = come_back(client, callback_with("facebook", state, code=fb_code(fake)))
    choose(client, chooser, [MetaGraphFake.PAGE_ID])
    return Channel.objects.for_org(org).get(external_id=MetaGraphFake.PAGE_ID)


def test_facebook_verifies_our_webhook_with_the_verify_token(client, meta_fake):
    query = {
        "hub.mode": "subscribe",
        "hub.verify_token": "our-verify-token",
        "hub.challenge": "1158201444",
    }
    response = client.get("/webhooks/facebook/", query)
    assert response.status_code == 200 and response.content == b"1158201444"
    response = client.get("/webhooks/facebook/", {**query, "hub.verify_token": "guess"})
    assert response.status_code == 403


COMMENT_PUSH = {
    "object": "page",
    "entry": [
        {
            "id": MetaGraphFake.PAGE_ID,
            "time": 1717000000,
            "changes": [
                {
                    "field": "feed",
                    "value": {
                        "item": "comment",
                        "verb": "add",
                        "comment_id": "123_9_77",
                        "post_id": "123_9",
                        "parent_id": "123_9",
                        "message": "Buka jam berapa?",
                        "from": {"id": "99", "name": "Ana"},
                        "created_time": 1717000000,
                    },
                }
            ],
        }
    ],
}


def test_a_signed_facebook_push_is_stored_and_parsed_for_the_right_channel(
    alice_client, client, org_a, meta_fake, django_capture_on_commit_callbacks
):
    channel = _connect_facebook_page(alice_client, org_a, meta_fake)
    body, headers = meta_fake.signed_webhook(COMMENT_PUSH)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/webhooks/facebook/",
            data=body,
            content_type="application/json",
            HTTP_X_HUB_SIGNATURE_256=headers["x-hub-signature-256"],
        )
    assert response.status_code == 200
    delivery = WebhookDelivery.objects.get()
    assert delivery.provider == "facebook" and delivery.status == WebhookDelivery.Status.PROCESSED
    [event] = delivery.events
    assert event["kind"] == "inbox_item" and event["item"]["text"] == "Buka jam berapa?"
    assert event["channels"] == [{"organization_id": org_a.pk, "channel_id": channel.pk}]


def test_a_facebook_push_with_a_bad_signature_is_refused_and_not_stored(client, meta_fake):
    body, _headers = meta_fake.signed_webhook(COMMENT_PUSH, secret="not-our-app-secret")
    response = client.post(
        "/webhooks/facebook/",
        data=body,
        content_type="application/json",
        HTTP_X_HUB_SIGNATURE_256=_headers["x-hub-signature-256"],
    )
    assert response.status_code == 403
    assert (
        client.post("/webhooks/facebook/", data=body, content_type="application/json").status_code
        == 403
    )
    assert not WebhookDelivery.objects.exists()


def _x_signature(secret: str, payload: bytes) -> str:
    return (
        "sha256="
        + base64.b64encode(hmac.new(secret.encode(), payload, hashlib.sha256).digest()).decode()
    )


def test_x_crc_check_gets_the_documented_response_token(client, x_fake):
    response = client.get("/webhooks/x/", {"crc_token": "challenge-123"})
    assert response.status_code == 200
    assert response.json() == {
        "response_token": _x_signature(x_fake.consumer_secret, b"challenge-123")
    }


def test_a_signed_x_push_is_accepted_and_names_the_channel(
    alice_client, client, org_a, x_fake, django_capture_on_commit_callbacks
):
    chooser = come_back(alice_client, consent_on_fake(start(alice_client, org_a, "x")))
    choose(alice_client, chooser, [x_fake.me_id])
    channel = Channel.objects.for_org(org_a).get()
    payload = json.dumps(
        {
            "for_user_id": x_fake.me_id,
            "tweet_create_events": [
                {
                    "id_str": "1790000000000000001",
                    "text": "@socialops_hq halo",
                    "created_at": "Wed May 29 12:00:00 +0000 2024",
                    "user": {"id_str": "2244994945", "name": "Fan", "screen_name": "fan"},
                    "in_reply_to_status_id_str": None,
                }
            ],
        }
    ).encode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/webhooks/x/",
            data=payload,
            content_type="application/json",
            HTTP_X_TWITTER_WEBHOOKS_SIGNATURE=_x_signature(x_fake.consumer_secret, payload),
        )
    assert response.status_code == 200
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == WebhookDelivery.Status.PROCESSED
    assert [c["channel_id"] for e in delivery.events for c in e["channels"]] == [channel.pk]
    forged = client.post(
        "/webhooks/x/",
        data=payload,
        content_type="application/json",
        HTTP_X_TWITTER_WEBHOOKS_SIGNATURE=_x_signature("wrong", payload),
    )
    assert forged.status_code == 403 and WebhookDelivery.objects.count() == 1
