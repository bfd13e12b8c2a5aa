"""Reads of the inbox for pages (and, later, the API). Every read starts from the member: the
conversations of channels they may moderate (grants and restricted channels decide, as for posts)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Q, QuerySet
from django.http import Http404

from accounts.capabilities import Capability
from channels_registry.selectors import channels_with_capability

from . import search
from .models import Conversation, ConversationTag, Item, Reply, SavedReply, Tag


def moderated_channels(membership):
    """The channels whose inbox ``membership`` works."""
    return channels_with_capability(membership, Capability.MODERATE)


@dataclass
class InboxFilters:
    status: str = ""  # "" = everything still to work (not closed, not spam); "all" = everything
    channel_id: int | None = None
    provider: str = ""
    #: "me", "none" or a membership id
    assignee: str = ""
    sentiment: str = ""
    language: str = ""
    #: words or part of a word in any item's text or author (``inbox.search``), or the handle
    search: str = ""
    #: conversations on channels of this team or any team below it
    team_id: int | None = None
    #: the last item arrived on or after / before (timezone-aware datetimes)
    last_from: datetime | None = None
    last_before: datetime | None = None
    #: a tag's id
    tag_id: int | None = None


ACTIVE = (
    Conversation.Status.NEW,
    Conversation.Status.OPEN,
    Conversation.Status.PENDING,
    Conversation.Status.SNOOZED,
)


def conversations_for(membership, filters: InboxFilters | None = None) -> QuerySet[Conversation]:
    """The member's inbox, newest first."""
    f = filters or InboxFilters()
    org = membership.organization
    qs = Conversation.objects.for_org(org).filter(
        channel__in=moderated_channels(membership).values("pk")
    )
    if f.status == "all":
        pass
    elif f.status:
        qs = qs.filter(status=f.status)
    else:
        qs = qs.filter(status__in=ACTIVE)
    if f.channel_id:
        qs = qs.filter(channel_id=f.channel_id)
    if f.provider:
        qs = qs.filter(channel__provider=f.provider)
    if f.assignee == "me":
        qs = qs.filter(assignee=membership)
    elif f.assignee == "none":
        qs = qs.filter(assignee__isnull=True)
    elif f.assignee.isdigit():
        qs = qs.filter(assignee_id=int(f.assignee))
    if f.sentiment:
        qs = qs.filter(sentiment=f.sentiment)
    if f.language:
        qs = qs.filter(language=f.language)
    if f.team_id:
        from accounts.selectors import subtree_of, team_parents

        teams = subtree_of(team_parents(org), [f.team_id])
        qs = qs.filter(channel__team_id__in=teams)
    if f.last_from:
        qs = qs.filter(last_item_at__gte=f.last_from)
    if f.last_before:
        qs = qs.filter(last_item_at__lt=f.last_before)
    if f.tag_id:
        tagged = (
            ConversationTag.objects.for_org(org).filter(tag_id=f.tag_id).values("conversation_id")
        )
        qs = qs.filter(pk__in=tagged)
    if f.search:
        qs = search_conversations(qs, org, f.search)
    return qs.select_related("channel", "assignee__user").order_by("-last_item_at", "-pk")


def search_conversations(qs: QuerySet[Conversation], org, words: str) -> QuerySet[Conversation]:
    """``qs`` narrowed to conversations whose author or handle contains ``words``, or with an item
    that matches them (``inbox.search``)."""
    # the snippet is the latest item's text: the items cover it
    in_items = (
        Item.objects.for_org(org).filter(search.item_matches(words)).values("conversation_id")
    )
    return qs.filter(
        Q(author_name__icontains=words) | Q(author_handle__icontains=words) | Q(pk__in=in_items)
    )


def new_conversation_count(membership) -> int:
    return (
        Conversation.objects.for_org(membership.organization)
        .filter(channel__in=moderated_channels(membership).values("pk"), status="new")
        .count()
    )


def get_conversation_for_member(membership, conversation_id) -> Conversation:
    """Another organization's conversation, one on a channel the member may not moderate and a
    missing one are the same 404."""
    try:
        conversation_id = int(conversation_id)
    except (TypeError, ValueError):
        raise Http404("No such conversation.") from None
    conversation = (
        Conversation.objects.for_org(membership.organization)
        .filter(pk=conversation_id, channel__in=moderated_channels(membership).values("pk"))
        .select_related("channel", "assignee__user", "post_variant__post", "organization")
        .first()
    )
    if conversation is None:
        raise Http404("No such conversation.")
    return conversation


def items_of(conversation: Conversation) -> list[Item]:
    return list(
        Item.objects.for_org(conversation.organization_id)
        .filter(conversation=conversation)
        .order_by("created_at", "pk")
    )


def get_item(conversation: Conversation, item_id) -> Item:
    item = (
        Item.objects.for_org(conversation.organization_id)
        .filter(conversation=conversation, pk=item_id)
        .select_related("conversation__channel")
        .first()
    )
    if item is None:
        raise Http404("No such item.")
    return item


def replies_of(conversation: Conversation) -> list[Reply]:
    """Replies not (yet) sent: failed ones to edit and resend, and those on their way."""
    return list(
        Reply.objects.for_org(conversation.organization_id)
        .filter(conversation=conversation)
        .exclude(status=Reply.Status.SENT)
        .select_related("author__user")
        .order_by("created_at", "pk")
    )


def get_reply(conversation: Conversation, reply_id) -> Reply:
    reply = (
        Reply.objects.for_org(conversation.organization_id)
        .filter(conversation=conversation, pk=reply_id)
        .select_related("in_reply_to")
        .first()
    )
    if reply is None:
        raise Http404("No such reply.")
    return reply


def saved_views_for(membership) -> list:
    """The member's own saved views and those shared in the organization, by name."""
    from .models import SavedView

    return list(
        SavedView.objects.for_org(membership.organization)
        .filter(Q(owner=membership) | Q(shared=True))
        .select_related("owner__user")
        .order_by("name", "pk")
    )


def get_own_saved_view(membership, view_id):
    """Only the owner reaches a view to change it; anyone else's (shared or not) is a 404."""
    from .models import SavedView

    view = (
        SavedView.objects.for_org(membership.organization)
        .filter(pk=view_id, owner=membership)
        .first()
    )
    if view is None:
        raise Http404("No such saved view.")
    return view


def tags_of_org(organization) -> list[Tag]:
    return list(Tag.objects.for_org(organization).order_by("name"))


def get_tag(organization, tag_id) -> Tag:
    tag = (
        Tag.objects.for_org(organization).filter(pk=tag_id).first()
        if str(tag_id).isdigit()
        else None
    )
    if tag is None:
        raise Http404("No such tag.")
    return tag


def tags_by_conversation(conversations) -> dict[int, list[Tag]]:
    """The tags of each conversation in ``conversations`` (one query)."""
    conversations = list(conversations)
    if not conversations:
        return {}
    out: dict[int, list[Tag]] = {c.pk: [] for c in conversations}
    links = (
        ConversationTag.objects.for_org(conversations[0].organization_id)
        .filter(conversation_id__in=list(out))
        .select_related("tag")
        .order_by("tag__name")
    )
    for link in links:
        out[link.conversation_id].append(link.tag)
    return out


def saved_replies_of_org(organization) -> list[SavedReply]:
    return list(
        SavedReply.objects.for_org(organization).select_related("team").order_by("title", "pk")
    )


def saved_replies_for(membership, conversation: Conversation) -> list[SavedReply]:
    """The picker's choices: shared ones and those of the member's teams, in the conversation's
    language or any language."""
    teams = membership.teams.values("pk")
    qs = SavedReply.objects.for_org(membership.organization).filter(
        Q(team__isnull=True) | Q(team__in=teams)
    )
    if conversation.language:
        qs = qs.filter(Q(language="") | Q(language=conversation.language))
    return list(qs.order_by("title", "pk"))


def get_saved_reply(organization, saved_id) -> SavedReply:
    saved = (
        SavedReply.objects.for_org(organization).filter(pk=saved_id).select_related("team").first()
    )
    if saved is None:
        raise Http404("No such saved reply.")
    return saved


def notes_of(conversation: Conversation) -> list:
    """The conversation's internal notes, oldest first."""
    from .models import ConversationNote

    return list(
        ConversationNote.objects.for_org(conversation.organization_id)
        .filter(conversation=conversation)
        .select_related("author__user")
        .order_by("created_at", "pk")
    )


def timeline_of(conversation: Conversation) -> list:
    """Items and internal notes in one list, oldest first; each row has ``timeline_kind``
    (``item`` or ``note``) for the template."""
    rows = []
    for item in items_of(conversation):
        item.timeline_kind = "item"
        rows.append(item)
    for note in notes_of(conversation):
        note.timeline_kind = "note"
        rows.append(note)
    return sorted(rows, key=lambda r: (r.created_at, r.timeline_kind == "note", r.pk))


def reply_approval_settings(organization) -> tuple[set[int], set[int]]:
    """(ids of teams, ids of members) whose replies need approval."""
    from .models import ReplyApprovalRequirement

    rows = ReplyApprovalRequirement.objects.for_org(organization).values_list(
        "team_id", "membership_id"
    )
    teams = {t for t, _m in rows if t is not None}
    members = {m for _t, m in rows if m is not None}
    return teams, members


# --- Routing rules and SLA targets -----------------------------------------------------------------


def routing_rules_of(organization) -> list:
    from .models import RoutingRule

    return list(
        RoutingRule.objects.for_org(organization)
        .select_related("assign_team", "assign_to__user")
        .order_by("position", "pk")
    )


def get_routing_rule(organization, rule_id):
    """Another organization's rule and a missing one are the same 404."""
    from .models import RoutingRule

    try:
        rule_id = int(rule_id)
    except (TypeError, ValueError):
        raise Http404 from None
    rule = (
        RoutingRule.objects.for_org(organization)
        .select_related("organization", "assign_team", "assign_to__user")
        .filter(pk=rule_id)
        .first()
    )
    if rule is None:
        raise Http404
    return rule


def open_conversations_assigned_to(membership) -> QuerySet[Conversation]:
    """Every conversation still to be worked (not closed, not spam) that ``membership`` holds."""
    return (
        Conversation.objects.for_org(membership.organization_id)
        .filter(assignee=membership)
        .exclude(status__in=[Conversation.Status.CLOSED, Conversation.Status.SPAM])
        .select_related("channel", "organization")
        .order_by("-last_item_at", "-pk")
    )
