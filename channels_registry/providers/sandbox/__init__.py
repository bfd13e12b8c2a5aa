"""The built-in ``sandbox`` network: the whole provider interface, no network calls.

Its "servers" are tables of this app (``SandboxPost``, ``SandboxInteraction``,
``SandboxFollowerSnapshot``), scoped by organization through the channel. Tokens are signed
payloads (``django.core.signing``) naming the account and the organization, with a real expiry,
so refresh, expiry and re-authorization behave like a real network's. OAuth consent happens on a
local page (``/connect/sandbox/authorize``) that offers three fake accounts. The live audience is
simulated by ``channels_registry.simulation``.
"""

from __future__ import annotations

from .client import (
    SANDBOX_ACCOUNTS,
    SandboxClient,
    account_for,
    issue_credentials,
    make_authorization_code,
    post_url,
    sandbox_allowed,
    sign_webhook_body,
    webhook_secret,
)
from .connect import SandboxConnection
from .inbox import SandboxInbox
from .metrics import SandboxMetrics
from .publish import SandboxPublishing
from .webhooks import SandboxWebhooks


class SandboxProvider(
    SandboxConnection,
    SandboxPublishing,
    SandboxInbox,
    SandboxMetrics,
    SandboxWebhooks,
    SandboxClient,
):
    """Sandbox: the parts of the package as one provider (the registry names this class)."""


__all__ = [
    "SANDBOX_ACCOUNTS",
    "SandboxClient",
    "SandboxProvider",
    "account_for",
    "issue_credentials",
    "make_authorization_code",
    "post_url",
    "sandbox_allowed",
    "sign_webhook_body",
    "webhook_secret",
]
