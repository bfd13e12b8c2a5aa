"""Per-channel grants to people and teams."""

from __future__ import annotations

import logging

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from accounts.capabilities import Capability, require
from socialops.audit.services import record_event
from socialops.errors import Conflict, ValidationFailed

from ..models import (
    Channel,
    ChannelGrant,
    GrantCapability,
)

log = logging.getLogger(__name__)


# --- Grants --------------------------------------------------------------------------------------


@transaction.atomic
def grant_channel_access(
    channel: Channel, *, by, capability: str, membership=None, team=None
) -> ChannelGrant:
    require(by, Capability.MANAGE_CHANNELS, channel)
    if capability not in GrantCapability.values:
        raise ValidationFailed(
            _("Choose a valid capability."),
            fields={"capability": [_("Choose a valid capability.")]},
        )
    if (membership is None) == (team is None):
        raise ValidationFailed(
            _("Grant access to one person or one team."),
            fields={"membership": [_("Choose a person or a team, not both.")]},
        )
    target = membership if membership is not None else team
    if target.organization_id != channel.organization_id:
        raise ValidationFailed(
            _("Choose someone in this organization."), fields={"membership": [_("Not found.")]}
        )
    try:
        with transaction.atomic():
            grant = ChannelGrant.objects.create(
                organization_id=channel.organization_id,
                channel=channel,
                membership=membership,
                team=team,
                capability=capability,
                granted_by=by.user,
            )
    except IntegrityError:
        raise Conflict(_("That access is already granted.")) from None
    record_event(
        channel.organization,
        "channel.access_granted",
        obj=channel,
        changes={
            "capability": capability,
            "membership": membership.pk if membership else None,
            "team": team.pk if team else None,
        },
    )
    return grant


@transaction.atomic
def revoke_channel_access(grant: ChannelGrant, *, by) -> None:
    channel = grant.channel
    require(by, Capability.MANAGE_CHANNELS, channel)
    record_event(
        channel.organization,
        "channel.access_revoked",
        obj=channel,
        changes={
            "capability": grant.capability,
            "membership": grant.membership_id,
            "team": grant.team_id,
        },
    )
    ChannelGrant.objects.for_org(channel.organization_id).filter(pk=grant.pk).delete()


@transaction.atomic
def revoke_member_grants(membership, *, by) -> list[ChannelGrant]:
    """Remove every grant ``membership`` holds in person (offboarding): one delete, one audit entry a grant.

    ``by`` needs ``manage_channels`` in the organization (an owner or admin: the per-channel check
    would be one query a channel). Returns the grants as they were.
    """
    require(by, Capability.MANAGE_CHANNELS)
    org_id = membership.organization_id
    grants = list(
        ChannelGrant.objects.for_org(org_id)
        .select_for_update(of=("self",))
        .filter(membership=membership)
        .select_related("channel")
        .order_by("pk")
    )
    for grant in grants:
        record_event(
            membership.organization,
            "channel.access_revoked",
            obj=grant.channel,
            changes={"capability": grant.capability, "membership": membership.pk, "team": None},
        )
    ChannelGrant.objects.for_org(org_id).filter(pk__in=[g.pk for g in grants]).delete()
    return grants


@transaction.atomic
def revoke_grants_on_review(membership, channel: Channel, *, review: int) -> list[str]:
    """An access review's "remove": every grant ``membership`` holds in person on ``channel`` goes.

    The reviewer is a team lead who may not administer the channel: the authority is the review
    campaign an admin started (``review``, its id, is named in each audit entry). The caller
    (``governance.access_review.services``) checks that the person deciding is the item's reviewer
    and that the campaign is open; nothing else may call this. The audit actor is the request's.
    One audit entry a grant; returns the capabilities removed (none: they were already gone).
    """
    if membership.organization_id != channel.organization_id:
        raise ValidationFailed(_("Choose someone in this organization."))
    grants = list(
        ChannelGrant.objects.for_org(channel.organization_id)
        .select_for_update()
        .filter(membership=membership, channel=channel)
        .order_by("pk")
    )
    for grant in grants:
        record_event(
            channel.organization,
            "channel.access_revoked",
            obj=channel,
            changes={
                "capability": grant.capability,
                "membership": membership.pk,
                "team": None,
                "access_review": review,
            },
        )
    ChannelGrant.objects.for_org(channel.organization_id).filter(
        pk__in=[g.pk for g in grants]
    ).delete()
    return [g.capability for g in grants]
