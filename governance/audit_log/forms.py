"""The audit log page's filter form and the retention form."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from socialops.audit.models import AuditEvent, AuditRetention
from socialops.audit.selectors import EventFilters


class AuditFilterForm(forms.Form):
    """What the page narrows the log by. Dates are days on the viewer's clock (the active zone)."""

    q = forms.CharField(
        label=_("Search"),
        required=False,
        max_length=200,
        widget=forms.TextInput(attrs={"type": "search", "placeholder": _("Search the entries")}),
    )
    actor = forms.TypedChoiceField(label=_("Person"), required=False, coerce=int, empty_value=None)
    action = forms.CharField(
        label=_("Action"),
        required=False,
        max_length=80,
        help_text=_("An action, or its beginning ending in a dot (post.)."),
        widget=forms.TextInput(attrs={"placeholder": "post."}),
    )
    object_type = forms.ChoiceField(label=_("Object type"), required=False)
    object_id = forms.CharField(label=_("Object id"), required=False, max_length=64)
    channel = forms.TypedChoiceField(
        label=_("Channel"), required=False, coerce=int, empty_value=None
    )
    via = forms.ChoiceField(
        label=_("Origin"),
        required=False,
        choices=[("", _("Any origin")), *AuditEvent.Via.choices],
    )
    date_from = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args, members, channels, object_types, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["actor"].choices = [("", _("Anyone"))] + [
            (m.user_id, m.user.email) for m in members
        ]
        self.fields["channel"].choices = [("", _("Any channel"))] + [
            (c.pk, f"{c.provider} · {c.handle or c.name}") for c in channels
        ]
        self.fields["object_type"].choices = [("", _("Any type"))] + [(t, t) for t in object_types]

    def clean(self):
        data = super().clean()
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and end < start:
            self.add_error("date_to", _("The end date is before the start date."))
        return data

    def filters(self) -> EventFilters:
        """The checked filters; call after ``is_valid()`` (invalid fields are left out)."""
        data = self.cleaned_data if hasattr(self, "cleaned_data") else {}
        zone = timezone.get_current_timezone()

        def start_of(day):
            return timezone.make_aware(datetime.combine(day, time.min), zone) if day else None

        end = data.get("date_to")
        return EventFilters(
            actor=data.get("actor"),
            action=(data.get("action") or "").strip(),
            object_type=data.get("object_type") or "",
            object_id=(data.get("object_id") or "").strip(),
            channel=data.get("channel"),
            via=data.get("via") or "",
            since=start_of(data.get("date_from")),
            until=start_of(end + timedelta(days=1)) if end else None,
            text=(data.get("q") or "").strip(),
        )


class RetentionForm(forms.Form):
    years = forms.IntegerField(
        label=_("Keep audit entries for (years)"),
        min_value=AuditRetention.MIN_YEARS,
        max_value=AuditRetention.MAX_YEARS,
        help_text=_(
            "Entries older than this are deleted once a day; the chain stays verifiable from a "
            "checkpoint. Default: 7 years."
        ),
    )
