"""Input and output shapes of the inbox API (no logic)."""

from __future__ import annotations

from decimal import Decimal

from rest_framework import serializers

from socialops.api import IdField, InputSerializer

from .models import Conversation, Item, Priority, Reply, Sentiment


class ItemOut(serializers.Serializer):
    id = serializers.IntegerField(help_text="The item's id.")
    conversation = serializers.IntegerField(
        source="conversation_id", help_text="The id of the conversation the item is in."
    )
    channel = serializers.IntegerField(source="channel_id", help_text="The channel's id.")
    external_id = serializers.CharField(help_text="The network's id of the item.")
    kind = serializers.ChoiceField(
        choices=Item.Kind.choices, help_text="Comment, reply, mention, direct message or review."
    )
    direction = serializers.ChoiceField(
        choices=Item.Direction.choices,
        help_text="inbound: written by someone else; outbound: written by the channel (a reply).",
    )
    author_name = serializers.CharField(help_text="The author's display name on the network.")
    author_handle = serializers.CharField(help_text="The author's handle on the network.")
    text = serializers.CharField(help_text="The item's text as the network gave it.")
    created_at = serializers.DateTimeField(help_text="When the network says it was written.")
    received_at = serializers.DateTimeField(help_text="When it reached the inbox.")
    language = serializers.CharField(help_text="Its language (ISO 639-1), or empty if unknown.")
    sentiment = serializers.CharField(help_text="positive, neutral or negative; empty if unknown.")
    permalink = serializers.CharField(help_text="Its link on the network, or empty.")
    is_hidden = serializers.BooleanField(help_text="Hidden on the network (by a moderator).")
    is_deleted = serializers.BooleanField(help_text="Deleted on the network from here.")
    is_liked = serializers.BooleanField(help_text="Liked by the channel's account from here.")


class AssigneeOut(serializers.Serializer):
    id = serializers.IntegerField(help_text="The member's id (see /members/).")
    email = serializers.CharField(source="user.email", help_text="The member's e-mail address.")
    full_name = serializers.CharField(source="user.full_name", help_text="The member's name.")


class ConversationOut(serializers.Serializer):
    id = serializers.IntegerField(help_text="The conversation's id.")
    channel = serializers.IntegerField(source="channel_id", help_text="The channel's id.")
    network = serializers.CharField(
        source="channel.provider", help_text="The network of the channel (`x`, `facebook`, …)."
    )
    kind = serializers.ChoiceField(
        choices=Conversation.Kind.choices,
        help_text="comment_thread (a post's comments), dm, mention or review.",
    )
    external_thread_id = serializers.CharField(help_text="The network's id of the thread.")
    status = serializers.ChoiceField(
        choices=Conversation.Status.choices,
        help_text="new, open, pending (answered), snoozed, closed or spam.",
    )
    assignee = AssigneeOut(allow_null=True, help_text="The member working on it; null: nobody.")
    assigned_team = serializers.IntegerField(
        source="assigned_team_id", allow_null=True, help_text="The team's id, or null."
    )
    post_variant = serializers.IntegerField(
        source="post_variant_id",
        allow_null=True,
        help_text="The variant (published from here) whose comments these are, or null.",
    )
    language = serializers.CharField(help_text="The language of the latest inbound item.")
    sentiment = serializers.CharField(help_text="The sentiment of the latest inbound item.")
    snippet = serializers.CharField(help_text="The latest inbound item's text, shortened.")
    author_name = serializers.CharField(help_text="The latest inbound item's author.")
    author_handle = serializers.CharField(help_text="The latest inbound item's author's handle.")
    last_item_at = serializers.DateTimeField(help_text="When its newest item was written.")
    last_inbound_at = serializers.DateTimeField(
        allow_null=True, help_text="When its newest inbound item was written."
    )
    priority = serializers.ChoiceField(
        choices=Priority.choices,
        help_text="low, normal, high or urgent (routing rules may set it).",
    )
    sla_started_at = serializers.DateTimeField(
        allow_null=True,
        help_text="When the customer's first unanswered message was written, or when the "
        "conversation was reopened (the SLA clock's start), or null.",
    )
    sla_due_at = serializers.DateTimeField(
        allow_null=True,
        help_text="When an answer is due (the SLA target in the assigned team's business hours), "
        "or null when nothing awaits an answer.",
    )
    snoozed_until = serializers.DateTimeField(
        allow_null=True, help_text="Until when it is snoozed, or null."
    )
    created_at = serializers.DateTimeField(help_text="When it arrived in the inbox.")
    updated_at = serializers.DateTimeField(help_text="When it last changed.")


class ConversationDetailOut(ConversationOut):
    items = ItemOut(many=True, help_text="Its items, oldest first.")


class ReplyOut(serializers.Serializer):
    id = serializers.IntegerField(help_text="The reply's id.")
    conversation = serializers.IntegerField(
        source="conversation_id", help_text="The conversation answered."
    )
    in_reply_to = serializers.IntegerField(
        source="in_reply_to_id", help_text="The id of the item answered."
    )
    author = serializers.IntegerField(
        source="author_id", allow_null=True, help_text="The member who wrote it, or null."
    )
    text = serializers.CharField(help_text="The reply's text.")
    status = serializers.ChoiceField(
        choices=Reply.Status.choices,
        help_text="sending, sent, failed (edit with PATCH, then resend), awaiting_approval (the "
        "author's replies need approval: an approver approves or rejects it) or rejected (edit "
        "with PATCH, then resend to submit it again).",
    )
    error = serializers.CharField(help_text="Why it failed, in the network's words; or empty.")
    external_id = serializers.CharField(help_text="The network's id of the sent reply.")
    created_at = serializers.DateTimeField(help_text="When it was written.")
    sent_at = serializers.DateTimeField(allow_null=True, help_text="When it was sent, or null.")
    decided_by = serializers.IntegerField(
        source="decided_by_id",
        allow_null=True,
        help_text="The member who approved or rejected it, or null.",
    )
    decided_at = serializers.DateTimeField(
        allow_null=True, help_text="When it was approved or rejected, or null."
    )
    decision_comment = serializers.CharField(
        help_text="The approver's comment (why it was rejected); or empty."
    )
    original_text = serializers.CharField(
        help_text="The author's text when the approver edited it before sending; or empty."
    )


class AssignIn(InputSerializer):
    assignee = IdField(
        allow_null=True, help_text="The member to assign it to (see /members/); null: nobody."
    )


class TriageIn(InputSerializer):
    priority = serializers.ChoiceField(
        choices=Priority.choices,
        required=False,
        help_text="low, normal, high or urgent; left out: unchanged.",
    )
    team = IdField(
        allow_null=True,
        required=False,
        help_text="The team to put it on (see /teams/); null: no team; left out: unchanged.",
    )


class StatusIn(InputSerializer):
    status = serializers.ChoiceField(
        choices=["open", "closed", "spam"], help_text="open (reopen), closed or spam."
    )


class ReplyIn(InputSerializer):
    conversation = IdField(help_text="The conversation to answer.")
    text = serializers.CharField(
        max_length=10000, help_text="The reply, within the network's length limit."
    )
    last_seen_item = serializers.IntegerField(
        required=False,
        min_value=0,
        max_value=2**63 - 1,
        help_text="The id of the newest item of the conversation you saw (0: none). With "
        "`last_seen_reply`, an answer written since (by someone else, or from the network's own "
        "app) is refused with 409 `reply_collision` unless `force`.",
    )
    last_seen_reply = serializers.IntegerField(
        required=False,
        min_value=0,
        max_value=2**63 - 1,
        help_text="The id of the newest reply of the conversation you saw (0: none).",
    )
    force = serializers.BooleanField(
        required=False,
        default=False,
        help_text="Send even though another answer was written since, or is being sent "
        "(after showing the `reply_collision` warning to the writer).",
    )


class ReplyApproveIn(InputSerializer):
    text = serializers.CharField(
        required=False,
        max_length=10000,
        help_text="The approver's version of the reply, sent instead of the author's (which is "
        "kept in `original_text`); omitted: the author's text as it is.",
    )
    comment = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=2000,
        help_text="A note for the author.",
    )


class ReplyRejectIn(InputSerializer):
    comment = serializers.CharField(
        max_length=2000, help_text="Why the reply is rejected (told to its author)."
    )


class NoteOut(serializers.Serializer):
    id = serializers.IntegerField(help_text="The note's id.")
    conversation = serializers.IntegerField(
        source="conversation_id", help_text="The conversation the note is on."
    )
    author = serializers.IntegerField(
        source="author_id", allow_null=True, help_text="The member who wrote it, or null."
    )
    text = serializers.CharField(help_text="The note (internal: never sent to the network).")
    mentions = serializers.ListField(
        child=serializers.IntegerField(help_text="A member's id."),
        help_text="The ids of the members it mentions (each was notified once).",
    )
    created_at = serializers.DateTimeField(help_text="When it was written.")


class NoteIn(InputSerializer):
    conversation = IdField(help_text="The conversation to write the note on.")
    text = serializers.CharField(
        max_length=5000,
        help_text="The note, up to 5,000 characters; `@local-part` or `@e-mail` mentions a "
        "member who may work the conversation, who is notified.",
    )


class ReplyEditIn(InputSerializer):
    text = serializers.CharField(max_length=10000, help_text="The reply's new text.")


_IDS = "A list of ids; empty: any."


class RoutingRuleOut(serializers.Serializer):
    id = serializers.IntegerField(help_text="The rule's id.")
    name = serializers.CharField(help_text="The rule's name.")
    position = serializers.IntegerField(help_text="Its place in the order (1 is tried first).")
    is_active = serializers.BooleanField(help_text="Inactive rules are skipped.")
    channels = serializers.ListField(
        child=serializers.IntegerField(), help_text="Condition: one of these channels (ids)."
    )
    teams = serializers.ListField(
        child=serializers.IntegerField(),
        help_text="Condition: a channel of one of these teams or their sub-teams (ids).",
    )
    networks = serializers.ListField(
        child=serializers.CharField(), help_text="Condition: one of these networks (`x`, …)."
    )
    keywords = serializers.ListField(
        child=serializers.CharField(),
        help_text="Condition: any of these words or phrases, whole words, case-insensitive.",
    )
    sentiments = serializers.ListField(
        child=serializers.CharField(), help_text="Condition: one of these sentiments."
    )
    languages = serializers.ListField(
        child=serializers.CharField(), help_text="Condition: one of these languages (ISO 639-1)."
    )
    kinds = serializers.ListField(
        child=serializers.CharField(), help_text="Condition: one of these item kinds."
    )
    assign_team = serializers.IntegerField(
        source="assign_team_id",
        allow_null=True,
        help_text="Action: the team it goes to (round-robin among its available members), or null.",
    )
    assign_to = serializers.IntegerField(
        source="assign_to_id", allow_null=True, help_text="Action: the member it goes to, or null."
    )
    priority = serializers.CharField(
        help_text="Action: the priority set (low, normal, high, urgent); empty: unchanged."
    )
    tags = serializers.ListField(
        child=serializers.IntegerField(), help_text="Action: the tags (ids) put on it."
    )
    created_at = serializers.DateTimeField(help_text="When the rule was made.")
    updated_at = serializers.DateTimeField(help_text="When the rule last changed.")


class RoutingRuleIn(InputSerializer):
    name = serializers.CharField(max_length=100, help_text="The rule's name.")
    is_active = serializers.BooleanField(
        required=False, default=True, help_text="Inactive rules are skipped."
    )
    position = serializers.IntegerField(
        required=False,
        min_value=1,
        max_value=100000,
        help_text="Its place in the order (1 = first).",
    )
    channels = serializers.ListField(
        child=IdField(), required=False, max_length=500, help_text="Condition: channel ids. " + _IDS
    )
    teams = serializers.ListField(
        child=IdField(),
        required=False,
        max_length=500,
        help_text="Condition: team ids (with their sub-teams). " + _IDS,
    )
    networks = serializers.ListField(
        child=serializers.CharField(max_length=30),
        required=False,
        max_length=50,
        help_text="Condition: networks (`x`, `facebook`, …); empty: any.",
    )
    keywords = serializers.ListField(
        child=serializers.CharField(max_length=100),
        required=False,
        max_length=50,
        help_text="Condition: any of these words or phrases; empty: any text.",
    )
    sentiments = serializers.ListField(
        child=serializers.ChoiceField(choices=Sentiment.choices),
        required=False,
        help_text="Condition: sentiments; empty: any.",
    )
    languages = serializers.ListField(
        child=serializers.CharField(max_length=3),
        required=False,
        max_length=50,
        help_text="Condition: language codes (`en`, `id`); empty: any.",
    )
    kinds = serializers.ListField(
        child=serializers.ChoiceField(choices=Item.Kind.choices),
        required=False,
        help_text="Condition: item kinds; empty: any.",
    )
    assign_team = IdField(
        required=False, allow_null=True, help_text="Action: the team (round-robin), or null."
    )
    assign_to = IdField(required=False, allow_null=True, help_text="Action: the member, or null.")
    priority = serializers.ChoiceField(
        choices=Priority.choices,
        required=False,
        allow_blank=True,
        help_text="Action: the priority to set; empty: unchanged.",
    )
    tags = serializers.ListField(
        child=IdField(), required=False, max_length=50, help_text="Action: tag ids to put on it."
    )


class SlaTargetOut(serializers.Serializer):
    id = serializers.IntegerField(help_text="The target's id.")
    team = serializers.IntegerField(
        source="team_id", allow_null=True, help_text="The team's id; null: the organization's."
    )
    priority = serializers.CharField(help_text="The priority it applies to; empty: any.")
    hours = serializers.DecimalField(
        max_digits=6,
        decimal_places=2,
        coerce_to_string=False,
        help_text="Hours (the team's business hours) to answer within.",
    )
    updated_at = serializers.DateTimeField(help_text="When it last changed.")


class SlaTargetIn(InputSerializer):
    team = IdField(required=False, allow_null=True, help_text="The team; null: the organization.")
    priority = serializers.ChoiceField(
        choices=Priority.choices,
        required=False,
        allow_blank=True,
        help_text="The priority; empty: any.",
    )
    hours = serializers.DecimalField(
        max_digits=6,
        decimal_places=2,
        min_value=Decimal("0.01"),
        max_value=2160,
        allow_null=True,
        help_text="Hours to answer within (business hours of the team); null removes the target.",
    )
