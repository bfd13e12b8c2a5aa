"""Input and output shapes of the inbox's tags, saved replies, saved views and figures API (no
logic)."""

from __future__ import annotations

from rest_framework import serializers

from socialops.api import IdField, InputSerializer

# --- tags ---------------------------------------------------------------------------------------


class TagOut(serializers.Serializer):
    id = serializers.IntegerField(help_text="The tag's id.")
    name = serializers.CharField(help_text="The tag's name, unique in the organization.")
    colour = serializers.CharField(help_text="Its colour, #rrggbb.")
    created_at = serializers.DateTimeField(help_text="When it was created.")


class TagIn(InputSerializer):
    name = serializers.CharField(
        max_length=50, help_text="The name (unique in the organization, whatever its case)."
    )
    colour = serializers.CharField(
        max_length=7, required=False, default="#6b7280", help_text="A colour, #rrggbb."
    )


class TagPatchIn(InputSerializer):
    name = serializers.CharField(max_length=50, required=False, help_text="A new name.")
    colour = serializers.CharField(max_length=7, required=False, help_text="A new colour, #rrggbb.")


# --- saved replies ------------------------------------------------------------------------------


class SavedReplyOut(serializers.Serializer):
    id = serializers.IntegerField(help_text="The saved reply's id.")
    title = serializers.CharField(help_text="Its title, shown in the picker.")
    text = serializers.CharField(
        help_text="Its text; {first_name}, {channel} and {agent} are filled in when inserted."
    )
    team = serializers.IntegerField(
        source="team_id", allow_null=True, help_text="The team's id; null: the whole organization."
    )
    language = serializers.CharField(help_text="en, id, or empty for any language.")
    created_by = serializers.IntegerField(
        source="created_by_id", allow_null=True, help_text="The member who created it, or null."
    )
    created_at = serializers.DateTimeField(help_text="When it was created.")
    updated_at = serializers.DateTimeField(help_text="When it last changed.")


_LANGUAGES = ["", "en", "id"]


class SavedReplyIn(InputSerializer):
    title = serializers.CharField(max_length=100, help_text="Its title.")
    text = serializers.CharField(
        max_length=5000, help_text="Its text; variables: {first_name}, {channel}, {agent}."
    )
    team = IdField(
        required=False, allow_null=True, help_text="A team's id; null or absent: shared by all."
    )
    language = serializers.ChoiceField(
        choices=_LANGUAGES,
        required=False,
        default="",
        help_text="en, id, or empty for any language.",
    )


class SavedReplyPatchIn(InputSerializer):
    title = serializers.CharField(max_length=100, required=False, help_text="A new title.")
    text = serializers.CharField(max_length=5000, required=False, help_text="A new text.")
    team = IdField(required=False, allow_null=True, help_text="A team's id; null: shared by all.")
    language = serializers.ChoiceField(
        choices=_LANGUAGES, required=False, help_text="en, id, or empty for any language."
    )


# --- saved views --------------------------------------------------------------------------------


class SavedViewOut(serializers.Serializer):
    id = serializers.IntegerField(help_text="The saved view's id.")
    name = serializers.CharField(help_text="Its name.")
    query = serializers.CharField(
        help_text="The inbox list's filters, as a query string (q, status, channel, …)."
    )
    shared = serializers.BooleanField(help_text="Shared with the organization.")
    owner = serializers.IntegerField(source="owner_id", help_text="The member who saved it.")
    created_at = serializers.DateTimeField(help_text="When it was saved.")


class SavedViewIn(InputSerializer):
    name = serializers.CharField(
        max_length=80, help_text="Its name; one of the member's names replaces that view."
    )
    query = serializers.CharField(
        max_length=1000,
        required=False,
        allow_blank=True,
        default="",
        help_text="The filters, as the inbox list's query string (status=open&assignee=me).",
    )
    shared = serializers.BooleanField(
        required=False, default=False, help_text="Share it with the organization."
    )


class SavedViewPatchIn(InputSerializer):
    name = serializers.CharField(
        max_length=80, help_text="A new name, not that of another of the member's views."
    )


# --- figures ------------------------------------------------------------------------------------


class ScopeOut(serializers.Serializer):
    kind = serializers.ChoiceField(
        choices=["member", "team", "organization"], help_text="Whose figures these are."
    )
    name = serializers.CharField(help_text="The member's, team's or organization's name.")
    member = serializers.IntegerField(
        source="member_id", allow_null=True, help_text="The member's id (kind member), or null."
    )
    team = serializers.IntegerField(
        source="team_id", allow_null=True, help_text="The team's id (kind team), or null."
    )


class DayFiguresOut(serializers.Serializer):
    inbound = serializers.IntegerField(help_text="Customers' items written (inbound).")
    opened = serializers.IntegerField(help_text="Conversations that arrived in the inbox.")
    responded = serializers.IntegerField(help_text="Conversations first answered.")
    median_seconds = serializers.FloatField(
        allow_null=True, help_text="The median first-response time, in seconds; null: none."
    )
    p90_seconds = serializers.FloatField(
        allow_null=True, help_text="The 90th percentile of first-response times, in seconds."
    )
    sla_due = serializers.IntegerField(
        help_text="Conversations whose answer was due (answered, or past due)."
    )
    sla_met = serializers.IntegerField(help_text="Of those, answered by their due time.")
    sla_met_percent = serializers.FloatField(
        allow_null=True, help_text="sla_met of sla_due, in percent; null when none was due."
    )
    closed = serializers.IntegerField(help_text="Conversations closed.")


class OneDayOut(DayFiguresOut):
    day = serializers.DateField(help_text="The day, in the zone of the range.")


class FiguresOut(serializers.Serializer):
    scope = ScopeOut(help_text="Whose figures these are.")
    since = serializers.DateField(source="range.since", help_text="The range's first day.")
    until = serializers.DateField(source="range.until", help_text="The range's last day.")
    timezone = serializers.CharField(source="range.zone", help_text="The zone of the days.")
    days = OneDayOut(many=True, help_text="One entry per day of the range, oldest first.")
    total = DayFiguresOut(
        help_text="The whole range (median and p90 over all its first responses)."
    )
