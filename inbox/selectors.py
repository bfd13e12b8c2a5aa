"""Reads of the inbox for pages (and, later, the API). Every read starts from the member: the
conversations of channels they may moderate (grants and restricted channels decide, as for posts)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from django.db.models import Max, OuterRef, Q, QuerySet, Subquery
from django.http import Http404

from accounts.capabilities import Capability
from channels_registry.selectors import channels_of, channels_with_capability

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
    #: with a search: "" = the best matches first (PostgreSQL), "newest" = newest first
    sort: str = ""


ACTIVE = (
    Conversation.Status.NEW,
    Conversation.Status.OPEN,
    Conversation.Status.PENDING,
    Conversation.Status.SNOOZED,
)


def conversations_for(membership, filters: InboxFilters | None = None) -> QuerySet[Conversation]:
    """The member's inbox, newest first."""
    f = filters or InboxFilters()
    qs = _filtered(membership, f)
    if f.search:
        qs = search_conversations(qs, membership.organization, f.search)
    return qs


def _filtered(
    membership, f: InboxFilters, channel_ids: list[int] | None = None
) -> QuerySet[Conversation]:
    """The member's inbox with every filter but the search, newest first (``channel_ids``: those
    of :func:`moderated_channels`, when the caller has them already)."""
    org = membership.organization
    # the ids, not a subquery: the planner then walks the list's index in its order, where a
    # subquery of channels becomes a join that reads every conversation of each channel
    if channel_ids is None:
        channel_ids = list(moderated_channels(membership).values_list("pk", flat=True))
    qs = Conversation.objects.for_org(org).filter(channel_id__in=channel_ids)
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
    return qs.select_related("channel", "assignee__user").order_by("-last_item_at", "-pk")


#: a search's first pages check the items of this many conversations one by one, newest first,
#: before asking the items' indexes: common words fill a page within a few hundred conversations
#: (where their index names tens of thousands of items); rare ones fall through to the index
SEARCH_WINDOW = 1000
#: relevance orders at most this many matches, the newest (those among the latest
#: :data:`SEARCH_WINDOW` conversations when they fill the page); "newest first" pages through all
RANKED = 200


def matching_ids(qs: QuerySet[Conversation], org, words: str, count: int) -> list[int]:
    """The ids of the first ``count`` conversations of ``qs`` (in its order) that match ``words``
    (as :func:`search_conversations`), in two or three queries whatever the inbox's size."""
    if search.is_postgresql():
        near = _near_ids(qs, org, words, count)
        if len(near) == count:  # the window held them: nothing past it comes first
            return near
    return list(search_conversations(qs, org, words).values_list("pk", flat=True)[:count])


#: what relevance reads of each candidate (``_by_relevance``): its id and its author
_CANDIDATE = ("pk", "author_name", "author_handle")


def _near_ids(
    qs: QuerySet[Conversation], org, words: str, count: int, *, fields: tuple = ("pk",)
) -> list:
    """Matches among the latest :data:`SEARCH_WINDOW` conversations of ``qs``, each one checked:
    their ids, or tuples of ``fields``."""
    window = qs.values("pk")[: max(SEARCH_WINDOW, 4 * count)]
    # a scalar subquery: checked row by row, where an IN or EXISTS would be planned as a hash of
    # every matching item
    hit = (
        Item.objects.for_org(org)
        .filter(conversation_id=OuterRef("pk"))
        .filter(search.item_matches(words))
        .values("pk")[:1]
    )
    return list(
        qs.filter(pk__in=window)
        .annotate(item_hit=Subquery(hit))
        .filter(
            Q(author_name__icontains=words)
            | Q(author_handle__icontains=words)
            | Q(item_hit__isnull=False)
        )
        .values_list(*fields, flat=len(fields) == 1)[:count]
    )


@dataclass
class ConversationRows:
    rows: list
    #: a row past the ones asked exists
    more: bool
    #: relevance ordered the newest matches only: there may be more
    ranked_cut: bool = False


def conversation_rows(
    membership,
    filters: InboxFilters,
    start: int,
    size: int,
    *,
    channels: list | None = None,
) -> ConversationRows:
    """Rows ``start`` … ``start + size`` of the member's inbox for the page, in a fixed number of
    queries. With a search on PostgreSQL the best matches come first (``inbox.search.item_rank``:
    the newest :data:`RANKED` matches by relevance), unless ``filters.sort`` is ``newest``.
    ``channels``: the member's :func:`moderated_channels`, when the caller has them already (the
    rows then take their channel from them, not from a join)."""
    f = filters
    stop = start + size + 1
    org = membership.organization
    channel_ids = None if channels is None else [c.pk for c in channels]
    base = _filtered(membership, replace(f, search=""), channel_ids)
    if channels is not None:
        base = base.select_related(None).select_related("assignee__user")
    if not f.search:
        rows = list(base[start:stop])
        return ConversationRows(_with_channels(rows[:size], channels), len(rows) > size)
    ranked_cut = False
    if f.sort == "newest" or not search.is_postgresql():
        ids = matching_ids(base, org, f.search, stop)[start:stop]
    else:
        candidates = _near_ids(base, org, f.search, RANKED + 1, fields=_CANDIDATE)
        # enough among the latest conversations: more may be past them (newest first shows all)
        ranked_cut = len(candidates) >= stop
        if not ranked_cut:  # few there: the items' indexes name them all
            matching = search_conversations(base, org, f.search).values_list(*_CANDIDATE)
            candidates = list(matching[: RANKED + 1])
            ranked_cut = len(candidates) > RANKED
        ids = _by_relevance(org, candidates[:RANKED], f.search)[start:stop]
    found = {c.pk: c for c in base.filter(pk__in=ids)}
    rows = [found[pk] for pk in ids if pk in found]
    return ConversationRows(_with_channels(rows[:size], channels), len(rows) > size, ranked_cut)


def _with_channels(rows: list[Conversation], channels: list | None) -> list[Conversation]:
    if channels is not None:
        by_id = {c.pk: c for c in channels}
        for row in rows:  # (a row's channel is one of them: the rows are filtered by them)
            row.channel = by_id[row.channel_id]
    return rows


def _by_relevance(org, candidates: list[tuple[int, str, str]], words: str) -> list[int]:
    """The ids of ``candidates`` (``_CANDIDATE`` tuples, newest first) by their best item's rank;
    an author that matches counts as a full match; ties stay newest first."""
    if not candidates:
        return []
    ids = [pk for pk, _name, _handle in candidates]
    ranks = dict(
        Item.objects.for_org(org)
        .filter(conversation_id__in=ids)
        .values("conversation_id")
        .annotate(best=Max(search.item_rank(words)))
        .values_list("conversation_id", "best")
    )
    needle = words.casefold()
    for pk, name, handle in candidates:
        if needle in name.casefold() or needle in handle.casefold():
            ranks[pk] = (ranks.get(pk) or 0.0) + 1.0
    position = {pk: i for i, pk in enumerate(ids)}
    return sorted(ids, key=lambda pk: (-(ranks.get(pk) or 0.0), position[pk]))


def search_conversations(qs: QuerySet[Conversation], org, words: str) -> QuerySet[Conversation]:
    """``qs`` narrowed to conversations whose author or handle contains ``words``, or with an item
    that matches them (``inbox.search``)."""
    # the snippet is the latest item's text: the items cover it
    in_items = (
        Item.objects.for_org(org).filter(search.item_matches(words)).values("conversation_id")
    )
    return qs.filter(
        Q(author_name__icontains=words)
        | Q(author_handle__icontains=words)
        | Q(search.pk_in(in_items))
    )


def new_conversation_count(membership) -> int:
    """The new conversations on the member's channels (the nav badge, on every page)."""
    org = membership.organization
    qs = Conversation.objects.for_org(org).filter(status=Conversation.Status.NEW)
    mine = set(moderated_channels(membership).values_list("pk", flat=True))
    # every channel of the organization (owners, admins, most moderators): no channel filter, so
    # the count is read from the (organization, status) index alone (~5 ms for 31,000 new ones
    # on 1,000,000 items, where the channels' filter read every row: ~35 ms)
    if mine != set(channels_of(org).values_list("pk", flat=True)):
        qs = qs.filter(channel_id__in=moderated_channels(membership).values("pk"))
    return qs.count()


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
