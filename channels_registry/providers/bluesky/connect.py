"""Bluesky: connecting an account: OAuth (or its equivalent), refresh and health checks."""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

import httpx

from ...http import json_or_error
from .. import dpop
from ..base import (
    Account,
    Credentials,
)
from ..errors import AuthExpired, ProviderError, RateLimited, TransientError
from .chat import SCOPE_REFUSED
from .client import (
    _HANDLE_RE,
    ACCOUNT_ERRORS,
    AUTH_ERRORS,
    OAUTH_SCOPE,
    _check_issuer_url,
    _jwt_claims,
    _jwt_exp,
    _origin,
    _pds_from_did_doc,
    _wants_dpop_nonce,
    normalize_service_url,
)


class BlueskyConnection:
    """Bluesky's connecting an account (a part of ``BlueskyProvider``)."""

    # ===== Connection ===============================================================================

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        #: the latest DPoP-Nonce per server origin (RFC 9449 §8); the AS and the PDS keep their own
        self._dpop_nonces: dict[str, str] = {}

    # --- atproto OAuth (atproto.com/specs/oauth; docs.bsky.app "OAuth client implementation") ---------
    # A public web client (token_endpoint_auth_method "none"): the client_id is the URL of our client
    # metadata document, PKCE S256 and PAR are mandatory, and every token is bound to a DPoP key made
    # fresh for the session. The flow: handle → DID → DID document → PDS → its protected-resource
    # metadata → authorization server → its metadata → PAR → consent → callback (code + iss) → tokens.

    def client_metadata(self, *, client_id: str, redirect_uri: str) -> dict[str, Any]:
        """The client metadata document served at ``client_id``."""
        return {
            "client_id": client_id,
            "client_name": "SocialOps",
            "client_uri": client_id.split("/oauth/", 1)[0],
            "redirect_uris": [redirect_uri],
            "grant_types": ["authorization_code", "refresh_token"],
            "scope": OAUTH_SCOPE,
            "response_types": ["code"],
            "application_type": "web",
            "token_endpoint_auth_method": "none",
            "dpop_bound_access_tokens": True,
        }

    def authorization_url(
        self,
        *,
        redirect_uri: str,
        state: str,
        code_verifier: str | None = None,
        extra: dict[str, Any] | None = None,
    ) -> str:
        """Resolve the handle's authorization server and push the authorization request (PAR).

        Adds to ``extra`` what the callback needs: the DID, PDS, issuer, token endpoint and the
        session's private DPoP key (the caller stores ``extra`` encrypted).
        """
        extra = extra if extra is not None else {}
        handle = str(extra.get("handle") or "").strip().lstrip("@").lower()
        client_id = extra.get("client_id") or self.config.client_id
        if not handle or not client_id or not code_verifier:
            raise ProviderError(
                "Signing in with Bluesky needs a handle, our client id and a PKCE verifier.",
                permanent=True,
            )
        did, pds = self.resolve_identity(handle)
        issuer = self._authorization_server_of(pds)
        meta = self._authorization_server_metadata(issuer)
        key = dpop.new_key()
        form = {
            "client_id": client_id,
            "response_type": "code",
            "redirect_uri": redirect_uri,
            "state": state,
            "scope": OAUTH_SCOPE,
            "code_challenge": dpop.s256(code_verifier),
            "code_challenge_method": "S256",
            "login_hint": handle,
        }
        response = self._dpop_request(
            key, "POST", meta["pushed_authorization_request_endpoint"], data=form
        )
        body = self._oauth_body(response, "the pushed authorization request")
        request_uri = body.get("request_uri")
        if not isinstance(request_uri, str) or not request_uri:
            raise TransientError(
                "Bluesky answered the pushed authorization request without a request_uri."
            )
        extra.update(
            {
                "did": did,
                "pds_url": pds,
                "issuer": issuer,
                "token_endpoint": meta["token_endpoint"],
                "dpop_key": key,
                "dpop_nonce": self._dpop_nonces.get(_origin(meta["token_endpoint"]), ""),
            }
        )
        return f"{meta['authorization_endpoint']}?{urlencode({'client_id': client_id, 'request_uri': request_uri})}"

    def exchange_code(
        self,
        *,
        code: str,
        redirect_uri: str,
        code_verifier: str | None = None,
        extra: dict[str, Any] | None = None,
    ) -> list[Account]:
        """Trade the code for DPoP-bound tokens; ``sub`` must be the DID the handle resolved to."""
        extra = extra or {}
        issuer, key, did = extra.get("issuer"), extra.get("dpop_key"), extra.get("did")
        if not issuer or not key or not did or not code_verifier or not extra.get("token_endpoint"):
            raise ProviderError(
                "This Bluesky sign-in was not started here; start again.", permanent=True
            )
        # RFC 9207: the callback names the server that issued the code; it must be the one we asked.
        if extra.get("callback_iss") != issuer:
            raise ProviderError(
                "The sign-in answer did not come from the Bluesky server it was sent to.",
                permanent=True,
                code="IssuerMismatch",
            )
        token_endpoint = extra["token_endpoint"]
        if extra.get("dpop_nonce"):
            self._dpop_nonces.setdefault(_origin(token_endpoint), extra["dpop_nonce"])
        form = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": redirect_uri,
            "code_verifier": code_verifier,
            "client_id": extra.get("client_id") or self.config.client_id,
        }
        response = self._dpop_request(key, "POST", token_endpoint, data=form)
        tokens = self._oauth_body(response, "the token request")
        context = {
            "did": did,
            "handle": extra.get("handle"),
            "pds_url": extra.get("pds_url"),
            "auth": "oauth",
            "issuer": issuer,
            "token_endpoint": token_endpoint,
            "client_id": form["client_id"],
        }
        credentials = self._credentials_from_tokens(tokens, key=key, context=context)
        account = self._describe(credentials)
        account.extra.update({"app_password": False, "oauth": True})
        return [account]

    def _credentials_from_tokens(
        self, tokens: dict[str, Any], *, key: dict[str, str], context: dict[str, Any]
    ) -> Credentials:
        access, token_type = tokens.get("access_token"), str(tokens.get("token_type") or "")
        if not isinstance(access, str) or not access or token_type.lower() != "dpop":
            raise TransientError(
                "Bluesky answered the token request without a DPoP-bound access token."
            )
        if tokens.get("sub") != context["did"]:
            raise ProviderError(
                "Bluesky issued tokens for a different account than the handle names; "
                "nothing was connected.",
                permanent=True,
                code="SubjectMismatch",
            )
        scopes = tuple(str(tokens.get("scope") or "").split())
        if "atproto" not in scopes:
            raise ProviderError(
                "Bluesky did not grant the atproto scope.", permanent=True, code="ScopeMissing"
            )
        expires_in = tokens.get("expires_in")
        expires_at = (
            datetime.fromtimestamp(time.time() + float(expires_in), UTC)
            if isinstance(expires_in, int | float)
            else None
        )
        return Credentials(
            access_token=access,
            refresh_token=tokens.get("refresh_token"),
            expires_at=expires_at,
            scopes=scopes,
            extra=dict(context),
            dpop_key=key,
        )

    # --- Identity: handle → DID → DID document → PDS (atproto.com/specs/handle, /specs/did) ---------------

    def resolve_identity(self, handle: str) -> tuple[str, str]:
        """The account's DID and the URL of the PDS that hosts it, from its handle.

        The handle names a DID (the handle's own ``/.well-known/atproto-did``, else
        ``com.atproto.identity.resolveHandle`` at the entryway, which also follows the handle's DNS
        record); the DID document (PLC directory for did:plc, the host's ``/.well-known/did.json`` for
        did:web) must claim the handle back and names the PDS (service ``#atproto_pds``). Accounts on a
        self-hosted PDS live there, not at the entryway: every session call goes to that PDS.
        """
        handle = handle.strip().lstrip("@").lower()
        did = handle if handle.startswith("did:") else self._handle_to_did(handle)
        did_doc = self._did_document(did)
        if not handle.startswith("did:") and f"at://{handle}" not in [
            str(a).lower() for a in did_doc.get("alsoKnownAs") or []
        ]:
            raise ProviderError(
                f"The DID document of {did} does not claim the handle {handle}.",
                permanent=True,
                code="HandleMismatch",
            )
        pds = _pds_from_did_doc(did_doc)
        if not pds:
            raise ProviderError(
                f"The DID document of {did} names no PDS.", permanent=True, code="NoPds"
            )
        return did, pds.rstrip("/")

    def _handle_to_did(self, handle: str) -> str:
        if not _HANDLE_RE.match(handle):
            raise ProviderError(
                f"{handle!r} is not a Bluesky handle (it looks like yourname.bsky.social).",
                permanent=True,
                code="InvalidHandle",
            )
        did = self._did_from_well_known(handle)
        return did or self._resolve_handle_at_entryway(handle)

    def _did_from_well_known(self, handle: str) -> str | None:
        """``https://<handle>/.well-known/atproto-did``: the DID as plain text; anything else means "not here"."""
        template = self.urls.get("handle_well_known")
        if not template or self.config.extra.get("handle_well_known") is False:
            return None
        try:
            response = self.http.get(
                template.format(handle=handle), headers={"Accept": "text/plain"}
            )
        except ProviderError:
            return None  # no such host, or one we may not call: the entryway is asked instead
        if response.status_code != 200:
            return None
        did = response.text.strip().split("\n", 1)[0].strip()
        return did if re.fullmatch(r"did:(plc|web):[a-zA-Z0-9.%:_-]+", did) else None

    def _resolve_handle_at_entryway(self, handle: str) -> str:
        """handle → DID with ``com.atproto.identity.resolveHandle`` (no session needed)."""
        response = self.http.get(
            f"{self.urls['api'].rstrip('/')}/xrpc/com.atproto.identity.resolveHandle",
            params={"handle": handle},
        )
        if response.status_code == 400:
            # HandleNotFound for the entryway's own domains, InvalidRequest "Unable to resolve handle"
            # for others (packages/pds/src/api/com/atproto/identity/resolveHandle.ts)
            raise ProviderError(
                f"No Bluesky account has the handle {handle}.",
                permanent=True,
                status=400,
                code="HandleNotFound",
            )
        did = self._ok(response, write=False).get("did")
        if not isinstance(did, str) or not did.startswith(("did:plc:", "did:web:")):
            raise TransientError("Bluesky resolved the handle to something that is not a DID.")
        return did

    def _did_document(self, did: str) -> dict[str, Any]:
        if did.startswith("did:plc:"):
            url = f"{self.urls['plc'].rstrip('/')}/{did}"
        elif did.startswith("did:web:"):
            url = self.urls["did_web"].format(host=did.removeprefix("did:web:").replace("%3A", ":"))
        else:
            raise ProviderError(f"{did} is not a DID Bluesky uses.", permanent=True)
        response = self.http.get(url)
        if response.status_code == 404:
            raise ProviderError(
                f"No DID document exists for {did}.", permanent=True, status=404, code="DidNotFound"
            )
        doc = self._ok(response, write=False)
        if doc.get("id") != did:
            raise ProviderError(
                f"The DID document fetched for {did} is about someone else.", permanent=True
            )
        return doc

    def _authorization_server_of(self, pds: str) -> str:
        """The PDS's OAuth protected-resource metadata (RFC 9728) names its authorization server."""
        meta = self._ok(self.http.get(f"{pds}/.well-known/oauth-protected-resource"), write=False)
        servers = meta.get("authorization_servers")
        if not isinstance(servers, list) or not servers or not isinstance(servers[0], str):
            raise TransientError("The Bluesky PDS does not name an authorization server.")
        return servers[0].rstrip("/")

    def _authorization_server_metadata(self, issuer: str) -> dict[str, Any]:
        """RFC 8414 metadata, checked against what atproto OAuth requires of a server."""
        _check_issuer_url(issuer)
        meta = self._ok(
            self.http.get(f"{issuer}/.well-known/oauth-authorization-server"), write=False
        )
        missing = [
            k
            for k in (
                "authorization_endpoint",
                "token_endpoint",
                "pushed_authorization_request_endpoint",
            )
            if not isinstance(meta.get(k), str)
        ]
        if meta.get("issuer") != issuer or missing:
            raise ProviderError(
                "Bluesky's authorization server published unusable metadata"
                f"{' (missing ' + ', '.join(missing) + ')' if missing else ' (issuer mismatch)'}.",
                permanent=True,
            )
        if "ES256" not in (meta.get("dpop_signing_alg_values_supported") or []) or "S256" not in (
            meta.get("code_challenge_methods_supported") or []
        ):
            raise ProviderError(
                "Bluesky's authorization server does not offer DPoP with ES256 and PKCE S256.",
                permanent=True,
            )
        if "atproto" not in (meta.get("scopes_supported") or ["atproto"]):
            raise ProviderError(
                "Bluesky's authorization server does not support the atproto scope.", permanent=True
            )
        return meta

    def _oauth_body(self, response: httpx.Response, what: str) -> dict[str, Any]:
        """A 2xx OAuth answer, or the typed error for ``{"error", "error_description"}``."""
        if 200 <= response.status_code < 300:
            body = json_or_error(response)
            if not isinstance(body, dict):
                raise TransientError(f"Bluesky answered {what} with an unexpected body.")
            return body
        if response.status_code == 429 or response.status_code >= 500:
            self._raise_for(response, write=False)
        body = self._error_body(response)
        error = str(body.get("error") or "")
        text = str(body.get("error_description") or error or f"HTTP {response.status_code}")
        if error == "invalid_grant" or response.status_code == 401:
            raise AuthExpired(
                f"Bluesky refused {what}: {text}", status=response.status_code, code=error or None
            )
        if not body:
            json_or_error(response)
        raise ProviderError(
            f"Bluesky refused {what}: {text}",
            permanent=True,
            status=response.status_code,
            code=error or None,
        )

    def _dpop_request(
        self,
        key: dict[str, str],
        method: str,
        url: str,
        *,
        access_token: str | None = None,
        headers: dict[str, str] | None = None,
        **kwargs: Any,
    ) -> httpx.Response:
        """One request with a DPoP proof; retried once when the server asks for its nonce."""
        origin = _origin(url)
        for attempt in (1, 2):
            all_headers = dict(headers or {})
            all_headers["DPoP"] = dpop.proof(
                key,
                method=method,
                url=url,
                nonce=self._dpop_nonces.get(origin),
                access_token=access_token,
            )
            if access_token:
                all_headers["Authorization"] = f"DPoP {access_token}"
            response = self.http.request(method, url, headers=all_headers, **kwargs)
            nonce = response.headers.get("DPoP-Nonce")
            if nonce:
                self._dpop_nonces[origin] = nonce
            # A nonce refusal happens before the request is acted on, so sending it again is safe.
            if attempt == 2 or not (nonce and _wants_dpop_nonce(response)):
                return response
        raise AssertionError("unreachable")

    def _authorized(
        self,
        credentials: Credentials,
        method: str,
        url: str,
        *,
        headers: dict[str, str] | None = None,
        **kwargs: Any,
    ) -> httpx.Response:
        """A request to the PDS as the account: ``Bearer`` for an app-password session, ``DPoP`` (with a
        proof carrying ``ath``) for an OAuth one. The only place that puts a user token on the wire."""
        if credentials.dpop_key:
            return self._dpop_request(
                credentials.dpop_key,
                method,
                url,
                access_token=credentials.access_token,
                headers=headers,
                **kwargs,
            )
        return self.http.request(
            method,
            url,
            headers={"Authorization": f"Bearer {credentials.access_token}", **(headers or {})},
            **kwargs,
        )

    def _refresh_oauth(self, credentials: Credentials) -> Credentials:
        extra = credentials.extra
        if not credentials.refresh_token or not extra.get("token_endpoint"):
            raise AuthExpired(
                "This Bluesky sign-in cannot be refreshed; sign in with Bluesky again."
            )
        form = {
            "grant_type": "refresh_token",
            "refresh_token": credentials.refresh_token,
            "client_id": extra.get("client_id") or self.config.client_id,
        }
        response = self._dpop_request(
            credentials.dpop_key or {}, "POST", extra["token_endpoint"], data=form
        )
        tokens = self._oauth_body(response, "refreshing the sign-in")
        fresh = self._credentials_from_tokens(
            tokens, key=credentials.dpop_key or {}, context=dict(extra)
        )
        fresh.refresh_token = fresh.refresh_token or credentials.refresh_token
        return fresh

    def login_with_app_password(
        self, handle: str, app_password: str, *, service_url: str | None = None
    ) -> Account:
        """Open a session with ``com.atproto.server.createSession`` and describe the account.

        The session is opened at the PDS that hosts the account: ``service_url`` when the person
        named it, else the one the handle resolves to (``resolve_identity``). Only an e-mail address,
        or a handle whose lookup failed for a passing reason, goes to the entryway
        (``https://bsky.social``), which knows the accounts it hosts. Sessions are rate limited
        (30 / 5 min, 300 a day per account): keep the credentials and refresh them rather than
        logging in again.
        """
        identifier = handle.strip().lstrip("@")
        if not identifier or not app_password:
            raise AuthExpired(
                "Bluesky did not accept that handle and app password.", permanent=True
            )
        if service_url:
            service = normalize_service_url(service_url)
        elif "@" in identifier:
            service = self.urls["api"].rstrip("/")
        else:
            try:
                _did, service = self.resolve_identity(identifier)
            except TransientError:
                service = self.urls["api"].rstrip("/")
        response = self.http.post(
            f"{service}/xrpc/com.atproto.server.createSession",
            json={"identifier": identifier, "password": app_password},
        )
        if response.status_code in (400, 401):
            body = self._error_body(response)
            if body.get("error") == "AuthFactorTokenRequired":
                raise AuthExpired(
                    "Bluesky asked for an e-mail sign-in code: use an app password, not the account password.",
                    permanent=True,
                    status=response.status_code,
                    code="AuthFactorTokenRequired",
                )
            if body.get("error") in ACCOUNT_ERRORS:
                raise ProviderError(
                    f"Bluesky refused the login: {body.get('message') or body['error']}",
                    permanent=True,
                    status=response.status_code,
                    code=body.get("error"),
                )
            raise AuthExpired(
                "Bluesky did not accept that handle and app password.",
                permanent=True,
                status=response.status_code,
                code=body.get("error") or "AuthenticationRequired",
            )
        session = self._ok(response, write=False)
        credentials = self._credentials_from_session(session, service=service)
        account = self._describe(credentials)
        account.extra.update(
            {
                "email_confirmed": session.get("emailConfirmed"),
                "status": session.get("status") or "active",
                "app_password": str(
                    _jwt_claims(credentials.access_token).get("scope", "")
                ).startswith("com.atproto.appPass"),
            }
        )
        return account

    def refresh(self, credentials: Credentials) -> Credentials:
        if credentials.dpop_key:
            return self._refresh_oauth(credentials)
        if not credentials.refresh_token:
            raise AuthExpired(
                "This Bluesky session has no refresh token; log in again with an app password."
            )
        service = (credentials.extra.get("service_url") or self.urls["api"]).rstrip("/")
        response = self.http.post(
            f"{service}/xrpc/com.atproto.server.refreshSession",
            headers={"Authorization": f"Bearer {credentials.refresh_token}"},
        )
        if response.status_code in (400, 401):
            body = self._error_body(response)
            if body.get("error") in AUTH_ERRORS or response.status_code == 401:
                raise AuthExpired(
                    "Bluesky will not refresh this session any more; log in again with an app password.",
                    status=response.status_code,
                    code=body.get("error"),
                )
        session = self._ok(response, write=False)
        fresh = self._credentials_from_session(
            session, service=service, known_pds=credentials.extra.get("pds_url")
        )
        fresh.extra = {**credentials.extra, **fresh.extra}
        return fresh

    def account_facts(self, credentials: Credentials, account_id: str) -> dict[str, Any]:
        """Where the account lives (the PDS is also in its credentials), and whether its direct
        messages can be read (``direct_messages``: the channel page says so when they cannot).
        The session's scope usually tells; otherwise one ``listConvos`` asks."""
        facts: dict[str, Any] = {"pds_url": self._pds(credentials)}
        access = self.chat_access(credentials)
        if access is None:
            try:
                self._chat(credentials, "GET", "chat.bsky.convo.listConvos", params={"limit": 1})
                access = True
            except ProviderError as exc:
                if exc.code != SCOPE_REFUSED:
                    raise
                access = False
        facts["direct_messages"] = access
        return facts

    def verify_credentials(self, credentials: Credentials, account_id: str) -> Account:
        session = self._xrpc(credentials, "GET", "com.atproto.server.getSession")
        if account_id and session.get("did") != account_id:
            raise AuthExpired(
                "This Bluesky session belongs to a different account.", code="WrongAccount"
            )
        status = session.get("status") or "active"
        if session.get("active") is False or status != "active":
            raise ProviderError(f"The Bluesky account is {status}.", permanent=True, code=status)
        credentials.extra["handle"] = session.get("handle") or credentials.extra.get("handle")
        return self._describe(credentials)

    def _credentials_from_session(
        self, session: dict[str, Any], *, service: str, known_pds: str | None = None
    ) -> Credentials:
        access, refresh = session.get("accessJwt"), session.get("refreshJwt")
        did, handle = session.get("did"), session.get("handle")
        if not access or not did:
            raise TransientError("Bluesky answered the login without a session.")
        pds = _pds_from_did_doc(session.get("didDoc")) or known_pds or service
        scope = _jwt_claims(access).get("scope")
        return Credentials(
            access_token=access,
            refresh_token=refresh,
            expires_at=_jwt_exp(access),
            refresh_expires_at=_jwt_exp(refresh),
            scopes=(scope,) if isinstance(scope, str) else (),
            extra={"did": did, "handle": handle, "pds_url": pds, "service_url": service},
        )

    def _describe(self, credentials: Credentials) -> Account:
        did = credentials.extra["did"]
        handle = credentials.extra.get("handle") or did
        profile: dict[str, Any] = {}
        try:
            profile = self._xrpc(
                credentials, "GET", "app.bsky.actor.getProfile", params={"actor": did}
            )
        except (AuthExpired, RateLimited):
            raise
        except ProviderError:
            profile = {}  # the profile is decoration; the session itself is fine
        handle = profile.get("handle") or handle
        credentials.extra["handle"] = handle
        return Account(
            external_id=did,
            handle=handle,
            name=profile.get("displayName") or handle,
            credentials=credentials,
            avatar_url=profile.get("avatar") or "",
            url=f"{self.urls['web']}/profile/{handle}",
            extra={
                "pds_url": credentials.extra.get("pds_url"),
                "followers": profile.get("followersCount"),
            },
        )
