"""What people do with a conversation: reply, assign, close and reopen, hide or delete an item."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.capabilities import Capability, can, require
from accounts.services import UNCHANGED
from channels_registry.providers.base import InboxItem
from channels_registry.providers.errors import ProviderError
from channels_registry.selectors import credentials_for, provider_for
from socialops.audit.services import record_event
from socialops.errors import ApplicationError, Conflict, ValidationFailed

from .. import webhook_events
from ..models import Conversation, Item, Priority, Reply
from .ingest import ingest

log = logging.getLogger(__name__)

#: how long a reply that is being sent keeps a second one from going out
IN_FLIGHT = timedelta(minutes=2)


def _require_moderate(by, conversation: Conversation) -> None:
    require(by, Capability.MODERATE, conversation.channel)


def reply_limit(channel) -> int:
    from channels_registry.providers import provider_class
    from publishing.services import text_limit_for

    return text_limit_for(channel, provider_class(channel.provider).capabilities)


def check_reply_text(channel, text: str) -> str:
    """The reply as it will be sent, or ``ValidationFailed`` (empty, or over the network's limit as
    the composer counts it)."""
    from publishing.services import text_length

    text = (text or "").strip()
    if not text:
        raise ValidationFailed(
            _("Write a reply first."), fields={"text": [_("Write a reply first.")]}
        )
    limit, length = reply_limit(channel), text_length(channel.provider, text)
    if length > limit:
        message = _("%(length)d of %(limit)d characters: shorten the reply.") % {
            "length": length,
            "limit": limit,
        }
        raise ValidationFailed(message, fields={"text": [message]}, code="reply_too_long")
    return text


def _answered_item(conversation: Conversation) -> Item:
    item = (
        Item.objects.for_org(conversation.organization_id)
        .filter(conversation=conversation, direction=Item.Direction.INBOUND, is_deleted=False)
        .order_by("-created_at", "-pk")
        .first()
    )
    if item is None:
        raise Conflict(_("There is no message to answer in this conversation."))
    return item


class ReplyCollision(Conflict):
    """Someone else answered (or a reply is on its way, or waits for approval) since the writer
    last looked: refused unless they confirm (``force``). ``others`` are the replies and outbound
    items they have not seen, oldest first, for the warning to show."""

    code = "reply_collision"

    def __init__(self, message: str, *, others: list):
        super().__init__(message)
        self.others = others


@dataclass(frozen=True)
class Seen:
    """What the writer's page (or API client) showed: the newest item's and reply's ids (0: none)."""

    item: int = 0
    reply: int = 0


def seen_marker(conversation: Conversation) -> Seen:
    """The newest item and reply of the conversation now: what a reply form carries as "seen"."""
    org = conversation.organization_id
    last_item = (
        Item.objects.for_org(org)
        .filter(conversation=conversation)
        .order_by("-pk")
        .values_list("pk", flat=True)
        .first()
    )
    last_reply = (
        Reply.objects.for_org(org)
        .filter(conversation=conversation)
        .order_by("-pk")
        .values_list("pk", flat=True)
        .first()
    )
    return Seen(item=last_item or 0, reply=last_reply or 0)


#: replies that count as "someone answered": out, on their way, or waiting for an approver
_ANSWERING = (Reply.Status.SENT, Reply.Status.SENDING, Reply.Status.AWAITING_APPROVAL)


def _collisions(conversation: Conversation, *, by, seen: Seen | None, keep: Reply | None) -> list:
    """What stands against sending now: a reply on its way (anyone's, even the writer's own double
    click), and, when the writer says what they saw, every answer since (replies of others from
    here, outbound items from the network's own app)."""
    org = conversation.organization_id
    replies = Reply.objects.for_org(org).filter(conversation=conversation)
    if keep is not None:
        replies = replies.exclude(pk=keep.pk)
    in_flight = Q(status=Reply.Status.SENDING, created_at__gte=timezone.now() - IN_FLIGHT)
    others = list(replies.filter(in_flight).select_related("author__user"))
    items: list[Item] = []
    if seen is not None:
        # a service account (API) acts without a membership row: it has no replies of its own
        by_pk = getattr(by, "pk", None)
        since = replies.filter(pk__gt=seen.reply, status__in=_ANSWERING).exclude(in_flight)
        if by_pk is not None:
            since = since.exclude(author_id=by_pk)
        others += list(since.select_related("author__user"))
        # a reply sent from here comes back as an outbound item too: the writer's own, and those
        # already counted above, are not news
        known = {r.external_id for r in others if r.external_id}
        if by_pk is not None:
            known |= set(
                replies.filter(author_id=by_pk)
                .exclude(external_id="")
                .values_list("external_id", flat=True)
            )
        items = list(
            Item.objects.for_org(org)
            .filter(conversation=conversation, pk__gt=seen.item, direction=Item.Direction.OUTBOUND)
            .exclude(external_id__in=known)
        )
    return sorted([*others, *items], key=lambda x: (x.created_at, x.pk))


def _collision_message(others: list) -> str:
    first = others[0]
    if isinstance(first, Reply):
        who = (first.author.user.get_full_name() or first.author.user.email) if first.author else ""
        if first.status == Reply.Status.SENDING:
            return _("Another reply to this conversation is being sent: “%(text)s”.") % {
                "text": first.text[:200]
            }
        if first.status == Reply.Status.AWAITING_APPROVAL:
            return _("%(who)s wrote a reply that is waiting for approval: “%(text)s”.") % {
                "who": who or _("Someone"),
                "text": first.text[:200],
            }
        return _("%(who)s replied since you opened this conversation: “%(text)s”.") % {
            "who": who or _("Someone"),
            "text": first.text[:200],
        }
    return _("The channel replied since you opened this conversation: “%(text)s”.") % {
        "text": first.text[:200]
    }


def send_reply(
    conversation: Conversation,
    *,
    by,
    text: str,
    reply: Reply | None = None,
    via: str = "web",
    seen: Seen | None = None,
    force: bool = False,
) -> Reply:
    """Send ``text`` through the network as an answer to the conversation's latest message.

    The reply row is stored first (``sending``), the network is called outside any transaction,
    and the outcome is written after: ``sent`` with the network's id, or ``failed`` with its words
    (the text stays, to edit and send again by passing the failed ``reply`` back).

    Two answers never go out unnoticed: a reply on its way, or (given ``seen``, what the writer's
    page showed) anyone's answer since, raises :class:`ReplyCollision` unless ``force`` (the writer
    saw the warning and confirmed). A writer whose replies need approval
    (``reply_approval.needs_approval``) gets the reply stored ``awaiting_approval`` instead, and
    the approvers are told; :func:`approve_reply` sends it.
    """
    from .reply_approval import needs_approval, submit_for_approval

    _require_moderate(by, conversation)
    channel = conversation.channel
    text = check_reply_text(channel, text)
    approval = needs_approval(by, conversation)
    with transaction.atomic():
        # One reply in flight per conversation: the row lock queues a double click (or a second
        # person) behind the first, which then finds it sending. A send that died mid-way stops
        # blocking after IN_FLIGHT.
        Conversation.objects.for_org(conversation.organization_id).select_for_update().filter(
            pk=conversation.pk
        ).first()
        if not force:
            others = _collisions(conversation, by=by, seen=seen, keep=reply)
            if others:
                raise ReplyCollision(_collision_message(others), others=others)
        status = Reply.Status.AWAITING_APPROVAL if approval else Reply.Status.SENDING
        if reply is not None:
            reply = (
                Reply.objects.for_org(conversation.organization_id)
                .select_for_update()
                .filter(pk=reply.pk, conversation=conversation)
                .first()
            )
            editable = (Reply.Status.FAILED, Reply.Status.DRAFT, Reply.Status.REJECTED)
            if reply is None or reply.status not in editable:
                raise Conflict(_("This reply was already sent or is being sent."))
            reply.text, reply.status, reply.error = text, status, ""
            reply.author = by
            reply.save(update_fields=["text", "status", "error", "author"])
        else:
            reply = Reply.objects.create(
                organization_id=conversation.organization_id,
                conversation=conversation,
                in_reply_to=_answered_item(conversation),
                author=by,
                text=text,
                status=status,
            )
        if approval:
            submit_for_approval(reply, by=by, via=via, forced=force)
            return reply
    return deliver_reply(reply, by=by, via=via, forced=force)


def deliver_reply(reply: Reply, *, by, via: str = "web", forced: bool = False) -> Reply:
    """Call the network for a reply already marked ``sending`` and record the outcome (sent, or a
    failed draft with the network's words). Outside any transaction: the network may be slow."""
    conversation = reply.conversation
    channel = conversation.channel
    text = reply.text
    answered = reply.in_reply_to
    target = InboxItem(
        external_id=answered.external_id,
        kind=answered.kind,
        text=answered.text,
        author_id=answered.author_external_id,
        author_handle=answered.author_handle,
        post_external_id=answered.post_external_id,
        parent_external_id=answered.parent_external_id,
        thread_id=conversation.external_thread_id,
    )
    try:
        if not channel.is_usable:
            raise ProviderError(_("The channel is not connected: reconnect it, then send again."))
        external_id = provider_for(channel).reply(
            credentials_for(channel), channel.external_id, target, text
        )
    except Exception as exc:  # noqa: BLE001 - whatever went wrong, the reply is kept, marked failed
        if isinstance(exc, (ProviderError, ApplicationError)):
            error = getattr(exc, "message", "") or str(exc)
        else:
            log.exception("Sending reply %s failed unexpectedly", reply.pk)
            error = _("The reply could not be sent (an unexpected error). Try again.")
        with transaction.atomic():
            Reply.objects.for_org(conversation.organization_id).filter(pk=reply.pk).update(
                status=Reply.Status.FAILED, error=error[:2000]
            )
            record_event(
                conversation.organization,
                "inbox.reply_failed",
                obj=conversation,
                actor=by.user,
                via=via,
                changes={"reply": reply.pk, "error": error[:500]},
            )
        reply.refresh_from_db()
        return reply
    now = timezone.now()
    mine = InboxItem(
        external_id=external_id,
        kind="dm" if answered.kind == Item.Kind.DM else "reply",
        text=text,
        author_id=channel.external_id,
        author_name=channel.name,
        author_handle=channel.handle,
        created_at=now,
        post_external_id=answered.post_external_id,
        parent_external_id=answered.external_id,
        thread_id=conversation.external_thread_id,
    )
    with transaction.atomic():
        Reply.objects.for_org(conversation.organization_id).filter(pk=reply.pk).update(
            status=Reply.Status.SENT, external_id=external_id, sent_at=now, error=""
        )
        ingest(channel, [mine])
        # answered: the ball is in the customer's court
        Conversation.objects.for_org(conversation.organization_id).filter(
            pk=conversation.pk, status__in=[Conversation.Status.NEW, Conversation.Status.OPEN]
        ).update(status=Conversation.Status.PENDING)
        changes = {"reply": reply.pk, "external_id": external_id}
        if forced:
            changes["forced"] = True  # sent despite the warning of another answer
        record_event(
            conversation.organization,
            "inbox.reply_sent",
            obj=conversation,
            actor=by.user,
            via=via,
            changes=changes,
        )
    reply.refresh_from_db()
    return reply


@transaction.atomic
def edit_reply(reply: Reply, *, by, text: str) -> Reply:
    """Change a failed, draft or rejected reply's text before sending it again."""
    conversation = reply.conversation
    _require_moderate(by, conversation)
    text = check_reply_text(conversation.channel, text)
    editable = [Reply.Status.FAILED, Reply.Status.DRAFT, Reply.Status.REJECTED]
    updated = (
        Reply.objects.for_org(reply.organization_id)
        .filter(pk=reply.pk, status__in=editable)
        .update(text=text)
    )
    if not updated:
        raise Conflict(_("This reply was already sent or is being sent."))
    previous = reply.text
    reply.refresh_from_db()
    record_event(
        conversation.organization,
        "inbox.reply_edited",
        obj=conversation,
        actor=by.user,
        changes={"reply": reply.pk, "text": [previous, reply.text]},
    )
    return reply


@transaction.atomic
def assign_conversation(
    conversation: Conversation, *, by, assignee, via: str = "web"
) -> Conversation:
    """Give the conversation to ``assignee`` (a membership of the same organization), or to no one."""
    _require_moderate(by, conversation)
    if assignee is not None and not can(assignee, Capability.MODERATE, conversation.channel):
        raise ValidationFailed(_("This person may not answer on this channel."))
    previous = conversation.assignee_id
    conversation.assignee = assignee
    if assignee is not None and conversation.status == Conversation.Status.NEW:
        conversation.status = Conversation.Status.OPEN
    conversation.save(update_fields=["assignee", "status", "updated_at"])
    record_event(
        conversation.organization,
        "inbox.assigned",
        obj=conversation,
        actor=by.user,
        via=via,
        changes={"assignee": [previous, assignee.pk if assignee else None]},
    )
    webhook_events.conversation_assigned(conversation)
    return conversation


@transaction.atomic
def set_conversation_triage(
    conversation: Conversation,
    *,
    by,
    priority: str = UNCHANGED,
    team=UNCHANGED,  # (``accounts.services.UNCHANGED``: left as it is; None: no team)
    via: str = "web",
) -> Conversation:
    """Triage by hand: set the conversation's ``priority``, its ``team`` (``None``: no team), or
    both. A running SLA clock keeps its start and gets the due the new team and priority give (the
    team's target and business hours, ``sla.SlaClock``); a stopped one stays stopped."""
    from .sla import SlaClock

    _require_moderate(by, conversation)
    if priority is UNCHANGED and team is UNCHANGED:
        raise ValidationFailed(_("Give a priority, a team, or both."))
    if priority is not UNCHANGED and priority not in Priority.values:
        message = _("Choose low, normal, high or urgent.")
        raise ValidationFailed(message, fields={"priority": [message]})
    if team not in (UNCHANGED, None) and team.organization_id != conversation.organization_id:
        message = _("Choose a team of this organization.")
        raise ValidationFailed(message, fields={"team": [message]})
    org_id = conversation.organization_id
    # under the row lock, from the row: an ingest moving the clock meanwhile is not overwritten
    now = (
        Conversation.objects.for_org(org_id)
        .select_for_update()
        .values("priority", "assigned_team_id", "sla_started_at", "sla_due_at")
        .get(pk=conversation.pk)
    )
    new_priority = now["priority"] if priority is UNCHANGED else priority
    new_team = now["assigned_team_id"] if team is UNCHANGED else (team.pk if team else None)
    changes: dict = {}
    if new_priority != now["priority"]:
        changes["priority"] = [now["priority"], new_priority]
    if new_team != now["assigned_team_id"]:
        changes["team"] = [now["assigned_team_id"], new_team]
    if not changes:
        return conversation
    conversation.priority, conversation.assigned_team_id = new_priority, new_team
    conversation.sla_started_at, conversation.sla_due_at = now["sla_started_at"], now["sla_due_at"]
    fields = ["priority", "assigned_team", "updated_at"]
    start = now["sla_started_at"]
    if start is not None and now["sla_due_at"] is not None:
        clock = SlaClock.load(org_id, {new_team}, around=start)
        due = clock.due(team_id=new_team, priority=new_priority, start=start)
        if due != now["sla_due_at"]:
            conversation.sla_due_at = due
            fields.append("sla_due_at")
            if due > timezone.now():  # a breach of the new due is told again, when it comes
                conversation.sla_breach_notified_at = None
                fields.append("sla_breach_notified_at")
            changes["sla_due_at"] = [now["sla_due_at"].isoformat(), due.isoformat()]
    conversation.save(update_fields=fields)
    record_event(
        conversation.organization,
        "inbox.triaged",
        obj=conversation,
        actor=by.user,
        via=via,
        changes=changes,
    )
    return conversation


#: the statuses whose SLA clock is stopped (set_conversation_status clears it on the way in)
_CLOCK_STOPPED = (Conversation.Status.CLOSED, Conversation.Status.SPAM)


def _restart_clock(conversation: Conversation, *, at) -> None:
    """Start the conversation's SLA clock at ``at``: the due its team's target for its priority
    gives, in the team's business hours (the fields are set, not saved)."""
    from .sla import SlaClock

    team_id = conversation.assigned_team_id
    clock = SlaClock.load(conversation.organization_id, {team_id}, around=at)
    conversation.sla_started_at = at
    conversation.sla_due_at = clock.due(team_id=team_id, priority=conversation.priority, start=at)
    conversation.sla_breach_notified_at = None


_STATUS_MOVES = {
    Conversation.Status.CLOSED: "inbox.closed",
    Conversation.Status.OPEN: "inbox.reopened",
    Conversation.Status.SPAM: "inbox.marked_spam",
}


@transaction.atomic
def set_conversation_status(
    conversation: Conversation, *, by, status: str, via: str = "web"
) -> Conversation:
    """Close, reopen or mark as spam. Closing and spam stop the SLA clock; reopening a closed or
    spam conversation restarts it from now (the team's target for its priority, in the team's
    business hours)."""
    _require_moderate(by, conversation)
    if status not in _STATUS_MOVES:
        raise ValidationFailed(_("Unknown status."))
    previous = conversation.status
    if previous == status:
        return conversation
    conversation.status = status
    conversation.snoozed_until = None
    fields = ["status", "snoozed_until", "updated_at"]
    if status == Conversation.Status.CLOSED:  # (the figures count closings by day)
        conversation.closed_at = timezone.now()
        fields.append("closed_at")
    if status in (Conversation.Status.CLOSED, Conversation.Status.SPAM):
        # nothing awaits an answer any more: the SLA clock stops (a new message starts it again)
        conversation.sla_started_at = conversation.sla_due_at = None
        conversation.sla_breach_notified_at = None
        fields += ["sla_started_at", "sla_due_at", "sla_breach_notified_at"]
    changes: dict = {"status": [previous, status]}
    if status == Conversation.Status.OPEN and previous in _CLOCK_STOPPED:
        _restart_clock(conversation, at=timezone.now())
        fields += ["sla_started_at", "sla_due_at", "sla_breach_notified_at"]
        changes["sla_due_at"] = conversation.sla_due_at.isoformat()
    conversation.save(update_fields=fields)
    record_event(
        conversation.organization,
        _STATUS_MOVES[status],
        obj=conversation,
        actor=by.user,
        via=via,
        changes=changes,
    )
    if status == Conversation.Status.CLOSED:
        webhook_events.conversation_closed(conversation)
    return conversation


def moderate_item(item: Item, *, by, action: str, via: str = "web") -> Item:
    """Hide, show, delete, like or unlike a comment on its network, where the network allows it."""
    conversation = item.conversation
    _require_moderate(by, conversation)
    channel = conversation.channel
    provider = provider_for(channel)
    allowed = {
        "hide": provider.supports("hide_comments"),
        "unhide": provider.supports("hide_comments"),
        "delete": provider.supports("delete_comments"),
        "like": provider.supports("like_comments"),
        "unlike": provider.supports("like_comments"),
    }
    if not allowed.get(action) or item.kind == Item.Kind.DM:
        raise ValidationFailed(_("This network does not allow that."))
    try:
        if action == "delete":
            provider.delete_comment(credentials_for(channel), channel.external_id, item.external_id)
        elif action in ("like", "unlike"):
            provider.like_comment(
                credentials_for(channel),
                channel.external_id,
                item.external_id,
                liked=action == "like",
            )
        else:
            provider.hide_comment(
                credentials_for(channel),
                channel.external_id,
                item.external_id,
                hidden=action == "hide",
            )
    except ProviderError as exc:
        raise Conflict(exc.message) from None
    with transaction.atomic():
        fields = {
            "delete": {"is_deleted": True},
            "like": {"is_liked": True},
            "unlike": {"is_liked": False},
        }.get(action, {"is_hidden": action == "hide"})
        Item.objects.for_org(item.organization_id).filter(pk=item.pk).update(**fields)
        record_event(
            conversation.organization,
            f"inbox.item_{action}",
            obj=conversation,
            actor=by.user,
            via=via,
            changes={"item": item.external_id},
        )
    item.refresh_from_db()
    return item
