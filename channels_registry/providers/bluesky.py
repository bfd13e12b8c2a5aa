"""Bluesky over the AT Protocol (XRPC), connected with atproto OAuth or a handle and an app password.

Documented API used (docs.bsky.app, atproto.com/specs, the atproto lexicons):

- Sessions: ``com.atproto.server.createSession`` on the entryway (``https://bsky.social``) gives
  ``accessJwt``/``refreshJwt``/``did``/``handle``/``didDoc``. Everything else goes to the account's
  PDS, named in the DID document (service ``#atproto_pds``). ``refreshSession`` takes the refresh
  JWT as the bearer and goes back to the entryway, as the reference client does.
- Or atproto OAuth (atproto.com/specs/oauth), as a public web client (``token_endpoint_auth_method``
  "none"; our client_id is the URL of the metadata document we serve): handle → DID
  (``resolveHandle``) → DID document (must claim the handle back) → PDS → its
  ``/.well-known/oauth-protected-resource`` → authorization server → its
  ``/.well-known/oauth-authorization-server`` → PAR with PKCE S256, ``login_hint`` and a DPoP proof
  → consent → callback with ``code`` and ``iss`` (must be the issuer) → token request; ``sub`` must be
  the resolved DID. Tokens are bound to a fresh P-256 key per session (``Credentials.dpop_key``);
  every request to the authorization server or the PDS carries a proof (``ath`` towards the PDS) and
  is retried once with the server's ``DPoP-Nonce`` when it answers ``use_dpop_nonce``.
- Posts are ``app.bsky.feed.post`` records written with ``com.atproto.repo.createRecord``: text of
  at most 300 graphemes (and 3,000 UTF-8 bytes), facets for links, mentions and hashtags with
  UTF-8 *byte* offsets, and one embed: ``app.bsky.embed.images`` (≤ 4, ≤ 1,000,000 bytes each, alt
  and aspect ratio), ``app.bsky.embed.video`` (mp4, ≤ 100 MB, ≤ 3 min) or
  ``app.bsky.embed.external`` (a link card).
- The record key (rkey) is a TID derived from the idempotency key, so a second attempt with the
  same key collides with the first record instead of creating a duplicate, and ``find_existing``
  is a single ``com.atproto.repo.getRecord``.
- Inbox: ``app.bsky.notification.listNotifications`` (reasons reply, mention, quote). Replies are
  posts with ``reply.root``/``reply.parent`` strong refs. Hiding a reply adds its URI to the root
  post's ``app.bsky.feed.threadgate`` record (``hiddenReplies``; the threadgate's rkey is the root
  post's rkey).
- Metrics: ``app.bsky.feed.getPosts`` (like/repost/reply/quote counts) and
  ``app.bsky.actor.getProfile`` (``followersCount``). No impressions exist.
- Errors: ``{"error", "message"}`` bodies; ``ExpiredToken``/``InvalidToken``/``AuthenticationRequired``
  mean the session no longer works; 429 ``RateLimitExceeded`` comes with ``ratelimit-reset``
  (unix seconds).

Not done: confidential-client auth (``private_key_jwt``; public-client sessions last at most two
weeks before the person signs in again); DMs (``chat.bsky.*``); webhooks (Bluesky has none, only the
firehose/Jetstream).
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import re
import time
import unicodedata
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from html.parser import HTMLParser
from typing import Any, NoReturn
from urllib.parse import urlencode, urljoin, urlsplit

import httpx

from ..http import json_or_error
from . import dpop
from .base import (
    Account,
    Capabilities,
    Credentials,
    DailyAccountMetrics,
    InboxItem,
    InboxPage,
    MediaItem,
    MediaSpec,
    PostMetrics,
    Provider,
    PublishRequest,
    PublishResult,
)
from .errors import AuthExpired, ContentRejected, ProviderError, RateLimited, TransientError
from .text import count_graphemes

POST = "app.bsky.feed.post"
THREADGATE = "app.bsky.feed.threadgate"

TEXT_GRAPHEMES = 300
TEXT_BYTES = 3000
IMAGE_MAX_BYTES = 1_000_000
VIDEO_MAX_BYTES = 100_000_000
VIDEO_MAX_SECONDS = 180
MAX_IMAGES = 4
HIDDEN_REPLIES_MAX = 300
INBOX_REASONS = ("reply", "mention", "quote")
GET_POSTS_MAX = 25
VIDEO_SERVICE_DID = "did:web:video.bsky.app"
#: what we ask an atproto OAuth server for: the account, and the app-password-level API access
OAUTH_SCOPE = "atproto transition:generic"

# Errors meaning "this session no longer works" (atproto.com/specs/xrpc; PDS auth verifier).
AUTH_ERRORS = {"ExpiredToken", "InvalidToken", "AuthenticationRequired", "AuthMissing", "AuthRequired",
               "BadJwt", "BadJwtSignature", "InvalidAuthorization"}
ACCOUNT_ERRORS = {"AccountTakedown", "AccountDeactivated", "AccountSuspended"}
# Errors meaning "this access token no longer works, but a refresh may" (see _session_ran_out).
SESSION_ERRORS = {"ExpiredToken", "InvalidToken", "invalid_token"}
#: renew a little before the token's own ``exp``, so it does not run out on the way
EXPIRY_MARGIN = timedelta(seconds=60)


# --- Record keys ---------------------------------------------------------------------------------

_S32 = "234567abcdefghijklmnopqrstuvwxyz"  # base32-sortable (atproto.com/specs/tid)
_TID_RE = re.compile(r"^[234567abcdefghij][234567abcdefghijklmnopqrstuvwxyz]{12}$")
_TID_BASE_US = 1_672_531_200 * 1_000_000  # 2023-01-01T00:00:00Z, before any key we derive


def tid_for_key(key: str) -> str:
    """A valid TID (the record-key type ``app.bsky.feed.post`` declares) derived from ``key``.

    Same key → same rkey, so a second createRecord with it hits the existing record instead of
    making a duplicate. 45 bits of the hash pick a microsecond in a fixed past window and 10 bits
    the clock id; the top bit stays 0 as the spec requires.
    """
    digest = hashlib.sha256(f"socialops:bluesky:{key}".encode()).digest()
    n = int.from_bytes(digest[:8], "big")
    timestamp = _TID_BASE_US + (n >> 10) % (1 << 45)
    value = (timestamp << 10) | (n & 0x3FF)
    return "".join(_S32[(value >> (5 * (12 - i))) & 31] for i in range(13))


# --- Small helpers ---------------------------------------------------------------------------------

def _now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _parse_dt(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _jwt_claims(token: str | None) -> dict[str, Any]:
    """The payload of a JWT, decoded without verifying it (we only read ``exp`` and ``scope``)."""
    if not token or token.count(".") != 2:
        return {}
    payload = token.split(".")[1]
    try:
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (ValueError, UnicodeDecodeError):
        return {}
    return claims if isinstance(claims, dict) else {}


def _jwt_exp(token: str | None) -> datetime | None:
    exp = _jwt_claims(token).get("exp")
    if isinstance(exp, int | float):
        return datetime.fromtimestamp(exp, UTC)
    return None


@dataclass(frozen=True)
class AtUri:
    repo: str
    collection: str
    rkey: str

    @classmethod
    def parse(cls, uri: str) -> AtUri:
        if not uri.startswith("at://"):
            raise ProviderError(f"Not an AT URI: {uri!r}.", permanent=True)
        parts = uri[5:].split("/")
        if len(parts) != 3 or not all(parts):
            raise ProviderError(f"Not a record AT URI: {uri!r}.", permanent=True)
        return cls(*parts)

    def __str__(self) -> str:
        return f"at://{self.repo}/{self.collection}/{self.rkey}"


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def _wants_dpop_nonce(response: httpx.Response) -> bool:
    """The server refused the proof for want of its nonce: 400 from an authorization server,
    401 with ``WWW-Authenticate: DPoP error="use_dpop_nonce"`` from a resource server (RFC 9449 §8–9)."""
    if response.status_code not in (400, 401):
        return False
    if 'error="use_dpop_nonce"' in response.headers.get("www-authenticate", ""):
        return True
    try:
        body = response.json()
    except ValueError:
        return False
    return isinstance(body, dict) and body.get("error") == "use_dpop_nonce"


def normalize_service_url(value: str) -> str:
    """A PDS address as a person types it (``pds.example.org``) → ``https://pds.example.org``."""
    value = value.strip().rstrip("/")
    if "://" not in value:
        value = "https://" + value
    parts = urlsplit(value)
    loopback = parts.hostname in ("127.0.0.1", "localhost", "::1")
    if not parts.hostname or parts.query or parts.fragment or parts.path not in ("", "/") or not (
            parts.scheme == "https" or (parts.scheme == "http" and loopback)):
        raise ProviderError(f"{value!r} is not a server address like https://pds.example.org.", permanent=True,
                            code="InvalidServiceUrl")
    return f"{parts.scheme}://{parts.netloc}"


def _check_issuer_url(issuer: str) -> None:
    """An atproto authorization server is an https origin (plain http only for loopback test servers)."""
    parts = urlsplit(issuer)
    loopback = parts.hostname in ("127.0.0.1", "localhost", "::1")
    if (parts.scheme != "https" and not (parts.scheme == "http" and loopback)) or parts.path not in ("", "/") \
            or parts.query or parts.fragment:
        raise ProviderError(f"{issuer!r} is not a valid atproto authorization server.", permanent=True)


def _pds_from_did_doc(did_doc: Any) -> str | None:
    """The ``#atproto_pds`` service endpoint of a DID document (atproto.com/specs/did)."""
    if not isinstance(did_doc, dict):
        return None
    for service in did_doc.get("service") or []:
        if not isinstance(service, dict):
            continue
        sid = str(service.get("id", ""))
        if sid == "#atproto_pds" or sid.endswith("#atproto_pds"):
            endpoint = service.get("serviceEndpoint")
            if isinstance(endpoint, str) and endpoint.startswith(("https://", "http://")):
                return endpoint.rstrip("/")
    return None


class _CardParser(HTMLParser):
    """Open Graph / <title> metadata for a link card."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.meta: dict[str, str] = {}
        self.title = ""
        self._in_title = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k.lower(): (v or "") for k, v in attrs}
        if tag == "meta":
            key = (a.get("property") or a.get("name") or "").lower()
            if key and "content" in a and key not in self.meta:
                self.meta[key] = a["content"].strip()
        elif tag == "title":
            self._in_title = True

    def handle_endtag(self, tag: str) -> None:
        if tag == "title":
            self._in_title = False

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.title += data


# --- Facets ------------------------------------------------------------------------------------------
# Detection follows the reference RichText (packages/api/src/rich-text/detection.ts): explicit
# http(s) URLs, @handles that look like domains, and #tags; offsets are UTF-8 byte offsets.

_URL_RE = re.compile(r"(?:^|(?<=[\s(]))(https?://[^\s]+)", re.IGNORECASE)
_MENTION_RE = re.compile(r"(?:^|(?<=[\s(]))@([a-zA-Z0-9.-]+)")
_HANDLE_RE = re.compile(r"^([a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?\.)+[a-zA-Z]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?$")
_TAG_RE = re.compile(r"(?:^|(?<=\s))[#\uFF03]([^\s\u00AD\u2060\u200A\u200B\u200C\u200D\u20E2#\uFF03]+)")


def _byte_span(text: str, start: int, end: int) -> dict[str, int]:
    byte_start = len(text[:start].encode("utf-8"))
    return {"byteStart": byte_start, "byteEnd": byte_start + len(text[start:end].encode("utf-8"))}


def _trim_url(url: str) -> str:
    while url and url[-1] in ".,;:!?\"'":
        url = url[:-1]
    if url.endswith(")") and "(" not in url:
        url = url[:-1]
    return url


# --- The provider -----------------------------------------------------------------------------------------

class BlueskyProvider(Provider):
    key = "bluesky"
    name = "Bluesky"
    capabilities = Capabilities(
        text_limit=TEXT_GRAPHEMES,
        text_counting="graphemes",
        feed_cut_chars=None,  # the feed shows a post whole
        image=MediaSpec(max_bytes=IMAGE_MAX_BYTES,
                        mime_types=("image/jpeg", "image/png", "image/webp", "image/gif")),
        video=MediaSpec(max_bytes=VIDEO_MAX_BYTES, max_seconds=VIDEO_MAX_SECONDS, mime_types=("video/mp4",)),
        max_images=MAX_IMAGES,
        max_videos=1,
        mixed_media=False,
        link_posts=True,
        first_comment=True,  # posted as a self-reply to the new post
        stories=False,
        reels=False,
        carousel=False,
        async_publish=False,  # video processing is polled inside publish (see video_poll_timeout)
        daily_publish_cap=None,  # write budget: 5,000 points/h, 35,000/day (create = 3) per account
        comments_api=True,
        direct_messages=False,
        hide_comments=True,  # threadgate hiddenReplies, only in threads the account started
        delete_comments=False,  # only one's own records can be deleted
        webhooks=False,
        auth_kind="atproto",
    )
    default_urls = {
        "api": "https://bsky.social",  # entryway: createSession / refreshSession
        "video": "https://video.bsky.app",  # video processing service
        "web": "https://bsky.app",  # permalinks
        "plc": "https://plc.directory",  # did:plc documents
        "did_web": "https://{host}/.well-known/did.json",  # did:web documents
        "handle_well_known": "https://{handle}/.well-known/atproto-did",  # handle → DID over HTTPS
    }
    default_scopes = ()

    # Settings (ProviderConfig.extra): poll_interval (s, default 1.0), video_poll_timeout (s, 300),
    # video_upload ("service" | "blob"), link_preview (bool, True), inbox_max_pages (5), langs (list).

    @classmethod
    def count_text(cls, text: str) -> int:
        """Bluesky counts extended grapheme clusters (``maxGraphemes: 300`` in app.bsky.feed.post)."""
        return count_graphemes(text)

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

    def authorization_url(self, *, redirect_uri: str, state: str, code_verifier: str | None = None,
                          extra: dict[str, Any] | None = None) -> str:
        """Resolve the handle's authorization server and push the authorization request (PAR).

        Adds to ``extra`` what the callback needs: the DID, PDS, issuer, token endpoint and the
        session's private DPoP key (the caller stores ``extra`` encrypted).
        """
        extra = extra if extra is not None else {}
        handle = str(extra.get("handle") or "").strip().lstrip("@").lower()
        client_id = extra.get("client_id") or self.config.client_id
        if not handle or not client_id or not code_verifier:
            raise ProviderError("Signing in with Bluesky needs a handle, our client id and a PKCE verifier.",
                                permanent=True)
        did, pds = self.resolve_identity(handle)
        issuer = self._authorization_server_of(pds)
        meta = self._authorization_server_metadata(issuer)
        key = dpop.new_key()
        form = {
            "client_id": client_id, "response_type": "code", "redirect_uri": redirect_uri, "state": state,
            "scope": OAUTH_SCOPE, "code_challenge": dpop.s256(code_verifier), "code_challenge_method": "S256",
            "login_hint": handle,
        }
        response = self._dpop_request(key, "POST", meta["pushed_authorization_request_endpoint"], data=form)
        body = self._oauth_body(response, "the pushed authorization request")
        request_uri = body.get("request_uri")
        if not isinstance(request_uri, str) or not request_uri:
            raise TransientError("Bluesky answered the pushed authorization request without a request_uri.")
        extra.update({
            "did": did, "pds_url": pds, "issuer": issuer, "token_endpoint": meta["token_endpoint"],
            "dpop_key": key, "dpop_nonce": self._dpop_nonces.get(_origin(meta["token_endpoint"]), ""),
        })
        return f"{meta['authorization_endpoint']}?{urlencode({'client_id': client_id, 'request_uri': request_uri})}"

    def exchange_code(self, *, code: str, redirect_uri: str, code_verifier: str | None = None,
                      extra: dict[str, Any] | None = None) -> list[Account]:
        """Trade the code for DPoP-bound tokens; ``sub`` must be the DID the handle resolved to."""
        extra = extra or {}
        issuer, key, did = extra.get("issuer"), extra.get("dpop_key"), extra.get("did")
        if not issuer or not key or not did or not code_verifier or not extra.get("token_endpoint"):
            raise ProviderError("This Bluesky sign-in was not started here; start again.", permanent=True)
        # RFC 9207: the callback names the server that issued the code; it must be the one we asked.
        if extra.get("callback_iss") != issuer:
            raise ProviderError("The sign-in answer did not come from the Bluesky server it was sent to.",
                                permanent=True, code="IssuerMismatch")
        token_endpoint = extra["token_endpoint"]
        if extra.get("dpop_nonce"):
            self._dpop_nonces.setdefault(_origin(token_endpoint), extra["dpop_nonce"])
        form = {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri,
                "code_verifier": code_verifier, "client_id": extra.get("client_id") or self.config.client_id}
        response = self._dpop_request(key, "POST", token_endpoint, data=form)
        tokens = self._oauth_body(response, "the token request")
        context = {"did": did, "handle": extra.get("handle"), "pds_url": extra.get("pds_url"), "auth": "oauth",
                   "issuer": issuer, "token_endpoint": token_endpoint, "client_id": form["client_id"]}
        credentials = self._credentials_from_tokens(tokens, key=key, context=context)
        account = self._describe(credentials)
        account.extra.update({"app_password": False, "oauth": True})
        return [account]

    def _credentials_from_tokens(self, tokens: dict[str, Any], *, key: dict[str, str],
                                 context: dict[str, Any]) -> Credentials:
        access, token_type = tokens.get("access_token"), str(tokens.get("token_type") or "")
        if not isinstance(access, str) or not access or token_type.lower() != "dpop":
            raise TransientError("Bluesky answered the token request without a DPoP-bound access token.")
        if tokens.get("sub") != context["did"]:
            raise ProviderError("Bluesky issued tokens for a different account than the handle names; "
                                "nothing was connected.", permanent=True, code="SubjectMismatch")
        scopes = tuple(str(tokens.get("scope") or "").split())
        if "atproto" not in scopes:
            raise ProviderError("Bluesky did not grant the atproto scope.", permanent=True, code="ScopeMissing")
        expires_in = tokens.get("expires_in")
        expires_at = (datetime.fromtimestamp(time.time() + float(expires_in), UTC)
                      if isinstance(expires_in, int | float) else None)
        return Credentials(access_token=access, refresh_token=tokens.get("refresh_token"), expires_at=expires_at,
                           scopes=scopes, extra=dict(context), dpop_key=key)

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
                str(a).lower() for a in did_doc.get("alsoKnownAs") or []]:
            raise ProviderError(f"The DID document of {did} does not claim the handle {handle}.", permanent=True,
                                code="HandleMismatch")
        pds = _pds_from_did_doc(did_doc)
        if not pds:
            raise ProviderError(f"The DID document of {did} names no PDS.", permanent=True, code="NoPds")
        return did, pds.rstrip("/")

    def _handle_to_did(self, handle: str) -> str:
        if not _HANDLE_RE.match(handle):
            raise ProviderError(f"{handle!r} is not a Bluesky handle (it looks like yourname.bsky.social).",
                                permanent=True, code="InvalidHandle")
        did = self._did_from_well_known(handle)
        return did or self._resolve_handle_at_entryway(handle)

    def _did_from_well_known(self, handle: str) -> str | None:
        """``https://<handle>/.well-known/atproto-did``: the DID as plain text; anything else means "not here"."""
        template = self.urls.get("handle_well_known")
        if not template or self.config.extra.get("handle_well_known") is False:
            return None
        try:
            response = self.http.get(template.format(handle=handle), headers={"Accept": "text/plain"})
        except ProviderError:
            return None  # no such host, or one we may not call: the entryway is asked instead
        if response.status_code != 200:
            return None
        did = response.text.strip().split("\n", 1)[0].strip()
        return did if re.fullmatch(r"did:(plc|web):[a-zA-Z0-9.%:_-]+", did) else None

    def _resolve_handle_at_entryway(self, handle: str) -> str:
        """handle → DID with ``com.atproto.identity.resolveHandle`` (no session needed)."""
        response = self.http.get(f"{self.urls['api'].rstrip('/')}/xrpc/com.atproto.identity.resolveHandle",
                                 params={"handle": handle})
        if response.status_code == 400:
            # HandleNotFound for the entryway's own domains, InvalidRequest "Unable to resolve handle"
            # for others (packages/pds/src/api/com/atproto/identity/resolveHandle.ts)
            raise ProviderError(f"No Bluesky account has the handle {handle}.", permanent=True,
                                status=400, code="HandleNotFound")
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
            raise ProviderError(f"No DID document exists for {did}.", permanent=True, status=404, code="DidNotFound")
        doc = self._ok(response, write=False)
        if doc.get("id") != did:
            raise ProviderError(f"The DID document fetched for {did} is about someone else.", permanent=True)
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
        meta = self._ok(self.http.get(f"{issuer}/.well-known/oauth-authorization-server"), write=False)
        missing = [k for k in ("authorization_endpoint", "token_endpoint", "pushed_authorization_request_endpoint")
                   if not isinstance(meta.get(k), str)]
        if meta.get("issuer") != issuer or missing:
            raise ProviderError("Bluesky's authorization server published unusable metadata"
                                f"{' (missing ' + ', '.join(missing) + ')' if missing else ' (issuer mismatch)'}.",
                                permanent=True)
        if "ES256" not in (meta.get("dpop_signing_alg_values_supported") or []) or "S256" not in (
                meta.get("code_challenge_methods_supported") or []):
            raise ProviderError("Bluesky's authorization server does not offer DPoP with ES256 and PKCE S256.",
                                permanent=True)
        if "atproto" not in (meta.get("scopes_supported") or ["atproto"]):
            raise ProviderError("Bluesky's authorization server does not support the atproto scope.", permanent=True)
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
            raise AuthExpired(f"Bluesky refused {what}: {text}", status=response.status_code, code=error or None)
        if not body:
            json_or_error(response)
        raise ProviderError(f"Bluesky refused {what}: {text}", permanent=True, status=response.status_code,
                            code=error or None)

    def _dpop_request(self, key: dict[str, str], method: str, url: str, *, access_token: str | None = None,
                      headers: dict[str, str] | None = None, **kwargs: Any) -> httpx.Response:
        """One request with a DPoP proof; retried once when the server asks for its nonce."""
        origin = _origin(url)
        for attempt in (1, 2):
            all_headers = dict(headers or {})
            all_headers["DPoP"] = dpop.proof(key, method=method, url=url, nonce=self._dpop_nonces.get(origin),
                                             access_token=access_token)
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

    def _authorized(self, credentials: Credentials, method: str, url: str, *,
                    headers: dict[str, str] | None = None, **kwargs: Any) -> httpx.Response:
        """A request to the PDS as the account: ``Bearer`` for an app-password session, ``DPoP`` (with a
        proof carrying ``ath``) for an OAuth one. The only place that puts a user token on the wire."""
        if credentials.dpop_key:
            return self._dpop_request(credentials.dpop_key, method, url, access_token=credentials.access_token,
                                      headers=headers, **kwargs)
        return self.http.request(method, url, headers={"Authorization": f"Bearer {credentials.access_token}",
                                                       **(headers or {})}, **kwargs)

    def _refresh_oauth(self, credentials: Credentials) -> Credentials:
        extra = credentials.extra
        if not credentials.refresh_token or not extra.get("token_endpoint"):
            raise AuthExpired("This Bluesky sign-in cannot be refreshed; sign in with Bluesky again.")
        form = {"grant_type": "refresh_token", "refresh_token": credentials.refresh_token,
                "client_id": extra.get("client_id") or self.config.client_id}
        response = self._dpop_request(credentials.dpop_key or {}, "POST", extra["token_endpoint"], data=form)
        tokens = self._oauth_body(response, "refreshing the sign-in")
        fresh = self._credentials_from_tokens(tokens, key=credentials.dpop_key or {}, context=dict(extra))
        fresh.refresh_token = fresh.refresh_token or credentials.refresh_token
        return fresh

    def login_with_app_password(self, handle: str, app_password: str, *,
                                service_url: str | None = None) -> Account:
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
            raise AuthExpired("Bluesky did not accept that handle and app password.", permanent=True)
        if service_url:
            service = normalize_service_url(service_url)
        elif "@" in identifier:
            service = self.urls["api"].rstrip("/")
        else:
            try:
                _did, service = self.resolve_identity(identifier)
            except TransientError:
                service = self.urls["api"].rstrip("/")
        response = self.http.post(f"{service}/xrpc/com.atproto.server.createSession",
                                  json={"identifier": identifier, "password": app_password})
        if response.status_code in (400, 401):
            body = self._error_body(response)
            if body.get("error") == "AuthFactorTokenRequired":
                raise AuthExpired(
                    "Bluesky asked for an e-mail sign-in code: use an app password, not the account password.",
                    permanent=True, status=response.status_code, code="AuthFactorTokenRequired",
                )
            if body.get("error") in ACCOUNT_ERRORS:
                raise ProviderError(f"Bluesky refused the login: {body.get('message') or body['error']}",
                                    permanent=True, status=response.status_code, code=body.get("error"))
            raise AuthExpired("Bluesky did not accept that handle and app password.", permanent=True,
                              status=response.status_code, code=body.get("error") or "AuthenticationRequired")
        session = self._ok(response, write=False)
        credentials = self._credentials_from_session(session, service=service)
        account = self._describe(credentials)
        account.extra.update({
            "email_confirmed": session.get("emailConfirmed"),
            "status": session.get("status") or "active",
            "app_password": str(_jwt_claims(credentials.access_token).get("scope", "")).startswith(
                "com.atproto.appPass"),
        })
        return account

    def refresh(self, credentials: Credentials) -> Credentials:
        if credentials.dpop_key:
            return self._refresh_oauth(credentials)
        if not credentials.refresh_token:
            raise AuthExpired("This Bluesky session has no refresh token; log in again with an app password.")
        service = (credentials.extra.get("service_url") or self.urls["api"]).rstrip("/")
        response = self.http.post(f"{service}/xrpc/com.atproto.server.refreshSession",
                                  headers={"Authorization": f"Bearer {credentials.refresh_token}"})
        if response.status_code in (400, 401):
            body = self._error_body(response)
            if body.get("error") in AUTH_ERRORS or response.status_code == 401:
                raise AuthExpired("Bluesky will not refresh this session any more; log in again with an app password.",
                                  status=response.status_code, code=body.get("error"))
        session = self._ok(response, write=False)
        fresh = self._credentials_from_session(session, service=service,
                                               known_pds=credentials.extra.get("pds_url"))
        fresh.extra = {**credentials.extra, **fresh.extra}
        return fresh

    def account_facts(self, credentials: Credentials, account_id: str) -> dict[str, Any]:
        """Where the account lives, shown on the channel page (the PDS is also in its credentials)."""
        return {"pds_url": self._pds(credentials)}

    def verify_credentials(self, credentials: Credentials, account_id: str) -> Account:
        session = self._xrpc(credentials, "GET", "com.atproto.server.getSession")
        if account_id and session.get("did") != account_id:
            raise AuthExpired("This Bluesky session belongs to a different account.", code="WrongAccount")
        status = session.get("status") or "active"
        if session.get("active") is False or status != "active":
            raise ProviderError(f"The Bluesky account is {status}.", permanent=True, code=status)
        credentials.extra["handle"] = session.get("handle") or credentials.extra.get("handle")
        return self._describe(credentials)

    def _credentials_from_session(self, session: dict[str, Any], *, service: str,
                                  known_pds: str | None = None) -> Credentials:
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
            profile = self._xrpc(credentials, "GET", "app.bsky.actor.getProfile", params={"actor": did})
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
            extra={"pds_url": credentials.extra.get("pds_url"), "followers": profile.get("followersCount")},
        )

    # ===== Publishing ====================================================================================

    def publish(self, credentials: Credentials, account_id: str, request: PublishRequest) -> PublishResult:
        if request.format != "post":
            raise ContentRejected(f"Bluesky has no {request.format}s; only regular posts.")
        images = [m for m in request.media if m.kind == "image"]
        videos = [m for m in request.media if m.kind == "video"]
        if len(images) + len(videos) != len(request.media):
            raise ContentRejected("Bluesky posts take images or a video only.")
        if images and videos:
            raise ContentRejected("A Bluesky post holds either images or one video, not both.")
        if len(images) > MAX_IMAGES:
            raise ContentRejected(f"A Bluesky post holds at most {MAX_IMAGES} images.")
        if len(videos) > 1:
            raise ContentRejected("A Bluesky post holds one video.")
        for item in videos:
            self._check_video(item)

        text = request.text
        if request.link and request.media and request.link not in text:
            # An embed is either media or a link card: keep the link visible in the text.
            text = f"{text.rstrip()}\n\n{request.link}" if text.strip() else request.link
        self._check_text(text)
        if request.first_comment:
            self._check_text(request.first_comment)

        did = self._did(credentials, account_id)
        rkey = tid_for_key(request.idempotency_key) if request.idempotency_key else None
        if rkey:
            # This attempt may already have gone out (a re-run task): answer with it, upload nothing.
            existing = self._get_record(credentials, did, POST, rkey)
            if existing is not None:
                result = self._result(credentials, existing["uri"], existing.get("cid", ""),
                                      raw={**existing, "existing": True})
                if request.first_comment:
                    comment = self._get_record(credentials, did, POST,
                                               tid_for_key(f"{request.idempotency_key}:first-comment"))
                    result.first_comment_id = comment["uri"] if comment else ""
                return result

        facets = self._facets(credentials, text)
        embed: dict[str, Any] | None = None
        if images:
            embed = {"$type": "app.bsky.embed.images",
                     "images": [self._image_embed(credentials, item) for item in images]}
        elif videos:
            embed = self._video_embed(credentials, did, videos[0])
        elif request.link:
            embed = self._link_card(credentials, request.link)

        record: dict[str, Any] = {"$type": POST, "text": text, "createdAt": _now_iso()}
        if facets:
            record["facets"] = facets
        if embed:
            record["embed"] = embed
        langs = self.config.extra.get("langs")
        if langs:
            record["langs"] = list(langs)[:3]

        created = self._create_post(credentials, did, record, rkey)
        result = self._result(credentials, created["uri"], created.get("cid", ""), raw=created)

        if request.first_comment:
            comment_key = f"{request.idempotency_key}:first-comment" if request.idempotency_key else None
            ref = {"uri": created["uri"], "cid": created.get("cid", "")}
            try:
                comment = self._post_reply(credentials, did, request.first_comment, root=ref, parent=ref,
                                           rkey=tid_for_key(comment_key) if comment_key else None)
                result.first_comment_id = comment["uri"]
            except ProviderError as exc:
                # The post is out; never fail (and so invite a re-publish) because of the comment.
                result.raw["first_comment_error"] = exc.message
        return result

    def _create_post(self, credentials: Credentials, did: str, record: dict[str, Any],
                     rkey: str | None) -> dict[str, Any]:
        body: dict[str, Any] = {"repo": did, "collection": POST, "record": record}
        if rkey:
            body["rkey"] = rkey
        try:
            return self._xrpc(credentials, "POST", "com.atproto.repo.createRecord", json=body, write=True)
        except (AuthExpired, RateLimited):
            raise
        except ProviderError as exc:
            if not rkey:
                raise
            # A write under an rkey that already exists fails (400 or 500 depending on the PDS), and a
            # 5xx may hide a write that went through: ask the repo before reporting a failure.
            if isinstance(exc, ContentRejected) and "exist" not in exc.message.lower() and exc.status != 409:
                raise
            try:
                existing = self._get_record(credentials, did, POST, rkey)
            except ProviderError:
                existing = None
            if existing is None:
                raise exc from None
            return {"uri": existing["uri"], "cid": existing.get("cid", ""), "existing": True}

    def find_existing(self, credentials: Credentials, account_id: str, request: PublishRequest,
                      since: datetime) -> PublishResult | None:
        did = self._did(credentials, account_id)
        if request.idempotency_key:
            found = self._get_record(credentials, did, POST, tid_for_key(request.idempotency_key))
            if found is None:
                return None
            return self._result(credentials, found["uri"], found.get("cid", ""), raw=found)
        # No key: walk the account's newest posts back to ``since`` looking for the same text.
        cursor: str | None = None
        for _ in range(int(self.config.extra.get("find_max_pages", 5))):
            params: dict[str, Any] = {"repo": did, "collection": POST, "limit": 100}
            if cursor:
                params["cursor"] = cursor
            page = self._xrpc(credentials, "GET", "com.atproto.repo.listRecords", params=params)
            records = page.get("records") or []
            oldest_seen = None
            for rec in records:
                value = rec.get("value") or {}
                created = _parse_dt(value.get("createdAt"))
                oldest_seen = created if oldest_seen is None or (created and created < oldest_seen) else oldest_seen
                if created and created < since:
                    continue
                if value.get("text", "").strip() == request.text.strip() and not value.get("reply"):
                    return self._result(credentials, rec["uri"], rec.get("cid", ""), raw=rec)
            # The PDS hands out a cursor with every non-empty page (listRecords.ts), so a short page is the end.
            cursor = page.get("cursor")
            if not cursor or len(records) < params["limit"] or (oldest_seen and oldest_seen < since):
                break
        return None

    def delete_post(self, credentials: Credentials, account_id: str, external_id: str) -> None:
        did = self._did(credentials, account_id)
        uri = self._post_uri(did, external_id)
        if uri.repo != did:
            raise ContentRejected("Only the account's own posts can be deleted on Bluesky.")
        self._xrpc(credentials, "POST", "com.atproto.repo.deleteRecord",
                   json={"repo": did, "collection": uri.collection, "rkey": uri.rkey}, write=True)

    def _result(self, credentials: Credentials, uri: str, cid: str, *, raw: dict[str, Any]) -> PublishResult:
        at = AtUri.parse(uri)
        who = credentials.extra.get("handle") or at.repo
        return PublishResult(status="published", external_id=uri,
                             url=f"{self.urls['web']}/profile/{who}/post/{at.rkey}",
                             raw={**raw, "uri": uri, "cid": cid, "rkey": at.rkey})

    # --- Text and facets --------------------------------------------------------------------------

    def _check_text(self, text: str) -> None:
        graphemes = count_graphemes(text)
        if graphemes > TEXT_GRAPHEMES:
            raise ContentRejected(
                f"Bluesky posts are limited to {TEXT_GRAPHEMES} characters (graphemes); this one has {graphemes}.",
                code="TextTooLong",
            )
        if len(text.encode("utf-8")) > TEXT_BYTES:
            raise ContentRejected(f"Bluesky posts are limited to {TEXT_BYTES} bytes of text.", code="TextTooLong")

    def _facets(self, credentials: Credentials, text: str) -> list[dict[str, Any]]:
        facets: list[dict[str, Any]] = []
        for m in _URL_RE.finditer(text):
            url = _trim_url(m.group(1))
            if len(url) <= len("https://"):
                continue
            facets.append({"index": _byte_span(text, m.start(1), m.start(1) + len(url)),
                           "features": [{"$type": "app.bsky.richtext.facet#link", "uri": url}]})
        resolved: dict[str, str | None] = {}
        for m in _MENTION_RE.finditer(text):
            handle = m.group(1).rstrip(".-")
            if not _HANDLE_RE.match(handle):
                continue
            key = handle.lower()
            if key not in resolved:
                resolved[key] = self._resolve_handle(credentials, key)
            if not resolved[key]:
                continue  # like the reference client: an unknown handle stays plain text
            facets.append({"index": _byte_span(text, m.start(), m.start(1) + len(handle)),
                           "features": [{"$type": "app.bsky.richtext.facet#mention", "did": resolved[key]}]})
        for m in _TAG_RE.finditer(text):
            tag = m.group(1)
            while tag and unicodedata.category(tag[-1]).startswith("P"):
                tag = tag[:-1]
            if not tag or tag.isdigit() or count_graphemes(tag) > 64 or len(tag.encode()) > 640:
                continue
            facets.append({"index": _byte_span(text, m.start(), m.start(1) + len(tag)),
                           "features": [{"$type": "app.bsky.richtext.facet#tag", "tag": tag}]})
        facets.sort(key=lambda f: f["index"]["byteStart"])
        return facets

    def _resolve_handle(self, credentials: Credentials, handle: str) -> str | None:
        try:
            body = self._xrpc(credentials, "GET", "com.atproto.identity.resolveHandle", params={"handle": handle})
        except (AuthExpired, RateLimited, TransientError):
            raise
        except ProviderError:
            return None
        did = body.get("did")
        return did if isinstance(did, str) and did.startswith("did:") else None

    # --- Media --------------------------------------------------------------------------------------

    @staticmethod
    def _bytes_of(item: MediaItem) -> bytes:
        if item.read is None:
            raise ProviderError("Bluesky takes uploads: the media item has no bytes to read.", permanent=True)
        data = item.read()
        if not data:
            raise ContentRejected("The media file is empty.")
        return data

    def _upload_blob(self, credentials: Credentials, data: bytes, mime: str) -> dict[str, Any]:
        body = self._xrpc(credentials, "POST", "com.atproto.repo.uploadBlob", content=data,
                          headers={"Content-Type": mime}, write=True)
        blob = body.get("blob")
        if not isinstance(blob, dict) or "ref" not in blob:
            raise TransientError("Bluesky answered the upload without a blob reference.")
        return blob

    def _image_embed(self, credentials: Credentials, item: MediaItem) -> dict[str, Any]:
        data = self._bytes_of(item)
        mime = (item.mime_type or "image/jpeg").lower()
        size = (item.width, item.height) if item.width and item.height else None
        if len(data) > IMAGE_MAX_BYTES or mime not in self.capabilities.image.mime_types:  # type: ignore[union-attr]
            data, mime, size = _fit_image(data, IMAGE_MAX_BYTES)
        elif size is None:
            size = _image_size(data)
        blob = self._upload_blob(credentials, data, mime)
        image: dict[str, Any] = {"alt": item.alt_text or "", "image": blob}
        if size:
            image["aspectRatio"] = {"width": size[0], "height": size[1]}
        return image

    @staticmethod
    def _check_video(item: MediaItem) -> None:
        if (item.mime_type or "").lower() != "video/mp4":
            raise ContentRejected("Bluesky takes videos as MP4 only.")
        if item.duration_seconds and item.duration_seconds > VIDEO_MAX_SECONDS:
            raise ContentRejected(f"Bluesky videos can be at most {VIDEO_MAX_SECONDS // 60} minutes long.")
        if item.size_bytes and item.size_bytes > VIDEO_MAX_BYTES:
            raise ContentRejected(f"Bluesky videos can be at most {VIDEO_MAX_BYTES // 1_000_000} MB.")

    def _video_embed(self, credentials: Credentials, did: str, item: MediaItem) -> dict[str, Any]:
        data = self._bytes_of(item)
        if len(data) > VIDEO_MAX_BYTES:
            raise ContentRejected(f"Bluesky videos can be at most {VIDEO_MAX_BYTES // 1_000_000} MB.")
        if self.config.extra.get("video_upload", "service") == "blob":
            blob = self._upload_blob(credentials, data, "video/mp4")
        else:
            blob = self._process_video(credentials, did, data, item)
        embed: dict[str, Any] = {"$type": "app.bsky.embed.video", "video": blob}
        if item.alt_text:
            embed["alt"] = item.alt_text
        if item.width and item.height:
            embed["aspectRatio"] = {"width": item.width, "height": item.height}
        return embed

    def _service_token(self, credentials: Credentials, aud: str, lxm: str, ttl: int) -> str:
        body = self._xrpc(credentials, "GET", "com.atproto.server.getServiceAuth",
                          params={"aud": aud, "lxm": lxm, "exp": int(time.time()) + ttl})
        token = body.get("token")
        if not token:
            raise TransientError("Bluesky did not hand out a service token.")
        return token

    def _process_video(self, credentials: Credentials, did: str, data: bytes, item: MediaItem) -> dict[str, Any]:
        """The recommended flow (docs.bsky.app/docs/tutorials/video): the video service transcodes
        the file, stores it on the PDS with a service token, and returns the blob to embed."""
        video = self.urls["video"].rstrip("/")
        limits_token = self._service_token(credentials, VIDEO_SERVICE_DID, "app.bsky.video.getUploadLimits", 60)
        limits = self._ok(self.http.get(f"{video}/xrpc/app.bsky.video.getUploadLimits",
                                        headers={"Authorization": f"Bearer {limits_token}"}), write=False)
        if limits.get("canUpload") is False or limits.get("remainingDailyVideos") == 0 or (
                isinstance(limits.get("remainingDailyBytes"), int) and limits["remainingDailyBytes"] < len(data)):
            raise ContentRejected(limits.get("message") or limits.get("error")
                                  or "Bluesky will not take another video from this account today.",
                                  code="VideoUploadLimit")

        pds_host = urlsplit(self._pds(credentials)).netloc
        upload_token = self._service_token(credentials, f"did:web:{pds_host.replace(':', '%3A')}",
                                           "com.atproto.repo.uploadBlob", 1800)
        name = (urlsplit(item.url).path.rsplit("/", 1)[-1] if item.url else "") or "video.mp4"
        response = self.http.post(f"{video}/xrpc/app.bsky.video.uploadVideo",
                                  params={"did": did, "name": name}, content=data,
                                  headers={"Authorization": f"Bearer {upload_token}", "Content-Type": "video/mp4"})
        if response.status_code == 409 or (400 <= response.status_code < 500 and response.status_code != 429):
            status = self._job_status(self._error_body(response))
            if not status.get("blob") and not status.get("jobId"):
                raise ContentRejected(status.get("message") or status.get("error")
                                      or f"Bluesky's video service refused the upload (HTTP {response.status_code}).",
                                      status=response.status_code, code=status.get("error"))
        else:
            status = self._job_status(self._ok(response, write=True))

        interval = float(self.config.extra.get("poll_interval", 1.0))
        deadline = time.monotonic() + float(self.config.extra.get("video_poll_timeout", 300))
        while True:
            if status.get("blob"):
                return status["blob"]  # also the answer for "already_exists"
            if status.get("state") == "JOB_STATE_FAILED":
                raise ContentRejected(status.get("message") or status.get("error")
                                      or "Bluesky could not process the video.", code=status.get("failureCode"))
            job_id = status.get("jobId")
            if not job_id:
                raise TransientError("Bluesky's video service answered without a job id.")
            if time.monotonic() > deadline:
                raise TransientError("Bluesky is still processing the video; try again later.")
            if interval > 0:
                time.sleep(interval)
            polled = self._ok(self.http.get(f"{video}/xrpc/app.bsky.video.getJobStatus",
                                            params={"jobId": job_id}), write=False)
            status = self._job_status(polled)

    @staticmethod
    def _job_status(body: dict[str, Any]) -> dict[str, Any]:
        # The lexicon wraps it in {"jobStatus": …}; uploadVideo answers it bare (atproto#3026).
        inner = body.get("jobStatus")
        return inner if isinstance(inner, dict) else body

    def _link_card(self, credentials: Credentials, link: str) -> dict[str, Any]:
        external: dict[str, Any] = {"uri": link, "title": "", "description": ""}
        if self.config.extra.get("link_preview", True):
            page = self._fetch_page(link)
            if page:
                parser = _CardParser()
                try:
                    parser.feed(page[1])
                except Exception:  # noqa: BLE001, S110 - a broken page only costs the card its text
                    pass
                meta = parser.meta
                external["title"] = (meta.get("og:title") or meta.get("twitter:title") or parser.title).strip()[:300]
                external["description"] = (meta.get("og:description") or meta.get("description")
                                           or meta.get("twitter:description") or "").strip()[:1000]
                image_url = meta.get("og:image") or meta.get("twitter:image")
                if image_url:
                    thumb = self._thumb(credentials, urljoin(page[0], image_url))
                    if thumb:
                        external["thumb"] = thumb
        if not external["title"]:
            external["title"] = link
        return {"$type": "app.bsky.embed.external", "external": external}

    def _fetch_page(self, url: str) -> tuple[str, str] | None:
        """The HTML behind a link (following a few redirects), or None; a card is best effort."""
        for _ in range(4):
            try:
                response = self.http.get(url, headers={"Accept": "text/html"})
            except ProviderError:
                return None
            if response.status_code in (301, 302, 303, 307, 308) and response.headers.get("location"):
                url = urljoin(url, response.headers["location"])
                continue
            if response.status_code != 200 or "html" not in response.headers.get("content-type", "html"):
                return None
            return url, response.text[:500_000]
        return None

    def _thumb(self, credentials: Credentials, url: str) -> dict[str, Any] | None:
        try:
            response = self.http.get(url)
        except ProviderError:
            return None
        if response.status_code != 200 or not response.content or len(response.content) > 20_000_000:
            return None
        data, mime = response.content, response.headers.get("content-type", "image/jpeg").split(";")[0].strip()
        try:
            if len(data) > IMAGE_MAX_BYTES or mime not in self.capabilities.image.mime_types:  # type: ignore[union-attr]
                data, mime, _ = _fit_image(data, IMAGE_MAX_BYTES)
            return self._upload_blob(credentials, data, mime)
        except ContentRejected:
            return None  # the card goes out without a picture

    # ===== Engagement ======================================================================================

    def fetch_inbox(self, credentials: Credentials, account_id: str, cursor: str | None = None) -> InboxPage:
        """Replies, mentions and quotes newer than ``cursor``.

        listNotifications pages from newest to oldest; we walk back until we meet what the last
        call already returned, and hand out a cursor holding the newest ``indexedAt`` seen (plus
        the URIs at that instant, so ties are neither lost nor repeated).
        """
        did = self._did(credentials, account_id)
        after, seen_uris = self._decode_inbox_cursor(cursor)
        items: list[InboxItem] = []
        newest = after
        newest_uris: set[str] = set(seen_uris)
        page_cursor: str | None = None
        for _ in range(int(self.config.extra.get("inbox_max_pages", 5))):
            params: dict[str, Any] = {"limit": 100, "reasons": list(INBOX_REASONS)}
            if page_cursor:
                params["cursor"] = page_cursor
            if after:
                params["seenAt"] = after.isoformat(timespec="milliseconds").replace("+00:00", "Z")
            page = self._xrpc(credentials, "GET", "app.bsky.notification.listNotifications", params=params)
            notifications = page.get("notifications") or []
            reached_seen = False
            for note in notifications:
                indexed = _parse_dt(note.get("indexedAt"))
                if after and indexed and (indexed < after or (indexed == after and note.get("uri") in seen_uris)):
                    reached_seen = True
                    continue
                if note.get("reason") not in INBOX_REASONS:
                    continue
                items.append(self._inbox_item(did, note))
                if indexed and (newest is None or indexed > newest):
                    newest, newest_uris = indexed, {note.get("uri", "")}
                elif indexed and indexed == newest:
                    newest_uris.add(note.get("uri", ""))
            page_cursor = page.get("cursor")
            if reached_seen or not page_cursor or not notifications:
                break
        return InboxPage(items=items, cursor=self._encode_inbox_cursor(newest, newest_uris) if newest else cursor)

    @staticmethod
    def _encode_inbox_cursor(after: datetime, uris: set[str]) -> str:
        payload = {"v": 1, "after": after.isoformat(), "uris": sorted(u for u in uris if u)}
        return base64.urlsafe_b64encode(json.dumps(payload, separators=(",", ":")).encode()).decode()

    @staticmethod
    def _decode_inbox_cursor(cursor: str | None) -> tuple[datetime | None, set[str]]:
        if not cursor:
            return None, set()
        try:
            payload = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
            return _parse_dt(payload["after"]), set(payload.get("uris") or [])
        except (ValueError, KeyError, TypeError):
            return None, set()

    def _inbox_item(self, did: str, note: dict[str, Any]) -> InboxItem:
        record = note.get("record") or {}
        reply = record.get("reply") or {}
        root_uri = (reply.get("root") or {}).get("uri", "")
        parent_uri = (reply.get("parent") or {}).get("uri", "")
        reason = note.get("reason")
        author = note.get("author") or {}
        uri = note.get("uri", "")
        if reason == "reply":
            kind = "comment" if parent_uri.startswith(f"at://{did}/") else "reply"
            post_id = root_uri if root_uri.startswith(f"at://{did}/") else (note.get("reasonSubject") or root_uri)
        elif reason == "quote":
            kind, post_id = "mention", note.get("reasonSubject") or ""
        else:
            kind, post_id = "mention", root_uri if root_uri.startswith(f"at://{did}/") else ""
        handle = author.get("handle") or author.get("did", "")
        rkey = uri.rsplit("/", 1)[-1] if uri else ""
        return InboxItem(
            external_id=uri,
            kind=kind,
            text=record.get("text", ""),
            author_id=author.get("did", ""),
            author_name=author.get("displayName") or handle,
            author_handle=handle,
            created_at=_parse_dt(record.get("createdAt")) or _parse_dt(note.get("indexedAt")),
            post_external_id=post_id,
            parent_external_id=parent_uri,
            thread_id=root_uri or uri,
            permalink=f"{self.urls['web']}/profile/{handle}/post/{rkey}" if rkey else "",
            raw=note,
        )

    def reply(self, credentials: Credentials, account_id: str, item: InboxItem, text: str) -> str:
        self._check_text(text)
        did = self._did(credentials, account_id)
        parent_uri = item.external_id
        # Always ask: the PDS writes a reply to a deleted post without complaint (it checks the
        # record's shape, not that its parent exists: packages/pds/src/repo/prepare.ts), and
        # nobody would ever see that answer.
        view = self._get_posts(credentials, [parent_uri]).get(parent_uri)
        if view is None:
            raise ContentRejected("That Bluesky post no longer exists, so the reply was not sent.",
                                  code="ParentDeleted")
        cid, record = view.get("cid"), view.get("record") or {}
        parent = {"uri": parent_uri, "cid": cid}
        root = (record.get("reply") or {}).get("root") or parent
        created = self._post_reply(credentials, did, text, root={"uri": root["uri"], "cid": root["cid"]},
                                   parent=parent)
        return created["uri"]

    def _post_reply(self, credentials: Credentials, did: str, text: str, *, root: dict[str, str],
                    parent: dict[str, str], rkey: str | None = None) -> dict[str, Any]:
        record: dict[str, Any] = {"$type": POST, "text": text, "createdAt": _now_iso(),
                                  "reply": {"root": root, "parent": parent}}
        facets = self._facets(credentials, text)
        if facets:
            record["facets"] = facets
        langs = self.config.extra.get("langs")
        if langs:
            record["langs"] = list(langs)[:3]
        return self._create_post(credentials, did, record, rkey)

    def hide_comment(self, credentials: Credentials, account_id: str, external_id: str, hidden: bool = True) -> None:
        """Add (or remove) the reply in the root post's threadgate ``hiddenReplies``.

        Only the author of the thread's root post can hide replies in it, so the root must be one
        of this account's posts. Any reply rules already on the threadgate (``allow``) are kept.
        """
        did = self._did(credentials, account_id)
        view = self._get_posts(credentials, [external_id]).get(external_id)
        if view is None:
            raise ContentRejected("That Bluesky reply no longer exists.")
        root_uri = (((view.get("record") or {}).get("reply") or {}).get("root") or {}).get("uri")
        if not root_uri:
            raise ContentRejected("Only replies can be hidden on Bluesky; this post is not a reply.")
        root = AtUri.parse(root_uri)
        if root.repo != did:
            raise ContentRejected("Bluesky only lets the author of a thread hide replies in it.")
        gate = self._get_record(credentials, did, THREADGATE, root.rkey)
        value = dict(gate["value"]) if gate else {}
        current = [u for u in value.get("hiddenReplies") or [] if isinstance(u, str)]
        if hidden:
            if external_id in current:
                return
            if len(current) >= HIDDEN_REPLIES_MAX:
                raise ContentRejected(f"Bluesky hides at most {HIDDEN_REPLIES_MAX} replies per thread.")
            wanted = [*current, external_id]
        else:
            if external_id not in current:
                return
            wanted = [u for u in current if u != external_id]
        if gate is None:
            record = {"$type": THREADGATE, "post": root_uri, "createdAt": _now_iso(), "hiddenReplies": wanted}
            self._xrpc(credentials, "POST", "com.atproto.repo.createRecord", write=True,
                       json={"repo": did, "collection": THREADGATE, "rkey": root.rkey, "record": record})
            return
        value.update({"$type": THREADGATE, "post": value.get("post") or root_uri, "hiddenReplies": wanted})
        value.setdefault("createdAt", _now_iso())
        self._xrpc(credentials, "POST", "com.atproto.repo.putRecord", write=True,
                   json={"repo": did, "collection": THREADGATE, "rkey": root.rkey, "record": value,
                         "swapRecord": gate.get("cid")})

    def delete_comment(self, credentials: Credentials, account_id: str, external_id: str) -> None:
        did = self._did(credentials, account_id)
        uri = AtUri.parse(external_id)
        if uri.repo != did:
            raise ContentRejected("Bluesky does not let you delete other people's replies; hide the reply instead.")
        self._xrpc(credentials, "POST", "com.atproto.repo.deleteRecord",
                   json={"repo": did, "collection": uri.collection, "rkey": uri.rkey}, write=True)

    # ===== Metrics =========================================================================================

    def fetch_account_metrics(self, credentials: Credentials, account_id: str, since: date,
                              until: date) -> list[DailyAccountMetrics]:
        """Bluesky has no history or impressions: today's follower count, when today is in range."""
        did = self._did(credentials, account_id)
        today = datetime.now(UTC).date()
        if not since <= today <= until:
            return []
        profile = self._xrpc(credentials, "GET", "app.bsky.actor.getProfile", params={"actor": did})
        return [DailyAccountMetrics(day=today, followers=profile.get("followersCount"))]

    def fetch_post_metrics(self, credentials: Credentials, account_id: str,
                           external_ids: list[str]) -> list[PostMetrics]:
        did = self._did(credentials, account_id)
        uris = [str(self._post_uri(did, e)) for e in external_ids]
        views = self._get_posts(credentials, uris)
        metrics = []
        for external_id, uri in zip(external_ids, uris, strict=True):
            view = views.get(uri)
            if view is None:
                continue
            reposts, quotes = view.get("repostCount"), view.get("quoteCount")
            metrics.append(PostMetrics(
                external_id=external_id,
                likes=view.get("likeCount"),
                comments=view.get("replyCount"),
                shares=(reposts or 0) + (quotes or 0) if reposts is not None or quotes is not None else None,
                saves=view.get("bookmarkCount"),
            ))
        return metrics

    def _get_posts(self, credentials: Credentials, uris: list[str]) -> dict[str, dict[str, Any]]:
        views: dict[str, dict[str, Any]] = {}
        for i in range(0, len(uris), GET_POSTS_MAX):
            body = self._xrpc(credentials, "GET", "app.bsky.feed.getPosts", params={"uris": uris[i:i + GET_POSTS_MAX]})
            for view in body.get("posts") or []:
                if isinstance(view, dict) and view.get("uri"):
                    views[view["uri"]] = view
        return views

    # ===== XRPC plumbing ====================================================================================

    def _pds(self, credentials: Credentials) -> str:
        return (credentials.extra.get("pds_url") or credentials.extra.get("service_url") or self.urls["api"]).rstrip("/")

    @staticmethod
    def _did(credentials: Credentials, account_id: str) -> str:
        did = account_id or credentials.extra.get("did")
        if not did:
            raise ProviderError("The Bluesky account's DID is unknown.", permanent=True)
        return did

    @staticmethod
    def _post_uri(did: str, external_id: str) -> AtUri:
        if external_id.startswith("at://"):
            return AtUri.parse(external_id)
        return AtUri(did, POST, external_id)  # a bare rkey

    def _get_record(self, credentials: Credentials, did: str, collection: str, rkey: str) -> dict[str, Any] | None:
        try:
            return self._xrpc(credentials, "GET", "com.atproto.repo.getRecord",
                              params={"repo": did, "collection": collection, "rkey": rkey})
        except ProviderError as exc:
            if exc.code == "RecordNotFound" or (exc.status == 404 and exc.code is None):
                return None
            raise

    def _xrpc(self, credentials: Credentials, method: str, nsid: str, *, params: dict[str, Any] | None = None,
              json: Any = None, content: bytes | None = None, headers: dict[str, str] | None = None,
              write: bool = False) -> dict[str, Any]:
        """Every call made as the account. An access token lives two hours; when it has run out (we
        know from its ``exp``, or the PDS answers ``ExpiredToken``/``invalid_token``) the session is
        renewed once and the call sent again: the PDS checks the token before it acts on anything, so
        the retry cannot write twice. Only a refused refresh means the account must sign in again."""
        if self._expired(credentials):
            self._renew(credentials)
        response = self._authorized(credentials, method, f"{self._pds(credentials)}/xrpc/{nsid}", params=params,
                                    json=json, content=content, headers=headers)
        if self._session_ran_out(response) and credentials.refresh_token:
            self._renew(credentials)
            response = self._authorized(credentials, method, f"{self._pds(credentials)}/xrpc/{nsid}",
                                        params=params, json=json, content=content, headers=headers)
        return self._ok(response, write=write)

    @staticmethod
    def _expired(credentials: Credentials) -> bool:
        return bool(credentials.refresh_token and credentials.expires_at is not None
                    and credentials.expires_at <= datetime.now(UTC) + EXPIRY_MARGIN)

    def _session_ran_out(self, response: httpx.Response) -> bool:
        """The PDS refused the access token itself: 400 ``ExpiredToken``/``InvalidToken`` for a session
        JWT (packages/pds/src/auth-verifier.ts, verifyBearerJwt), 401 ``invalid_token`` for a DPoP one
        (the OAuth verifier's error, passed through by the same file)."""
        if response.status_code not in (400, 401):
            return False
        return self._error_body(response).get("error") in SESSION_ERRORS

    def _renew(self, credentials: Credentials) -> None:
        """Refresh the session in place. With a ``refresher`` (a stored channel) the refresh happens under
        the channel's lock and is saved; a second worker then gets the already-fresh credentials."""
        fresh = credentials.refresher(credentials) if credentials.refresher else self.refresh(credentials)
        credentials.replace_with(fresh)

    def _ok(self, response: httpx.Response, *, write: bool) -> dict[str, Any]:
        if 200 <= response.status_code < 300:
            if not response.content:
                return {}
            body = json_or_error(response)
            if not isinstance(body, dict):
                raise TransientError(f"Bluesky answered HTTP {response.status_code} with an unexpected body.",
                                     status=response.status_code)
            return body
        self._raise_for(response, write=write)

    @staticmethod
    def _error_body(response: httpx.Response) -> dict[str, Any]:
        try:
            body = response.json()
        except ValueError:
            return {}
        return body if isinstance(body, dict) else {}

    def _raise_for(self, response: httpx.Response, *, write: bool) -> NoReturn:
        status = response.status_code
        body = self._error_body(response)
        error = body.get("error") if isinstance(body.get("error"), str) else None
        message = body.get("message") if isinstance(body.get("message"), str) else ""
        if status == 429 or error == "RateLimitExceeded":
            raise RateLimited(f"Bluesky rate limit: {message or 'Rate Limit Exceeded'}",
                              retry_after=self._retry_after(response), status=status, code=error or "RateLimitExceeded")
        if status == 401 or error in AUTH_ERRORS:
            raise AuthExpired(f"Bluesky no longer accepts this session ({error or status}); "
                              "refresh it or log in again with an app password.", status=status, code=error)
        if error in ACCOUNT_ERRORS:
            raise ProviderError(f"Bluesky: {message or error}", permanent=True, status=status, code=error)
        if status >= 500:
            raise TransientError(f"Bluesky answered HTTP {status}{f' ({error})' if error else ''}: "
                                 f"{message or 'server error'}", status=status, code=error)
        if status == 413 and write:
            raise ContentRejected(message or "Bluesky refused the upload as too large.", status=status, code=error)
        if not body:
            json_or_error(response)  # non-JSON error page → TransientError naming what came back
            raise TransientError(f"Bluesky answered HTTP {status} without an error body.", status=status)
        text = message or error or f"HTTP {status}"
        if error in ("InvalidSwap", "ConcurrentWrites"):
            raise TransientError(f"Bluesky: {text}", status=status, code=error)
        if write and status in (400, 409, 413, 422):
            raise ContentRejected(text, status=status, code=error)
        raise ProviderError(f"Bluesky: {text}", permanent=True, status=status, code=error)

    @staticmethod
    def _retry_after(response: httpx.Response) -> float:
        reset = response.headers.get("ratelimit-reset")
        if reset:
            try:
                return max(1.0, float(reset) - time.time())
            except ValueError:
                pass
        retry = response.headers.get("retry-after")
        if retry:
            try:
                return max(1.0, float(retry))
            except ValueError:
                pass
        return 60.0


# --- Images ------------------------------------------------------------------------------------------------

def _image_size(data: bytes) -> tuple[int, int] | None:
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(data)) as img:
            return img.size
    except (UnidentifiedImageError, OSError):
        return None


def _fit_image(data: bytes, limit: int) -> tuple[bytes, str, tuple[int, int]]:
    """Re-encode as JPEG under ``limit`` bytes: lower the quality first, then downscale."""
    from PIL import Image, ImageOps, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(data)) as opened:
            img = ImageOps.exif_transpose(opened)
            img.load()
    except (UnidentifiedImageError, OSError) as exc:
        raise ContentRejected("The image could not be read to fit Bluesky's 1 MB limit.") from exc
    if img.mode in ("RGBA", "LA", "P"):
        img = img.convert("RGBA")
        flat = Image.new("RGB", img.size, (255, 255, 255))
        flat.paste(img, mask=img.getchannel("A"))
        img = flat
    elif img.mode != "RGB":
        img = img.convert("RGB")
    width, height = img.size
    for scale in (1.0, 0.85, 0.7, 0.55, 0.4, 0.3, 0.2, 0.1):
        candidate = img if scale == 1.0 else img.resize(
            (max(1, round(width * scale)), max(1, round(height * scale))), Image.Resampling.LANCZOS)
        for quality in (90, 82, 75, 65, 55, 45):
            buf = io.BytesIO()
            candidate.save(buf, "JPEG", quality=quality, optimize=True, progressive=True)
            if buf.tell() <= limit:
                return buf.getvalue(), "image/jpeg", candidate.size
    raise ContentRejected("The image could not be made small enough for Bluesky (1 MB).")


__all__ = ["BlueskyProvider", "tid_for_key"]
