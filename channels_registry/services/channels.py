"""A channel's lifecycle: disconnect, archive, team, time zone, access."""

from __future__ import annotations

import logging

from django.db import transaction
from django.utils.translation import gettext as _

from accounts.capabilities import Capability, require
from socialops.audit.services import record_event
from socialops.errors import Conflict, ValidationFailed

from ..models import (
    Channel,
    ChannelCredential,
)

log = logging.getLogger(__name__)


# --- Channel lifecycle ---------------------------------------------------------------------------


def _check_timezone(name: str) -> None:
    import zoneinfo

    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ValidationFailed(
            _("Choose a valid time zone."), fields={"timezone": [_("Choose a valid time zone.")]}
        ) from None


def _set_status(channel: Channel, status: str, action: str, **extra_changes) -> Channel:
    before = channel.status
    channel.status = status
    channel.save(update_fields=["status", "token_expires_at", "last_error"])
    record_event(
        channel.organization,
        action,
        obj=channel,
        changes={"status": [before, status], **extra_changes},
    )
    return channel


@transaction.atomic
def disconnect_channel(channel: Channel, *, by) -> Channel:
    """Stop using the channel: its credentials are wiped; the channel and its history stay."""
    require(by, Capability.MANAGE_CHANNELS, channel)
    if channel.status == Channel.Status.DISCONNECTED:
        raise Conflict(_("This channel is already disconnected."))
    ChannelCredential.objects.for_org(channel.organization_id).filter(channel=channel).delete()
    channel.token_expires_at = None
    return _set_status(channel, Channel.Status.DISCONNECTED, "channel.disconnected")


@transaction.atomic
def archive_channel(channel: Channel, *, by) -> Channel:
    """Hide the channel from pickers and sweeps; credentials are wiped, history kept."""
    require(by, Capability.MANAGE_CHANNELS, channel)
    if channel.status == Channel.Status.ARCHIVED:
        raise Conflict(_("This channel is already archived."))
    ChannelCredential.objects.for_org(channel.organization_id).filter(channel=channel).delete()
    channel.token_expires_at = None
    return _set_status(channel, Channel.Status.ARCHIVED, "channel.archived")


@transaction.atomic
def unarchive_channel(channel: Channel, *, by) -> Channel:
    """Back to the list as disconnected: reconnect it to use it again."""
    require(by, Capability.MANAGE_CHANNELS, channel)
    if channel.status != Channel.Status.ARCHIVED:
        raise Conflict(_("This channel is not archived."))
    return _set_status(channel, Channel.Status.DISCONNECTED, "channel.unarchived")


@transaction.atomic
def set_channel_team(channel: Channel, *, by, team) -> Channel:
    require(by, Capability.MANAGE_CHANNELS, channel)
    if team is not None and team.organization_id != channel.organization_id:
        raise ValidationFailed(
            _("Choose a valid team."), fields={"team": [_("Choose a valid team.")]}
        )
    before = channel.team_id
    if before == (team.pk if team else None):
        return channel
    channel.team = team
    channel.save(update_fields=["team"])
    record_event(
        channel.organization,
        "channel.team_changed",
        obj=channel,
        changes={"team": [before, channel.team_id]},
    )
    return channel


@transaction.atomic
def set_channel_timezone(channel: Channel, *, by, timezone_name: str) -> Channel:
    require(by, Capability.MANAGE_CHANNELS, channel)
    _check_timezone(timezone_name)
    if channel.timezone == timezone_name:
        return channel
    before = channel.timezone
    channel.timezone = timezone_name
    channel.save(update_fields=["timezone"])
    record_event(
        channel.organization,
        "channel.timezone_changed",
        obj=channel,
        changes={"timezone": [before, timezone_name]},
    )
    return channel


@transaction.atomic
def set_channel_access(channel: Channel, *, by, access: str) -> Channel:
    require(by, Capability.MANAGE_CHANNELS, channel)
    if access not in Channel.Access.values:
        raise ValidationFailed(
            _("Choose a valid access level."),
            fields={"access": [_("Choose a valid access level.")]},
        )
    if channel.access == access:
        return channel
    before = channel.access
    channel.access = access
    channel.save(update_fields=["access"])
    record_event(
        channel.organization,
        "channel.access_changed",
        obj=channel,
        changes={"access": [before, access]},
    )
    return channel


# --- Exports -------------------------------------------------------------------------------------


def record_channel_export(membership, *, filters, via: str = "web") -> None:
    """Record that ``membership`` downloaded the channel list as CSV with ``filters`` (an export
    of the organization's data is audited like a change)."""
    described = {
        "network": filters.provider,
        "team": filters.team.pk if filters.team is not None else None,
        "status": filters.status,
        "search": filters.search,
    }
    record_event(
        membership.organization,
        "channel.exported",
        actor=membership.user,
        via=via,
        changes={
            "filters": {k: v for k, v in described.items() if v not in ("", None)},
            "format": "csv",
        },
    )
