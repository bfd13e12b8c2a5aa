"""Retiring a channel: its waiting posts go elsewhere (or back to draft), then it is archived.

One transaction: publishing moves or unschedules the posts (its own service, audited per post),
channels_registry archives the channel (audited), and one ``channel.retired`` entry says what was
done. Any refusal (a target of another network, archived, of another organization …) raises
before anything is written, or rolls everything back.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.utils.translation import gettext as _

from accounts.capabilities import Capability, require
from channels_registry import services as channel_services
from channels_registry.models import Channel
from publishing import selectors as publishing_selectors
from publishing import services as publishing_services
from socialops.audit.services import record_event
from socialops.errors import Conflict, ValidationFailed


class Disposal:
    """What happens to the retired channel's scheduled posts."""

    MOVE = "move"
    UNSCHEDULE = "unschedule"
    values = (MOVE, UNSCHEDULE)


@dataclass
class RetireResult:
    channel: Channel
    moved: list[int]
    already_there: list[int]
    unscheduled: list[int]


@transaction.atomic
def retire_channel(
    channel: Channel, *, by, disposal: str = "", move_to: Channel | None = None
) -> RetireResult:
    """Archive ``channel``; its scheduled posts go to ``move_to`` (``disposal="move"``: another
    active channel of the same network) or back to draft (``disposal="unschedule"``). A channel
    with nothing scheduled needs no disposal."""
    require(by, Capability.MANAGE_GOVERNANCE)
    require(by, Capability.MANAGE_CHANNELS, channel)
    # the row lock: two retirements of one channel at once run one after the other
    locked = Channel.objects.for_org(channel.organization_id).select_for_update().get(pk=channel.pk)
    if locked.status == Channel.Status.ARCHIVED:
        raise Conflict(_("This channel is already archived."))
    if disposal and disposal not in Disposal.values:
        message = _("Choose whether to move the scheduled posts or send them back to draft.")
        raise ValidationFailed(message, fields={"disposal": [message]})
    if disposal == Disposal.MOVE and move_to is None:
        message = _("Choose the channel the scheduled posts move to.")
        raise ValidationFailed(message, fields={"move_to": [message]})
    if disposal != Disposal.MOVE and move_to is not None:
        message = _("A channel to move to is only taken when the posts move.")
        raise ValidationFailed(message, fields={"move_to": [message]})
    waiting = publishing_selectors.scheduled_on_channel(locked).exists()
    if waiting and not disposal:
        message = _(
            "This channel has scheduled posts: choose whether they move to another channel or go "
            "back to draft."
        )
        raise ValidationFailed(message, fields={"disposal": [message]})
    moved = publishing_services.move_channel_schedule(
        locked, by=by, to=move_to if disposal == Disposal.MOVE else None
    )
    channel_services.archive_channel(locked, by=by)
    record_event(
        locked.organization,
        "channel.retired",
        obj=locked,
        actor=by.user,
        changes={
            "disposal": disposal or "none",
            "move_to": move_to.pk if move_to is not None and disposal == Disposal.MOVE else None,
            "moved_posts": moved.moved,
            "already_on_target": moved.already_there,
            "unscheduled_posts": moved.unscheduled,
        },
    )
    channel.status = locked.status
    return RetireResult(locked, moved.moved, moved.already_there, moved.unscheduled)
