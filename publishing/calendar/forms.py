"""Forms of the calendar pages (campaigns, notes, holidays, cadence, share links). Parsing only."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.selectors import teams_of
from socialops.forms import ServiceFormMixin

from .selectors import CALENDAR_STATUSES, HOLIDAY_COUNTRIES


class _TeamChoice(forms.ModelChoiceField):
    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        super().__init__(queryset=None, **kwargs)


class CampaignEditForm(ServiceFormMixin, forms.Form):
    name = forms.CharField(label=_("Name"), max_length=120)
    color = forms.CharField(
        label=_("Colour"),
        max_length=7,
        required=False,
        initial="#2f5bd3",
        widget=forms.TextInput(attrs={"type": "color"}),
    )
    starts_on = forms.DateField(
        label=_("Starts"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    ends_on = forms.DateField(
        label=_("Ends"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    team = _TeamChoice(label=_("Owning team"), empty_label=_("— the whole organization —"))
    utm_source = forms.CharField(label=_("UTM source"), required=False, max_length=100)
    utm_medium = forms.CharField(
        label=_("UTM medium"), required=False, max_length=100, initial="social"
    )
    utm_campaign = forms.CharField(
        label=_("UTM campaign"),
        required=False,
        max_length=100,
        help_text=_("Empty: the campaign's name."),
    )
    description = forms.CharField(
        label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, organization, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["team"].queryset = teams_of(organization).order_by("name")


class NoteForm(ServiceFormMixin, forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    starts_on = forms.DateField(label=_("From"), widget=forms.DateInput(attrs={"type": "date"}))
    ends_on = forms.DateField(
        label=_("To"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("Empty: one day."),
    )
    team = _TeamChoice(label=_("Team"), empty_label=_("— the whole organization —"))
    body = forms.CharField(
        label=_("Note"), required=False, max_length=5000, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args, organization, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["team"].queryset = teams_of(organization).order_by("name")


class HolidayForm(ServiceFormMixin, forms.Form):
    team = _TeamChoice(label=_("Region (team)"), empty_label=_("— organization default —"))
    countries = forms.MultipleChoiceField(
        label=_("Public holidays of"),
        required=False,
        choices=HOLIDAY_COUNTRIES,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("None: this team follows its parent team (or the default)."),
    )

    def __init__(self, *args, organization, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["team"].queryset = teams_of(organization).order_by("name")


class CadenceForm(ServiceFormMixin, forms.Form):
    channel = forms.TypedChoiceField(label=_("Channel"), coerce=int)
    min_per_week = forms.IntegerField(
        label=_("At least (posts a week)"), min_value=0, max_value=500, initial=3
    )
    max_per_week = forms.IntegerField(
        label=_("At most (posts a week)"), min_value=1, max_value=500, initial=5
    )

    def __init__(self, *args, channels, network_names, **kwargs):
        super().__init__(*args, **kwargs)
        self.channel_map = {c.pk: c for c in channels}
        self.fields["channel"].choices = [
            (c.pk, f"{network_names.get(c.provider, c.provider)} · {c.name or c.handle}")
            for c in channels
        ]


class ShareLinkForm(ServiceFormMixin, forms.Form):
    name = forms.CharField(
        label=_("Name"),
        max_length=120,
        help_text=_("Who it is for, e.g. “Agency — Ramadan campaign”."),
    )
    expires_in_days = forms.IntegerField(
        label=_("Valid for (days)"), min_value=1, max_value=366, initial=30
    )


class CalendarFilterForm(forms.Form):
    """The filter bar (read by calendar.js and sent with every events request)."""

    team = forms.TypedChoiceField(label=_("Team"), required=False, coerce=int, empty_value=None)
    channel = forms.TypedChoiceField(
        label=_("Channel"), required=False, coerce=int, empty_value=None
    )
    network = forms.ChoiceField(label=_("Network"), required=False)
    campaign = forms.TypedChoiceField(
        label=_("Campaign"), required=False, coerce=int, empty_value=None
    )
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("Any status"))] + list(CALENDAR_STATUSES)
    )
    author = forms.TypedChoiceField(label=_("Author"), required=False, coerce=int, empty_value=None)
    holidays = forms.TypedChoiceField(
        label=_("Holidays of"), required=False, coerce=int, empty_value=None
    )

    def __init__(self, *args, team_tree, channels, campaigns, authors, network_names, **kwargs):
        super().__init__(*args, **kwargs)
        teams = [(t.pk, ("— " * depth) + t.name) for t, depth in team_tree]
        self.fields["team"].choices = [("", _("All teams"))] + teams
        self.fields["holidays"].choices = [("", _("My region"))] + teams
        self.fields["channel"].choices = [("", _("All channels"))] + [
            (c.pk, f"{network_names.get(c.provider, c.provider)} · {c.name or c.handle}")
            for c in channels
        ]
        networks = sorted({c.provider for c in channels})
        self.fields["network"].choices = [("", _("All networks"))] + [
            (n, network_names.get(n, n)) for n in networks
        ]
        self.fields["campaign"].choices = [("", _("All campaigns"))] + [
            (c.pk, c.name) for c in campaigns
        ]
        self.fields["author"].choices = [("", _("Everyone"))] + [
            (m.user_id, m.user.get_full_name() or m.user.email) for m in authors
        ]
