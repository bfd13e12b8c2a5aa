"""Health, refresh and re-authorization."""

from __future__ import annotations

import logging
from datetime import timedelta

from django.db import transaction
from django.urls import reverse

from accounts.capabilities import Capability, can
from accounts.notifications import NotificationKind, notify
from accounts.selectors import members_of
from socialops.audit.services import record_event
from socialops.errors import ApplicationError

from .. import crypto, webhook_events
from ..models import (
    Channel,
    ChannelCredential,
)
from ..providers.base import Credentials
from ..providers.errors import AuthExpired, ProviderError
from .channels import _set_status
from .credentials import _now, _provider, _store_credentials, credentials_from_dict

log = logging.getLogger(__name__)

REFRESH_AHEAD = timedelta(hours=24)


# --- Health, refresh, re-authorization -----------------------------------------------------------


def _send_needs_reauth_email(channel_id: int) -> None:
    """Tell whoever can reconnect the channel (bell and e-mail, each in their own language)."""
    channel = Channel.objects.unscoped().select_related("organization").get(pk=channel_id)
    org = channel.organization
    recipients = [
        m
        for m in members_of(org, include_inactive=False)
        if m.user.is_active and can(m, Capability.MANAGE_CHANNELS, channel)
    ]
    if not recipients:
        return
    with transaction.atomic():
        notify(
            org,
            recipients=recipients,
            kind=NotificationKind.CHANNEL_NEEDS_REAUTH,
            template="channel_needs_reauth",
            context={
                "channel": {
                    "handle": channel.handle,
                    "name": channel.name,
                    "provider": channel.provider,
                },
                "reason": channel.last_error,
            },
            url=reverse("channel_detail", args=[org.slug, channel.pk]),
        )


@transaction.atomic
def mark_needs_reauth(channel: Channel, *, reason: str) -> Channel:
    """The network refuses the channel's authorization: flag it and tell whoever can reconnect it."""
    channel = (
        Channel.objects.for_org(channel.organization_id).select_for_update().get(pk=channel.pk)
    )
    if channel.status != Channel.Status.ACTIVE:
        return channel  # already flagged (or out of use): tell people once
    channel.last_error = (reason or "")[:1000]
    _set_status(
        channel,
        Channel.Status.NEEDS_REAUTH,
        "channel.needs_reauth",
        reason=channel.last_error[:300],
    )
    webhook_events.channel_needs_reauth(channel)  # outgoing webhook, in this transaction
    channel_id = channel.pk
    transaction.on_commit(lambda: _send_needs_reauth_email(channel_id))
    return channel


def refresh_channel_credentials(channel: Channel, *, force: bool = False) -> Channel:
    """Refresh the token ahead of expiry. Safe to run twice: a fresh token is left alone."""
    org_id = channel.organization_id
    if channel.status != Channel.Status.ACTIVE:
        return channel
    provider = _provider(channel.provider)
    with transaction.atomic():
        # Lock the credential row: two refreshes racing would burn a rotating refresh token.
        row = (
            ChannelCredential.objects.for_org(org_id)
            .select_for_update()
            .filter(channel=channel)
            .first()
        )
        if row is None:
            return channel
        creds = credentials_from_dict(crypto.decrypt_json(row.blob))
        if not force and creds.expires_at is not None and creds.expires_at > _now() + REFRESH_AHEAD:
            return channel
        failure: ProviderError | None = None
        try:
            new = provider.refresh(creds)
        except ProviderError as exc:
            failure = exc
        else:
            _store_credentials(channel, new)
            channel.last_error = ""
            channel.save(update_fields=["token_expires_at", "last_error"])
            record_event(
                channel.organization,
                "channel.credentials_refreshed",
                obj=channel,
                changes={"expires_at": new.expires_at},
            )
            return channel
    if isinstance(failure, AuthExpired):
        return mark_needs_reauth(channel, reason=failure.message)
    Channel.objects.for_org(org_id).filter(pk=channel.pk).update(last_error=failure.message[:1000])
    raise failure


def renew_channel_credentials(channel: Channel, *, stale: Credentials) -> Credentials:
    """Renew the channel's session because the network said its access token ran out mid-call.

    Called from inside a provider call (``Credentials.refresher``). The credential row is locked and
    read again: when another worker renewed it meanwhile, its credentials are returned instead of
    spending the refresh token a second time (atproto OAuth revokes the whole session when a used
    refresh token comes back). Only a refused refresh flags the channel for re-authorization.
    """
    org_id = channel.organization_id
    provider = _provider(channel.provider)
    failure: ProviderError
    with transaction.atomic():
        row = (
            ChannelCredential.objects.for_org(org_id)
            .select_for_update()
            .filter(channel=channel)
            .first()
        )
        if row is None:
            raise AuthExpired("This channel has no stored credentials any more; reconnect it.")
        stored = credentials_from_dict(crypto.decrypt_json(row.blob))
        if stored.access_token != stale.access_token:
            return stored
        try:
            fresh = provider.refresh(stored)
        except ProviderError as exc:
            failure = exc
        else:
            _store_credentials(channel, fresh)
            Channel.objects.for_org(org_id).filter(pk=channel.pk).update(
                token_expires_at=fresh.expires_at, last_error=""
            )
            record_event(
                channel.organization,
                "channel.credentials_refreshed",
                obj=channel,
                changes={"expires_at": fresh.expires_at, "reason": "expired during a call"},
            )
            return fresh
    if isinstance(failure, AuthExpired):
        mark_needs_reauth(channel, reason=failure.message)
    raise failure


def check_channel_health(channel: Channel) -> Channel:
    """Ask the network who the token acts as; AuthExpired flags the channel for re-authorization."""
    from ..selectors import credentials_for

    if channel.status != Channel.Status.ACTIVE:
        return channel
    provider = _provider(channel.provider)
    try:
        credentials = credentials_for(channel)
    except (ApplicationError, crypto.CredentialsUnreadable):
        return mark_needs_reauth(
            channel, reason="The stored credentials are missing or cannot be decrypted."
        )
    try:
        account = provider.verify_credentials(credentials, channel.external_id)
    except AuthExpired as exc:
        return mark_needs_reauth(channel, reason=exc.message)
    except ProviderError as exc:
        Channel.objects.for_org(channel.organization_id).filter(pk=channel.pk).update(
            last_error=exc.message[:1000]
        )
        channel.last_error = exc.message
        return channel
    changes = {}
    for field in ("handle", "name", "avatar_url", "url"):
        value = getattr(account, field, "") or ""
        if value and value != getattr(channel, field):
            changes[field] = [getattr(channel, field), value]
            setattr(channel, field, value)
    try:
        facts = provider.account_facts(credentials, channel.external_id)
    except ProviderError:
        facts = None  # keep what we knew; the next check asks again
    if facts is not None and {**channel.metadata, **facts} != channel.metadata:
        changes["metadata"] = [channel.metadata, {**channel.metadata, **facts}]
        channel.metadata = {**channel.metadata, **facts}
    channel.last_synced_at = _now()
    channel.last_error = ""
    with transaction.atomic():
        channel.save(
            update_fields=[
                "handle",
                "name",
                "avatar_url",
                "url",
                "metadata",
                "last_synced_at",
                "last_error",
            ]
        )
        if changes:
            record_event(
                channel.organization, "channel.profile_updated", obj=channel, changes=changes
            )
    return channel
