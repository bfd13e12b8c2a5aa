"""Replies that need approval: trainees and regulated teams send their replies to an approver, who
sends them (possibly edited: the edit is kept and audited) or rejects them with a comment.

Who needs approval is data (``ReplyApprovalRequirement``): a team (its members and the members
of the teams below it) or one member. A team's requirement does not bind the people who approve
on the channel (the leads themselves); a member's own flag always does.

Who approves is one function, :func:`reply_approvers`: the lead (``Team.lead``) of the author's
team — of each of the author's teams, when they are in several — provided the lead is active, may
approve and moderate on the conversation's channel, needs no approval themselves and is not the
author. When no lead qualifies (no lead, or the lead lacks the capability on this channel): the
active members who may approve and moderate on the channel (and need no approval themselves). Who
is told is who may decide: while a qualifying lead exists, nobody else approves or rejects.

A lead who is away (an out-of-office of the approvals app, now) hands the request to the backup
they named for the absence (its delegate), or, when that person cannot approve here, to the next
lead up the team tree who is present and can; when nobody up the tree can, the members who may
approve decide, as with no lead. Working hours do not count as away: a reply waits for the lead's
next working hour as it would for any approval.

What this reuses of the approvals app: the notification service and its kinds (approval
requested / decided). Not its signed one-tap links (``approvals.services.links``): those are bound
to an approval assignment, a request and a post version, so a reply would need a hack to fit; an
approver decides on the conversation page (or through the API), signed in.
"""

from __future__ import annotations

from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.capabilities import Capability, can
from accounts.notifications import NotificationKind, notify
from socialops.audit.services import record_event
from socialops.errors import Conflict, NotAllowed, ValidationFailed

from ..models import Conversation, Reply, ReplyApprovalRequirement


def _covering_teams(membership) -> set[int]:
    """The member's teams and their ancestors (a team's requirement covers its subtree)."""
    from accounts.selectors import team_parents

    parents = team_parents(membership.organization)
    out: set[int] = set()
    for team_id in membership.teams.values_list("pk", flat=True):
        node = team_id
        while node is not None and node not in out:
            out.add(node)
            node = parents.get(node)
    return out


def _member_flagged(membership) -> bool:
    if getattr(membership, "pk", None) is None:
        return False  # a service account (API): no membership row to flag
    return (
        ReplyApprovalRequirement.objects.for_org(membership.organization_id)
        .filter(membership=membership)
        .exists()
    )


def needs_approval(membership, conversation: Conversation) -> bool:
    """Do ``membership``'s replies on this conversation go to an approver first?"""
    if _member_flagged(membership):
        return True
    if can(membership, Capability.APPROVE, conversation.channel):
        return False  # a lead of a regulated team answers directly
    teams = _covering_teams(membership)
    return (
        bool(teams)
        and ReplyApprovalRequirement.objects.for_org(membership.organization_id)
        .filter(team_id__in=teams)
        .exists()
    )


def _may_approve(member, conversation: Conversation, *, author) -> bool:
    return (
        member is not None
        and member.pk is not None  # a service account does not approve replies
        and (author is None or member.pk != author.pk)
        and can(member, Capability.APPROVE, conversation.channel)
        and can(member, Capability.MODERATE, conversation.channel)
        and not _member_flagged(member)
    )


def _team_leads(conversation: Conversation, *, author) -> list:
    """The leads of ``author``'s own teams who may approve on the conversation's channel; for a
    lead who is away (out of office, ``approvals``), their stand-in (see :func:`_stand_in`)."""
    if author is None or getattr(author, "pk", None) is None:
        return []  # a service account (API) belongs to no team
    from accounts.models import Team

    own = list(author.teams.values_list("pk", flat=True))
    if not own:
        return []
    teams = {
        t.pk: t for t in Team.objects.for_org(author.organization_id).select_related("lead__user")
    }
    now = timezone.now()
    leads: dict[int, object] = {}
    for team_id in own:
        lead = teams[team_id].lead
        if lead is None:
            continue
        if _is_away(lead, now):
            lead = _stand_in(teams, team_id, conversation, author=author, now=now)
        if lead is not None and _may_approve(lead, conversation, author=author):
            leads[lead.pk] = lead
    return list(leads.values())


def _is_away(member, now) -> bool:
    from approvals.selectors import active_out_of_office

    return active_out_of_office(member, at=now) is not None


def _stand_in(teams: dict, team_id: int, conversation: Conversation, *, author, now):
    """Who approves for the away lead of ``team_id``: the backup they named for their absence
    (the out-of-office delegate, as approvals use it) when that person may approve here and is not
    away too; else the next lead up the team tree who is present and may approve; else None (the
    members who may approve decide, as with no lead)."""
    from approvals.selectors import active_out_of_office

    away = active_out_of_office(teams[team_id].lead, at=now)
    backup = away.delegate if away is not None else None
    if (
        backup is not None
        and backup.user.is_active
        and not _is_away(backup, now)
        and _may_approve(backup, conversation, author=author)
    ):
        return backup
    seen = {team_id}
    node = teams[team_id].parent_id
    while node is not None and node not in seen and node in teams:
        seen.add(node)
        lead = teams[node].lead
        if (
            lead is not None
            and lead.is_active
            and not _is_away(lead, now)
            and _may_approve(lead, conversation, author=author)
        ):
            return lead
        node = teams[node].parent_id
    return None


def reply_approvers(conversation: Conversation, *, author) -> list:
    """Who approves ``author``'s replies on ``conversation`` (see the module's docstring)."""
    from accounts.selectors import members_of

    leads = _team_leads(conversation, author=author)
    if leads:
        return leads
    able = [
        m
        for m in members_of(conversation.organization, include_inactive=False)
        if _may_approve(m, conversation, author=author)
    ]
    now = timezone.now()
    present = [m for m in able if not _is_away(m, now)]
    return present or able  # when everyone is away, still someone decides


def may_approve_reply(member, reply: Reply) -> bool:
    if reply.status != Reply.Status.AWAITING_APPROVAL or not _may_approve(
        member, reply.conversation, author=reply.author
    ):
        return False
    leads = _team_leads(reply.conversation, author=reply.author)
    return not leads or member.pk in {m.pk for m in leads}


def _conversation_url(conversation: Conversation, reply: Reply) -> str:
    return (
        reverse(
            "inbox_conversation",
            kwargs={"org_slug": conversation.organization.slug, "conversation_id": conversation.pk},
        )
        + f"#reply-{reply.pk}"
    )


def _context(reply: Reply, by) -> dict:
    conversation = reply.conversation
    return {
        "author": by.user.get_short_name() if by else "",
        "customer": conversation.author_name or conversation.author_handle,
        "channel": conversation.channel.display_handle or conversation.channel.name,
        "text": reply.text[:500],
        "comment": reply.decision_comment[:500],
    }


def submit_for_approval(reply: Reply, *, by, via: str = "web", forced: bool = False) -> None:
    """Within the caller's transaction: audit the reply (already ``awaiting_approval``) and tell
    the approvers. A reply nobody could approve is refused rather than left waiting forever."""
    conversation = reply.conversation
    approvers = reply_approvers(conversation, author=by)
    if not approvers:
        raise Conflict(
            _(
                "Your replies need approval, but nobody can approve them on this channel: ask an admin."
            )
        )
    changes: dict = {"reply": reply.pk, "approvers": [m.pk for m in approvers]}
    if forced:
        changes["forced"] = True
    record_event(
        conversation.organization,
        "inbox.reply_submitted",
        obj=conversation,
        actor=by.user,
        via=via,
        changes=changes,
    )
    notify(
        conversation.organization,
        recipients=approvers,
        kind=NotificationKind.APPROVAL_REQUESTED,
        template="inbox_reply_approval_requested",
        context=_context(reply, by),
        url=_conversation_url(conversation, reply),
        actor=by.user,
    )


def _awaiting(reply: Reply, by) -> Reply:
    """The reply, locked, if it still waits and ``by`` may decide it."""
    if not may_approve_reply(by, reply):
        raise NotAllowed(_("You may not approve this reply."))
    row = (
        Reply.objects.for_org(reply.organization_id)
        .select_for_update(of=("self",))
        .select_related("conversation__channel", "conversation__organization", "author__user")
        .filter(pk=reply.pk, status=Reply.Status.AWAITING_APPROVAL)
        .first()
    )
    if row is None:
        raise Conflict(_("This reply was already approved or rejected."), code="already_decided")
    return row


def _tell_author(reply: Reply, *, by, template: str) -> None:
    if reply.author is None:
        return
    notify(
        reply.conversation.organization,
        recipients=[reply.author],
        kind=NotificationKind.APPROVAL_DECIDED,
        template=template,
        context={**_context(reply, by), "approver": by.user.get_short_name()},
        url=_conversation_url(reply.conversation, reply),
        actor=by.user,
    )


def approve_reply(
    reply: Reply, *, by, text: str | None = None, comment: str = "", via: str = "web"
) -> Reply:
    """Send a waiting reply through the network; with ``text`` the approver's version goes out
    (the author's is kept in ``original_text``). A failure leaves the usual failed draft."""
    from .conversations import (
        ReplyCollision,
        _collision_message,
        _collisions,
        check_reply_text,
        deliver_reply,
    )

    conversation = reply.conversation
    if text is not None:
        text = check_reply_text(conversation.channel, text)
    comment = (comment or "").strip()[:2000]
    with transaction.atomic():
        Conversation.objects.for_org(conversation.organization_id).select_for_update().filter(
            pk=conversation.pk
        ).first()
        row = _awaiting(reply, by)
        others = _collisions(conversation, by=by, seen=None, keep=row)
        if others:
            raise ReplyCollision(_collision_message(others), others=others)
        edited = text is not None and text != row.text
        changes: dict = {"reply": row.pk, "edited": edited}
        if edited:
            row.original_text, row.text = row.text, text
            changes["text"] = [row.original_text[:2000], row.text[:2000]]
        row.status = Reply.Status.SENDING
        row.decided_by, row.decided_at, row.decision_comment = by, timezone.now(), comment
        row.save(
            update_fields=[
                "text",
                "original_text",
                "status",
                "decided_by",
                "decided_at",
                "decision_comment",
            ]
        )
        record_event(
            conversation.organization,
            "inbox.reply_approved",
            obj=conversation,
            actor=by.user,
            via=via,
            changes=changes,
        )
        _tell_author(row, by=by, template="inbox_reply_approved")
    return deliver_reply(row, by=by, via=via)


@transaction.atomic
def reject_reply(reply: Reply, *, by, comment: str, via: str = "web") -> Reply:
    """Refuse a waiting reply, saying why; the author may edit it and submit it again."""
    comment = (comment or "").strip()
    if not comment:
        message = _("Say why the reply is rejected.")
        raise ValidationFailed(message, fields={"comment": [message]})
    if len(comment) > 2000:
        message = _("Keep the comment under 2,000 characters.")
        raise ValidationFailed(message, fields={"comment": [message]})
    row = _awaiting(reply, by)
    row.status = Reply.Status.REJECTED
    row.decided_by, row.decided_at, row.decision_comment = by, timezone.now(), comment
    row.save(update_fields=["status", "decided_by", "decided_at", "decision_comment"])
    record_event(
        row.conversation.organization,
        "inbox.reply_rejected",
        obj=row.conversation,
        actor=by.user,
        via=via,
        changes={"reply": row.pk, "comment": comment[:500]},
    )
    _tell_author(row, by=by, template="inbox_reply_rejected")
    return row


@transaction.atomic
def set_reply_approval(organization, *, by, team_ids, membership_ids) -> None:
    """Make exactly these teams and members need approval for their replies (ids of other
    organizations are ignored)."""
    from accounts.capabilities import require
    from accounts.selectors import members_of, teams_of

    require(by, Capability.MANAGE_TEAMS)
    teams = set(teams_of(organization).filter(pk__in=list(team_ids)).values_list("pk", flat=True))
    members = set(
        members_of(organization).filter(pk__in=list(membership_ids)).values_list("pk", flat=True)
    )
    rows = ReplyApprovalRequirement.objects.for_org(organization)
    before_teams = set(rows.filter(team__isnull=False).values_list("team_id", flat=True))
    before_members = set(
        rows.filter(membership__isnull=False).values_list("membership_id", flat=True)
    )
    if teams == before_teams and members == before_members:
        return
    rows.filter(team_id__in=before_teams - teams).delete()
    rows.filter(membership_id__in=before_members - members).delete()
    ReplyApprovalRequirement.objects.bulk_create(
        [
            ReplyApprovalRequirement(organization=organization, team_id=t, created_by=by)
            for t in teams - before_teams
        ]
        + [
            ReplyApprovalRequirement(organization=organization, membership_id=m, created_by=by)
            for m in members - before_members
        ]
    )
    record_event(
        organization,
        "inbox.reply_approval_changed",
        actor=by.user,
        changes={
            "teams": [sorted(before_teams), sorted(teams)],
            "members": [sorted(before_members), sorted(members)],
        },
    )
