"""LinkedIn organization pages through the versioned Community Management API (``/rest``).

Documented contract (Microsoft Learn, "LinkedIn Marketing" docs; API-NOTES §4):

- OAuth 2.0 authorization code at ``www.linkedin.com/oauth/v2``. Access tokens live 60 days;
  refresh tokens exist only for approved partner apps, everybody else re-consents.
- Every ``/rest`` call carries ``LinkedIn-Version: YYYYMM`` and ``X-Restli-Protocol-Version: 2.0.0``;
  URNs are URL-encoded wherever they sit in a path or a query.
- The channel is an organization the member administers (``organizationAcls``); posts, comments
  and statistics are made as ``urn:li:organization:{id}``.
- ``POST /rest/posts`` answers 201 with an empty body and the post URN in ``x-restli-id``.
- Images and videos are uploaded (``initializeUpload`` → PUT → poll until ``AVAILABLE``).
- Throttling is a bare 429 with no headers; the daily quotas reset at 00:00 UTC.
- Webhooks (organization social action notifications) are for approved partner apps only, so
  this connector polls comments instead and ``capabilities.webhooks`` is False.
"""

from __future__ import annotations

from .client import LinkedInClient, escape_little_text, unescape_little_text
from .connect import LinkedInConnection
from .inbox import LinkedInInbox
from .metrics import LinkedInMetrics
from .publish import LinkedInPublishing


class LinkedInProvider(
    LinkedInConnection, LinkedInPublishing, LinkedInInbox, LinkedInMetrics, LinkedInClient
):
    """LinkedIn: the parts of the package as one provider (the registry names this class)."""


__all__ = ["LinkedInClient", "LinkedInProvider", "escape_little_text", "unescape_little_text"]
