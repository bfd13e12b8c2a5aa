"""Inbox endpoints under /api/v1/ (the same services and the same visibility as the pages: only the
conversations of channels the token's member may moderate; actions are audited "via api").

- ``GET /api/v1/conversations/`` (filters below), ``GET …/{id}/`` (with its items)
- ``POST /api/v1/conversations/{id}/assign/`` ``{"assignee": 12 | null}``; ``…/close/``, ``…/reopen/``,
  ``…/status/`` ``{"status": "open|closed|spam"}``, ``…/triage/`` ``{"priority"?, "team"?: 3 | null}``
- ``GET /api/v1/conversation-items/`` (``?conversation=<id>`` …), ``POST …/{id}/hide|unhide|delete|like|unlike/``
- ``GET/POST /api/v1/conversation-replies/``, ``PATCH …/{id}/`` ``{"text": …}``, ``POST …/{id}/resend/``,
  ``POST …/{id}/approve/`` ``{"text"?, "comment"?}``, ``POST …/{id}/reject/`` ``{"comment"}``
- ``GET/POST /api/v1/conversation-notes/`` (``?conversation=<id>``), ``GET …/{id}/``
- ``GET/POST /api/v1/inbox-routing-rules/``, ``GET/PATCH/DELETE …/{id}/`` (managers of teams)
- ``GET/POST /api/v1/inbox-sla-targets/`` (``{"team", "priority", "hours"}``; ``hours`` null removes)
"""

from __future__ import annotations

from django.db import transaction
from django.db.models import Prefetch
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.response import Response

from accounts.capabilities import Capability
from accounts.models import Membership, Team
from socialops.api import (
    BoolFilter,
    ChoiceFilter,
    IdFilter,
    OrgScopedViewSet,
    QueryFilter,
    TextFilter,
    since_filter,
)
from socialops.errors import ValidationFailed

from . import selectors, services
from .models import Conversation, ConversationNote, Item, Reply, RoutingRule, Sentiment, SlaTarget
from .serializers import (
    AssignIn,
    ConversationDetailOut,
    ConversationOut,
    ItemOut,
    NoteIn,
    NoteOut,
    ReplyApproveIn,
    ReplyEditIn,
    ReplyIn,
    ReplyOut,
    ReplyRejectIn,
    RoutingRuleIn,
    RoutingRuleOut,
    SlaTargetIn,
    SlaTargetOut,
    StatusIn,
    TriageIn,
)

_ASSIGNEE = gettext_lazy("Give me, none or a member's id.")


class AssigneeFilter(QueryFilter):
    """``me``, ``none`` or a member's id."""

    def parse(self, raw: str) -> str:
        if raw in ("me", "none") or (raw.isdigit() and 1 <= int(raw) <= 2**63 - 1):
            return raw
        raise self.invalid(_ASSIGNEE)


def _status_filter(qs, value):
    if value == "active":
        return qs.filter(status__in=selectors.ACTIVE)
    return qs.filter(status=value)


def _visible_conversations(view):
    # the ids, not a subquery (as selectors.conversations_for): the list's index is walked in order
    channel_ids = list(selectors.moderated_channels(view.membership).values_list("pk", flat=True))
    return Conversation.objects.for_org(view.organization).filter(channel_id__in=channel_ids)


@extend_schema_view(
    list=extend_schema(
        summary="List inbox conversations",
        description="The conversations of the channels the token's member may moderate, newest "
        "activity first. Filters: `status` (or `active`: not closed nor spam), `channel`, "
        "`network`, `assignee` (`me`, `none` or a member's id), `sentiment`, `language`, "
        "`created_since`, `updated_since`, `q` (words or part of a word in the items or the author).",
    ),
    retrieve=extend_schema(
        summary="Get an inbox conversation",
        description="One conversation with its items, oldest first.",
    ),
    assign=extend_schema(
        summary="Assign a conversation",
        description="Gives the conversation to a member who may moderate its channel (`assignee`), "
        "or to nobody (`null`). A new conversation becomes open.",
    ),
    triage=extend_schema(
        summary="Set a conversation's priority and team",
        description="Triage by hand: `priority`, `team` (null: no team), or both (a field left "
        "out stays as it is; neither is a 400). A running SLA clock keeps its start and gets the "
        "due of the new team's target for the new priority, in that team's business hours. A "
        "team of another organization, or none with that id, is a 400 on `team`.",
    ),
    close=extend_schema(summary="Close a conversation", description="Marks it closed."),
    reopen=extend_schema(
        summary="Reopen a conversation",
        description="Marks it open again; a closed (or spam) one's SLA clock restarts from now.",
    ),
    set_status=extend_schema(
        summary="Set a conversation's status",
        description="Moves it to `open`, `closed` or `spam`.",
    ),
)
@extend_schema(tags=["inbox"])
class ConversationViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, OrgScopedViewSet):
    """Inbox conversations: read them, assign, triage, close, reopen."""

    model = Conversation
    serializer_class = ConversationOut
    read_capability = Capability.VIEW
    # the services check moderate on the conversation's channel
    write_capability = Capability.VIEW
    list_ordering = ("-last_item_at", "-id")
    filters = (
        ChoiceFilter(
            "status",
            [*Conversation.Status.values, "active"],
            "Only conversations in this status; active: new, open, pending or snoozed.",
            apply=_status_filter,
        ),
        IdFilter("channel", "Only this channel's conversations.", lookup="channel_id"),
        TextFilter("network", "Only this network's conversations.", lookup="channel__provider"),
        AssigneeFilter(
            "assignee", "me: assigned to the token's member; none: to nobody; or a member's id."
        ),
        ChoiceFilter(
            "sentiment", Sentiment, "Only this sentiment (of the latest item).", lookup="sentiment"
        ),
        TextFilter("language", "Only this language (ISO 639-1).", lookup="language"),
        TextFilter(
            "q",
            "Words, or part of a word, in an item's text or author, or the author's handle.",
        ),
        since_filter("created_since", "created_at", "created"),
        since_filter("updated_since", "updated_at", "changed"),
    )

    def scoped_queryset(self, organization):
        qs = _visible_conversations(self).select_related("channel", "assignee__user")
        assignee = self.query.get("assignee", "")
        if assignee == "me":
            qs = qs.filter(assignee=self.membership)
        elif assignee == "none":
            qs = qs.filter(assignee__isnull=True)
        elif assignee:
            qs = qs.filter(assignee_id=int(assignee))
        if self.action == "retrieve":
            qs = qs.prefetch_related(
                Prefetch(
                    "items",
                    queryset=Item.objects.for_org(organization).order_by("created_at", "pk"),
                )
            )
        return qs

    def get_queryset(self):
        qs = super().get_queryset()
        words = getattr(self, "query", {}).get("q", "").strip()
        if not words:
            return qs
        if self.action == "list" and "cursor" not in self.request.query_params:
            # the first page: the ids of its rows, found newest first (selectors.matching_ids),
            # one past the page for its next link
            need = self.paginator.get_page_size(self.request) + 1
            ordered = qs.order_by(*self.list_ordering)
            return qs.filter(pk__in=selectors.matching_ids(ordered, self.organization, words, need))
        return selectors.search_conversations(qs, self.organization, words)

    @extend_schema(responses=ConversationDetailOut)
    def retrieve(self, request, pk=None):
        return Response(ConversationDetailOut(self.get_object()).data)

    def _answer(self, conversation):
        conversation = self.scoped_queryset(self.organization).get(pk=conversation.pk)
        return Response(ConversationOut(conversation).data)

    @extend_schema(request=AssignIn, responses=ConversationOut)
    @action(detail=True, methods=["post"])
    def assign(self, request, pk=None):
        conversation = self.get_object()
        payload = AssignIn(data=request.data)
        payload.is_valid(raise_exception=True)
        assignee = None
        if payload.validated_data["assignee"] is not None:
            assignee = (
                Membership.objects.for_org(self.organization)
                .filter(pk=payload.validated_data["assignee"], is_active=True)
                .select_related("user")
                .first()
            )
            if assignee is None:
                message = _("Choose a member of this organization.")
                raise ValidationFailed(message, fields={"assignee": [message]})
        services.assign_conversation(conversation, by=self.membership, assignee=assignee, via="api")
        return self._answer(conversation)

    @extend_schema(request=TriageIn, responses=ConversationOut)
    @action(detail=True, methods=["post"])
    def triage(self, request, pk=None):
        conversation = self.get_object()
        payload = TriageIn(data=request.data)
        payload.is_valid(raise_exception=True)
        given = dict(payload.validated_data)
        if given.get("team") is not None:
            given["team"] = Team.objects.for_org(self.organization).filter(pk=given["team"]).first()
            if given["team"] is None:
                message = _("Choose a team of this organization.")
                raise ValidationFailed(message, fields={"team": [message]})
        services.set_conversation_triage(conversation, by=self.membership, via="api", **given)
        return self._answer(conversation)

    @extend_schema(request=None, responses=ConversationOut)
    @action(detail=True, methods=["post"])
    def close(self, request, pk=None):
        conversation = self.get_object()
        services.set_conversation_status(
            conversation, by=self.membership, status=Conversation.Status.CLOSED, via="api"
        )
        return self._answer(conversation)

    @extend_schema(request=None, responses=ConversationOut)
    @action(detail=True, methods=["post"])
    def reopen(self, request, pk=None):
        conversation = self.get_object()
        services.set_conversation_status(
            conversation, by=self.membership, status=Conversation.Status.OPEN, via="api"
        )
        return self._answer(conversation)

    @extend_schema(request=StatusIn, responses=ConversationOut)
    @action(detail=True, methods=["post"], url_path="status")
    def set_status(self, request, pk=None):
        conversation = self.get_object()
        payload = StatusIn(data=request.data)
        payload.is_valid(raise_exception=True)
        services.set_conversation_status(
            conversation, by=self.membership, status=payload.validated_data["status"], via="api"
        )
        return self._answer(conversation)


@extend_schema_view(
    list=extend_schema(
        summary="List inbox items",
        description="Comments, replies, mentions, messages and reviews of the conversations the "
        "token's member may moderate, oldest first. `conversation` lists one conversation's items.",
    ),
    retrieve=extend_schema(summary="Get an inbox item", description="One item."),
    hide=extend_schema(
        summary="Hide an item on its network",
        description="Hides the comment on the network, where the network allows it (else 400).",
    ),
    unhide=extend_schema(
        summary="Show a hidden item again",
        description="Shows the comment again on the network, where the network allows it.",
    ),
    delete_on_network=extend_schema(
        summary="Delete an item on its network",
        description="Deletes the comment on the network, where the network allows it (else 400).",
    ),
    like=extend_schema(
        summary="Like an item on its network",
        description="Likes the comment as the channel's account, where the network allows it "
        "(Facebook, X, Mastodon, Bluesky; else 400).",
    ),
    unlike=extend_schema(
        summary="Take back a like",
        description="Takes back the account's like of the comment, where the network allows it.",
    ),
)
@extend_schema(tags=["inbox"])
class ItemViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, OrgScopedViewSet):
    """Inbox items; hide, show or delete a comment on its network."""

    model = Item
    serializer_class = ItemOut
    read_capability = Capability.VIEW
    write_capability = Capability.VIEW
    list_ordering = ("created_at", "id")
    filters = (
        IdFilter("conversation", "Only this conversation's items.", lookup="conversation_id"),
        IdFilter("channel", "Only this channel's items.", lookup="channel_id"),
        ChoiceFilter("kind", Item.Kind, "Only items of this kind.", lookup="kind"),
        ChoiceFilter("direction", Item.Direction, "inbound or outbound.", lookup="direction"),
        since_filter("created_since", "created_at", "written"),
    )

    def scoped_queryset(self, organization):
        return (
            Item.objects.for_org(organization)
            .filter(channel__in=selectors.moderated_channels(self.membership).values("pk"))
            .select_related("conversation__channel", "conversation__organization")
        )

    def _moderate(self, what: str):
        item = services.moderate_item(self.get_object(), by=self.membership, action=what, via="api")
        return Response(ItemOut(item).data)

    @extend_schema(request=None, responses=ItemOut)
    @action(detail=True, methods=["post"])
    def hide(self, request, pk=None):
        return self._moderate("hide")

    @extend_schema(request=None, responses=ItemOut)
    @action(detail=True, methods=["post"])
    def unhide(self, request, pk=None):
        return self._moderate("unhide")

    @extend_schema(request=None, responses=ItemOut)
    @action(detail=True, methods=["post"], url_path="delete")
    def delete_on_network(self, request, pk=None):
        return self._moderate("delete")

    @extend_schema(request=None, responses=ItemOut)
    @action(detail=True, methods=["post"])
    def like(self, request, pk=None):
        return self._moderate("like")

    @extend_schema(request=None, responses=ItemOut)
    @action(detail=True, methods=["post"])
    def unlike(self, request, pk=None):
        return self._moderate("unlike")


@extend_schema_view(
    list=extend_schema(
        summary="List inbox replies",
        description="Replies written here (sent, sending, failed) on the conversations the token's "
        "member may moderate. `conversation` and `status` narrow the list.",
    ),
    retrieve=extend_schema(summary="Get an inbox reply", description="One reply."),
    create=extend_schema(
        summary="Reply to a conversation",
        description="Sends the text through the network as an answer to the conversation's latest "
        "message (the same checks as the page: the network's length limit, one reply in flight "
        "per conversation). A failure is kept: the answer is the reply with status `failed` and "
        "the network's `error`; edit it with PATCH, then resend. A second answer is never sent "
        "unnoticed: a reply on its way, or (given `last_seen_item` / `last_seen_reply`) an answer "
        "written since, is refused with 409 `reply_collision` (the message quotes it) unless "
        "`force` is true. A member whose replies need approval gets status `awaiting_approval`: "
        "an approver approves (optionally editing) or rejects it.",
    ),
    partial_update=extend_schema(
        summary="Edit a failed reply", description="Changes a failed (or rejected) reply's text."
    ),
    resend=extend_schema(
        summary="Resend a failed reply",
        description="Sends a failed reply again, with its (possibly edited) text; a rejected "
        "reply is submitted for approval again.",
    ),
    approve=extend_schema(
        summary="Approve a reply awaiting approval",
        description="Sends the reply through the network, as written or as the approver's `text` "
        "(the author's is kept in `original_text`, and the edit is audited). Only an approver of "
        "the author's replies: the lead of the author's team, or, when no lead of theirs may "
        "approve on the channel, anyone who may (403 otherwise); 409 `already_decided` when it no "
        "longer waits. A network failure leaves it `failed`, as any reply.",
    ),
    reject=extend_schema(
        summary="Reject a reply awaiting approval",
        description="Marks it `rejected` with the approver's `comment`; the author is told and "
        "may edit it and resend it (to approval again).",
    ),
)
@extend_schema(tags=["inbox"])
class ReplyViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, OrgScopedViewSet):
    """Replies sent from here; a failed one is kept to edit and send again."""

    model = Reply
    serializer_class = ReplyOut
    read_capability = Capability.VIEW
    write_capability = Capability.VIEW
    list_ordering = ("-created_at", "-id")
    http_method_names = ["get", "post", "patch", "head", "options"]
    filters = (
        IdFilter("conversation", "Only this conversation's replies.", lookup="conversation_id"),
        ChoiceFilter("status", Reply.Status, "Only replies in this status.", lookup="status"),
    )

    def scoped_queryset(self, organization):
        return (
            Reply.objects.for_org(organization)
            .filter(conversation__in=_visible_conversations(self).values("pk"))
            .select_related("conversation__channel", "conversation__organization", "in_reply_to")
        )

    @extend_schema(request=ReplyIn, responses={201: ReplyOut})
    def create(self, request):
        payload = ReplyIn(data=request.data)
        payload.is_valid(raise_exception=True)
        conversation = (
            _visible_conversations(self)
            .select_related("channel", "organization")
            .filter(pk=payload.validated_data["conversation"])
            .first()
        )
        if conversation is None:
            message = _("Choose a conversation you may answer.")
            raise ValidationFailed(message, fields={"conversation": [message]})
        d = payload.validated_data
        seen = None
        if "last_seen_item" in d or "last_seen_reply" in d:
            seen = services.Seen(item=d.get("last_seen_item", 0), reply=d.get("last_seen_reply", 0))
        reply = services.send_reply(
            conversation, by=self.membership, text=d["text"], via="api", seen=seen, force=d["force"]
        )
        return Response(ReplyOut(reply).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=ReplyEditIn, responses=ReplyOut)
    def partial_update(self, request, pk=None):
        reply = self.get_object()
        payload = ReplyEditIn(data=request.data)
        payload.is_valid(raise_exception=True)
        reply = services.edit_reply(reply, by=self.membership, text=payload.validated_data["text"])
        return Response(ReplyOut(reply).data)

    @extend_schema(request=None, responses=ReplyOut)
    @action(detail=True, methods=["post"])
    def resend(self, request, pk=None):
        reply = self.get_object()
        reply = services.send_reply(
            reply.conversation, by=self.membership, text=reply.text, reply=reply, via="api"
        )
        return Response(ReplyOut(reply).data)

    @extend_schema(request=ReplyApproveIn, responses=ReplyOut)
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        reply = self.get_object()
        payload = ReplyApproveIn(data=request.data)
        payload.is_valid(raise_exception=True)
        d = payload.validated_data
        reply = services.approve_reply(
            reply, by=self.membership, text=d.get("text"), comment=d.get("comment", ""), via="api"
        )
        return Response(ReplyOut(reply).data)

    @extend_schema(request=ReplyRejectIn, responses=ReplyOut)
    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        reply = self.get_object()
        payload = ReplyRejectIn(data=request.data)
        payload.is_valid(raise_exception=True)
        reply = services.reject_reply(
            reply, by=self.membership, comment=payload.validated_data["comment"], via="api"
        )
        return Response(ReplyOut(reply).data)


# --- Routing rules and SLA targets ---------------------------------------------------------------


def _rule_data(validated: dict) -> dict:
    """The service's input: ids as given (the service checks each against the organization)."""
    return {k: v for k, v in validated.items() if k != "position"}


@extend_schema_view(
    list=extend_schema(
        summary="List inbox routing rules",
        description="The rules in the order they are tried (`position`, 1 first). A new "
        "conversation goes to the first active rule whose conditions all hold (an empty list "
        "holds always). Needs the capability to manage teams.",
    ),
    retrieve=extend_schema(summary="Get an inbox routing rule", description="One rule."),
    create=extend_schema(
        summary="Create an inbox routing rule",
        description="A rule, last in the order unless `position` is given. It must assign to a "
        "team (`assign_team`, round-robin among its members who may answer on the channel and "
        "are working) or a person (`assign_to`); every id must name an object of the organization.",
    ),
    partial_update=extend_schema(
        summary="Change an inbox routing rule",
        description="Changes the fields given; `position` moves it (the others are renumbered).",
    ),
    destroy=extend_schema(summary="Delete an inbox routing rule", description="Deletes the rule."),
)
@extend_schema(tags=["inbox"])
class RoutingRuleViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, OrgScopedViewSet):
    """Routing rules: who new conversations go to."""

    model = RoutingRule
    serializer_class = RoutingRuleOut
    read_capability = Capability.MANAGE_TEAMS
    write_capability = Capability.MANAGE_TEAMS
    list_ordering = ("position", "id")
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]
    filters = (
        BoolFilter(
            "is_active", "Only active (true) or inactive (false) rules.", lookup="is_active"
        ),
    )

    def scoped_queryset(self, organization):
        return RoutingRule.objects.for_org(organization).select_related("organization")

    @extend_schema(request=RoutingRuleIn, responses={201: RoutingRuleOut})
    def create(self, request):
        payload = RoutingRuleIn(data=request.data)
        payload.is_valid(raise_exception=True)
        d = payload.validated_data
        with transaction.atomic():
            rule = services.create_routing_rule(
                self.organization, by=self.membership, data=_rule_data(d), via="api"
            )
            if "position" in d:
                services.move_routing_rule(
                    rule, by=self.membership, position=d["position"], via="api"
                )
        rule.refresh_from_db()
        return Response(RoutingRuleOut(rule).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=RoutingRuleIn, responses=RoutingRuleOut)
    def partial_update(self, request, pk=None):
        rule = self.get_object()
        payload = RoutingRuleIn(data=request.data, partial=True)
        payload.is_valid(raise_exception=True)
        d = payload.validated_data
        with transaction.atomic():
            services.update_routing_rule(rule, by=self.membership, data=_rule_data(d), via="api")
            if "position" in d:
                services.move_routing_rule(
                    rule, by=self.membership, position=d["position"], via="api"
                )
        rule.refresh_from_db()
        return Response(RoutingRuleOut(rule).data)

    @extend_schema(request=None, responses={204: None})
    def destroy(self, request, pk=None):
        services.delete_routing_rule(self.get_object(), by=self.membership, via="api")
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema_view(
    list=extend_schema(
        summary="List internal notes",
        description="Internal notes on the conversations the token's member may moderate, oldest "
        "first. `conversation` lists one conversation's notes. Notes are never sent to the network.",
    ),
    retrieve=extend_schema(summary="Get an internal note", description="One note."),
    create=extend_schema(
        summary="Write an internal note",
        description="Adds a note to a conversation. `@local-part` or `@e-mail` mentions a member "
        "who may work the conversation; each is notified once (kind `mention`). Audited.",
    ),
)
@extend_schema(tags=["inbox"])
class NoteViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, OrgScopedViewSet):
    """Internal notes beside conversations, with @mentions."""

    model = ConversationNote
    serializer_class = NoteOut
    read_capability = Capability.VIEW
    # the service checks moderate on the conversation's channel
    write_capability = Capability.VIEW
    list_ordering = ("created_at", "id")
    http_method_names = ["get", "post", "head", "options"]
    filters = (
        IdFilter("conversation", "Only this conversation's notes.", lookup="conversation_id"),
        since_filter("created_since", "created_at", "written"),
    )

    def scoped_queryset(self, organization):
        return ConversationNote.objects.for_org(organization).filter(
            conversation__in=_visible_conversations(self).values("pk")
        )

    @extend_schema(request=NoteIn, responses={201: NoteOut})
    def create(self, request):
        payload = NoteIn(data=request.data)
        payload.is_valid(raise_exception=True)
        conversation = (
            _visible_conversations(self)
            .select_related("channel", "organization")
            .filter(pk=payload.validated_data["conversation"])
            .first()
        )
        if conversation is None:
            message = _("Choose a conversation you may work on.")
            raise ValidationFailed(message, fields={"conversation": [message]})
        note = services.add_note(
            conversation, by=self.membership, text=payload.validated_data["text"], via="api"
        )
        return Response(NoteOut(note).data, status=status.HTTP_201_CREATED)


@extend_schema_view(
    list=extend_schema(
        summary="List inbox SLA targets",
        description="Hours to answer within, per team (null: the organization) and priority "
        "(empty: any), counted in the team's business hours. The most specific target applies; "
        "without any, 24 hours.",
    ),
    retrieve=extend_schema(summary="Get an inbox SLA target", description="One target."),
    create=extend_schema(
        summary="Set an inbox SLA target",
        description="Sets the hours of a (team, priority); `hours` null removes it (answered with "
        "204). Dues already running keep their time.",
    ),
)
@extend_schema(tags=["inbox"])
class SlaTargetViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, OrgScopedViewSet):
    """SLA targets of the inbox."""

    model = SlaTarget
    serializer_class = SlaTargetOut
    read_capability = Capability.VIEW
    write_capability = Capability.MANAGE_TEAMS
    list_ordering = ("id",)
    http_method_names = ["get", "post", "head", "options"]

    def scoped_queryset(self, organization):
        return SlaTarget.objects.for_org(organization)

    @extend_schema(request=SlaTargetIn, responses={201: SlaTargetOut, 204: None})
    def create(self, request):
        payload = SlaTargetIn(data=request.data)
        payload.is_valid(raise_exception=True)
        d = payload.validated_data
        team = None
        if d.get("team") is not None:
            team = Team.objects.for_org(self.organization).filter(pk=d["team"]).first()
            if team is None:
                message = _("Choose a team of this organization.")
                raise ValidationFailed(message, fields={"team": [message]})
        target = services.set_sla_target(
            self.organization,
            by=self.membership,
            team=team,
            priority=d.get("priority", ""),
            hours_=d["hours"],
        )
        if target is None:
            return Response(status=status.HTTP_204_NO_CONTENT)
        return Response(SlaTargetOut(target).data, status=status.HTTP_201_CREATED)
