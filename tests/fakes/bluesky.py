"""A loopback Bluesky: entryway, PDS, AppView reads and the video service in one server.

It follows the reference server (github.com/bluesky-social/atproto, packages/pds and
packages/xrpc-server) where the tests depend on an answer:

- auth (packages/pds/src/auth-verifier.ts ``verifyBearerJwt``): an expired session JWT is 400
  ``ExpiredToken``, any token that does not verify (garbage, a DPoP token sent as a bearer) 400
  ``InvalidToken``, no token 401 ``AuthMissing``;
- ``refreshSession`` (packages/pds/src/account-manager/account-manager.ts ``rotateRefreshToken``):
  a used refresh token keeps working for a two-hour grace period and always yields the same next
  token id; past it, or once revoked, 400 ``ExpiredToken`` "Token has been revoked";
- ``resolveHandle`` (packages/pds/src/api/com/atproto/identity/resolveHandle.ts): an unknown handle
  under the server's own handle domain is 400 ``HandleNotFound``, any other 400 ``InvalidRequest``;
- blobs (packages/pds/src/actor-store/blob/transactor.ts): a record naming a blob never uploaded is
  400 ``BlobNotFound``; a blob ref whose mimeType or size differs from the upload is
  ``InvalidMimeType`` / ``InvalidSize``; an empty ``uploadBlob`` (Content-Length: 0) is accepted
  (packages/xrpc-server/src/util.ts ``getBodyPresence``: only a *missing* body is refused);
- records are validated against the lexicon only (packages/pds/src/repo/prepare.ts): reply refs are
  not looked up (a reply to a deleted post is written), and an image blob may be up to the lexicon's
  ``maxSize`` (2,000,000 bytes since lexicons/app/bsky/embed/images.json #4823; 1,000,000 before, and
  older PDS versions did not check it at all), so the 1,000,000-byte limit is the connector's to keep;
- ``listRecords`` (packages/pds/src/api/com/atproto/repo/listRecords.ts) returns a cursor (the last
  rkey) with every non-empty page;
- 429 ``RateLimitExceeded`` carries ``RateLimit-Reset`` in unix seconds
  (packages/xrpc-server/src/rate-limiter-http.ts), injected with ``fail_next``;
- chat (packages/pds/src/pipethrough.ts ``proxyHandler``): ``chat.bsky.*`` reaches the chat service
  only through ``atproto-proxy: did:web:api.bsky.chat#bsky_chat``; without it the PDS sends the call
  to the AppView, which has no such method (501 ``MethodNotImplemented``). Chat methods are
  ``PRIVILEGED_METHODS``: a session from an app password made without DM access (scope
  ``com.atproto.appPass``) gets 400 ``InvalidToken`` "Bad token method"; an OAuth token without
  ``transition:chat.bsky`` 403 ``ScopeMissingError`` (packages/oauth/oauth-scopes). The chat service
  itself is closed source: its answers follow the lexicons (lexicons/chat/bsky/convo/*.json):
  ``listConvos`` by latest activity, ``getMessages`` newest first with a cursor while more remain,
  ``#deletedMessageView`` for a message the viewer deleted for themselves, 400 ``InvalidConvo``
  for a conversation the account is not in, ``sendMessage`` text ≤ 1,000 graphemes.

Besides: JWT sessions from ``createSession`` with a DID document naming the PDS, ``{"error",
"message"}`` bodies, record validation of ``app.bsky.feed.post`` (300 graphemes, facets, embeds, TID
record keys) and ``app.bsky.feed.threadgate`` (rkey = root post rkey, ≤ 300 hidden replies).
Several fakes can run at once: one is the entryway, PLC directory and AppView; another, started with
its own ``accounts``, a self-hosted PDS whose accounts the first one lists with ``register_remote``.

The DID document points the PDS at ``http://localhost:<port>`` while the entryway is reached as
``http://127.0.0.1:<port>``, so tests can tell from the ``Host`` header which one a call went to.
"""

from __future__ import annotations

import base64
import hashlib
import itertools
import json
import re
import socket
import time
import unicodedata
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

from .base import FakeRequest, FakeServer, route

BRAND_DID = "did:plc:brand7x3kq2m4n5p6r7s8t9u"
BRAND_HANDLE = "brand.bsky.social"
APP_PASSWORD = "abcd-efgh-ijkl-mnop"
#: the brand's second app password, made with "Allow access to your direct messages"
CHAT_APP_PASSWORD = "chat-efgh-ijkl-mnop"
#: the service the PDS proxies chat.bsky.* to (the ``atproto-proxy`` header names it)
CHAT_PROXY = "did:web:api.bsky.chat#bsky_chat"
FAN_DID = "did:plc:fan4f5g6h7j8k9m2n3p4q5r6"
FAN_HANDLE = "fan.bsky.social"
OTHER_DID = "did:plc:other2b3c4d5e6f7g2h3j4k5"
OTHER_HANDLE = "alice.example.com"

# An account on a self-hosted PDS (a second fake started with ``self_hosted_accounts()``).
SELF_DID = "did:plc:selfh2b3c4d5e6f7g2h3j4k5m"
SELF_HANDLE = "social.brand.example"
SELF_PASSWORD = "self-host-app-pass"


def self_hosted_accounts() -> dict[str, dict[str, Any]]:
    return {
        SELF_DID: {
            "handle": SELF_HANDLE,
            "password": SELF_PASSWORD,
            "displayName": "Brand (own server)",
            "followersCount": 42,
        }
    }


TID_RE = re.compile(r"^[234567abcdefghij][234567abcdefghijklmnopqrstuvwxyz]{12}$")
S32 = "234567abcdefghijklmnopqrstuvwxyz"
#: lexicons/app/bsky/embed/images.json: the PDS validates blob refs against it (strict mode)
IMAGE_BLOB_MAX = 2_000_000
#: packages/pds/src/account-manager/account-manager.ts: REFRESH_GRACE_MS
REFRESH_GRACE_SECONDS = 2 * 3600
VIDEO_BLOB_MAX = 100_000_000


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def make_jwt(claims: dict[str, Any]) -> str:
    header = {"typ": "at+jwt", "alg": "ES256K"}
    return ".".join(
        [
            _b64url(json.dumps(header).encode()),
            _b64url(json.dumps(claims).encode()),
            _b64url(hashlib.sha256(json.dumps(claims).encode()).digest()),
        ]
    )


def cid_for(data: bytes, prefix: str = "bafyrei") -> str:
    return (
        prefix + base64.b32encode(hashlib.sha256(data).digest()).decode().lower().rstrip("=")[:52]
    )


def _iso(dt: datetime) -> str:
    return dt.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def rough_graphemes(text: str) -> int:
    """The fake's own (independent, simpler) count: marks, joiners, selectors and skin tones attach."""
    count = 0
    prev_zwj = False
    open_flag = False  # a regional indicator waiting for its partner
    for ch in text:
        cp = ord(ch)
        is_ri = 0x1F1E6 <= cp <= 0x1F1FF
        attach = (
            unicodedata.category(ch) in ("Mn", "Me", "Mc")
            or cp == 0x200D
            or 0x1F3FB <= cp <= 0x1F3FF
            or 0xE0020 <= cp <= 0xE007F
            or prev_zwj
            or (is_ri and open_flag)
        )
        open_flag = is_ri and not open_flag
        prev_zwj = cp == 0x200D
        if not attach:
            count += 1
    return count


class XrpcError(Exception):
    def __init__(
        self, status: int, error: str, message: str, headers: dict[str, str] | None = None
    ):
        super().__init__(message)
        self.status, self.error, self.message, self.headers = status, error, message, headers or {}

    def response(self) -> tuple[int, dict[str, str], dict[str, str]]:
        return self.status, {"error": self.error, "message": self.message}, self.headers


def xrpc(fn):
    """Turn XrpcError into the documented error body."""

    def wrapper(self, req: FakeRequest, **kw):
        try:
            return fn(self, req, **kw)
        except XrpcError as exc:
            return exc.response()

    wrapper.__name__ = fn.__name__
    return wrapper


class OAuthError(Exception):
    def __init__(self, status: int, error: str, description: str):
        super().__init__(description)
        self.status, self.error, self.description = status, error, description


def oauth(fn):
    """Turn OAuthError into the RFC 6749 error body; nonce refusals carry the DPoP-Nonce header."""

    def wrapper(self, req: FakeRequest, **kw):
        try:
            return fn(self, req, **kw)
        except OAuthError as exc:
            headers = (
                {"DPoP-Nonce": self.dpop_nonce}
                if exc.error in ("use_dpop_nonce", "invalid_dpop_proof")
                else {}
            )
            return exc.status, {"error": exc.error, "error_description": exc.description}, headers

    wrapper.__name__ = fn.__name__
    return wrapper


def _unb64(value: str) -> bytes:
    return base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))


class BlueskyFake(FakeServer):
    def __init__(
        self,
        accounts: dict[str, dict[str, Any]] | None = None,
        handle_domains: tuple[str, ...] = (".bsky.social",),
    ) -> None:
        super().__init__()
        self.accounts: dict[str, dict[str, Any]] = (
            accounts
            if accounts is not None
            else {
                BRAND_DID: {
                    "handle": BRAND_HANDLE,
                    "password": APP_PASSWORD,
                    "chat_password": CHAT_APP_PASSWORD,
                    "displayName": "Brand Co",
                    "avatar": "https://cdn.bsky.app/img/avatar/plain/brand.jpg",
                    "followersCount": 1234,
                    "followsCount": 56,
                    "postsCount": 78,
                },
                FAN_DID: {
                    "handle": FAN_HANDLE,
                    "password": "fan-pass",
                    "displayName": "A Fan",
                    "followersCount": 3,
                },
                OTHER_DID: {
                    "handle": OTHER_HANDLE,
                    "password": "other-pass",
                    "displayName": "Alice",
                    "followersCount": 9,
                },
            }
        )
        #: the server's own handle domains (serviceHandleDomains): unknown handles there are HandleNotFound
        self.handle_domains = handle_domains
        #: accounts hosted elsewhere that this fake knows as PLC directory and AppView: did -> DID document
        self.remote: dict[str, dict[str, Any]] = {}
        #: handles proven by https://<handle>/.well-known/atproto-did (served here under /handle-wellknown/)
        self.well_known: dict[str, str] = {}
        self.access_tokens: dict[str, str] = {}  # token -> did
        self.expired_tokens: set[str] = set()
        #: the refresh_token table: jti -> {"did", "next": the next jti once used, "used_at": first use}
        self.refresh_tokens: dict[str, dict[str, Any]] = {}
        self.refresh_grace = REFRESH_GRACE_SECONDS
        self.service_tokens: dict[str, dict[str, Any]] = {}
        self.repos: dict[str, dict[str, dict[str, dict[str, Any]]]] = {}
        self.blobs: dict[str, dict[str, Any]] = {}
        self.notifications: list[dict[str, Any]] = []
        self.counts: dict[str, dict[str, int]] = {}
        self.video_jobs: dict[str, dict[str, Any]] = {}
        self.video_polls_before_done = 2
        self.video_fail: dict[str, str] | None = None
        self.upload_limits = {
            "canUpload": True,
            "remainingDailyVideos": 25,
            "remainingDailyBytes": 10_000_000_000,
        }
        self.pages: dict[str, tuple[str, bytes]] = {}
        self._clock = datetime.now(UTC) - timedelta(hours=1)
        self._seq = itertools.count(1)
        # atproto OAuth
        self.client_id = "http://testserver/oauth/bluesky/client-metadata.json"
        self.redirect_uris = ["http://testserver/connect/bluesky/callback"]
        self.dpop_nonce = f"nonce-{int(time.time())}"
        self.dpop_jtis: set[str] = set()
        self.par_requests: dict[str, dict[str, Any]] = {}
        self.codes: dict[str, dict[str, Any]] = {}
        self.dpop_tokens: dict[str, dict[str, str]] = {}  # access token -> did, jkt
        self.oauth_refresh: dict[str, dict[str, str]] = {}
        self.oauth_replaced: dict[str, str] = {}  # used refresh token -> the one issued for it
        self.token_sub_override: str | None = None
        #: the scope claim of each session's access token (app password sessions)
        self.token_scopes: dict[str, str] = {}
        #: chat: convo id -> {"id", "members": [did], "messages": [message], "rev"}
        self.convos: dict[str, dict[str, Any]] = {}

    def start(self) -> BlueskyFake:
        super().start()
        httpd = self._httpd
        assert httpd is not None
        accept = httpd.get_request

        def get_request():  # answer kept-alive connections without the Nagle / delayed-ACK stall
            conn, addr = accept()
            conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            return conn, addr

        httpd.get_request = get_request  # type: ignore[method-assign]
        return self

    # --- helpers ------------------------------------------------------------------------------------------
    @property
    def pds_url(self) -> str:
        return self.url.replace("127.0.0.1", "localhost")

    def provider_urls(self) -> dict[str, str]:
        """``ProviderConfig.urls`` pointing every Bluesky service at this fake (nothing leaves 127.0.0.1)."""
        return {
            "api": self.url,
            "video": self.url,
            "plc": self.url,
            "handle_well_known": f"{self.url}/handle-wellknown/{{handle}}/.well-known/atproto-did",
            "did_web": f"{self.url}/did-web/{{host}}/.well-known/did.json",
        }

    def tick(self) -> datetime:
        with self.lock:
            self._clock += timedelta(milliseconds=7)
            return self._clock

    def next_tid(self) -> str:
        value = (int(time.time() * 1_000_000) + next(self._seq)) << 10
        return "".join(S32[(value >> (5 * (12 - i))) & 31] for i in range(13))

    def expire_access_tokens(self) -> None:
        with self.lock:
            self.expired_tokens.update(self.access_tokens)
            self.access_tokens.clear()
            self.expired_tokens.update(self.dpop_tokens)
            self.dpop_tokens.clear()

    def revoke_refresh_tokens(self) -> None:
        """The person deleted the app password (or signed out everywhere): refreshes are refused."""
        with self.lock:
            self.refresh_tokens.clear()
            self.oauth_refresh.clear()

    def register_remote(
        self, did: str, handle: str, pds_url: str, *, well_known: bool = True
    ) -> None:
        """An account hosted on another PDS: this fake's PLC directory serves its DID document, its
        AppView resolves the handle, and (``well_known``) the handle's own site names the DID."""
        with self.lock:
            self.remote[did] = {
                "@context": ["https://www.w3.org/ns/did/v1"],
                "id": did,
                "alsoKnownAs": [f"at://{handle}"],
                "verificationMethod": [],
                "service": [
                    {
                        "id": "#atproto_pds",
                        "type": "AtprotoPersonalDataServer",
                        "serviceEndpoint": pds_url,
                    }
                ],
            }
            if well_known:
                self.well_known[handle] = did

    def handle_of(self, did: str) -> str:
        return self.accounts.get(did, {}).get("handle", "handle.invalid")

    def did_for(self, repo: str) -> str | None:
        if repo in self.accounts:
            return repo
        for did, acct in self.accounts.items():
            if acct["handle"] == repo:
                return did
        return None

    def resolve_anywhere(self, handle: str) -> str | None:
        """As an AppView resolves any handle: local accounts, then the ones hosted elsewhere."""
        did = self.did_for(handle)
        if did is None:
            did = next(
                (d for d, doc in self.remote.items() if f"at://{handle}" in doc["alsoKnownAs"]),
                None,
            )
        return did

    def records(self, did: str, collection: str) -> dict[str, dict[str, Any]]:
        return self.repos.setdefault(did, {}).setdefault(collection, {})

    def get(self, uri: str) -> dict[str, Any] | None:
        did, collection, rkey = uri[5:].split("/")
        return self.repos.get(did, {}).get(collection, {}).get(rkey)

    def posts_of(self, did: str = BRAND_DID) -> dict[str, dict[str, Any]]:
        return self.records(did, "app.bsky.feed.post")

    def profile_view(self, did: str) -> dict[str, Any]:
        acct = self.accounts.get(did, {})
        view = {
            "did": did,
            "handle": acct.get("handle", "handle.invalid"),
            "displayName": acct.get("displayName", ""),
        }
        if acct.get("avatar"):
            view["avatar"] = acct["avatar"]
        return view

    def _store(self, did: str, collection: str, rkey: str, value: dict[str, Any]) -> dict[str, Any]:
        cid = cid_for(json.dumps(value, sort_keys=True).encode() + rkey.encode())
        entry = {
            "uri": f"at://{did}/{collection}/{rkey}",
            "cid": cid,
            "value": value,
            "indexedAt": _iso(self.tick()),
        }
        self.records(did, collection)[rkey] = entry
        return entry

    def _notify(
        self, reason: str, entry: dict[str, Any], author: str, reason_subject: str | None = None
    ) -> None:
        note = {
            "uri": entry["uri"],
            "cid": entry["cid"],
            "author": self.profile_view(author),
            "reason": reason,
            "record": entry["value"],
            "isRead": False,
            "indexedAt": entry["indexedAt"],
            "labels": [],
        }
        if reason_subject:
            note["reasonSubject"] = reason_subject
        self.notifications.append(note)

    # --- test seeding -----------------------------------------------------------------------------------------
    def seed_post(self, did: str, text: str, **extra: Any) -> dict[str, Any]:
        with self.lock:
            value = {
                "$type": "app.bsky.feed.post",
                "text": text,
                "createdAt": _iso(self.tick()),
                **extra,
            }
            return self._store(did, "app.bsky.feed.post", self.next_tid(), value)

    def add_reply(self, author: str, parent_uri: str, text: str) -> dict[str, Any]:
        """Someone replies to ``parent_uri``; the root's and the parent's authors are notified."""
        with self.lock:
            parent = self.get(parent_uri)
            assert parent is not None, parent_uri
            root = (parent["value"].get("reply") or {}).get("root") or {
                "uri": parent["uri"],
                "cid": parent["cid"],
            }
            entry = self.seed_post(
                author,
                text,
                reply={"root": root, "parent": {"uri": parent["uri"], "cid": parent["cid"]}},
            )
            for target in {parent_uri[5:].split("/")[0], root["uri"][5:].split("/")[0]}:
                if target == BRAND_DID and author != BRAND_DID:
                    self._notify("reply", entry, author, reason_subject=parent_uri)
            return entry

    def add_mention(self, author: str, text: str) -> dict[str, Any]:
        with self.lock:
            start = text.index("@" + BRAND_HANDLE)
            b0 = len(text[:start].encode())
            facet = {
                "index": {"byteStart": b0, "byteEnd": b0 + len(BRAND_HANDLE) + 1},
                "features": [{"$type": "app.bsky.richtext.facet#mention", "did": BRAND_DID}],
            }
            entry = self.seed_post(author, text, facets=[facet])
            self._notify("mention", entry, author)
            return entry

    def add_quote(self, author: str, quoted_uri: str, text: str) -> dict[str, Any]:
        with self.lock:
            quoted = self.get(quoted_uri)
            assert quoted is not None
            entry = self.seed_post(
                author,
                text,
                embed={
                    "$type": "app.bsky.embed.record",
                    "record": {"uri": quoted["uri"], "cid": quoted["cid"]},
                },
            )
            self._notify("quote", entry, author, reason_subject=quoted_uri)
            return entry

    def add_like(self, author: str, subject_uri: str) -> None:
        with self.lock:
            subject = self.get(subject_uri)
            assert subject is not None
            value = {
                "$type": "app.bsky.feed.like",
                "subject": {"uri": subject["uri"], "cid": subject["cid"]},
                "createdAt": _iso(self.tick()),
            }
            entry = self._store(author, "app.bsky.feed.like", self.next_tid(), value)
            self.counts.setdefault(subject_uri, {}).setdefault("likeCount", 0)
            self.counts[subject_uri]["likeCount"] += 1
            self._notify("like", entry, author, reason_subject=subject_uri)

    # --- auth ---------------------------------------------------------------------------------------------
    def _session(
        self, did: str, jti: str | None = None, scope: str = "com.atproto.appPass"
    ) -> dict[str, Any]:
        now = int(time.time())
        access = make_jwt(
            {
                "scope": scope,
                "sub": did,
                "aud": "did:web:fake.pds",
                "iat": now,
                "exp": now + 7200,
                "n": next(self._seq),
            }
        )
        jti = jti or f"r{next(self._seq)}"
        refresh = make_jwt(
            {
                "scope": "com.atproto.refresh",
                "sub": did,
                "aud": "did:web:fake.pds",
                "jti": jti,
                "iat": now,
                "exp": now + 90 * 86400,
                "n": next(self._seq),
            }
        )
        self.access_tokens[access] = did
        self.token_scopes[access] = scope
        self.refresh_tokens.setdefault(
            jti, {"did": did, "next": None, "used_at": None, "scope": scope}
        )  # onConflict doNothing
        did_doc = {
            "@context": ["https://www.w3.org/ns/did/v1"],
            "id": did,
            "alsoKnownAs": [f"at://{self.handle_of(did)}"],
            "verificationMethod": [],
            "service": [
                {
                    "id": "#atproto_pds",
                    "type": "AtprotoPersonalDataServer",
                    "serviceEndpoint": self.pds_url,
                }
            ],
        }
        return {
            "did": did,
            "handle": self.handle_of(did),
            "accessJwt": access,
            "refreshJwt": refresh,
            "didDoc": did_doc,
            "email": "social@brand.example",
            "emailConfirmed": True,
            "active": True,
        }

    def _auth(self, req: FakeRequest) -> str:
        authorization = req.headers.get("authorization", "")
        if authorization.startswith("DPoP "):
            return self._auth_dpop(req, authorization[5:])
        token = req.bearer
        if not token:
            raise XrpcError(401, "AuthMissing", "Authentication Required")
        with self.lock:
            if token in self.expired_tokens:
                raise XrpcError(400, "ExpiredToken", "Token has expired")
            did = self.access_tokens.get(token)
        if did is None:  # garbage, another server's, or a DPoP-bound token sent as a bearer token
            raise XrpcError(400, "InvalidToken", "Token could not be verified")
        return did

    def _auth_dpop(self, req: FakeRequest, token: str) -> str:
        with self.lock:
            if token in self.expired_tokens:
                raise XrpcError(
                    401,
                    "invalid_token",
                    '"exp" claim timestamp check failed',
                    {"WWW-Authenticate": 'DPoP error="invalid_token"'},
                )
            grant = self.dpop_tokens.get(token)
        if grant is None:
            raise XrpcError(401, "InvalidToken", "Token could not be verified")
        host = req.headers.get("host", "")
        jkt = self.check_dpop(
            req, url=f"http://{host}{req.path}", access_token=token, resource=True
        )
        if jkt != grant["jkt"]:
            raise XrpcError(
                401,
                "invalid_dpop_proof",
                "DPoP key does not match the token's cnf.jkt",
                {"WWW-Authenticate": 'DPoP error="invalid_dpop_proof"'},
            )
        return grant["did"]

    # --- atproto OAuth: PLC directory, PDS resource metadata, authorization server ------------------------
    # The entryway (http://127.0.0.1:<port>) is the authorization server, the PDS (http://localhost:<port>)
    # the resource server, as with bsky.social-hosted accounts. Proofs are verified with the jwk in their
    # header; every DPoP endpoint first answers use_dpop_nonce with a DPoP-Nonce (the AS with 400 and an
    # OAuth error body, the PDS with 401 and WWW-Authenticate), as the reference servers do.

    @property
    def issuer(self) -> str:
        return self.url

    def did_document(self, did: str) -> dict[str, Any]:
        return {
            "@context": ["https://www.w3.org/ns/did/v1"],
            "id": did,
            "alsoKnownAs": [f"at://{self.handle_of(did)}"],
            "verificationMethod": [],
            "service": [
                {
                    "id": "#atproto_pds",
                    "type": "AtprotoPersonalDataServer",
                    "serviceEndpoint": self.pds_url,
                }
            ],
        }

    @route("GET", r"/(?P<did>did:plc:[a-z0-9]+)")
    def plc_document(self, req: FakeRequest, did: str):
        if did in self.remote:
            return self.remote[did]
        if did not in self.accounts:
            return 404, {"message": f"DID not registered: {did}"}
        return self.did_document(did)

    @route("GET", r"/handle-wellknown/(?P<handle>[a-z0-9.-]+)/\.well-known/atproto-did")
    def handle_well_known(self, req: FakeRequest, handle: str):
        """What ``https://<handle>/.well-known/atproto-did`` answers (atproto.com/specs/handle)."""
        did = self.well_known.get(handle)
        if did is None:
            return 404, "not found", {"Content-Type": "text/plain"}
        return 200, did, {"Content-Type": "text/plain"}

    @route("GET", r"/\.well-known/oauth-protected-resource")
    def protected_resource(self, req: FakeRequest):
        return {
            "resource": self.pds_url,
            "authorization_servers": [self.issuer],
            "scopes_supported": [],
            "bearer_methods_supported": ["header"],
        }

    @route("GET", r"/\.well-known/oauth-authorization-server")
    def authorization_server(self, req: FakeRequest):
        base = self.issuer
        return {
            "issuer": base,
            "authorization_endpoint": f"{base}/oauth/authorize",
            "token_endpoint": f"{base}/oauth/token",
            "pushed_authorization_request_endpoint": f"{base}/oauth/par",
            "require_pushed_authorization_requests": True,
            "response_types_supported": ["code"],
            "grant_types_supported": ["authorization_code", "refresh_token"],
            "code_challenge_methods_supported": ["S256"],
            "token_endpoint_auth_methods_supported": ["none", "private_key_jwt"],
            "token_endpoint_auth_signing_alg_values_supported": ["ES256"],
            "scopes_supported": ["atproto", "transition:generic", "transition:chat.bsky"],
            "authorization_response_iss_parameter_supported": True,
            "client_id_metadata_document_supported": True,
            "dpop_signing_alg_values_supported": ["ES256"],
        }

    def check_dpop(
        self, req: FakeRequest, *, url: str, access_token: str | None = None, resource: bool = False
    ) -> str:
        """Verify the request's DPoP proof; returns the key's thumbprint (jkt)."""

        def refuse(error: str, message: str, status: int = 400):
            if resource:
                raise XrpcError(
                    401,
                    error,
                    message,
                    {"WWW-Authenticate": f'DPoP error="{error}"', "DPoP-Nonce": self.dpop_nonce},
                )
            raise OAuthError(status, error, message)

        proof = req.headers.get("dpop", "")
        if proof.count(".") != 2:
            refuse("invalid_dpop_proof", "DPoP proof required")
        head_b64, claims_b64, sig_b64 = proof.split(".")
        try:
            header, claims = json.loads(_unb64(head_b64)), json.loads(_unb64(claims_b64))
            jwk = header["jwk"]
            public = ec.EllipticCurvePublicNumbers(
                int.from_bytes(_unb64(jwk["x"]), "big"),
                int.from_bytes(_unb64(jwk["y"]), "big"),
                ec.SECP256R1(),
            ).public_key()
            sig = _unb64(sig_b64)
            der = encode_dss_signature(
                int.from_bytes(sig[:32], "big"), int.from_bytes(sig[32:], "big")
            )
            public.verify(der, f"{head_b64}.{claims_b64}".encode(), ec.ECDSA(hashes.SHA256()))
        except (ValueError, KeyError, TypeError, InvalidSignature):
            refuse("invalid_dpop_proof", "DPoP proof signature or key is invalid")
        if header.get("typ") != "dpop+jwt" or header.get("alg") != "ES256" or "d" in jwk:
            refuse("invalid_dpop_proof", "DPoP proof header is invalid")
        if claims.get("htm") != req.method or claims.get("htu") != url:
            refuse("invalid_dpop_proof", f"DPoP htm/htu mismatch (expected {req.method} {url})")
        if not isinstance(claims.get("iat"), int) or abs(claims["iat"] - time.time()) > 60:
            refuse("invalid_dpop_proof", "DPoP proof iat is not recent")
        with self.lock:
            jti = claims.get("jti")
            if not jti or jti in self.dpop_jtis:
                refuse("invalid_dpop_proof", "DPoP proof replayed")
            self.dpop_jtis.add(jti)
        if access_token is not None and claims.get("ath") != _b64url(
            hashlib.sha256(access_token.encode()).digest()
        ):
            refuse("invalid_dpop_proof", "DPoP ath does not match the access token")
        if claims.get("nonce") != self.dpop_nonce:
            refuse("use_dpop_nonce", "Authorization server requires nonce in DPoP proof", 400)
        members = json.dumps(
            {k: jwk[k] for k in ("crv", "kty", "x", "y")}, separators=(",", ":"), sort_keys=True
        )
        return _b64url(hashlib.sha256(members.encode()).digest())

    @route("POST", r"/oauth/par")
    @oauth
    def par(self, req: FakeRequest):
        jkt = self.check_dpop(req, url=f"{self.issuer}/oauth/par")
        form = req.form()
        if form.get("client_id") != self.client_id:
            raise OAuthError(
                400, "invalid_client", "Unknown client_id (client metadata could not be fetched)"
            )
        if (
            form.get("response_type") != "code"
            or form.get("code_challenge_method") != "S256"
            or not form.get("code_challenge")
            or not form.get("state")
        ):
            raise OAuthError(
                400,
                "invalid_request",
                "response_type=code, state and an S256 code_challenge are required",
            )
        if form.get("redirect_uri") not in self.redirect_uris:
            raise OAuthError(
                400, "invalid_request", "redirect_uri is not registered in the client metadata"
            )
        if "atproto" not in (form.get("scope") or "").split():
            raise OAuthError(400, "invalid_scope", "the atproto scope is required")
        did = self.did_for(form.get("login_hint") or "")
        if did is None:
            raise OAuthError(400, "invalid_request", "login_hint does not name an account here")
        request_uri = f"urn:ietf:params:oauth:request_uri:req-{next(self._seq)}"
        with self.lock:
            self.par_requests[request_uri] = {**form, "jkt": jkt, "did": did}
        return 201, {"request_uri": request_uri, "expires_in": 299}

    @route("GET", r"/oauth/authorize")
    def authorize(self, req: FakeRequest):
        """Consent is automatic: redirect back with code, state and iss (RFC 9207)."""
        with self.lock:
            par = self.par_requests.pop(req.q("request_uri") or "", None)
        if par is None or req.q("client_id") != par["client_id"]:
            return 400, "This authorization request is not valid.", {"Content-Type": "text/plain"}
        code = f"code-{next(self._seq)}"
        with self.lock:
            self.codes[code] = par
        query = urlencode({"state": par["state"], "iss": self.issuer, "code": code})
        return 302, b"", {"Location": f"{par['redirect_uri']}?{query}"}

    def _issue(self, did: str, jkt: str, client_id: str, scope: str) -> dict[str, Any]:
        """Tokens for the scopes the client asked for (consent is automatic here)."""
        access, refresh = f"oauth-at-{next(self._seq)}", f"oauth-rt-{next(self._seq)}"
        self.dpop_tokens[access] = {"did": did, "jkt": jkt, "scope": scope}
        self.oauth_refresh[refresh] = {
            "did": did,
            "jkt": jkt,
            "client_id": client_id,
            "scope": scope,
        }
        return {
            "access_token": access,
            "token_type": "DPoP",
            "expires_in": 3600,
            "refresh_token": refresh,
            "scope": scope,
            "sub": self.token_sub_override or did,
        }

    @route("POST", r"/oauth/token")
    @oauth
    def token(self, req: FakeRequest):
        jkt = self.check_dpop(req, url=f"{self.issuer}/oauth/token")
        form = req.form()
        with self.lock:
            if form.get("grant_type") == "authorization_code":
                par = self.codes.pop(form.get("code") or "", None)
                if par is None:
                    raise OAuthError(400, "invalid_grant", "Invalid code")
                if (
                    form.get("client_id") != par["client_id"]
                    or form.get("redirect_uri") != par["redirect_uri"]
                ):
                    raise OAuthError(
                        400, "invalid_grant", "client_id or redirect_uri does not match the request"
                    )
                verifier = form.get("code_verifier") or ""
                if _b64url(hashlib.sha256(verifier.encode()).digest()) != par["code_challenge"]:
                    raise OAuthError(400, "invalid_grant", "Invalid code_verifier")
                if jkt != par["jkt"]:
                    raise OAuthError(
                        400,
                        "invalid_dpop_proof",
                        "DPoP key does not match the authorization request",
                    )
                return self._issue(par["did"], jkt, par["client_id"], par.get("scope") or "")
            if form.get("grant_type") == "refresh_token":
                token = form.get("refresh_token") or ""
                if token in self.oauth_replaced:
                    # packages/oauth/oauth-provider/src/token/token-manager.ts consumeRefreshToken: a used
                    # refresh token coming back ends the whole session.
                    successor = self.oauth_replaced[token]
                    while successor in self.oauth_replaced:
                        successor = self.oauth_replaced[successor]
                    self.oauth_refresh.pop(successor, None)
                    raise OAuthError(400, "invalid_grant", "Refresh token replayed")
                grant = self.oauth_refresh.pop(token, None)
                if grant is None:
                    raise OAuthError(400, "invalid_grant", "Invalid refresh token")
                if jkt != grant["jkt"] or form.get("client_id") != grant["client_id"]:
                    raise OAuthError(
                        400, "invalid_grant", "Refresh token is bound to another key or client"
                    )
                issued = self._issue(grant["did"], jkt, grant["client_id"], grant["scope"])
                self.oauth_replaced[token] = issued["refresh_token"]
                return issued
        raise OAuthError(400, "unsupported_grant_type", "Unsupported grant_type")

    @route("POST", r"/xrpc/com\.atproto\.server\.createSession")
    @xrpc
    def create_session(self, req: FakeRequest):
        body = req.json() or {}
        identifier, password = body.get("identifier"), body.get("password")
        if not isinstance(identifier, str) or not isinstance(password, str):
            raise XrpcError(400, "InvalidRequest", 'Input must have the property "identifier"')
        did = self.did_for(identifier)
        if did is None or password not in (
            self.accounts[did]["password"],
            self.accounts[did].get("chat_password"),
        ):
            raise XrpcError(401, "AuthenticationRequired", "Invalid identifier or password")
        privileged = password == self.accounts[did].get("chat_password")
        with self.lock:
            return self._session(
                did,
                scope="com.atproto.appPassPrivileged" if privileged else "com.atproto.appPass",
            )

    @route("POST", r"/xrpc/com\.atproto\.server\.refreshSession")
    @xrpc
    def refresh_session(self, req: FakeRequest):
        token = req.bearer
        if not token:
            raise XrpcError(401, "AuthMissing", "Authentication Required")
        try:
            claims = json.loads(_unb64(token.split(".")[1])) if token.count(".") == 2 else {}
        except ValueError:
            claims = {}
        if claims.get("scope") != "com.atproto.refresh" or not claims.get("jti"):
            raise XrpcError(400, "InvalidToken", "Token could not be verified")
        with self.lock:
            known = self.refresh_tokens.get(claims["jti"])
            now = time.time()
            if (
                known is not None
                and known["used_at"] is not None
                and now - known["used_at"] >= self.refresh_grace
            ):
                del self.refresh_tokens[claims["jti"]]
                known = None
            if known is None:  # ours, but revoked or past its grace period
                raise XrpcError(400, "ExpiredToken", "Token has been revoked")
            # Reuse within the grace period gets a token with the same next id (rotateRefreshToken).
            known["used_at"] = known["used_at"] or now
            known["next"] = known["next"] or f"r{next(self._seq)}"
            return self._session(
                known["did"], jti=known["next"], scope=known.get("scope", "com.atproto.appPass")
            )

    @route("GET", r"/xrpc/com\.atproto\.server\.getSession")
    @xrpc
    def get_session(self, req: FakeRequest):
        did = self._auth(req)
        return {
            "did": did,
            "handle": self.handle_of(did),
            "email": "social@brand.example",
            "emailConfirmed": True,
            "active": True,
        }

    @route("GET", r"/xrpc/com\.atproto\.server\.getServiceAuth")
    @xrpc
    def get_service_auth(self, req: FakeRequest):
        did = self._auth(req)
        aud, lxm, exp = req.q("aud"), req.q("lxm"), req.q("exp")
        if not aud or not aud.startswith("did:"):
            raise XrpcError(400, "InvalidRequest", 'Error: Params must have the property "aud"')
        if exp and int(exp) > time.time() + 3600:
            raise XrpcError(
                400,
                "BadExpiration",
                "cannot request a token with an expiration more than an hour in the future",
            )
        token = make_jwt({"iss": did, "aud": aud, "lxm": lxm, "exp": int(exp or time.time() + 60)})
        with self.lock:
            self.service_tokens[token] = {"iss": did, "aud": aud, "lxm": lxm}
        return {"token": token}

    @route("GET", r"/xrpc/com\.atproto\.identity\.resolveHandle")
    @xrpc
    def resolve_handle(self, req: FakeRequest):
        handle = (req.q("handle") or "").lower()
        did = self.resolve_anywhere(handle)
        if did is None:
            if any(handle.endswith(d) or handle == d[1:] for d in self.handle_domains):
                raise XrpcError(400, "HandleNotFound", "Unable to resolve handle")
            raise XrpcError(400, "InvalidRequest", "Unable to resolve handle")
        return {"did": did}

    # --- repo -------------------------------------------------------------------------------------------------
    @route("POST", r"/xrpc/com\.atproto\.repo\.uploadBlob")
    @xrpc
    def upload_blob(self, req: FakeRequest):
        self._auth(req)
        mime = req.headers.get("content-type", "*/*")
        if "content-length" not in req.headers and "transfer-encoding" not in req.headers:
            raise XrpcError(
                400, "InvalidRequest", "A request body is expected but none was provided"
            )
        if len(req.body) > VIDEO_BLOB_MAX:
            raise XrpcError(400, "BlobTooLarge", "This file is too large. Max size: 100000000")
        cid = cid_for(req.body, "bafkrei")
        with self.lock:
            self.blobs[cid] = {"mimeType": mime, "size": len(req.body), "data": req.body}
        return {
            "blob": {
                "$type": "blob",
                "ref": {"$link": cid},
                "mimeType": mime,
                "size": len(req.body),
            }
        }

    def _check_blob(self, blob: Any, path: str, *, accept: str, max_size: int) -> None:
        if (
            not isinstance(blob, dict)
            or blob.get("$type") != "blob"
            or "$link" not in (blob.get("ref") or {})
        ):
            raise XrpcError(
                400,
                "InvalidRequest",
                f"Invalid app.bsky.feed.post record: {path} should be a blob ref",
            )
        # Lexicon validation (strict) reads the ref's own mimeType and size ...
        if not str(blob.get("mimeType", "")).startswith(accept):
            raise XrpcError(
                400,
                "InvalidRequest",
                f"Invalid app.bsky.feed.post record: {path} has an unaccepted mime type",
            )
        if not isinstance(blob.get("size"), int) or blob["size"] > max_size:
            raise XrpcError(
                400,
                "InvalidRequest",
                f"Invalid app.bsky.feed.post record: {path} blob too big (maximum {max_size})",
            )
        # ... then the write checks them against the upload (verifyBlobAndMakePermanent).
        stored = self.blobs.get(blob["ref"]["$link"])
        if stored is None:
            raise XrpcError(400, "BlobNotFound", f"Could not find blob: {blob['ref']['$link']}")
        if stored["mimeType"] != blob["mimeType"]:
            raise XrpcError(
                400,
                "InvalidMimeType",
                "Referenced Mimetype does not match stored blob. "
                f"Expected: {stored['mimeType']}, Got: {blob['mimeType']}",
            )
        if stored["size"] != blob["size"]:
            raise XrpcError(
                400,
                "InvalidSize",
                f"Referenced Size does not match stored blob. "
                f"Expected: {stored['size']}, Got: {blob['size']}",
            )

    @staticmethod
    def _check_strong_ref(ref: Any, path: str) -> None:
        """The lexicon's shape only: the PDS does not look the record up (a reply to a deleted post is written)."""
        if (
            not isinstance(ref, dict)
            or not isinstance(ref.get("uri"), str)
            or not isinstance(ref.get("cid"), str)
        ):
            raise XrpcError(
                400,
                "InvalidRequest",
                f"Invalid app.bsky.feed.post record: {path} must have uri and cid",
            )
        if not ref["uri"].startswith("at://") or not re.match(
            r"^[a-z2-7]{8,}$", ref["cid"][1:] or ""
        ):
            raise XrpcError(
                400,
                "InvalidRequest",
                f"Invalid app.bsky.feed.post record: {path} is not a strong ref",
            )

    def _validate_post(self, record: dict[str, Any]) -> None:
        text = record.get("text")
        if not isinstance(text, str):
            raise XrpcError(
                400,
                "InvalidRequest",
                'Invalid app.bsky.feed.post record: Record must have the property "text"',
            )
        if not isinstance(record.get("createdAt"), str) or not re.match(
            r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$", record["createdAt"]
        ):
            raise XrpcError(
                400,
                "InvalidRequest",
                "Invalid app.bsky.feed.post record: Record/createdAt must be an valid atproto datetime",
            )
        if rough_graphemes(text) > 300:
            raise XrpcError(
                400,
                "InvalidRequest",
                "Invalid app.bsky.feed.post record: Record/text must not be longer than 300 graphemes",
            )
        size = len(text.encode())
        if size > 3000:
            raise XrpcError(
                400,
                "InvalidRequest",
                "Invalid app.bsky.feed.post record: Record/text must not be longer than 3000 characters",
            )
        for i, facet in enumerate(record.get("facets") or []):
            index = facet.get("index") or {}
            start, end = index.get("byteStart"), index.get("byteEnd")
            if not (isinstance(start, int) and isinstance(end, int) and 0 <= start < end <= size):
                raise XrpcError(
                    400,
                    "InvalidRequest",
                    f"Invalid app.bsky.feed.post record: Record/facets/{i}/index is out of range",
                )
            for feature in facet.get("features") or []:
                kind = feature.get("$type")
                ok = (
                    (kind == "app.bsky.richtext.facet#link" and isinstance(feature.get("uri"), str))
                    or (
                        kind == "app.bsky.richtext.facet#mention"
                        and str(feature.get("did", "")).startswith("did:")
                    )
                    or (
                        kind == "app.bsky.richtext.facet#tag"
                        and isinstance(feature.get("tag"), str)
                    )
                )
                if not ok:
                    raise XrpcError(
                        400,
                        "InvalidRequest",
                        f"Invalid app.bsky.feed.post record: Record/facets/{i}/features is invalid",
                    )
        langs = record.get("langs")
        if langs is not None and (not isinstance(langs, list) or len(langs) > 3):
            raise XrpcError(
                400,
                "InvalidRequest",
                "Invalid app.bsky.feed.post record: Record/langs must not have more than 3 elements",
            )
        embed = record.get("embed")
        if embed is not None:
            kind = embed.get("$type")
            if kind == "app.bsky.embed.images":
                images = embed.get("images")
                if not isinstance(images, list) or not images or len(images) > 4:
                    raise XrpcError(
                        400,
                        "InvalidRequest",
                        "Invalid app.bsky.feed.post record: Record/embed/images must not have more than 4 elements",
                    )
                for i, image in enumerate(images):
                    if not isinstance(image.get("alt"), str):
                        raise XrpcError(
                            400,
                            "InvalidRequest",
                            f'Invalid app.bsky.feed.post record: Record/embed/images/{i} must have the property "alt"',
                        )
                    self._check_blob(
                        image.get("image"),
                        f"Record/embed/images/{i}/image",
                        accept="image/",
                        max_size=IMAGE_BLOB_MAX,
                    )
                    ratio = image.get("aspectRatio")
                    if ratio is not None and not (
                        ratio.get("width", 0) >= 1 and ratio.get("height", 0) >= 1
                    ):
                        raise XrpcError(
                            400,
                            "InvalidRequest",
                            f"Invalid app.bsky.feed.post record: Record/embed/images/{i}/aspectRatio is invalid",
                        )
            elif kind == "app.bsky.embed.external":
                external = embed.get("external") or {}
                for key in ("uri", "title", "description"):
                    if not isinstance(external.get(key), str):
                        raise XrpcError(
                            400,
                            "InvalidRequest",
                            f'Invalid app.bsky.feed.post record: Record/embed/external must have the property "{key}"',
                        )
                if "thumb" in external:
                    self._check_blob(
                        external["thumb"],
                        "Record/embed/external/thumb",
                        accept="image/",
                        max_size=IMAGE_BLOB_MAX,
                    )
            elif kind == "app.bsky.embed.video":
                self._check_blob(
                    embed.get("video"),
                    "Record/embed/video",
                    accept="video/mp4",
                    max_size=VIDEO_BLOB_MAX,
                )
            elif kind not in ("app.bsky.embed.record", "app.bsky.embed.recordWithMedia"):
                raise XrpcError(
                    400,
                    "InvalidRequest",
                    "Invalid app.bsky.feed.post record: Record/embed $type is not a known embed",
                )
        if "reply" in record:
            reply = record["reply"] or {}
            self._check_strong_ref(reply.get("root"), "Record/reply/root")
            self._check_strong_ref(reply.get("parent"), "Record/reply/parent")

    def _validate_threadgate(self, did: str, rkey: str, record: dict[str, Any]) -> None:
        post = record.get("post")
        if post != f"at://{did}/app.bsky.feed.post/{rkey}":
            raise XrpcError(
                400,
                "InvalidRequest",
                "Invalid app.bsky.feed.threadgate record: rkey must match the post",
            )
        if not isinstance(record.get("createdAt"), str):
            raise XrpcError(
                400,
                "InvalidRequest",
                'Invalid app.bsky.feed.threadgate record: Record must have the property "createdAt"',
            )
        hidden = record.get("hiddenReplies")
        if hidden is not None and (
            not isinstance(hidden, list)
            or len(hidden) > 300
            or not all(isinstance(u, str) and u.startswith("at://") for u in hidden)
        ):
            raise XrpcError(
                400,
                "InvalidRequest",
                "Invalid app.bsky.feed.threadgate record: Record/hiddenReplies is invalid",
            )

    def _write_target(self, req: FakeRequest) -> tuple[str, dict[str, Any]]:
        did = self._auth(req)
        body = req.json() or {}
        repo_did = self.did_for(body.get("repo") or "")
        if repo_did is None:
            raise XrpcError(400, "InvalidRequest", f"Could not find repo: {body.get('repo')}")
        if repo_did != did:
            raise XrpcError(401, "AuthenticationRequired", "Authentication Required")
        return did, body

    def _validate(self, did: str, collection: str, rkey: str, record: Any) -> None:
        if not isinstance(record, dict) or record.get("$type") != collection:
            raise XrpcError(400, "InvalidRequest", f"Invalid $type: expected {collection}")
        if collection == "app.bsky.feed.post":
            self._validate_post(record)
        elif collection == "app.bsky.feed.threadgate":
            self._validate_threadgate(did, rkey, record)

    @route("POST", r"/xrpc/com\.atproto\.repo\.createRecord")
    @xrpc
    def create_record(self, req: FakeRequest):
        did, body = self._write_target(req)
        collection, record = body.get("collection"), body.get("record")
        with self.lock:
            rkey = body.get("rkey") or self.next_tid()
            if collection in (
                "app.bsky.feed.post",
                "app.bsky.feed.threadgate",
            ) and not TID_RE.match(rkey):
                raise XrpcError(400, "InvalidRequest", "Invalid record key: expected a TID")
            self._validate(did, collection, rkey, record)
            if rkey in self.records(did, collection):
                # The reference PDS fails an insert at an occupied MST key with a 500.
                return 500, {"error": "InternalServerError", "message": "Internal Server Error"}
            entry = self._store(did, collection, rkey, record)
        return {
            "uri": entry["uri"],
            "cid": entry["cid"],
            "commit": {"cid": cid_for(entry["cid"].encode()), "rev": self.next_tid()},
            "validationStatus": "valid",
        }

    @route("POST", r"/xrpc/com\.atproto\.repo\.putRecord")
    @xrpc
    def put_record(self, req: FakeRequest):
        did, body = self._write_target(req)
        collection, rkey, record = body.get("collection"), body.get("rkey"), body.get("record")
        with self.lock:
            self._validate(did, collection, rkey, record)
            current = self.records(did, collection).get(rkey)
            if "swapRecord" in body and (current["cid"] if current else None) != body["swapRecord"]:
                raise XrpcError(
                    400, "InvalidSwap", f"Record was at {current['cid'] if current else 'null'}"
                )
            entry = self._store(did, collection, rkey, record)
        return {"uri": entry["uri"], "cid": entry["cid"], "validationStatus": "valid"}

    @route("POST", r"/xrpc/com\.atproto\.repo\.deleteRecord")
    @xrpc
    def delete_record(self, req: FakeRequest):
        did, body = self._write_target(req)
        with self.lock:
            self.records(did, body.get("collection") or "").pop(body.get("rkey") or "", None)
        return {"commit": {"cid": cid_for(b"delete"), "rev": self.next_tid()}}

    @route("GET", r"/xrpc/com\.atproto\.repo\.getRecord")
    @xrpc
    def get_record(self, req: FakeRequest):
        did = self.did_for(req.q("repo") or "")
        collection, rkey = req.q("collection") or "", req.q("rkey") or ""
        entry = self.repos.get(did or "", {}).get(collection, {}).get(rkey)
        if entry is None:
            raise XrpcError(
                400,
                "RecordNotFound",
                f"Could not locate record: at://{req.q('repo')}/{collection}/{rkey}",
            )
        return {"uri": entry["uri"], "cid": entry["cid"], "value": entry["value"]}

    @route("GET", r"/xrpc/com\.atproto\.repo\.listRecords")
    @xrpc
    def list_records(self, req: FakeRequest):
        did = self.did_for(req.q("repo") or "")
        if did is None:
            raise XrpcError(400, "InvalidRequest", f"Could not find repo: {req.q('repo')}")
        limit = min(int(req.q("limit") or 50), 100)
        cursor = req.q("cursor")
        keys = sorted(self.records(did, req.q("collection") or ""), reverse=True)
        if cursor:
            keys = [k for k in keys if k < cursor]
        page = keys[:limit]
        records = [
            {"uri": e["uri"], "cid": e["cid"], "value": e["value"]}
            for e in (self.records(did, req.q("collection") or "")[k] for k in page)
        ]
        out: dict[str, Any] = {"records": records}
        if page:  # the last rkey, whether or not more records follow
            out["cursor"] = page[-1]
        return out

    # --- AppView reads ---------------------------------------------------------------------------------------------
    @route("GET", r"/xrpc/app\.bsky\.notification\.listNotifications")
    @xrpc
    def list_notifications(self, req: FakeRequest):
        did = self._auth(req)
        if did != BRAND_DID:
            return {"notifications": []}
        limit = int(req.q("limit") or 50)
        if not 1 <= limit <= 100:
            raise XrpcError(400, "InvalidRequest", "Error: limit must be less than or equal to 100")
        reasons = req.query.get("reasons") or []
        seen_at = req.q("seenAt")
        notes = sorted(self.notifications, key=lambda n: n["indexedAt"], reverse=True)
        if reasons:
            notes = [n for n in notes if n["reason"] in reasons]
        if req.q("cursor"):
            notes = [n for n in notes if n["indexedAt"] < req.q("cursor")]
        page = notes[:limit]
        out: dict[str, Any] = {
            "notifications": [
                {**n, "isRead": bool(seen_at and n["indexedAt"] <= seen_at)} for n in page
            ],
            "priority": False,
        }
        if seen_at:
            out["seenAt"] = seen_at
        if len(notes) > limit:
            out["cursor"] = page[-1]["indexedAt"]
        return out

    def post_view(self, entry: dict[str, Any], viewer: str | None = None) -> dict[str, Any]:
        """The AppView's postView; ``viewer`` (the asking account) adds ``viewer.like``, the uri
        of that account's like record of the post, as app.bsky.feed.defs#viewerState does."""
        did = entry["uri"][5:].split("/")[0]
        replies = sum(
            1
            for repo in self.repos.values()
            for e in repo.get("app.bsky.feed.post", {}).values()
            if ((e["value"].get("reply") or {}).get("parent") or {}).get("uri") == entry["uri"]
        )
        counts = {
            "replyCount": replies,
            "repostCount": 0,
            "likeCount": 0,
            "quoteCount": 0,
            "bookmarkCount": 0,
            **self.counts.get(entry["uri"], {}),
        }
        view = {
            "uri": entry["uri"],
            "cid": entry["cid"],
            "author": self.profile_view(did),
            "record": entry["value"],
            "indexedAt": entry["indexedAt"],
            "labels": [],
            **counts,
        }
        if viewer is not None:
            view["viewer"] = {}
            for like in self.records(viewer, "app.bsky.feed.like").values():
                if (like["value"].get("subject") or {}).get("uri") == entry["uri"]:
                    view["viewer"]["like"] = like["uri"]
        return view

    @route("GET", r"/xrpc/app\.bsky\.feed\.getPosts")
    @xrpc
    def get_posts(self, req: FakeRequest):
        viewer = self._auth(req)
        uris = req.query.get("uris") or []
        if not uris or len(uris) > 25:
            raise XrpcError(
                400, "InvalidRequest", "Error: uris must not have more than 25 elements"
            )
        with self.lock:
            entries = [self.get(u) for u in uris if u.startswith("at://") and u.count("/") == 4]
            return {"posts": [self.post_view(e, viewer) for e in entries if e is not None]}

    @route("GET", r"/xrpc/app\.bsky\.actor\.getProfile")
    @xrpc
    def get_profile(self, req: FakeRequest):
        self._auth(req)
        did = self.did_for(req.q("actor") or "")
        if did is None:
            raise XrpcError(400, "InvalidRequest", "Profile not found")
        acct = self.accounts[did]
        return {
            **self.profile_view(did),
            "followersCount": acct.get("followersCount", 0),
            "followsCount": acct.get("followsCount", 0),
            "postsCount": acct.get("postsCount", 0),
        }

    # --- chat (proxied by the PDS to the chat service) ----------------------------------------------------------
    def _chat_auth(self, req: FakeRequest, lxm: str) -> str:
        """As the PDS's proxyHandler: the caller's session, the proxy header, the privileged check."""
        did = self._auth(req)
        proxy = req.headers.get("atproto-proxy")
        if proxy is None:  # the default service is the AppView, which has no chat methods
            raise XrpcError(501, "MethodNotImplemented", "Method Not Implemented")
        if proxy != CHAT_PROXY:
            raise XrpcError(400, "InvalidRequest", "could not resolve proxy did service url")
        authorization = req.headers.get("authorization", "")
        if authorization.startswith("DPoP "):
            scopes = (self.dpop_tokens.get(authorization[5:]) or {}).get("scope", "").split()
            if "transition:chat.bsky" not in scopes:
                raise XrpcError(
                    403,
                    "ScopeMissingError",
                    f'Missing required scope "rpc:{lxm}?aud=did:web:api.bsky.chat%23bsky_chat"',
                )
        elif self.token_scopes.get(req.bearer or "") not in (
            "com.atproto.access",
            "com.atproto.appPassPrivileged",
        ):
            raise XrpcError(400, "InvalidToken", "Bad token method")
        return did

    def _message_view(self, message: dict[str, Any], viewer: str) -> dict[str, Any]:
        view = {
            "id": message["id"],
            "rev": message["rev"],
            "sender": {"did": message["sender"]},
            "sentAt": message["sentAt"],
        }
        if viewer in message["deleted_for"]:
            return {"$type": "chat.bsky.convo.defs#deletedMessageView", **view}
        return {"$type": "chat.bsky.convo.defs#messageView", **view, "text": message["text"]}

    def _convo_view(self, convo: dict[str, Any], viewer: str) -> dict[str, Any]:
        view = {
            "id": convo["id"],
            "rev": convo["rev"],
            "members": [self.profile_view(d) for d in convo["members"]],
            "muted": False,
            "status": "accepted",
            "unreadCount": sum(
                1 for m in convo["messages"] if m["sender"] != viewer and not m["read"]
            ),
        }
        if convo["messages"]:
            view["lastMessage"] = self._message_view(convo["messages"][-1], viewer)
        return view

    def _member_convo(self, convo_id: str, did: str) -> dict[str, Any]:
        convo = self.convos.get(convo_id)
        if convo is None or did not in convo["members"]:
            raise XrpcError(400, "InvalidConvo", "Convo not found")
        return convo

    def convo_between(self, *members: str) -> dict[str, Any]:
        """The one direct conversation of these members (made on first use, as getConvoForMembers)."""
        wanted = sorted(set(members))
        with self.lock:
            for convo in self.convos.values():
                if sorted(convo["members"]) == wanted:
                    return convo
            convo = {
                "id": self.next_tid(),
                "members": wanted,
                "messages": [],
                "rev": self.next_tid(),
            }
            self.convos[convo["id"]] = convo
            return convo

    def _append_message(self, convo: dict[str, Any], sender: str, text: str) -> dict[str, Any]:
        rev = self.next_tid()
        message = {
            "id": self.next_tid(),
            "rev": rev,
            "sender": sender,
            "text": text,
            "sentAt": _iso(self.tick()),
            "deleted_for": set(),
            "read": False,
        }
        convo["messages"].append(message)
        convo["rev"] = rev
        return message

    def add_dm(self, sender: str, text: str, to: str = BRAND_DID) -> dict[str, Any]:
        """``sender`` writes ``to`` a direct message; returns the stored message (with ``convoId``)."""
        convo = self.convo_between(sender, to)
        with self.lock:
            return {**self._append_message(convo, sender, text), "convoId": convo["id"]}

    def delete_dm_for(self, did: str, convo_id: str, message_id: str) -> None:
        """``did`` deletes a message for themselves (deleteMessageForSelf): it becomes a
        ``#deletedMessageView`` for them only, and the conversation's rev moves."""
        with self.lock:
            convo = self.convos[convo_id]
            next(m for m in convo["messages"] if m["id"] == message_id)["deleted_for"].add(did)
            convo["rev"] = self.next_tid()

    @route("GET", r"/xrpc/chat\.bsky\.convo\.listConvos")
    @xrpc
    def list_convos(self, req: FakeRequest):
        did = self._chat_auth(req, "chat.bsky.convo.listConvos")
        limit = int(req.q("limit") or 50)
        if not 1 <= limit <= 100:
            raise XrpcError(400, "InvalidRequest", "Error: limit must be less than or equal to 100")
        with self.lock:
            mine = sorted(
                (c for c in self.convos.values() if did in c["members"] and c["messages"]),
                key=lambda c: c["rev"],
                reverse=True,
            )
            if req.q("cursor"):
                mine = [c for c in mine if c["rev"] < req.q("cursor")]
            page = mine[:limit]
            out: dict[str, Any] = {"convos": [self._convo_view(c, did) for c in page]}
        if len(mine) > limit:
            out["cursor"] = page[-1]["rev"]
        return out

    @route("GET", r"/xrpc/chat\.bsky\.convo\.getMessages")
    @xrpc
    def get_messages(self, req: FakeRequest):
        did = self._chat_auth(req, "chat.bsky.convo.getMessages")
        limit = int(req.q("limit") or 50)
        if not 1 <= limit <= 100:
            raise XrpcError(400, "InvalidRequest", "Error: limit must be less than or equal to 100")
        with self.lock:
            convo = self._member_convo(req.q("convoId") or "", did)
            messages = sorted(convo["messages"], key=lambda m: m["rev"], reverse=True)
            if req.q("cursor"):
                messages = [m for m in messages if m["rev"] < req.q("cursor")]
            page = messages[:limit]
            out: dict[str, Any] = {
                "messages": [self._message_view(m, did) for m in page],
                "relatedProfiles": [
                    self.profile_view(d) for d in sorted({m["sender"] for m in page})
                ],
            }
        if len(messages) > limit:
            out["cursor"] = page[-1]["rev"]
        return out

    @route("GET", r"/xrpc/chat\.bsky\.convo\.getConvoForMembers")
    @xrpc
    def get_convo_for_members(self, req: FakeRequest):
        did = self._chat_auth(req, "chat.bsky.convo.getConvoForMembers")
        members = req.query.get("members") or []
        if not members or any(m not in self.accounts for m in members):
            raise XrpcError(400, "RecipientNotFound", "recipient not found")
        convo = self.convo_between(did, *members)
        with self.lock:
            return {"convo": self._convo_view(convo, did)}

    @route("POST", r"/xrpc/chat\.bsky\.convo\.sendMessage")
    @xrpc
    def send_message(self, req: FakeRequest):
        did = self._chat_auth(req, "chat.bsky.convo.sendMessage")
        body = req.json() or {}
        text = (body.get("message") or {}).get("text")
        if not isinstance(text, str):
            raise XrpcError(400, "InvalidRequest", 'Input/message must have the property "text"')
        if len(text) > 10000 or rough_graphemes(text) > 1000:
            raise XrpcError(
                400,
                "InvalidRequest",
                "Input/message/text must not be longer than 1000 graphemes",
            )
        with self.lock:
            convo = self._member_convo(body.get("convoId") or "", did)
            message = self._append_message(convo, did, text)
            return self._message_view(message, did)

    # --- video service --------------------------------------------------------------------------------------------
    def _service_auth(self, req: FakeRequest, lxm: str) -> dict[str, Any]:
        claims = self.service_tokens.get(req.bearer or "")
        if claims is None or claims["lxm"] != lxm:
            raise XrpcError(401, "AuthRequired", "could not verify service token")
        return claims

    @route("GET", r"/xrpc/app\.bsky\.video\.getUploadLimits")
    @xrpc
    def get_upload_limits(self, req: FakeRequest):
        claims = self._service_auth(req, "app.bsky.video.getUploadLimits")
        if claims["aud"] != "did:web:video.bsky.app":
            raise XrpcError(401, "AuthRequired", "wrong audience")
        return dict(self.upload_limits)

    @route("POST", r"/xrpc/app\.bsky\.video\.uploadVideo")
    @xrpc
    def upload_video(self, req: FakeRequest):
        claims = self._service_auth(req, "com.atproto.repo.uploadBlob")
        host = self.pds_url.split("://", 1)[1].replace(":", "%3A")
        if claims["aud"] != f"did:web:{host}":
            raise XrpcError(401, "AuthRequired", "token audience is not the user's PDS")
        if req.q("did") != claims["iss"] or not req.q("name"):
            raise XrpcError(400, "InvalidRequest", "did and name are required")
        if req.headers.get("content-type") != "video/mp4":
            raise XrpcError(400, "InvalidRequest", "unsupported content type")
        with self.lock:
            job_id = f"job{next(self._seq)}"
            self.video_jobs[job_id] = {"did": claims["iss"], "data": req.body, "polls": 0}
        # Like the real service, uploadVideo answers the job status bare (atproto#3026).
        return {"did": claims["iss"], "jobId": job_id, "state": "JOB_STATE_CREATED"}

    @route("GET", r"/xrpc/app\.bsky\.video\.getJobStatus")
    @xrpc
    def get_job_status(self, req: FakeRequest):
        job_id = req.q("jobId") or ""
        with self.lock:
            job = self.video_jobs.get(job_id)
            if job is None:
                raise XrpcError(400, "InvalidRequest", "job not found")
            job["polls"] += 1
            status: dict[str, Any] = {"jobId": job_id, "did": job["did"]}
            if job["polls"] < self.video_polls_before_done:
                status.update(state="JOB_STATE_ENCODING", progress=50)
            elif self.video_fail:
                status.update(state="JOB_STATE_FAILED", **self.video_fail)
            else:
                cid = cid_for(job["data"], "bafkrei")
                self.blobs[cid] = {
                    "mimeType": "video/mp4",
                    "size": len(job["data"]),
                    "data": job["data"],
                }
                status.update(
                    state="JOB_STATE_COMPLETED",
                    progress=100,
                    blob={
                        "$type": "blob",
                        "ref": {"$link": cid},
                        "mimeType": "video/mp4",
                        "size": len(job["data"]),
                    },
                )
        return {"jobStatus": status}

    # --- a web page for link cards ------------------------------------------------------------------------------------
    @route("GET", r"/web/(?P<name>[\w.-]+)")
    def web(self, req: FakeRequest, name: str):
        if name not in self.pages:
            return 404, "not found", {"Content-Type": "text/plain"}
        ctype, data = self.pages[name]
        return 200, data, {"Content-Type": ctype}
