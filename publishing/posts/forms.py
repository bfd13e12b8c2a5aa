"""Forms of the publishing pages. Parsing only: the services decide and validate content."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.models import TIMEZONE_CHOICES
from accounts.selectors import teams_of
from socialops.forms import ServiceFormMixin

from ..models import Post, PostVariant


def _channel_label(channel, names: dict[str, str]) -> str:
    who = channel.name or channel.handle or channel.external_id
    handle = f" ({channel.display_handle})" if channel.handle else ""
    return f"{names.get(channel.provider, channel.provider)} · {who}{handle}"


class ComposeForm(ServiceFormMixin, forms.Form):
    field_aliases = {"at": "schedule_date"}  # the scheduler's field is the form's date (and time)
    ACTIONS = [
        ("save", _("Save draft")),
        ("schedule", _("Schedule")),
        ("publish", _("Publish now")),
        ("submit", _("Submit for approval")),
    ]

    title = forms.CharField(
        label=_("Internal title"),
        required=False,
        max_length=200,
        help_text=_("Only your team sees it."),
    )
    text = forms.CharField(
        label=_("Text"),
        required=False,
        max_length=70000,
        widget=forms.Textarea(attrs={"rows": 6, "data-base-text": ""}),
        help_text=_("Hashtags and @mentions are kept as you type them."),
    )
    channels = forms.MultipleChoiceField(
        label=_("Channels"), required=False, widget=forms.CheckboxSelectMultiple
    )
    groups = forms.MultipleChoiceField(
        label=_("Channel groups"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Picking a group adds its channels."),
    )
    link_url = forms.URLField(
        label=_("Link"),
        required=False,
        max_length=2000,
        assume_scheme="https",
        widget=forms.TextInput(attrs={"placeholder": "https://", "inputmode": "url"}),
    )
    campaign = forms.ModelChoiceField(
        label=_("Campaign"),
        queryset=None,
        required=False,
        empty_label=_("— no campaign —"),
        help_text=_("Its UTM parameters are added to the link."),
    )
    team = forms.ModelChoiceField(
        label=_("Team"), queryset=None, required=False, empty_label=_("— no team —")
    )
    first_comment = forms.CharField(
        label=_("First comment"),
        required=False,
        max_length=10000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Posted right after the post, where the network has comments."),
    )
    media = forms.MultipleChoiceField(
        label=_("Media from the library"), required=False, widget=forms.CheckboxSelectMultiple
    )
    schedule_date = forms.DateField(
        label=_("Date"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    schedule_time = forms.TimeField(
        label=_("Time"), required=False, widget=forms.TimeInput(attrs={"type": "time"})
    )
    schedule_timezone = forms.ChoiceField(
        label=_("Time zone"), choices=TIMEZONE_CHOICES, required=False
    )
    action = forms.ChoiceField(choices=ACTIONS, required=False, widget=forms.HiddenInput)

    def __init__(self, *args, organization, channels, groups, assets, **kwargs):
        super().__init__(*args, **kwargs)
        from channels_registry.selectors import provider_names

        from .selectors import campaigns_of

        names = provider_names()
        self.channel_map = {c.pk: c for c in channels}
        self.fields["channels"].choices = [(str(c.pk), _channel_label(c, names)) for c in channels]
        self.group_map = {g.pk: g for g in groups}
        self.fields["groups"].choices = [(str(g.pk), g.name) for g in groups]
        self.asset_map = {a.pk: a for a in assets}
        self.fields["media"].choices = [(str(a.pk), a.original_name) for a in assets]
        # archived campaigns leave the picker (a post already in one keeps it)
        current = (self.initial or {}).get("campaign")
        self.fields["campaign"].queryset = campaigns_of(organization).filter(
            archived_at__isnull=True
        ) | (
            campaigns_of(organization).filter(pk=current)
            if current
            else campaigns_of(organization).none()
        )
        self.fields["team"].queryset = teams_of(organization).order_by("name")

    def selected_channels(self) -> list:
        """The picked channels plus every channel of the picked groups (only those the person may use)."""
        ids = [int(i) for i in self.cleaned_data.get("channels") or []]
        for gid in self.cleaned_data.get("groups") or []:
            group = self.group_map.get(int(gid))
            if group is not None:
                ids += [c.pk for c in group.channels.all() if c.pk in self.channel_map]
        return [self.channel_map[i] for i in dict.fromkeys(ids) if i in self.channel_map]

    def selected_assets(self) -> list:
        return [
            self.asset_map[int(i)]
            for i in self.cleaned_data.get("media") or []
            if int(i) in self.asset_map
        ]


class PostFilterForm(forms.Form):
    q = forms.CharField(
        label=_("Search"),
        required=False,
        max_length=200,
        widget=forms.TextInput(attrs={"type": "search", "placeholder": _("Title or text")}),
    )
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", _("Any status"))] + list(Post.Status.choices),
    )
    channel = forms.TypedChoiceField(
        label=_("Channel"), required=False, coerce=int, empty_value=None
    )
    campaign = forms.TypedChoiceField(
        label=_("Campaign"), required=False, coerce=int, empty_value=None
    )
    author = forms.TypedChoiceField(label=_("Author"), required=False, coerce=int, empty_value=None)
    order = forms.ChoiceField(
        label=_("Sort"),
        required=False,
        choices=[
            ("send_desc", _("Latest send time")),
            ("send_asc", _("Earliest send time")),
            ("created", _("Recently created")),
        ],
    )

    def __init__(self, *args, channels, campaigns, authors, **kwargs):
        super().__init__(*args, **kwargs)
        from channels_registry.selectors import provider_names

        names = provider_names()
        self.fields["channel"].choices = [("", _("All channels"))] + [
            (c.pk, _channel_label(c, names)) for c in channels
        ]
        self.fields["campaign"].choices = [("", _("All campaigns"))] + [
            (c.pk, c.name) for c in campaigns
        ]
        self.fields["author"].choices = [("", _("Everyone"))] + [
            (m.user_id, m.user.get_full_name() or m.user.email) for m in authors
        ]


class PostBulkForm(forms.Form):
    """The posts list's bulk bar: an action for the ticked posts (``post`` values, read by the view)."""

    action = forms.ChoiceField(
        label=_("With the selected posts"),
        choices=[
            ("", _("Choose an action…")),
            ("cancel", _("Cancel (stop publishing)")),
            ("move", _("Move to another day (same time)")),
            ("delete", _("Delete (never published)")),
        ],
    )
    to = forms.DateField(
        label=_("Move to"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    #: the list's filters, to come back to the same view
    back = forms.CharField(required=False, max_length=2000, widget=forms.HiddenInput)

    def clean(self):
        data = super().clean()
        if data.get("action") == "move" and not data.get("to"):
            self.add_error("to", _("Pick the day to move the posts to."))
        return data


class CampaignForm(ServiceFormMixin, forms.Form):
    name = forms.CharField(label=_("Name"), max_length=120)
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
    starts_on = forms.DateField(
        label=_("Starts"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    ends_on = forms.DateField(
        label=_("Ends"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    description = forms.CharField(
        label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class LocalizeForm(ServiceFormMixin, forms.Form):
    team = forms.ModelChoiceField(label=_("Region (team)"), queryset=None)
    channels = forms.MultipleChoiceField(
        label=_("The region's channels"), widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args, organization, channels, **kwargs):
        super().__init__(*args, **kwargs)
        from channels_registry.selectors import provider_names

        names = provider_names()
        self.channel_map = {c.pk: c for c in channels}
        self.fields["team"].queryset = teams_of(organization).order_by("name")
        self.fields["channels"].choices = [(str(c.pk), _channel_label(c, names)) for c in channels]

    def selected_channels(self) -> list:
        return [
            self.channel_map[int(i)]
            for i in self.cleaned_data.get("channels") or []
            if int(i) in self.channel_map
        ]


class CsvImportForm(forms.Form):
    file = forms.FileField(
        label=_("CSV file"),
        help_text=_(
            "Columns: channel, text, scheduled_at, timezone, link, first_comment, campaign. UTF-8."
        ),
    )


FORMAT_CHOICES = PostVariant.Format.choices
