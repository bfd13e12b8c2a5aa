"""The dashboard pages' forms. They parse; the services check (their errors land on the form)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from socialops.forms import ServiceFormMixin

from . import catalog


class DashboardForm(ServiceFormMixin, forms.Form):
    """A dashboard's name, description and default filters."""

    name = forms.CharField(label=_("Name"), max_length=100)
    description = forms.CharField(
        label=_("Description"),
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    range_days = forms.TypedChoiceField(
        label=_("Date range"), choices=catalog.RangePreset.choices, coerce=int
    )
    team = forms.TypedChoiceField(label=_("Team"), required=False, coerce=int, empty_value=None)
    network = forms.ChoiceField(label=_("Network"), required=False)
    channel = forms.TypedChoiceField(
        label=_("Channel"), required=False, coerce=int, empty_value=None
    )
    campaign = forms.TypedChoiceField(
        label=_("Campaign"),
        required=False,
        coerce=int,
        empty_value=None,
        help_text=_("Narrows the post widgets; account figures are per channel."),
    )

    def __init__(self, *args, teams=(), networks=(), channels=(), campaigns=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.objects = {
            "team": {t.pk: t for t in teams},
            "channel": {c.pk: c for c in channels},
            "campaign": {c.pk: c for c in campaigns},
        }
        self.fields["team"].choices = [("", _("Every team"))] + [
            (t.pk, t.name) for t in self.objects["team"].values()
        ]
        self.fields["network"].choices = [("", _("Every network")), *networks]
        self.fields["channel"].choices = [("", _("Every channel"))] + [
            (c.pk, f"{c.name or c.handle} ({c.handle})") for c in self.objects["channel"].values()
        ]
        self.fields["campaign"].choices = [("", _("Every campaign"))] + [
            (c.pk, c.name) for c in self.objects["campaign"].values()
        ]

    def service_values(self) -> dict:
        d = self.cleaned_data
        return {
            "name": d["name"],
            "description": d.get("description", ""),
            "range_days": d["range_days"],
            "network": d.get("network") or "",
            **{
                name: self.objects[name].get(d.get(name))
                for name in ("team", "channel", "campaign")
            },
        }


def _choices(items: dict) -> list[tuple[str, str]]:
    return [(k, str(v)) for k, v in items.items()]


class WidgetForm(ServiceFormMixin, forms.Form):
    """Add a widget: its kind, metric, breakdown, title and size. The metric's list holds every
    metric; the service says which fit the kind."""

    kind = forms.ChoiceField(label=_("Kind"), choices=catalog.Kind.choices)
    metric = forms.ChoiceField(
        label=_("Metric"),
        required=False,
        choices=[("", _("Default for the kind"))] + _choices(catalog.every_metric()),
        help_text=_("Sentiment and team response times take none."),
    )
    breakdown = forms.ChoiceField(
        label=_("Breakdown"),
        required=False,
        choices=[("", _("None (breakdown widgets only)"))] + list(catalog.Breakdown.choices),
    )
    title = forms.CharField(label=_("Title"), max_length=100, required=False)
    width = forms.TypedChoiceField(
        label=_("Width"),
        required=False,
        coerce=int,
        empty_value=None,
        choices=[("", _("Default for the kind"))] + _choices(catalog.WIDTH_LABELS),
    )
    height = forms.TypedChoiceField(
        label=_("Height"),
        required=False,
        coerce=int,
        empty_value=None,
        choices=[("", _("Default for the kind"))] + _choices(catalog.HEIGHT_LABELS),
    )
    limit = forms.IntegerField(
        label=_("Rows"),
        required=False,
        min_value=catalog.LIMIT_MIN,
        max_value=catalog.LIMIT_MAX,
        help_text=_("Lists only (top posts, post table, breakdown)."),
    )

    def service_values(self) -> dict:
        d = self.cleaned_data
        return {
            "kind": d["kind"],
            "metric": d.get("metric") or "",
            "breakdown": d.get("breakdown") or "",
            "title": d.get("title") or "",
            "width": d.get("width"),
            "height": d.get("height"),
            "options": {"limit": d["limit"]} if d.get("limit") else {},
        }


class WidgetEditForm(ServiceFormMixin, forms.Form):
    """Retitle or resize one widget (the arrangement's form)."""

    title = forms.CharField(label=_("Title"), max_length=100, required=False)
    width = forms.TypedChoiceField(
        label=_("Width"), coerce=int, choices=_choices(catalog.WIDTH_LABELS)
    )
    height = forms.TypedChoiceField(
        label=_("Height"), coerce=int, choices=_choices(catalog.HEIGHT_LABELS)
    )


class RangeForm(forms.Form):
    """The dashboard's page: another range than its preset."""

    since = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    until = forms.DateField(
        label=_("Until"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )


class ShareLinkForm(ServiceFormMixin, forms.Form):
    """A new share link of a dashboard: who it is for, and optionally the last day it works."""

    field_aliases = {"expires_at": "expires_on"}

    name = forms.CharField(
        label=_("Name"),
        max_length=120,
        help_text=_("Who it is for, e.g. “Board of directors”."),
    )
    expires_on = forms.DateField(
        label=_("Works until (optional)"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("The link stops working at the end of this day. Leave empty: until revoked."),
    )
