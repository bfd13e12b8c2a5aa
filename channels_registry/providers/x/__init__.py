"""X (Twitter) API v2 (API-NOTES.md §3 and §11; docs.x.com).

- Auth: OAuth 2.0 Authorization Code with PKCE (S256). We are a confidential client, so the
  token endpoint gets HTTP Basic with the client id and secret. Access tokens live 2 h; the
  ``offline.access`` scope brings a refresh token, and refresh tokens ROTATE: every refresh
  returns a new one and the old one stops working, so callers must store what we return.
- Publish: ``POST /2/tweets`` → 201 ``{"data": {"id", "text"}}``. Text is counted the
  twitter-text way (weighted: links 23, CJK and emoji 2; ``XProvider.count_text``, from the
  packaged twitter-text in ``text.py``).
  Images go through ``POST /2/media/upload`` (multipart); videos and GIFs through the chunked
  initialize / append / finalize endpoints, then ``STATUS`` polling until ``succeeded``.
  A first comment is a self-reply. X has no idempotency key, so ``find_existing`` scans the
  account's recent posts for the same text.
- Inbox: mentions (``since_id`` cursor), replies in our recent conversations (recent search on
  ``conversation_id``) and DMs (``/2/dm_events``). Webhooks: Account Activity (CRC + signature).
- Errors: problem JSON ``{"title", "type", "status", "detail", "errors"?}``; 429 carries
  ``x-rate-limit-reset`` (unix seconds), no Retry-After.
"""

from __future__ import annotations

from .client import XClient, snowflake_time
from .connect import XConnection
from .inbox import XInbox
from .metrics import XMetrics
from .publish import XPublishing
from .webhooks import XWebhooks


class XProvider(XConnection, XPublishing, XInbox, XMetrics, XWebhooks, XClient):
    """X: the parts of the package as one provider (the registry names this class)."""


__all__ = ["XClient", "XProvider", "snowflake_time"]
