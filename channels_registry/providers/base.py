"""The one interface every network implements (after healthchecks' transports).

A provider is a plain Python class: it knows its network's documented HTTP API and nothing of
our database. Callers hand it decrypted :class:`Credentials` and the account's external id and
get dataclasses back; failures are the typed errors in ``errors.py``. Capabilities and limits
are class attributes so the composer, validators and the scheduler can ask without calling out.

A new network = one package here (``providers/<network>/``: client, connect, publish, inbox,
metrics, webhooks as it needs, composed into one class by its ``__init__``) + its fake in
``tests/fakes/`` + its contract tests + one line in ``providers/__init__.py``. An unsuccessful
HTTP answer becomes a typed error through the shared table (``errors.STATUS_ERRORS``) with the
network's own rows (``Provider.status_errors``).
"""

from __future__ import annotations

import hashlib
import hmac
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, ClassVar

from ..http import HttpClient
from .errors import ProviderError, StatusRule, error_for_status

# --- Capabilities --------------------------------------------------------------------------


@dataclass(frozen=True)
class MediaSpec:
    """Limits for one kind of media on one network (``None`` = no documented limit)."""

    max_bytes: int | None = None
    min_width: int | None = None
    max_width: int | None = None
    min_aspect: float | None = None  # width / height
    max_aspect: float | None = None
    min_seconds: float | None = None  # video only
    max_seconds: float | None = None
    mime_types: tuple[str, ...] = ()


@dataclass(frozen=True)
class Capabilities:
    text_limit: int
    #: how text length is counted, for people (``Provider.count_text`` counts): "chars",
    #: "graphemes" (Bluesky, Mastodon), "weighted" (X: links 23, CJK and emoji 2)
    text_counting: str = "chars"
    #: every link counts as this many characters (X, Mastodon); None: a link counts as typed
    link_length: int | None = None
    #: the post's link goes out inside its text (X, Mastodon), so it counts against the limit there;
    #: otherwise the network attaches it as a card or a field of its own
    link_in_text: bool = False
    #: where the network's feed cuts a post's text behind "…more" / "See more": after this many
    #: characters or this many lines, whichever comes first (None: the feed shows it all)
    feed_cut_chars: int | None = None
    feed_cut_lines: int | None = None
    image: MediaSpec | None = None
    video: MediaSpec | None = None
    max_images: int = 1
    max_videos: int = 1
    mixed_media: bool = False
    link_posts: bool = True
    first_comment: bool = False
    stories: bool = False
    reels: bool = False
    carousel: bool = False
    #: publishing returns "pending" and must be polled with ``check_publish`` (IG containers, YouTube, TikTok)
    async_publish: bool = False
    #: posts per account per 24 h the network allows through its API (None = no documented cap)
    daily_publish_cap: int | None = None
    comments_api: bool = True
    direct_messages: bool = False
    hide_comments: bool = False
    delete_comments: bool = True
    #: the account can like (favourite) a comment or reply through the API, and take it back
    like_comments: bool = False
    webhooks: bool = False
    #: "oauth2", "oauth2_pkce", "app_password", "instance_oauth2" (Mastodon: register app per instance),
    #: "atproto" (Bluesky: a handle, then atproto OAuth with PAR + PKCE + DPoP, or handle + app password)
    auth_kind: str = "oauth2"
    #: what people read when a post carries no image or video on a network that publishes none
    #: without (Instagram), with ``%(variant)s`` for the channel; empty: media is optional
    media_required_message: str = ""
    #: the short mark that stands in for the network's logo (calendar chips; no logos are bundled)
    mark: str = "•"
    #: the request headers a webhook push is verified and recognised by (signature, delivery id),
    #: kept with the stored delivery
    webhook_headers: tuple[str, ...] = ()
    #: the network's general engagement pattern: (weekday 0 = Monday, local hours best first) pairs,
    #: summarised from published industry studies (Sprout Social, Hootsuite, 2024); empty: none known
    best_hours: tuple[tuple[int, tuple[int, ...]], ...] = ()
    #: people can hold roles on the account at the network itself, given outside the product
    #: (offboarding lists them as follow-up tasks); False for a network without such roles
    network_roles: bool = True
    #: the network's page where those roles are removed by hand; empty: the channel's own page
    roles_page: str = ""


# --- Values passed in and out --------------------------------------------------------------


@dataclass
class Credentials:
    """Decrypted secrets for one channel. Lives in memory only; never logged or rendered."""

    access_token: str
    refresh_token: str | None = None
    expires_at: datetime | None = None
    refresh_expires_at: datetime | None = None
    scopes: tuple[str, ...] = ()
    #: network-specific non-secret context (instance URL, DID and PDS, page id, IG user id …)
    extra: dict[str, Any] = field(default_factory=dict)
    #: the private JWK the tokens are bound to (DPoP, RFC 9449: atproto OAuth); secret like the tokens
    dpop_key: dict[str, str] | None = None
    #: how to renew these credentials when the network says the access token expired in the middle
    #: of a call: takes these (stale) credentials, returns fresh ones it has already stored.
    #: ``channels_registry.selectors.credentials_for`` sets it (a locked, stored refresh, so a rotating
    #: refresh token is never spent twice); without it a provider refreshes on its own.
    refresher: Callable[[Credentials], Credentials] | None = field(
        default=None, repr=False, compare=False
    )

    def replace_with(self, fresh: Credentials) -> None:
        """Take over ``fresh``'s tokens in place, so every holder of this object uses the new session."""
        self.access_token, self.refresh_token = fresh.access_token, fresh.refresh_token
        self.expires_at, self.refresh_expires_at = fresh.expires_at, fresh.refresh_expires_at
        self.scopes, self.extra, self.dpop_key = fresh.scopes, dict(fresh.extra), fresh.dpop_key

    def __repr__(self) -> str:  # never show tokens in logs or tracebacks
        return f"Credentials(expires_at={self.expires_at!r}, scopes={self.scopes!r}, extra_keys={sorted(self.extra)!r})"


@dataclass
class Account:
    """One page / profile / organization that a grant lets us add as a channel."""

    external_id: str
    handle: str
    name: str
    credentials: Credentials
    avatar_url: str = ""
    url: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class MediaItem:
    kind: str  # "image" | "video"
    #: a signed, expiring public URL served by us (for networks that pull media)
    url: str
    #: returns the file's bytes (for networks that take uploads)
    read: Callable[[], bytes] | None = None
    mime_type: str = "image/jpeg"
    width: int | None = None
    height: int | None = None
    size_bytes: int | None = None
    duration_seconds: float | None = None
    alt_text: str = ""


@dataclass
class PublishRequest:
    text: str
    media: list[MediaItem] = field(default_factory=list)
    link: str | None = None
    #: "post" | "story" | "reel"
    format: str = "post"
    first_comment: str | None = None
    #: unique per attempt; sent where the network accepts one, else used to find the post again
    idempotency_key: str | None = None


@dataclass
class PublishResult:
    #: "published" | "pending" (poll ``check_publish`` with ``pending_ref``)
    status: str
    external_id: str = ""
    url: str = ""
    pending_ref: str = ""
    first_comment_id: str = ""
    raw: dict[str, Any] = field(default_factory=dict)


@dataclass
class InboxItem:
    external_id: str
    #: "comment" | "reply" | "mention" | "dm" | "review"
    kind: str
    text: str
    author_id: str
    author_name: str = ""
    author_handle: str = ""
    created_at: datetime | None = None
    post_external_id: str = ""
    parent_external_id: str = ""
    thread_id: str = ""
    permalink: str = ""
    is_hidden: bool = False
    raw: dict[str, Any] = field(default_factory=dict)


@dataclass
class InboxPage:
    items: list[InboxItem]
    #: opaque; pass back to get only newer items next time
    cursor: str | None = None


@dataclass
class DailyAccountMetrics:
    day: date
    followers: int | None = None
    impressions: int | None = None
    reach: int | None = None
    engagements: int | None = None
    profile_views: int | None = None


@dataclass
class PostMetrics:
    external_id: str
    impressions: int | None = None
    reach: int | None = None
    likes: int | None = None
    comments: int | None = None
    shares: int | None = None
    saves: int | None = None
    clicks: int | None = None
    video_views: int | None = None


@dataclass
class WebhookRequest:
    method: str
    headers: dict[str, str]  # lower-cased names
    query: dict[str, str]
    body: bytes


@dataclass
class WebhookEvent:
    """One normalized event from a push: which account it concerns and what arrived."""

    account_external_id: str
    kind: str  # "inbox_item" | "post_status" | "deauthorized" | "other"
    item: InboxItem | None = None
    raw: dict[str, Any] = field(default_factory=dict)


@dataclass
class ProviderConfig:
    """App credentials and base URLs (overridable, so tests point at the fakes)."""

    client_id: str = ""
    client_secret: str = ""
    urls: dict[str, str] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)


# --- The interface ------------------------------------------------------------------------


class Provider:
    key: ClassVar[str]
    name: ClassVar[str]
    capabilities: ClassVar[Capabilities]
    #: documented production URLs; ``ProviderConfig.urls`` overrides any of them
    default_urls: ClassVar[dict[str, str]] = {}
    default_scopes: ClassVar[tuple[str, ...]] = ()
    #: this network's rows of the HTTP status → typed error table (``errors.STATUS_ERRORS``)
    status_errors: ClassVar[Mapping[int | str, StatusRule]] = {}

    @classmethod
    def count_text(cls, text: str) -> int:
        """The length of ``text`` as this network counts it against ``capabilities.text_limit``.

        The default counts code points after NFC normalization (what Facebook, Instagram and
        LinkedIn document as characters); networks with their own rule override it.
        """
        return len(unicodedata.normalize("NFC", text or ""))

    @classmethod
    def live_url(cls, channel, external_id: str, stored_url: str, *, org_slug: str = "") -> str:
        """Where a published post can be seen now. A network's own URL does not move: the one it
        answered at publish time (``stored_url``). A network served by this app (the Sandbox) says
        where its page is today, on today's ``SITE_URL``."""
        return stored_url

    def __init__(self, config: ProviderConfig | None = None, *, http: HttpClient | None = None):
        self.config = config or ProviderConfig()
        self.http = http or HttpClient()
        self.urls = {**self.default_urls, **self.config.urls}

    # OAuth / connection ---------------------------------------------------------------------
    def authorization_url(
        self,
        *,
        redirect_uri: str,
        state: str,
        code_verifier: str | None = None,
        extra: dict[str, Any] | None = None,
    ) -> str:
        """The consent URL. A provider may add to ``extra`` what its ``exchange_code`` needs again
        (atproto: the DPoP key and the servers it resolved); the caller keeps it encrypted."""
        raise NotImplementedError

    def exchange_code(
        self,
        *,
        code: str,
        redirect_uri: str,
        code_verifier: str | None = None,
        extra: dict[str, Any] | None = None,
    ) -> list[Account]:
        """Trade the callback's code for tokens and list the accounts the grant covers.

        ``extra`` is the attempt's secret context: what ``authorization_url`` added to its own
        ``extra`` (it is stored encrypted between the two), plus ``callback_iss``, the ``iss``
        parameter of the callback (RFC 9207) when the network sent one.
        """
        raise NotImplementedError

    def refresh(self, credentials: Credentials) -> Credentials:
        """New credentials before expiry; AuthExpired when the network will not refresh."""
        raise NotImplementedError

    def verify_credentials(self, credentials: Credentials, account_id: str) -> Account:
        """Health check: who does this token act as? AuthExpired when it no longer works."""
        raise NotImplementedError

    def account_facts(self, credentials: Credentials, account_id: str) -> dict[str, Any]:
        """Facts about the account's server to keep on the channel (``Channel.metadata``), asked at
        the health check: e.g. a Mastodon instance's own ``max_characters``. Empty: nothing to keep."""
        return {}

    # Publishing -----------------------------------------------------------------------------
    def publish(
        self, credentials: Credentials, account_id: str, request: PublishRequest
    ) -> PublishResult:
        raise NotImplementedError

    def check_publish(
        self, credentials: Credentials, account_id: str, pending_ref: str
    ) -> PublishResult:
        """For async networks: poll a pending publish until published (or an error)."""
        raise NotImplementedError

    def find_existing(
        self, credentials: Credentials, account_id: str, request: PublishRequest, since: datetime
    ) -> PublishResult | None:
        """Did an earlier, unconfirmed attempt of ``request`` go out? Look it up, don't guess."""
        raise NotImplementedError

    def delete_post(self, credentials: Credentials, account_id: str, external_id: str) -> None:
        raise NotImplementedError

    # Engagement -----------------------------------------------------------------------------
    def fetch_inbox(
        self, credentials: Credentials, account_id: str, cursor: str | None = None
    ) -> InboxPage:
        raise NotImplementedError

    def reply(self, credentials: Credentials, account_id: str, item: InboxItem, text: str) -> str:
        """Answer a comment, mention or DM; returns the reply's external id."""
        raise NotImplementedError

    def hide_comment(
        self, credentials: Credentials, account_id: str, external_id: str, hidden: bool = True
    ) -> None:
        raise NotImplementedError

    def delete_comment(self, credentials: Credentials, account_id: str, external_id: str) -> None:
        raise NotImplementedError

    def like_comment(
        self, credentials: Credentials, account_id: str, external_id: str, liked: bool = True
    ) -> None:
        """Like a comment as the account (``liked``), or take the like back; where
        ``capabilities.like_comments``."""
        raise NotImplementedError

    # Metrics --------------------------------------------------------------------------------
    def fetch_account_metrics(
        self, credentials: Credentials, account_id: str, since: date, until: date
    ) -> list[DailyAccountMetrics]:
        raise NotImplementedError

    def fetch_post_metrics(
        self, credentials: Credentials, account_id: str, external_ids: list[str]
    ) -> list[PostMetrics]:
        raise NotImplementedError

    # Webhooks -------------------------------------------------------------------------------
    def webhook_handshake(self, request: WebhookRequest) -> tuple[int, str, str] | None:
        """Answer a subscription check (Meta hub.challenge, X CRC): (status, content type, body), else None."""
        return None

    def verify_webhook(self, request: WebhookRequest) -> bool:
        return False

    def webhook_delivery_id(self, request: WebhookRequest) -> str | None:
        """The network's own name for this push (a delivery id header), if it sends one. Replays
        are recognised by it; without one, by a hash of the raw body."""
        return None

    def parse_webhook(self, request: WebhookRequest) -> list[WebhookEvent]:
        return []

    # Helpers shared by providers ---------------------------------------------------------------
    def status_error(
        self,
        status: int,
        *,
        detail: str = "",
        code: str | None = None,
        retry_after: Callable[[], float | None] | None = None,
        creating: bool = False,
        row: int | str | None = None,
        extra_rows: Mapping[int | str, StatusRule] | None = None,
        **fields: Any,
    ) -> ProviderError:
        """The typed error HTTP ``status`` means on this network (the shared table with this
        network's ``status_errors``, and ``extra_rows`` for this call); the caller raises it. See
        ``errors.error_for_status``."""
        table = {**self.status_errors, **(extra_rows or {})}
        return error_for_status(
            status,
            network=self.name,
            detail=detail,
            code=code,
            table=table,
            retry_after=retry_after,
            creating=creating,
            row=row,
            **fields,
        )

    @staticmethod
    def hmac_sha256_hex(secret: str, body: bytes) -> str:
        return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()

    def supports(self, feature: str) -> bool:
        return bool(getattr(self.capabilities, feature, False))


__all__ = [
    "Account",
    "Capabilities",
    "Credentials",
    "DailyAccountMetrics",
    "InboxItem",
    "InboxPage",
    "MediaItem",
    "MediaSpec",
    "PostMetrics",
    "Provider",
    "ProviderConfig",
    "ProviderError",
    "PublishRequest",
    "PublishResult",
    "WebhookEvent",
    "WebhookRequest",
]
