"""Shared plumbing for Meta's Graph API: Facebook Pages and Instagram professional accounts.

Both networks speak the same Graph API (``https://graph.facebook.com/{version}/…``; Instagram
Login uses ``graph.instagram.com``), answer failures with one error object and report throttling
the same way, and push webhooks with the same handshake and signature. This module keeps those
shared parts in one place:

- the Graph API version: ``ProviderConfig.extra["graph_version"]``, else
  ``settings.META_GRAPH_VERSION`` (docs: v23–v26);
- :func:`raise_for_graph_error`: ``{"error":{"message","type","code","error_subcode",
  "error_user_msg","fbtrace_id"}}`` → our typed errors (see ``developers.facebook.com/docs/
  graph-api/guides/error-handling`` and ``…/overview/rate-limiting``);
- the usage headers ``X-App-Usage`` and ``X-Business-Use-Case-Usage`` (percentages, and the
  minutes until a throttled app or Page may call again);
- the webhook handshake (``hub.challenge``) and ``X-Hub-Signature-256`` verification;
- small helpers for Graph timestamps, inbox cursors and ``pending_ref`` strings.

Access tokens travel in the ``Authorization: Bearer`` header, which the Graph API accepts in place
of the ``access_token`` parameter, so they never appear in URLs (URLs are logged by httpx at INFO).
The OAuth endpoints themselves are documented with query parameters only and are called that way.
"""

from __future__ import annotations

from .client import DEFAULT_GRAPH_VERSION, MetaGraphProvider, absolute_facebook_url, graph_version
from .errors import (
    AUTH_CODES,
    CONTENT_CODES,
    CONTENT_SUBCODES,
    DEFAULT_THROTTLE_SECONDS,
    GRAPH_STATUS_ERRORS,
    NOT_READY_SUBCODE,
    QUOTA_SUBCODE,
    THROTTLE_CODES,
    TRANSIENT_CODES,
    max_usage_percent,
    parse_usage,
    raise_for_graph_error,
    regain_seconds,
)
from .paging import (
    CursorTracker,
    day_start,
    decode_cursor,
    encode_cursor,
    insight_day,
    make_pending_ref,
    parse_time,
    split_pending_ref,
)

__all__ = [
    "AUTH_CODES",
    "CONTENT_CODES",
    "CONTENT_SUBCODES",
    "DEFAULT_GRAPH_VERSION",
    "DEFAULT_THROTTLE_SECONDS",
    "GRAPH_STATUS_ERRORS",
    "NOT_READY_SUBCODE",
    "QUOTA_SUBCODE",
    "THROTTLE_CODES",
    "TRANSIENT_CODES",
    "CursorTracker",
    "MetaGraphProvider",
    "absolute_facebook_url",
    "day_start",
    "decode_cursor",
    "encode_cursor",
    "graph_version",
    "insight_day",
    "make_pending_ref",
    "max_usage_percent",
    "parse_time",
    "parse_usage",
    "raise_for_graph_error",
    "regain_seconds",
    "split_pending_ref",
]
