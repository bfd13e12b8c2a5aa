"""Working the inbox faster: saved replies (with a few variables), tags, snooze and bulk actions.

Saved replies may name three variables, replaced when one is inserted (nothing else is a variable):
``{first_name}`` (the customer's first name), ``{channel}`` (the channel's name) and ``{agent}``
(the first name of whoever inserts it). Any other ``{word}`` is refused when the reply is saved.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.capabilities import Capability, can, require
from socialops.audit.services import record_event
from socialops.errors import ApplicationError, Conflict, NotAllowed, ValidationFailed

from ..models import Conversation, ConversationTag, SavedReply, Tag
from .conversations import assign_conversation, set_conversation_status

VARIABLES = ("first_name", "channel", "agent")
_VARIABLE = re.compile(r"\{([^{}]*)\}")
_COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")
LANGUAGES = ("", "en", "id")


# --- saved replies ---------------------------------------------------------------------------


def unknown_variables(text: str) -> list[str]:
    return sorted({name for name in _VARIABLE.findall(text or "") if name not in VARIABLES})


def render_saved_reply(saved: SavedReply, *, conversation: Conversation, by) -> str:
    """The saved reply's text with its variables filled in for ``conversation``."""
    author = (conversation.author_name or conversation.author_handle or "").strip()
    values = {
        "first_name": author.split()[0] if author else "",
        "channel": conversation.channel.name,
        "agent": by.user.get_short_name() if by is not None else "",
    }
    return _VARIABLE.sub(lambda m: values.get(m.group(1), m.group(0)), saved.text)


def may_manage_saved_reply(by, team) -> bool:
    """Shared replies (no team): admins. A team's: whoever may moderate and is in the team, or
    an admin."""
    if can(by, Capability.MANAGE_ORGANIZATION):
        return True
    if team is None:
        return False
    return can(by, Capability.MODERATE) and by.teams.filter(pk=team.pk).exists()


def _check_saved_reply(by, *, title, text, team, language):
    if team is not None and team.organization_id != by.organization_id:
        raise ValidationFailed(_("Unknown team."), fields={"team": [_("Unknown team.")]})
    if not may_manage_saved_reply(by, team):
        raise NotAllowed(
            _("Only admins manage shared saved replies; a team's, its members who moderate.")
        )
    title, text = (title or "").strip(), (text or "").strip()
    errors: dict[str, list[str]] = {}
    if not title:
        errors["title"] = [_("Give the saved reply a title.")]
    if not text:
        errors["text"] = [_("Write the reply's text.")]
    unknown = unknown_variables(text)
    if unknown:
        errors["text"] = [
            _("Unknown variable(s): %(names)s. Use {first_name}, {channel} or {agent}.")
            % {"names": ", ".join("{" + n + "}" for n in unknown)}
        ]
    if language not in LANGUAGES:
        errors["language"] = [_("Unknown language.")]
    if errors:
        raise ValidationFailed(next(iter(errors.values()))[0], fields=errors)
    return title, text


@transaction.atomic
def save_saved_reply(
    by, *, title: str, text: str, team=None, language: str = "", saved: SavedReply | None = None
) -> SavedReply:
    """Create (``saved`` None) or edit a saved reply."""
    if saved is not None and not may_manage_saved_reply(by, saved.team):
        raise NotAllowed(_("You may not edit this saved reply."))
    title, text = _check_saved_reply(by, title=title, text=text, team=team, language=language)
    if saved is None:
        saved = SavedReply(organization_id=by.organization_id, created_by=by)
    saved.title, saved.text, saved.team, saved.language = title, text, team, language
    saved.save()
    record_event(by.organization, "inbox.saved_reply_saved", obj=saved, actor=by.user, via="web")
    return saved


@transaction.atomic
def delete_saved_reply(by, saved: SavedReply) -> None:
    if not may_manage_saved_reply(by, saved.team):
        raise NotAllowed(_("You may not delete this saved reply."))
    record_event(
        by.organization,
        "inbox.saved_reply_deleted",
        obj=saved,
        actor=by.user,
        via="web",
        changes={"title": saved.title},
    )
    saved.delete()


# --- tags ------------------------------------------------------------------------------------


def _check_tag(by, *, name: str, colour: str, tag: Tag | None = None) -> tuple[str, str]:
    """The tag's name and colour, checked: a clear error for an empty or long name, a bad colour
    or another tag's name (compared without case)."""
    name = (name or "").strip()
    if not name or len(name) > 50:
        raise ValidationFailed(
            _("A tag needs a name of up to 50 characters."), fields={"name": [_("Name the tag.")]}
        )
    if not _COLOUR.match(colour or ""):
        raise ValidationFailed(_("A colour is written #rrggbb."), fields={"colour": ["#rrggbb"]})
    others = Tag.objects.for_org(by.organization_id).filter(name__iexact=name)
    if tag is not None:
        others = others.exclude(pk=tag.pk)
    if others.exists():
        raise _duplicate_tag()
    return name, colour


def _duplicate_tag() -> Conflict:
    message = _("There is already a tag with this name.")
    return Conflict(message, fields={"name": [message]}, code="duplicate_name")


@transaction.atomic
def create_tag(by, *, name: str, colour: str = "#6b7280", via: str = "web") -> Tag:
    require(by, Capability.MODERATE)
    name, colour = _check_tag(by, name=name, colour=colour)
    try:
        with transaction.atomic():
            tag = Tag.objects.create(organization_id=by.organization_id, name=name, colour=colour)
    except IntegrityError:
        raise _duplicate_tag() from None
    record_event(
        by.organization,
        "inbox.tag_created",
        obj=tag,
        actor=by.user,
        via=via,
        changes={"name": name},
    )
    return tag


@transaction.atomic
def update_tag(
    tag: Tag, *, by, name: str | None = None, colour: str | None = None, via: str = "web"
) -> Tag:
    """Rename a tag or change its colour (the conversations keep it)."""
    require(by, Capability.MODERATE)
    previous = (tag.name, tag.colour)
    name, colour = _check_tag(
        by,
        name=tag.name if name is None else name,
        colour=tag.colour if colour is None else colour,
        tag=tag,
    )
    tag.name, tag.colour = name, colour
    try:
        with transaction.atomic():
            tag.save(update_fields=["name", "colour"])
    except IntegrityError:
        tag.name, tag.colour = previous
        raise _duplicate_tag() from None
    changes = {}
    if previous[0] != name:
        changes["name"] = [previous[0], name]
    if previous[1] != colour:
        changes["colour"] = [previous[1], colour]
    if changes:
        record_event(
            by.organization, "inbox.tag_changed", obj=tag, actor=by.user, via=via, changes=changes
        )
    return tag


@transaction.atomic
def delete_tag(tag: Tag, *, by, via: str = "web") -> int:
    """Remove a tag from the organization and from every conversation that has it; the number of
    conversations it was on."""
    require(by, Capability.MODERATE)
    links = ConversationTag.objects.for_org(tag.organization_id).filter(tag=tag)
    count = links.count()
    record_event(
        by.organization,
        "inbox.tag_deleted",
        obj=tag,
        actor=by.user,
        via=via,
        changes={"name": tag.name, "conversations": count},
    )
    links.delete()
    Tag.objects.for_org(tag.organization_id).filter(pk=tag.pk).delete()
    return count


def tag_conversation(conversation: Conversation, *, by, tag: Tag, on: bool = True) -> None:
    """Put ``tag`` on the conversation (``on``) or take it off."""
    require(by, Capability.MODERATE, conversation.channel)
    if tag.organization_id != conversation.organization_id:
        raise ValidationFailed(_("Unknown tag."))
    links = ConversationTag.objects.for_org(conversation.organization_id)
    with transaction.atomic():
        if on:
            links.get_or_create(
                organization_id=conversation.organization_id, conversation=conversation, tag=tag
            )
        else:
            links.filter(conversation=conversation, tag=tag).delete()
        record_event(
            conversation.organization,
            "inbox.tagged" if on else "inbox.untagged",
            obj=conversation,
            actor=by.user,
            via="web",
            changes={"tag": tag.name},
        )


# --- snooze ----------------------------------------------------------------------------------


@transaction.atomic
def snooze_conversation(conversation: Conversation, *, by, until: datetime) -> Conversation:
    """Put the conversation aside until ``until``: it comes back open then (``wake_snoozed``), or
    earlier when the customer writes again (ingest)."""
    require(by, Capability.MODERATE, conversation.channel)
    if until <= timezone.now():
        raise ValidationFailed(
            _("Snooze until a time in the future."), fields={"until": [_("Pick a later time.")]}
        )
    previous = conversation.status
    conversation.status = Conversation.Status.SNOOZED
    conversation.snoozed_until = until
    conversation.save(update_fields=["status", "snoozed_until", "updated_at"])
    record_event(
        conversation.organization,
        "inbox.snoozed",
        obj=conversation,
        actor=by.user,
        via="web",
        changes={"status": [previous, "snoozed"], "until": until.isoformat()},
    )
    return conversation


def wake_snoozed(now: datetime | None = None) -> int:
    """The beat sweep (every organization): snoozed conversations whose time has come are open."""
    now = now or timezone.now()
    return (
        Conversation.objects.unscoped()
        .filter(status=Conversation.Status.SNOOZED, snoozed_until__lte=now)
        .update(status=Conversation.Status.OPEN, snoozed_until=None, updated_at=now)
    )


# --- bulk ------------------------------------------------------------------------------------

BULK_ACTIONS = ("assign_me", "close", "tag", "spam")


@dataclass
class BulkResult:
    done: list[int] = field(default_factory=list)
    refused: list[int] = field(default_factory=list)


def bulk_action(by, conversation_ids, *, action: str, tag: Tag | None = None) -> BulkResult:
    """One action over a selection. Each conversation is looked up as the member sees it (another
    organization's, or one on a channel they do not moderate, is refused like a failed one)."""
    from ..selectors import InboxFilters, conversations_for

    if action not in BULK_ACTIONS:
        raise ValidationFailed(_("Unknown action."))
    if action == "tag" and tag is None:
        raise ValidationFailed(_("Pick a tag."))
    ids = sorted({int(i) for i in conversation_ids if str(i).isdigit()})[:500]
    visible = {
        c.pk: c for c in conversations_for(by, InboxFilters(status="all")).filter(pk__in=ids)
    }
    result = BulkResult()
    for pk in ids:
        conversation = visible.get(pk)
        if conversation is None:
            result.refused.append(pk)
            continue
        try:
            if action == "assign_me":
                assign_conversation(conversation, by=by, assignee=by)
            elif action == "close":
                set_conversation_status(conversation, by=by, status=Conversation.Status.CLOSED)
            elif action == "spam":
                set_conversation_status(conversation, by=by, status=Conversation.Status.SPAM)
            else:
                tag_conversation(conversation, by=by, tag=tag)
        except ApplicationError:
            result.refused.append(pk)
        else:
            result.done.append(pk)
    return result
