"""Instagram professional accounts through the Graph API (API-NOTES §2, §11).

Two logins are documented and both are supported; ``ProviderConfig.extra["login"]`` picks one for
new connections and each channel's credentials remember theirs (``Credentials.extra["login"]``):

- ``"facebook"`` (default): Facebook Login, host ``graph.facebook.com``. The Instagram account is
  found through its Page: ``GET /me/accounts?fields=…,instagram_business_account{id,username}``.
  We keep that Page's token: it does not expire (long-lived user tokens last 60 days and cannot be
  refreshed) and it is the token the Page-linked Instagram endpoints accept.
- ``"instagram"``: Business Login for Instagram, host ``graph.instagram.com``. code →
  ``POST api.instagram.com/oauth/access_token`` → ``GET /access_token?grant_type=ig_exchange_token``
  (60 days) → ``GET /refresh_access_token?grant_type=ig_refresh_token`` before expiry.

Publishing is container → status → publish, so ``async_publish`` is on: :meth:`publish` checks the
24 h quota, creates the container(s) and publishes at once only if the container is already
``FINISHED``; otherwise it answers ``pending`` with the container id as ``pending_ref`` and
:meth:`check_publish` polls once per call and publishes when ready.
"""

from __future__ import annotations

from .client import InstagramClient
from .connect import InstagramConnection
from .inbox import InstagramInbox
from .metrics import InstagramMetrics
from .publish import InstagramPublishing
from .webhooks import InstagramWebhooks


class InstagramProvider(
    InstagramConnection,
    InstagramPublishing,
    InstagramInbox,
    InstagramMetrics,
    InstagramWebhooks,
    InstagramClient,
):
    """Instagram: the parts of the package as one provider (the registry names this class)."""


__all__ = ["InstagramClient", "InstagramProvider"]
