"""Input and output shapes of the access review API. No logic: selectors and services decide."""

from __future__ import annotations

from rest_framework import serializers

from socialops.api import IdField, InputSerializer

from .models import ReviewCampaign, ReviewItem


class ReviewCampaignIn(InputSerializer):
    name = serializers.CharField(
        max_length=200,
        required=False,
        allow_blank=True,
        default="",
        help_text="What the review is called; empty: “Access review of <today>”.",
    )
    team = IdField(
        required=False,
        allow_null=True,
        default=None,
        help_text="The team whose people (its sub-teams' too) are reviewed; null: everyone.",
    )
    networks = serializers.ListField(
        child=serializers.CharField(max_length=30),
        required=False,
        default=list,
        max_length=50,
        help_text="Network keys (`facebook`, `x`, …) whose channels are reviewed; empty: all.",
    )
    due_on = serializers.DateField(
        help_text="The day reviewers should decide by (the organization's day); reminders start "
        "three days before."
    )


class ReviewCampaignOut(serializers.ModelSerializer):
    team = serializers.IntegerField(
        source="team_id", allow_null=True, help_text="The scope's team; null: everyone."
    )
    team_name = serializers.CharField(
        source="team_label", help_text="The scope's team's name when the review started."
    )
    networks = serializers.ListField(
        child=serializers.CharField(), help_text="The networks in scope; empty: all."
    )
    status = serializers.ChoiceField(
        choices=ReviewCampaign.Status.choices,
        help_text="`open`: reviewers decide; `closed`: the result is kept and no longer changes.",
    )
    started_by = serializers.CharField(
        source="started_by_label", help_text="Who started it (name and e-mail address)."
    )
    closed_by = serializers.CharField(
        source="closed_by_label", help_text="Who closed it; empty while open."
    )
    due_on = serializers.DateField(help_text="The day reviewers should decide by.")
    closed_at = serializers.DateTimeField(
        allow_null=True, help_text="When it was closed; null while open."
    )
    item_count = serializers.IntegerField(
        default=0, help_text="How many accesses (person × channel) it reviews."
    )
    pending_count = serializers.IntegerField(
        default=0, help_text="How many still wait for a decision."
    )
    result = serializers.DictField(
        help_text="Once closed, the evidence: `counts` (keep, remove, pending, total) and `items` "
        "(every item as decided, people and channels by name); empty while open."
    )

    class Meta:
        model = ReviewCampaign
        fields = [
            "id",
            "name",
            "team",
            "team_name",
            "networks",
            "due_on",
            "status",
            "started_by",
            "created_at",
            "closed_at",
            "closed_by",
            "item_count",
            "pending_count",
            "result",
        ]


class ReviewItemOut(serializers.ModelSerializer):
    membership = serializers.IntegerField(
        source="membership_id", help_text="The person whose access it is (see /members/)."
    )
    person = serializers.EmailField(
        source="membership.user.email", help_text="Their e-mail address."
    )
    channel = serializers.IntegerField(source="channel_id", help_text="The channel's id.")
    channel_name = serializers.CharField(source="channel.name", help_text="The channel's name.")
    network = serializers.CharField(source="channel.provider", help_text="The channel's network.")
    capabilities = serializers.ListField(
        child=serializers.CharField(),
        help_text="What they were granted in person on it when the review started.",
    )
    reviewer = serializers.IntegerField(
        source="reviewer_id", allow_null=True, help_text="Who reviews it (a membership id)."
    )
    decision = serializers.ChoiceField(
        choices=ReviewItem.Decision.choices, help_text="`pending`, `keep` or `remove`."
    )
    decided_by = serializers.EmailField(
        source="decided_by.email", allow_null=True, default=None, help_text="Who decided."
    )
    decided_at = serializers.DateTimeField(allow_null=True, help_text="When; null: not yet.")
    note = serializers.CharField(help_text="The reviewer's note.")
    revoked = serializers.ListField(
        child=serializers.CharField(),
        help_text="What a removal revoked (empty: nothing, or it was already gone).",
    )
    team_capabilities = serializers.ListField(
        child=serializers.CharField(),
        help_text="What they had on it through a grant to one of their teams (or a team above "
        "it) when the review started.",
    )
    via_teams = serializers.SerializerMethodField(
        help_text="The names of their own teams that bring `team_capabilities`: a removal takes "
        "them out of these teams."
    )
    left_teams = serializers.ListField(
        child=serializers.CharField(),
        help_text="The teams a removal took them out of (empty: none).",
    )

    def get_via_teams(self, item) -> list[str]:
        return item.via_team_names

    class Meta:
        model = ReviewItem
        fields = [
            "id",
            "membership",
            "person",
            "channel",
            "channel_name",
            "network",
            "capabilities",
            "reviewer",
            "decision",
            "decided_by",
            "decided_at",
            "note",
            "revoked",
            "team_capabilities",
            "via_teams",
            "left_teams",
        ]


class ReviewDecideIn(InputSerializer):
    items = serializers.ListField(
        child=IdField(),
        min_length=1,
        max_length=500,
        help_text="The ids of your items in this review to decide (all or none are decided).",
    )
    decision = serializers.ChoiceField(
        choices=[ReviewItem.Decision.KEEP, ReviewItem.Decision.REMOVE],
        help_text="`keep`, or `remove`: their grants on that channel are revoked at once, and "
        "access through a team ends by taking them out of that team.",
    )
    note = serializers.CharField(
        max_length=500, required=False, allow_blank=True, default="", help_text="Why (optional)."
    )


class ReviewDecidedOut(serializers.Serializer):
    items = ReviewItemOut(many=True, help_text="The items decided, as they are now.")
