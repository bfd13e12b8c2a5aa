"""Every state change of channels_registry: one function each, verb first, audited in its transaction.

Network calls (token exchange, refresh, health checks) happen outside the transaction that
records their outcome, so a slow network never holds a database lock except where a race must
be prevented (refreshing a rotating refresh token: the credential row is locked).

One module per sub-domain; this package re-exports their public functions, so other apps keep
calling ``from channels_registry import services`` / ``services.start_connect(...)``.
"""

from __future__ import annotations

from socialops.errors import ApplicationError, Conflict, NotAllowed, ValidationFailed  # noqa: F401  (callers catch them here)

from ..providers import get_provider  # noqa: F401  (the registry, as the views and tests have always reached it)
from .channels import (
    archive_channel,
    disconnect_channel,
    record_channel_export,
    set_channel_access,
    set_channel_team,
    set_channel_timezone,
    unarchive_channel,
)
from .connect import (
    CHOOSE_TTL,
    STATE_TTL,
    ConnectStart,
    add_channels,
    complete_connect,
    connect_with_app_password,
    find_attempt_by_state,
    reconnect_channel,
    sandbox_consent_allowed,
    start_connect,
)
from .credentials import (
    _store_credentials,  # noqa: F401  (tests store credentials directly)
    atproto_client_id,
    callback_uri,
    credentials_from_dict,
    credentials_to_dict,
    rotate_credential_keys,
)
from .demo import DEMO_CHANNELS, play_sandbox_audience, play_sandbox_history, seed_demo_channels
from .grants import (
    grant_channel_access,
    revoke_channel_access,
    revoke_grants_on_review,
    revoke_member_grants,
)
from .groups import create_channel_group, delete_channel_group, update_channel_group
from .health import (
    REFRESH_AHEAD,
    check_channel_health,
    mark_needs_reauth,
    refresh_channel_credentials,
    renew_channel_credentials,
)
from .webhooks import (
    process_webhook_delivery,
    record_webhook_delivery,
    resume_unprocessed_webhook_deliveries,
    webhook_accepted,
    webhook_delivery_key,
)

__all__ = [
    "record_channel_export",
    "CHOOSE_TTL",
    "ConnectStart",
    "DEMO_CHANNELS",
    "REFRESH_AHEAD",
    "STATE_TTL",
    "add_channels",
    "archive_channel",
    "atproto_client_id",
    "callback_uri",
    "check_channel_health",
    "complete_connect",
    "connect_with_app_password",
    "create_channel_group",
    "credentials_from_dict",
    "credentials_to_dict",
    "delete_channel_group",
    "disconnect_channel",
    "find_attempt_by_state",
    "grant_channel_access",
    "mark_needs_reauth",
    "process_webhook_delivery",
    "reconnect_channel",
    "record_webhook_delivery",
    "resume_unprocessed_webhook_deliveries",
    "refresh_channel_credentials",
    "renew_channel_credentials",
    "revoke_channel_access",
    "revoke_grants_on_review",
    "revoke_member_grants",
    "rotate_credential_keys",
    "sandbox_consent_allowed",
    "play_sandbox_audience",
    "play_sandbox_history",
    "seed_demo_channels",
    "set_channel_access",
    "set_channel_team",
    "set_channel_timezone",
    "start_connect",
    "unarchive_channel",
    "update_channel_group",
    "webhook_accepted",
    "webhook_delivery_key",
]
