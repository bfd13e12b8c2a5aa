"""Where a Bluesky account lives: handle → DID → DID document → PDS, and the session opened there
(issue 11, item 2). An account on a self-hosted PDS is unknown to the entryway, which used to tell
its owner that the password was wrong.

Two fakes: ``main`` is the entryway, PLC directory and AppView (it hosts brand.bsky.social);
``own`` is a self-hosted PDS with one account, which ``main`` lists as hosted elsewhere.
"""

from __future__ import annotations

import pytest

from channels_registry.providers.base import Credentials, ProviderConfig, PublishRequest
from channels_registry.providers.bluesky import BlueskyProvider, normalize_service_url
from channels_registry.providers.errors import AuthExpired, ProviderError
from tests.fakes.bluesky import (
    APP_PASSWORD,
    BRAND_DID,
    BRAND_HANDLE,
    SELF_DID,
    SELF_HANDLE,
    SELF_PASSWORD,
    BlueskyFake,
    self_hosted_accounts,
)


@pytest.fixture
def main():
    server = BlueskyFake().start()
    yield server
    server.stop()


@pytest.fixture
def own(main):
    server = BlueskyFake(
        accounts=self_hosted_accounts(), handle_domains=(".brand.example",)
    ).start()
    main.register_remote(SELF_DID, SELF_HANDLE, server.pds_url, well_known=False)
    yield server
    server.stop()


@pytest.fixture
def provider(main, settings):
    settings.OUTBOUND_ALLOW_LOOPBACK = True
    p = BlueskyProvider(ProviderConfig(urls=main.provider_urls(), extra={"poll_interval": 0}))
    yield p
    p.http.close()


def host(server: BlueskyFake) -> str:
    return server.pds_url.split("://")[1]


def test_an_account_on_a_self_hosted_pds_logs_in_there_and_every_call_goes_there(
    provider, main, own
):
    account = provider.login_with_app_password(SELF_HANDLE, SELF_PASSWORD)

    assert account.external_id == SELF_DID and account.name == "Brand (own server)"
    assert not main.requests_to("POST", r"createSession$")  # the entryway does not know the account
    (login,) = own.requests_to("POST", r"createSession$")
    assert login.headers["host"] == host(own)
    creds = account.credentials
    assert creds.extra["pds_url"] == own.pds_url and creds.extra["service_url"] == own.pds_url

    result = provider.publish(
        creds, SELF_DID, PublishRequest(text="from our own server", idempotency_key="s1")
    )
    assert own.posts_of(SELF_DID)[result.raw["rkey"]]["value"]["text"] == "from our own server"
    own.expire_access_tokens()
    provider.verify_credentials(creds, SELF_DID)  # renewed at the account's own PDS
    assert len(own.requests_to("POST", r"refreshSession$")) == 1
    assert not [r for r in main.requests if r.bearer]  # no token ever went to the entryway


def test_the_handles_own_well_known_names_the_did_without_asking_the_entryway(provider, main, own):
    main.well_known[SELF_HANDLE] = SELF_DID
    provider.login_with_app_password(SELF_HANDLE, SELF_PASSWORD)
    assert main.requests_to("GET", rf"^/handle-wellknown/{SELF_HANDLE}/")
    assert not main.requests_to("GET", r"resolveHandle$")


def test_a_server_address_given_by_the_person_is_used_as_is(provider, main, own):
    account = provider.login_with_app_password(
        SELF_HANDLE, SELF_PASSWORD, service_url=own.pds_url + "/"
    )
    assert account.external_id == SELF_DID
    assert not main.requests  # nothing resolved: the person said where the account lives
    assert account.credentials.extra["service_url"] == own.pds_url


def test_an_e_mail_address_logs_in_at_the_entryway(provider, main):
    main.accounts[BRAND_DID]["email"] = "social@brand.example"
    with pytest.raises(AuthExpired):
        provider.login_with_app_password("social@brand.example", "wrong-pass")
    (login,) = main.requests_to("POST", r"createSession$")
    assert login.headers["host"] == main.url.split("://")[1]
    assert not main.requests_to("GET", r"resolveHandle$")


def test_a_handle_nobody_has_is_said_so_instead_of_a_wrong_password(provider, main):
    with pytest.raises(ProviderError) as info:
        provider.login_with_app_password("nobody.bsky.social", "whatever-pass")
    assert info.value.code == "HandleNotFound" and not isinstance(info.value, AuthExpired)
    assert "nobody.bsky.social" in info.value.message
    assert not main.requests_to("POST", r"createSession$")


def test_a_did_document_that_does_not_claim_the_handle_back_is_refused(provider, main, own):
    main.well_known[SELF_HANDLE] = SELF_DID  # the handle's site names a DID ...
    main.remote[SELF_DID]["alsoKnownAs"] = [
        "at://someone.else.example"
    ]  # ... that does not name it back
    with pytest.raises(ProviderError) as info:
        provider.login_with_app_password(SELF_HANDLE, SELF_PASSWORD)
    assert info.value.code == "HandleMismatch"
    assert not own.requests_to("POST", r"createSession$")


def test_when_the_handle_cannot_be_looked_up_right_now_the_entryway_is_tried(provider, main):
    main.fail_next(
        r"resolveHandle$", 502, {"error": "UpstreamFailure", "message": "Upstream Failure"}
    )
    account = provider.login_with_app_password(BRAND_HANDLE, APP_PASSWORD)
    assert account.external_id == BRAND_DID
    (login,) = main.requests_to("POST", r"createSession$")
    assert login.headers["host"] == main.url.split("://")[1]


def test_channels_connected_before_the_pds_was_stored_keep_using_the_entryway(provider, main):
    session = provider.login_with_app_password(BRAND_HANDLE, APP_PASSWORD).credentials
    old = Credentials(
        access_token=session.access_token,
        refresh_token=session.refresh_token,
        extra={"did": BRAND_DID, "handle": BRAND_HANDLE},
    )
    main.requests.clear()
    provider.publish(old, BRAND_DID, PublishRequest(text="old channel", idempotency_key="o1"))
    assert {r.headers["host"] for r in main.requests} == {main.url.split("://")[1]}


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("pds.example.org", "https://pds.example.org"),
        ("https://pds.example.org/", "https://pds.example.org"),
        ("http://127.0.0.1:2583", "http://127.0.0.1:2583"),
    ],
)
def test_a_typed_server_address_is_normalized(typed, expected):
    assert normalize_service_url(typed) == expected


@pytest.mark.parametrize(
    "typed", ["http://pds.example.org", "https://pds.example.org/xrpc", "ftp://x.example"]
)
def test_a_server_address_that_is_not_an_https_origin_is_refused(typed):
    with pytest.raises(ProviderError) as info:
        normalize_service_url(typed)
    assert info.value.code == "InvalidServiceUrl"
