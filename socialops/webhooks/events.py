"""The events an endpoint may subscribe to: one line each. An app emits only a type listed here
(:func:`socialops.webhooks.services.emit` refuses any other), and the endpoint form offers them."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

#: type → what it means (shown when an admin chooses an endpoint's events)
EVENT_TYPES: dict[str, str] = {
    "post.scheduled": _("A post was scheduled"),
    "post.published": _("A post was published on a channel"),
    "post.failed": _("A post failed to publish on a channel"),
    "approval.requested": _("Approval was requested for a post"),
    "approval.decided": _("An approval request was approved or rejected"),
    "channel.needs_reauth": _("A channel needs to be reconnected"),
    "member.offboarded": _("A member was deactivated (offboarded)"),
    "conversation.created": _("A new conversation arrived in the inbox"),
    "conversation.assigned": _("An inbox conversation was assigned or unassigned"),
    "conversation.closed": _("An inbox conversation was closed"),
}


def object_kind(event_type: str) -> str:
    """The kind of object an event is about ("post" for "post.published"): deliveries are ordered
    per (endpoint, kind, object id)."""
    return event_type.split(".", 1)[0]


def choices() -> list[tuple[str, str]]:
    return [(key, f"{key}: {label}") for key, label in EVENT_TYPES.items()]
