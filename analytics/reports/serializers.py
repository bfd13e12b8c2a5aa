"""Input and output shapes of the report schedules API (no logic)."""

from __future__ import annotations

import re
from datetime import time

from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from socialops.api import IdField, InputSerializer, TimeZoneField

from .models import Frequency, RangePreset, ReportRun

_FIELDS_HELP = {
    "name": "The report's name (its e-mails' subject and the PDF's title).",
    "frequency": "daily, weekly or monthly.",
    "weekday": "Weekly: the day it is sent, 0 = Monday … 6 = Sunday.",
    "day_of_month": "Monthly: the day it is sent, 1-31 (a shorter month: its last day).",
    "send_time": "The local time it is sent, HH:MM, in `timezone`.",
    "timezone": "An IANA time zone name, such as Asia/Jakarta.",
    "range_preset": "The days it covers, up to the day before it is sent: `previous` (the "
    "previous day, calendar week or calendar month, as often as it is sent), `last_7`, "
    "`last_28` or `last_90`.",
    "team": "Only the channels of this team and the teams below it; null: every team.",
    "network": "Only the channels of this network; empty: every network.",
    "channel": "Only this channel; null: every channel.",
    "members": "Members' ids (active members of the organization) it is sent to.",
    "outside_recipients": "Other e-mail addresses, each at a domain the organization allows "
    "(its settings; none allowed: members only).",
    "enabled": "false: paused (no report is sent until it is enabled again).",
}


_CLOCK = re.compile(r"^([01][0-9]|2[0-3]):([0-5][0-9])$")


@extend_schema_field(
    {"type": "string", "pattern": _CLOCK.pattern, "example": "08:00", "maxLength": 5}
)
class ClockTimeField(serializers.Field):
    """A wall-clock time, ``HH:MM`` (24 h), in a zone given beside it."""

    default_error_messages = {"invalid": _("Give a time such as 08:00.")}

    def to_internal_value(self, data) -> time:
        match = _CLOCK.match(data) if isinstance(data, str) else None
        if match is None:
            self.fail("invalid")
        return time(int(match.group(1)), int(match.group(2)))

    def to_representation(self, value: time) -> str:
        return value.strftime("%H:%M")


class ReportScheduleOut(serializers.Serializer):
    id = serializers.IntegerField(help_text="The schedule's id.")
    name = serializers.CharField(help_text=_FIELDS_HELP["name"])
    frequency = serializers.CharField(help_text=_FIELDS_HELP["frequency"])
    weekday = serializers.IntegerField(help_text=_FIELDS_HELP["weekday"])
    day_of_month = serializers.IntegerField(help_text=_FIELDS_HELP["day_of_month"])
    send_time = ClockTimeField(help_text=_FIELDS_HELP["send_time"])
    timezone = serializers.CharField(help_text=_FIELDS_HELP["timezone"])
    range_preset = serializers.CharField(help_text=_FIELDS_HELP["range_preset"])
    team = serializers.IntegerField(
        source="team_id", allow_null=True, help_text=_FIELDS_HELP["team"]
    )
    network = serializers.CharField(help_text=_FIELDS_HELP["network"])
    channel = serializers.IntegerField(
        source="channel_id", allow_null=True, help_text=_FIELDS_HELP["channel"]
    )
    dashboard = serializers.IntegerField(
        source="dashboard_id",
        allow_null=True,
        help_text="A custom dashboard's id; null: the organization dashboard.",
    )
    members = serializers.SerializerMethodField(help_text=_FIELDS_HELP["members"])
    outside_recipients = serializers.ListField(
        child=serializers.EmailField(), help_text=_FIELDS_HELP["outside_recipients"]
    )
    enabled = serializers.BooleanField(help_text=_FIELDS_HELP["enabled"])
    next_run_at = serializers.DateTimeField(
        allow_null=True, help_text="When the next report is sent (UTC); null while paused."
    )
    created_by = serializers.IntegerField(
        source="created_by_id", allow_null=True, help_text="The user who created it, or null."
    )
    created_at = serializers.DateTimeField(help_text="When it was created.")
    updated_at = serializers.DateTimeField(help_text="When it last changed.")

    @extend_schema_field(serializers.ListField(child=serializers.IntegerField()))
    def get_members(self, obj) -> list[int]:
        return sorted(m.pk for m in obj.recipients.all())


class ReportScheduleIn(InputSerializer):
    name = serializers.CharField(max_length=120, help_text=_FIELDS_HELP["name"])
    frequency = serializers.ChoiceField(
        choices=Frequency.values, help_text=_FIELDS_HELP["frequency"]
    )
    weekday = serializers.IntegerField(
        min_value=0, max_value=6, required=False, default=0, help_text=_FIELDS_HELP["weekday"]
    )
    day_of_month = serializers.IntegerField(
        min_value=1, max_value=31, required=False, default=1, help_text=_FIELDS_HELP["day_of_month"]
    )
    send_time = ClockTimeField(help_text=_FIELDS_HELP["send_time"])
    timezone = TimeZoneField(help_text=_FIELDS_HELP["timezone"])
    range_preset = serializers.ChoiceField(
        choices=RangePreset.values,
        required=False,
        default=RangePreset.PREVIOUS_PERIOD,
        help_text=_FIELDS_HELP["range_preset"],
    )
    team = IdField(required=False, allow_null=True, default=None, help_text=_FIELDS_HELP["team"])
    network = serializers.CharField(
        max_length=30,
        required=False,
        allow_blank=True,
        default="",
        help_text=_FIELDS_HELP["network"],
    )
    channel = IdField(
        required=False, allow_null=True, default=None, help_text=_FIELDS_HELP["channel"]
    )
    members = serializers.ListField(
        child=IdField(),
        required=False,
        default=list,
        max_length=50,
        help_text=_FIELDS_HELP["members"],
    )
    outside_recipients = serializers.ListField(
        child=serializers.CharField(max_length=254),
        required=False,
        default=list,
        max_length=50,
        help_text=_FIELDS_HELP["outside_recipients"],
    )
    enabled = serializers.BooleanField(
        required=False, default=True, help_text=_FIELDS_HELP["enabled"]
    )


class ReportSchedulePatchIn(ReportScheduleIn):
    """Every field optional: those given replace the schedule's."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for f in self.fields.values():
            f.required = False
            f.default = serializers.empty


class ReportRunOut(serializers.Serializer):
    id = serializers.IntegerField(help_text="The report's id.")
    schedule = serializers.IntegerField(source="schedule_id", help_text="Its schedule's id.")
    period_start = serializers.DateField(help_text="The first day it covers (UTC day).")
    period_end = serializers.DateField(help_text="The last day it covers (UTC day), included.")
    manual = serializers.BooleanField(help_text="true: sent by hand (send now).")
    status = serializers.ChoiceField(
        choices=ReportRun.Status.values,
        help_text="pending (waiting), running (being made), sent, failed (see `error`).",
    )
    scheduled_for = serializers.DateTimeField(help_text="The slot it was due at.")
    created_at = serializers.DateTimeField(help_text="When it was made due.")
    sent_at = serializers.DateTimeField(
        allow_null=True, help_text="When its e-mails entered the outbox, or null."
    )
    error = serializers.CharField(
        help_text="Why it failed (or what was left out); empty if nothing."
    )
    pdf_url = serializers.SerializerMethodField(help_text="The PDF's download link, or null.")
    pdf_size = serializers.IntegerField(help_text="The PDF's size in bytes (0: none yet).")
    csv_url = serializers.SerializerMethodField(help_text="The CSV's download link, or null.")
    csv_size = serializers.IntegerField(help_text="The CSV's size in bytes (0: none yet).")

    def _url(self, obj, name: str, path: str) -> str | None:
        if not path:
            return None
        request = self.context.get("request")
        url = reverse(name, args=[obj.pk])
        return request.build_absolute_uri(url) if request is not None else url

    def get_pdf_url(self, obj) -> str | None:
        return self._url(obj, "report-run-pdf", obj.pdf_path)

    def get_csv_url(self, obj) -> str | None:
        return self._url(obj, "report-run-csv", obj.csv_path)
