"""atproto OAuth for the Bluesky connector, against the loopback fake acting as PLC directory, PDS and
authorization server: PAR with PKCE and DPoP (nonce retry), the callback's ``iss``, the token's ``sub``,
refresh, and PDS calls with ``Authorization: DPoP`` plus a proof carrying ``ath``.
"""

from __future__ import annotations

import base64
import hashlib
import json
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from channels_registry.providers import dpop
from channels_registry.providers.base import ProviderConfig, PublishRequest
from channels_registry.providers.bluesky import BlueskyProvider
from channels_registry.providers.errors import AuthExpired, ProviderError
from tests.fakes.bluesky import BRAND_DID, BRAND_HANDLE, FAN_DID, BlueskyFake

REDIRECT_URI = "http://testserver/connect/bluesky/callback"
CLIENT_ID = "http://testserver/oauth/bluesky/client-metadata.json"


@pytest.fixture
def fake():
    server = BlueskyFake().start()
    yield server
    server.stop()


@pytest.fixture
def provider(fake, settings):
    settings.OUTBOUND_ALLOW_LOOPBACK = True
    p = BlueskyProvider(ProviderConfig(urls=fake.provider_urls()))
    yield p
    p.http.close()


def claims_of(jwt: str) -> tuple[dict, dict]:
    head, body, _sig = jwt.split(".")
    decode = lambda part: json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))  # noqa: E731
    return decode(head), decode(body)


def start(provider: BlueskyProvider, handle: str = BRAND_HANDLE) -> tuple[str, dict]:
    context = {"handle": handle, "client_id": CLIENT_ID}
    url = provider.authorization_url(
        redirect_uri=REDIRECT_URI, state="state-1", code_verifier="v" * 64, extra=context
    )
    return url, context


def consent(url: str) -> dict[str, str]:
    """The person approves on the authorization server, which redirects back to our callback."""
    response = httpx.get(url)
    assert response.status_code == 302
    location = response.headers["location"]
    assert location.startswith(REDIRECT_URI + "?")
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


def connect(provider: BlueskyProvider):
    url, context = start(provider)
    callback = consent(url)
    assert callback["state"] == "state-1"
    (account,) = provider.exchange_code(
        code=callback["code"],
        redirect_uri=REDIRECT_URI,
        code_verifier="v" * 64,
        extra={**context, "callback_iss": callback["iss"]},
    )
    return account


def test_the_full_flow_resolves_the_handle_pushes_the_request_with_dpop_and_gets_bound_tokens(
    provider, fake
):
    url, context = start(provider)

    # handle → DID (the handle's own well-known, then the entryway) → DID document → PDS →
    # protected-resource metadata → authorization server metadata
    assert [r.path for r in fake.requests[:5]] == [
        f"/handle-wellknown/{BRAND_HANDLE}/.well-known/atproto-did",
        "/xrpc/com.atproto.identity.resolveHandle",
        f"/{BRAND_DID}",
        "/.well-known/oauth-protected-resource",
        "/.well-known/oauth-authorization-server",
    ]
    assert fake.requests[3].headers["host"] == fake.pds_url.split("://")[1]  # asked the PDS
    # PAR: refused once for want of the server's nonce, then accepted with it
    first, second = fake.requests_to("POST", r"^/oauth/par$")
    assert "nonce" not in claims_of(first.headers["dpop"])[1]
    header, claims = claims_of(second.headers["dpop"])
    assert (
        header["typ"] == "dpop+jwt"
        and header["alg"] == "ES256"
        and set(header["jwk"]) == {"kty", "crv", "x", "y"}
    )
    assert (
        claims["htm"] == "POST"
        and claims["htu"] == f"{fake.url}/oauth/par"
        and claims["nonce"] == fake.dpop_nonce
    )
    assert claims["jti"] != claims_of(first.headers["dpop"])[1]["jti"]
    form = second.form()
    assert (
        form["client_id"] == CLIENT_ID
        and form["response_type"] == "code"
        and form["state"] == "state-1"
    )
    assert (
        form["scope"] == "atproto transition:generic transition:chat.bsky"
        and form["login_hint"] == BRAND_HANDLE
    )
    assert form["code_challenge_method"] == "S256"
    assert (
        form["code_challenge"]
        == base64.urlsafe_b64encode(hashlib.sha256(b"v" * 64).digest()).rstrip(b"=").decode()
    )
    assert form["redirect_uri"] == REDIRECT_URI
    # the browser only gets client_id and request_uri
    query = parse_qs(urlsplit(url).query)
    assert url.startswith(f"{fake.url}/oauth/authorize?") and set(query) == {
        "client_id",
        "request_uri",
    }
    # what the callback needs, for the caller to keep encrypted
    assert (
        context["did"] == BRAND_DID
        and context["pds_url"] == fake.pds_url
        and context["issuer"] == fake.url
    )
    assert context["token_endpoint"] == f"{fake.url}/oauth/token" and set(context["dpop_key"]) >= {
        "d",
        "x",
        "y",
    }

    callback = consent(url)
    assert callback["iss"] == fake.url
    (account,) = provider.exchange_code(
        code=callback["code"],
        redirect_uri=REDIRECT_URI,
        code_verifier="v" * 64,
        extra={**context, "callback_iss": callback["iss"]},
    )
    (token_request,) = fake.requests_to(
        "POST", r"^/oauth/token$"
    )  # the nonce was remembered: no retry
    token_form = token_request.form()
    assert (
        token_form["grant_type"] == "authorization_code" and token_form["code_verifier"] == "v" * 64
    )
    assert token_form["client_id"] == CLIENT_ID and "client_secret" not in token_form
    assert (
        claims_of(token_request.headers["dpop"])[0]["jwk"] == header["jwk"]
    )  # the same key throughout

    assert (
        account.external_id == BRAND_DID
        and account.handle == BRAND_HANDLE
        and account.name == "Brand Co"
    )
    creds = account.credentials
    assert creds.dpop_key == context["dpop_key"]
    assert creds.access_token in fake.dpop_tokens and creds.refresh_token in fake.oauth_refresh
    assert (
        creds.scopes == ("atproto", "transition:generic", "transition:chat.bsky")
        and creds.expires_at is not None
    )
    assert creds.extra["pds_url"] == fake.pds_url and creds.extra["issuer"] == fake.url
    assert (
        creds.extra["token_endpoint"] == f"{fake.url}/oauth/token"
        and creds.extra["client_id"] == CLIENT_ID
    )
    assert "dpop_key" not in creds.extra and creds.access_token not in repr(creds)


def test_a_callback_whose_iss_is_not_the_authorization_server_is_refused(provider, fake):
    url, context = start(provider)
    callback = consent(url)
    with pytest.raises(ProviderError, match="did not come from the Bluesky server") as exc:
        provider.exchange_code(
            code=callback["code"],
            redirect_uri=REDIRECT_URI,
            code_verifier="v" * 64,
            extra={**context, "callback_iss": "https://evil.example"},
        )
    assert exc.value.code == "IssuerMismatch"
    with pytest.raises(ProviderError, match="did not come from"):  # and a callback without iss
        provider.exchange_code(
            code=callback["code"], redirect_uri=REDIRECT_URI, code_verifier="v" * 64, extra=context
        )
    assert not fake.requests_to("POST", r"^/oauth/token$")


def test_tokens_for_another_account_than_the_resolved_did_are_refused(provider, fake):
    fake.token_sub_override = FAN_DID
    url, context = start(provider)
    callback = consent(url)
    with pytest.raises(ProviderError, match="different account") as exc:
        provider.exchange_code(
            code=callback["code"],
            redirect_uri=REDIRECT_URI,
            code_verifier="v" * 64,
            extra={**context, "callback_iss": callback["iss"]},
        )
    assert exc.value.code == "SubjectMismatch"


def test_a_handle_that_does_not_resolve_is_a_clear_error(provider, fake):
    with pytest.raises(ProviderError, match="No Bluesky account has the handle nobody.bsky.social"):
        start(provider, "nobody.bsky.social")
    assert not fake.requests_to("POST", r"^/oauth/par$")


def test_a_did_document_that_does_not_claim_the_handle_back_is_refused(provider, fake, monkeypatch):
    monkeypatch.setattr(
        fake,
        "did_document",
        lambda did: {**BlueskyFake.did_document(fake, did), "alsoKnownAs": ["at://someone.else"]},
    )
    with pytest.raises(ProviderError, match="does not claim the handle"):
        start(provider)


def test_a_wrong_pkce_verifier_is_refused_by_the_server(provider, fake):
    url, context = start(provider)
    callback = consent(url)
    with pytest.raises(AuthExpired, match="Invalid code_verifier"):
        provider.exchange_code(
            code=callback["code"],
            redirect_uri=REDIRECT_URI,
            code_verifier="w" * 64,
            extra={**context, "callback_iss": callback["iss"]},
        )


def test_refresh_uses_the_same_dpop_key_and_rotates_the_tokens(provider, fake):
    creds = connect(provider)
    fresh_provider = BlueskyProvider(provider.config)  # a later task: no nonce remembered
    fresh = fresh_provider.refresh(creds.credentials)

    first, second = fake.requests_to("POST", r"^/oauth/token$")[-2:]
    assert (
        first.form()["grant_type"] == "refresh_token"
        and claims_of(first.headers["dpop"])[1].get("nonce") is None
    )
    refresh_form = second.form()
    assert refresh_form == {
        "grant_type": "refresh_token",
        "refresh_token": creds.credentials.refresh_token,
        "client_id": CLIENT_ID,
    }
    assert claims_of(second.headers["dpop"])[0]["jwk"] == dpop.public_jwk(
        creds.credentials.dpop_key
    )
    assert (
        fresh.access_token != creds.credentials.access_token
        and fresh.refresh_token in fake.oauth_refresh
    )
    assert fresh.dpop_key == creds.credentials.dpop_key and fresh.extra == creds.credentials.extra
    fresh_provider.http.close()


def test_a_refresh_token_used_with_another_key_is_refused_as_auth_expired(provider, fake):
    creds = connect(provider).credentials
    creds.dpop_key = dpop.new_key()
    with pytest.raises(AuthExpired, match="bound to another key"):
        provider.refresh(creds)


def test_publishing_with_oauth_credentials_sends_dpop_with_ath_to_the_pds(provider, fake):
    creds = connect(provider).credentials
    fake.requests.clear()
    later = BlueskyProvider(provider.config)  # a publish task: it has not met the PDS's nonce yet
    result = later.publish(
        creds, BRAND_DID, PublishRequest(text="hello from OAuth", idempotency_key="k1")
    )
    later.http.close()

    assert result.external_id.startswith(f"at://{BRAND_DID}/app.bsky.feed.post/")
    # the PDS asked for its own nonce once (401 use_dpop_nonce); the same write went again with it
    refused, create = fake.requests_to("POST", r"createRecord$")
    assert "nonce" not in claims_of(refused.headers["dpop"])[1]
    assert create.headers["host"] == fake.pds_url.split("://")[1]
    assert create.headers["authorization"] == f"DPoP {creds.access_token}"
    _header, claims = claims_of(create.headers["dpop"])
    assert (
        claims["ath"]
        == base64.urlsafe_b64encode(hashlib.sha256(creds.access_token.encode()).digest())
        .rstrip(b"=")
        .decode()
    )
    assert (
        claims["htm"] == "POST"
        and claims["htu"] == f"{fake.pds_url}/xrpc/com.atproto.repo.createRecord"
    )
    assert claims["nonce"] == fake.dpop_nonce
    assert all(
        r.headers["authorization"].startswith("DPoP ")
        for r in fake.requests
        if r.path.startswith("/xrpc/")
    )
    assert fake.posts_of()[result.raw["rkey"]]["value"]["text"] == "hello from OAuth"


def test_inbox_metrics_and_health_checks_work_with_oauth_credentials(provider, fake):
    creds = connect(provider).credentials
    post = fake.seed_post(BRAND_DID, "our post")
    fake.add_reply(FAN_DID, post["uri"], "nice")
    page = provider.fetch_inbox(creds, BRAND_DID)
    assert [i.text for i in page.items] == ["nice"]
    assert provider.reply(creds, BRAND_DID, page.items[0], "thanks").startswith(
        f"at://{BRAND_DID}/"
    )
    (metrics,) = provider.fetch_post_metrics(creds, BRAND_DID, [post["uri"]])
    assert metrics.comments == 1
    assert provider.verify_credentials(creds, BRAND_DID).external_id == BRAND_DID


def test_an_oauth_token_is_never_sent_as_a_bearer_token(provider, fake):
    creds = connect(provider).credentials
    response = httpx.get(
        f"{fake.pds_url}/xrpc/com.atproto.server.getSession",
        headers={"Authorization": f"Bearer {creds.access_token}"},
    )
    # the PDS cannot verify it as a session JWT: 400 InvalidToken; the connector never does it
    assert response.status_code == 400 and response.json()["error"] == "InvalidToken"
    assert not [
        r for r in fake.requests if r.headers.get("authorization", "").startswith("Bearer oauth-")
    ][:-1]


def test_the_client_metadata_document_describes_a_public_dpop_web_client(provider):
    meta = provider.client_metadata(client_id=CLIENT_ID, redirect_uri=REDIRECT_URI)
    assert meta["client_id"] == CLIENT_ID and meta["redirect_uris"] == [REDIRECT_URI]
    assert meta["token_endpoint_auth_method"] == "none" and meta["dpop_bound_access_tokens"] is True
    assert (
        meta["scope"] == "atproto transition:generic transition:chat.bsky"
        and meta["application_type"] == "web"
    )
