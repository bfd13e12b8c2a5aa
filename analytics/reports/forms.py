"""The schedule form of the pages (the service checks everything again and says what is wrong)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.models import TIMEZONE_CHOICES
from socialops.forms import ServiceFormMixin

from .models import WEEKDAYS, Frequency, RangePreset
from .services import ScheduleInput, split_addresses


class ScheduleForm(ServiceFormMixin, forms.Form):
    name = forms.CharField(label=_("Name"), max_length=120)
    frequency = forms.ChoiceField(label=_("How often"), choices=Frequency.choices)
    weekday = forms.TypedChoiceField(
        label=_("Weekday (weekly)"),
        choices=WEEKDAYS,
        coerce=int,
        initial=0,
        required=False,
        empty_value=0,
    )
    day_of_month = forms.IntegerField(
        label=_("Day of the month (monthly)"),
        min_value=1,
        max_value=31,
        initial=1,
        required=False,
        help_text=_("A month without that day gets the report on its last day."),
    )
    send_time = forms.TimeField(
        label=_("Time"),
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        error_messages={"invalid": _("Give a time such as 08:00.")},
    )
    timezone = forms.ChoiceField(label=_("Time zone"), choices=TIMEZONE_CHOICES)
    range_preset = forms.ChoiceField(label=_("Period"), choices=RangePreset.choices)
    team = forms.TypedChoiceField(label=_("Team"), required=False, coerce=int, empty_value=None)
    network = forms.ChoiceField(label=_("Network"), required=False)
    channel = forms.TypedChoiceField(
        label=_("Channel"), required=False, coerce=int, empty_value=None
    )
    members = forms.TypedMultipleChoiceField(
        label=_("Members"), required=False, coerce=int, widget=forms.CheckboxSelectMultiple
    )
    outside_recipients = forms.CharField(
        label=_("Other addresses"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_(
            "One a line, at a domain the organization allows in its settings (empty there: "
            "members only)."
        ),
    )
    enabled = forms.BooleanField(label=_("Enabled"), required=False, initial=True)

    def __init__(self, *args, teams=(), networks=(), channels=(), members=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["team"].choices = [("", _("Every team"))] + [(t.pk, t.name) for t in teams]
        self.fields["network"].choices = [("", _("Every network")), *networks]
        self.fields["channel"].choices = [("", _("Every channel"))] + [
            (c.pk, f"{c.name or c.handle} ({c.handle})") for c in channels
        ]
        self.fields["members"].choices = [
            (m.pk, f"{m.user.full_name} <{m.user.email}>" if m.user.full_name else m.user.email)
            for m in members
        ]

    def to_input(self) -> ScheduleInput:
        d = self.cleaned_data
        return ScheduleInput(
            name=d["name"],
            frequency=d["frequency"],
            weekday=d.get("weekday") or 0,
            day_of_month=d.get("day_of_month") or 1,
            send_time=d["send_time"],
            timezone=d["timezone"],
            range_preset=d["range_preset"],
            team_id=d.get("team"),
            network=d.get("network") or "",
            channel_id=d.get("channel"),
            member_ids=list(d.get("members") or []),
            outside_recipients=split_addresses(d.get("outside_recipients") or ""),
            enabled=d.get("enabled", False),
        )

    @staticmethod
    def initial_of(s) -> dict:
        return {
            "name": s.name,
            "frequency": s.frequency,
            "weekday": s.weekday,
            "day_of_month": s.day_of_month,
            "send_time": s.send_time,
            "timezone": s.timezone,
            "range_preset": s.range_preset,
            "team": s.team_id,
            "network": s.network,
            "channel": s.channel_id,
            "members": [m.pk for m in s.recipients.all()],
            "outside_recipients": "\n".join(s.outside_recipients),
            "enabled": s.enabled,
        }
