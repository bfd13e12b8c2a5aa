"""Mastodon: any instance the user names (docs.joinmastodon.org, API-NOTES §7).

There is no single production server: every channel lives on the instance its owner typed, so
the instance URL travels with the credentials (``Credentials.extra["instance_url"]``) and the app
is registered once per instance (``register_app`` → a client id/secret the caller stores,
encrypted, and passes back through ``extra`` to ``authorization_url`` / ``exchange_code``).

Documented behaviour this module relies on:

- OAuth: ``GET /oauth/authorize`` (PKCE S256 from 4.3), ``POST /oauth/token``; tokens do not
  expire and there is no refresh token.
- Publishing: ``POST /api/v2/media`` answers 200 (ready) or 202 with ``url: null`` (poll
  ``GET /api/v1/media/:id``: 206 while processing, 200 when done), then ``POST /api/v1/statuses``
  with ``media_ids[]`` and an ``Idempotency-Key`` header (kept by the server for one hour).
- Limits are per instance: ``GET /api/v2/instance`` → ``configuration.statuses.max_characters``
  (500 by default); length is counted in grapheme clusters, every URL as 23 and a remote mention
  as its local part only.
- Errors are ``{"error": "..."}``; 401 bad token, 403 scope, 404, 422 ``Validation failed: …``,
  429 with ``X-RateLimit-Reset`` as an ISO 8601 time. Default budgets: 300 requests / 5 min per
  account, 30 media uploads and 30 deletions / 30 min.
- No webhooks for ordinary accounts (admin-only) and no way to hide other people's replies.
- Account ids are unique per server only: another server may give its own account the same id.
  A channel's external id is therefore qualified with its server, ``<account id>@<host>``
  (``qualified_account_id``); the API calls use the bare id (``split_account_id``).
"""

from __future__ import annotations

from .client import (
    DEFAULT_CHARS_PER_URL,
    MastodonClient,
    html_to_text,
    instance_host,
    normalize_instance_url,
    qualified_account_id,
    split_account_id,
    status_length,
)
from .connect import MastodonConnection
from .inbox import MastodonInbox
from .metrics import MastodonMetrics
from .publish import MastodonPublishing


class MastodonProvider(
    MastodonConnection, MastodonPublishing, MastodonInbox, MastodonMetrics, MastodonClient
):
    """Mastodon: the parts of the package as one provider (the registry names this class)."""


__all__ = [
    "DEFAULT_CHARS_PER_URL",
    "MastodonClient",
    "MastodonProvider",
    "html_to_text",
    "instance_host",
    "normalize_instance_url",
    "qualified_account_id",
    "split_account_id",
    "status_length",
]
