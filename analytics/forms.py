"""The dashboard's filters: a date range (checked by ``selectors.date_range``), team, network, channel."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from socialops.errors import ValidationFailed
from socialops.forms import LongSelect

from . import selectors


class DashboardFilterForm(forms.Form):
    since = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    until = forms.DateField(
        label=_("Until"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    team = forms.TypedChoiceField(
        label=_("Team"), required=False, coerce=int, empty_value=None, widget=LongSelect
    )
    network = forms.ChoiceField(label=_("Network"), required=False)
    channel = forms.TypedChoiceField(
        label=_("Channel"), required=False, coerce=int, empty_value=None, widget=LongSelect
    )

    def __init__(self, *args, teams=(), networks=(), channels=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.teams = {t.pk: t for t in teams}
        self.fields["team"].choices = [("", _("Every team"))] + [
            (t.pk, t.name) for t in self.teams.values()
        ]
        self.fields["network"].choices = [("", _("Every network")), *networks]
        self.fields["channel"].choices = [("", _("Every channel"))] + [
            (c.pk, f"{c.name or c.handle} ({c.handle})") for c in channels
        ]

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        try:
            data["range"] = selectors.date_range(data.get("since"), data.get("until"))
        except ValidationFailed as exc:
            for name, messages in (exc.fields or {}).items():
                for message in messages:
                    self.add_error(name, message)
        data["team_obj"] = self.teams.get(data.get("team")) if data.get("team") else None
        return data


class CampaignFilterForm(DashboardFilterForm):
    """The dashboard's filters and a campaign of the organization (another's is not a choice)."""

    campaign = forms.TypedChoiceField(
        label=_("Campaign"), required=False, coerce=int, empty_value=None, widget=LongSelect
    )

    def __init__(self, *args, campaigns=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["campaign"].choices = [("", _("Every campaign"))] + [
            (c.pk, c.name) for c in campaigns
        ]


class PostAnalyticsFilterForm(CampaignFilterForm):
    """The posts table's filters: the dashboard's, a campaign of the organization, and the sort
    (a column, "-" first for descending; anything else is a form error, never a crash)."""

    sort = forms.ChoiceField(label=_("Sort by"), required=False)

    def __init__(self, *args, sort_labels=None, **kwargs):
        super().__init__(*args, **kwargs)
        from . import posts

        labels = sort_labels or {}
        self.fields["sort"].choices = [
            (s, f"{labels.get(s.lstrip('-'), s.lstrip('-'))} {'↓' if s.startswith('-') else '↑'}")
            for s in posts.SORTS
        ]

    def clean(self):
        data = super().clean()
        data["sort"] = data.get("sort") or ""
        return data
