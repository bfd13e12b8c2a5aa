"""Internal notes beside a conversation, with @mentions.

A note is for the people working the inbox: it shows in the conversation's timeline and never
reaches the network. ``@local-part`` or ``@e-mail`` names a member (the approvals app's comment
parser, ``approvals.services.mentioned_members``, reused as is); only members who may work the
conversation (moderate on its channel) are told, once per note.
"""

from __future__ import annotations

from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext as _

from accounts.capabilities import Capability, can, require
from accounts.notifications import NotificationKind, notify
from approvals.services import mention_suggestions, mentioned_members
from socialops.audit.services import record_event
from socialops.errors import ValidationFailed

from ..models import Conversation, ConversationNote

NOTE_MAX = 5000


def _works_on(conversation: Conversation):
    channel = conversation.channel
    return lambda member: can(member, Capability.MODERATE, channel)


def note_mention_suggestions(conversation: Conversation, prefix: str) -> list[dict]:
    """People to @mention in a note on ``conversation``: those who may work it."""
    return mention_suggestions(conversation.organization, prefix, keep=_works_on(conversation))


@transaction.atomic
def add_note(conversation: Conversation, *, by, text: str, via: str = "web") -> ConversationNote:
    """Write an internal note; the members it mentions (who may work the conversation) are told."""
    require(by, Capability.MODERATE, conversation.channel)
    text = (text or "").strip()
    if not text:
        message = _("Write a note first.")
        raise ValidationFailed(message, fields={"text": [message]})
    if len(text) > NOTE_MAX:
        message = _("Keep notes under 5,000 characters.")
        raise ValidationFailed(message, fields={"text": [message]})
    may_work = _works_on(conversation)
    mentioned = [
        m
        for m in mentioned_members(conversation.organization, text)
        if m.pk != getattr(by, "pk", None) and may_work(m)
    ]
    note = ConversationNote.objects.create(
        organization_id=conversation.organization_id,
        conversation=conversation,
        # a service account (API) has no membership row: its notes have no member author
        author=by if getattr(by, "pk", None) is not None else None,
        text=text,
        mentions=[m.pk for m in mentioned],
    )
    record_event(
        conversation.organization,
        "inbox.note_added",
        obj=conversation,
        actor=by.user,
        via=via,
        changes={"note": note.pk, "mentions": note.mentions},
    )
    if mentioned:
        url = reverse(
            "inbox_conversation",
            kwargs={"org_slug": conversation.organization.slug, "conversation_id": conversation.pk},
        )
        notify(
            conversation.organization,
            recipients=mentioned,
            kind=NotificationKind.MENTION,
            template="inbox_mention",
            context={
                "author": by.user.get_short_name(),
                "customer": conversation.author_name or conversation.author_handle,
                "text": text[:1000],
            },
            url=f"{url}#note-{note.pk}",
            actor=by.user,
            dedupe_key=f"inbox-note:{note.pk}",
        )
    return note
