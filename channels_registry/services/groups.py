"""Channel groups."""

from __future__ import annotations

import logging

from django.db import transaction
from django.utils.translation import gettext as _

from accounts.capabilities import Capability, require
from socialops.audit.services import record_event
from socialops.errors import ValidationFailed

from ..models import (
    Channel,
    ChannelGroup,
)

log = logging.getLogger(__name__)


# --- Groups --------------------------------------------------------------------------------------


def _check_group(
    org, name: str, channels: list[Channel], exclude: ChannelGroup | None = None
) -> str:
    name = (name or "").strip()
    if not name:
        raise ValidationFailed(
            _("Give the group a name."), fields={"name": [_("This field is required.")]}
        )
    qs = ChannelGroup.objects.for_org(org).filter(name__iexact=name)
    if exclude is not None:
        qs = qs.exclude(pk=exclude.pk)
    if qs.exists():
        raise ValidationFailed(
            _("A group called “%(name)s” already exists.") % {"name": name},
            fields={"name": [_("Group names must be unique.")]},
        )
    if any(c.organization_id != org.pk for c in channels):
        raise ValidationFailed(
            _("Choose valid channels."), fields={"channels": [_("Choose valid channels.")]}
        )
    return name


def _channels_hidden_from(by, channels) -> set[int]:
    """Ids of ``channels`` that ``by`` may not see (restricted ones without a grant)."""
    from ..selectors import visible_channels

    ids = {c.pk for c in channels}
    if not ids:
        return set()
    return ids - set(visible_channels(by).filter(pk__in=ids).values_list("pk", flat=True))


def _refuse_hidden(by, channels) -> None:
    """A channel ``by`` may not see is refused like one that does not exist."""
    if _channels_hidden_from(by, channels):
        raise ValidationFailed(
            _("Choose valid channels."), fields={"channels": [_("Choose valid channels.")]}
        )


@transaction.atomic
def create_channel_group(
    org, *, by, name: str, description: str = "", channels: list[Channel] = ()
) -> ChannelGroup:
    require(by, Capability.MANAGE_CHANNELS)
    channels = list(channels)
    name = _check_group(org, name, channels)
    _refuse_hidden(by, channels)
    group = ChannelGroup.objects.create(organization=org, name=name, description=description or "")
    group.channels.set(channels)
    record_event(
        org,
        "channel_group.created",
        obj=group,
        changes={"name": name, "channels": sorted(c.pk for c in channels)},
    )
    return group


@transaction.atomic
def update_channel_group(
    group: ChannelGroup, *, by, name: str, description: str = "", channels: list[Channel] = ()
) -> ChannelGroup:
    """Rename, describe and set the channels of ``group``. The group's channels that ``by`` may not see
    were never shown to them, so their absence from ``channels`` means nothing: they stay."""
    org = group.organization
    require(by, Capability.MANAGE_CHANNELS, group)
    channels = list(channels)
    name = _check_group(org, name, channels, exclude=group)
    _refuse_hidden(by, channels)
    current = list(group.channels.all())
    hidden = _channels_hidden_from(by, current)
    channels = list({c.pk: c for c in channels + [c for c in current if c.pk in hidden]}.values())
    before = {
        "name": group.name,
        "description": group.description,
        "channels": sorted(c.pk for c in current),
    }
    group.name, group.description = name, description or ""
    group.save(update_fields=["name", "description"])
    group.channels.set(channels)
    after = {
        "name": name,
        "description": group.description,
        "channels": sorted(c.pk for c in channels),
    }
    record_event(
        org,
        "channel_group.updated",
        obj=group,
        changes={k: [before[k], after[k]] for k in after if before[k] != after[k]},
    )
    return group


@transaction.atomic
def delete_channel_group(group: ChannelGroup, *, by) -> None:
    require(by, Capability.MANAGE_CHANNELS, group)
    record_event(
        group.organization, "channel_group.deleted", obj=group, changes={"name": group.name}
    )
    group.channels.clear()
    ChannelGroup.objects.for_org(group.organization_id).filter(pk=group.pk).delete()
