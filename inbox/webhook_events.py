"""What the inbox tells customers' systems through outgoing webhooks (socialops.webhooks): the full
conversation in each event. Called from the inbox services, inside their transaction; a payload is
built only when an endpoint listens (no query otherwise), and ingest's new conversations go out in
one ``emit_many`` (no query per conversation)."""

from __future__ import annotations

from django.urls import reverse

from socialops.webhooks.services import absolute_url, emit_many, listening_endpoints

from .models import Conversation


def conversation_payload(conversation: Conversation, *, org_slug: str) -> dict:
    """The conversation as the API gives it (its channel and assignee need no further query when
    they are loaded with it, or absent)."""
    channel = conversation.channel
    assignee = conversation.assignee if conversation.assignee_id else None
    return {
        "id": conversation.pk,
        "organization": org_slug,
        "channel": {
            "id": channel.pk,
            "provider": channel.provider,
            "handle": channel.handle,
            "name": channel.name,
        },
        "kind": conversation.kind,
        "external_thread_id": conversation.external_thread_id,
        "status": conversation.status,
        "assignee": (
            {"id": assignee.pk, "email": assignee.user.email, "full_name": assignee.user.full_name}
            if assignee is not None
            else None
        ),
        "assigned_team": conversation.assigned_team_id,
        "post_variant": conversation.post_variant_id,
        "language": conversation.language,
        "sentiment": conversation.sentiment,
        "snippet": conversation.snippet,
        "author_name": conversation.author_name,
        "author_handle": conversation.author_handle,
        "last_item_at": conversation.last_item_at,
        "last_inbound_at": conversation.last_inbound_at,
        "sla_due_at": conversation.sla_due_at,
        "snoozed_until": conversation.snoozed_until,
        "created_at": conversation.created_at,
        "updated_at": conversation.updated_at,
        "url": absolute_url(reverse("inbox_conversation", args=[org_slug, conversation.pk])),
    }


def _emit(organization, event_type: str, conversations: list[Conversation], endpoints=None) -> None:
    if not conversations:
        return
    emit_many(
        organization,
        event_type,
        lambda: [
            (c.pk, conversation_payload(c, org_slug=organization.slug)) for c in conversations
        ],
        endpoints=endpoints,
    )


def conversations_created(channel, conversations: list[Conversation], facts=None) -> None:
    """Ingest opened these conversations on ``channel`` (one batch, one emit). ``facts``: the
    batch's ``OrgFacts``, which keep the endpoints listening between batches."""
    for c in conversations:
        c.channel = channel  # the one channel of the batch: no query per conversation
    organization = channel.organization
    endpoints = None
    if facts is not None:
        event = "conversation.created"
        endpoints = facts.kept(
            ("webhook endpoints", event), lambda: listening_endpoints(organization, event)
        )
    _emit(organization, "conversation.created", conversations, endpoints)


def conversation_assigned(conversation: Conversation) -> None:
    _emit(conversation.organization, "conversation.assigned", [conversation])


def conversation_closed(conversation: Conversation) -> None:
    _emit(conversation.organization, "conversation.closed", [conversation])
