"""Input and output shapes of the offboarding API. No logic: selectors and services decide."""

from __future__ import annotations

from rest_framework import serializers

from socialops.api import InputSerializer

from .models import FollowUpTask, OffboardingReport


class PlanItemOut(serializers.Serializer):
    kind = serializers.CharField(
        help_text="What kind of thing changes: grants, teams, stage_seats, stage_backups, "
        "assignments, reviews, conversations, posts, share_links, tokens, sessions, notifications."
    )
    key = serializers.CharField(
        help_text="The item's key, e.g. `assignment:12`: name it in `choices` to change where it goes."
    )
    label = serializers.CharField(help_text="What the item is, as the page shows it.")
    detail = serializers.CharField(
        help_text="More about the item (a capability, a stage, a status)."
    )
    goes_to = serializers.IntegerField(
        source="goes_to.pk",
        allow_null=True,
        default=None,
        help_text="The membership id it goes to; null: nobody, or not an item that goes to someone.",
    )
    goes_to_label = serializers.CharField(
        help_text="Where it goes or what happens to it, in words."
    )
    error = serializers.CharField(
        help_text="Why the chosen target cannot take it (empty when it can): the run would be refused."
    )


class FollowUpOut(serializers.Serializer):
    title = serializers.CharField(help_text="What to do by hand on the network.")
    url = serializers.CharField(help_text="Where to do it.")


class PreviewOut(serializers.Serializer):
    member = serializers.IntegerField(
        source="membership.pk", help_text="The leaving membership's id."
    )
    refusal = serializers.CharField(
        help_text="Why this person cannot be offboarded (yourself, the last owner, already "
        "offboarded); empty when they can."
    )
    items = serializers.SerializerMethodField(help_text="Every item that changes, in order.")
    follow_ups = FollowUpOut(many=True, help_text="What the report will list to do by hand.")
    errors = serializers.DictField(
        child=serializers.CharField(), help_text="Item key → why its target cannot take it."
    )

    def get_items(self, plan) -> list[dict]:
        rows = [item for items in plan.groups.values() for item in items]
        return PlanItemOut(rows, many=True).data


class RunIn(InputSerializer):
    choices = serializers.DictField(
        child=serializers.IntegerField(allow_null=True, min_value=1),
        required=False,
        default=dict,
        help_text="Where items go instead of their default: an item key (`assignment:12`) or a "
        "whole kind (`conversations`, `posts`) → a membership id, or null for nobody where that is "
        "allowed (stage seats, backups, waiting approvals, conversations).",
    )


class FollowUpTaskOut(serializers.ModelSerializer):
    title = serializers.CharField(help_text="What to do by hand on the network.")
    url = serializers.CharField(help_text="Where to do it.")
    channel = serializers.IntegerField(
        source="channel_id", allow_null=True, help_text="The channel it is about; null: none."
    )
    done_at = serializers.DateTimeField(
        allow_null=True, help_text="When it was ticked done; null: still to do."
    )

    class Meta:
        model = FollowUpTask
        fields = ["id", "title", "url", "channel", "done_at"]


class ReportItemOut(serializers.Serializer):
    kind = serializers.CharField(default="", help_text="What kind of thing changed.")
    section = serializers.CharField(
        default="", help_text="The kind's heading, in the language of the run."
    )
    label = serializers.CharField(default="", help_text="What the item was.")
    detail = serializers.CharField(default="", help_text="More about the item.")
    goes_to = serializers.CharField(default="", help_text="Where it went, in words.")
    outcome = serializers.CharField(default="", help_text="What was done to it.")


class ReportOut(serializers.ModelSerializer):
    member = serializers.IntegerField(
        source="membership_id", help_text="The membership offboarded."
    )
    person = serializers.CharField(
        source="person_label", help_text="Their name and e-mail address."
    )
    run_by = serializers.CharField(source="run_by_label", help_text="Who ran it (e-mail address).")
    via = serializers.CharField(help_text="How it was run: web, api or scim.")
    items = ReportItemOut(many=True, help_text="Every item and its outcome.")
    counts = serializers.DictField(
        child=serializers.IntegerField(), help_text="Kind → how many items of it changed."
    )
    tasks = FollowUpTaskOut(many=True, help_text="What to do by hand on the networks.")

    class Meta:
        model = OffboardingReport
        fields = [
            "id",
            "member",
            "person",
            "run_by",
            "via",
            "created_at",
            "items",
            "counts",
            "tasks",
        ]
