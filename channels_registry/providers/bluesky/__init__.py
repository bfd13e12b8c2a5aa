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
- Direct messages (``chat.py``): Bluesky chat, ``chat.bsky.convo.listConvos`` / ``getMessages`` /
  ``sendMessage`` (``getConvoForMembers`` when an item names no conversation), sent to the PDS with
  ``atproto-proxy: did:web:api.bsky.chat#bsky_chat``, which proxies them to the chat service. Chat
  methods are privileged: an app password made without "Allow access to your direct messages"
  (scope ``com.atproto.appPass``) gets 400 ``InvalidToken`` "Bad token method", an OAuth session
  without ``transition:chat.bsky`` 403 ``ScopeMissingError`` (both ``ProviderError`` code
  ``ScopeMissing``). Such a channel's DMs are skipped, comments and mentions still come, and the
  health check records ``direct_messages: false`` in the channel's metadata for the channel page.
  The inbox cursor keeps each conversation's latest ``rev``; a DM's thread is its conversation id.
- Metrics: ``app.bsky.feed.getPosts`` (like/repost/reply/quote counts) and
  ``app.bsky.actor.getProfile`` (``followersCount``). No impressions exist.
- Errors: ``{"error", "message"}`` bodies; ``ExpiredToken``/``InvalidToken``/``AuthenticationRequired``
  mean the session no longer works (but ``InvalidToken`` "Bad token method"/"Bad token scope" means
  the session may not call that method); 429 ``RateLimitExceeded`` comes with ``ratelimit-reset``
  (unix seconds).

Not done: confidential-client auth (``private_key_jwt``; public-client sessions last at most two
weeks before the person signs in again); webhooks (Bluesky has none, only the firehose/Jetstream);
group chats are read like direct ones, but nothing special is done for their members or join
requests; a message deleted after it was read stays in the inbox (the chat API tells nobody else).
"""

from __future__ import annotations

from .chat import BlueskyChat
from .client import AtUri, BlueskyClient, normalize_service_url, tid_for_key
from .connect import BlueskyConnection
from .inbox import BlueskyInbox
from .metrics import BlueskyMetrics
from .publish import BlueskyPublishing


class BlueskyProvider(
    BlueskyConnection, BlueskyPublishing, BlueskyInbox, BlueskyChat, BlueskyMetrics, BlueskyClient
):
    """Bluesky: the parts of the package as one provider (the registry names this class)."""


__all__ = [
    "AtUri",
    "AtUri",
    "BlueskyClient",
    "BlueskyProvider",
    "normalize_service_url",
    "tid_for_key",
]
