from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.models import TIMEZONE_CHOICES
from accounts.selectors import members_of, teams_of
from socialops.errors import ApplicationError

from .models import Channel, GrantCapability, at_handle
from .selectors import provider_names


class ServiceFormMixin:
    """Copies an ApplicationError's messages onto the form (as accounts' forms do)."""

    def apply_error(self, exc: ApplicationError) -> None:
        placed = False
        for field, messages in exc.fields.items():
            if field in self.fields:
                for message in messages:
                    self.add_error(field, message)
                placed = True
        if not placed or exc.message:
            self.add_error(None, exc.message)


class ChannelFilterForm(forms.Form):
    network = forms.ChoiceField(label=_("Network"), required=False)
    team = forms.ModelChoiceField(
        label=_("Team (and its sub-teams)"),
        queryset=None,
        required=False,
        empty_label=_("All teams"),
    )
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", _("Any status"))] + list(Channel.Status.choices),
    )
    q = forms.CharField(label=_("Search"), required=False, max_length=100)

    def __init__(self, *args, organization, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["network"].choices = [("", _("All networks"))] + sorted(
            provider_names().items()
        )
        self.fields["team"].queryset = teams_of(organization).order_by("name")


class ConnectForm(ServiceFormMixin, forms.Form):
    network = forms.ChoiceField(label=_("Network"), widget=forms.HiddenInput)
    instance_url = forms.CharField(
        label=_("Instance address"),
        required=False,
        max_length=300,
        help_text=_("For example mastodon.social or https://social.example.org"),
    )
    handle = forms.CharField(
        label=_("Handle"),
        required=False,
        max_length=255,
        help_text=_("For example yourname.bsky.social"),
    )
    service_url = forms.CharField(
        label=_("Server address (optional)"),
        required=False,
        max_length=300,
        help_text=_(
            "Only if the account is on its own or another provider's server, "
            "for example https://pds.example.org. Leave empty otherwise: it is "
            "found from the handle."
        ),
    )
    app_password = forms.CharField(
        label=_("App password"),
        required=False,
        max_length=100,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
        help_text=_(
            "Create one in the network's settings under App passwords; never your main password."
        ),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["network"].choices = list(provider_names().items())


class ChooseAccountsForm(ServiceFormMixin, forms.Form):
    accounts = forms.MultipleChoiceField(
        label=_("Accounts to add"), widget=forms.CheckboxSelectMultiple
    )
    team = forms.ModelChoiceField(
        label=_("Team"), queryset=None, required=False, empty_label=_("— no team —")
    )
    timezone = forms.ChoiceField(
        label=_("Time zone"),
        choices=TIMEZONE_CHOICES,
        help_text=_("Used for scheduling and reports of these channels."),
    )

    def __init__(self, *args, organization, candidates, connected=None, **kwargs):
        super().__init__(*args, **kwargs)
        connected = connected or {}
        self.fields["accounts"].choices = [
            (c["external_id"], self._label(c, connected.get(c["external_id"]))) for c in candidates
        ]
        self.fields["team"].queryset = teams_of(organization).order_by("name")
        if connected:
            self.fields["team"].help_text = _(
                "Accounts already connected move to this team and time zone."
            )

    @staticmethod
    def _label(candidate, channel) -> str:
        label = (
            f"{candidate['name'] or candidate['handle']} ({at_handle(candidate['handle'])})"
            if candidate["handle"]
            else candidate["name"]
        )
        if channel is None:
            return label
        if channel.status == Channel.Status.ACTIVE:
            state = _("already connected")
        elif channel.status == Channel.Status.NEEDS_REAUTH:
            state = _("already connected, needs reconnecting")
        else:
            state = _("connected before (%(status)s)") % {"status": channel.get_status_display()}
        team = channel.team.name if channel.team_id else _("no team")
        return _(
            "%(account)s — %(state)s: %(team)s, %(zone)s; choosing it reconnects that channel"
        ) % {"account": label, "state": state, "team": team, "zone": channel.timezone}


class ChannelSettingsForm(ServiceFormMixin, forms.Form):
    team = forms.ModelChoiceField(
        label=_("Team"), queryset=None, required=False, empty_label=_("— no team —")
    )
    timezone = forms.ChoiceField(label=_("Time zone"), choices=TIMEZONE_CHOICES)
    access = forms.ChoiceField(label=_("Who can use it"), choices=Channel.Access.choices)

    def __init__(self, *args, organization, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["team"].queryset = teams_of(organization).order_by("name")


class GrantForm(ServiceFormMixin, forms.Form):
    capability = forms.ChoiceField(label=_("May"), choices=GrantCapability.choices)
    membership = forms.ModelChoiceField(
        label=_("Person"), queryset=None, required=False, empty_label=_("— choose a person —")
    )
    team = forms.ModelChoiceField(
        label=_("or team (and its sub-teams)"),
        queryset=None,
        required=False,
        empty_label=_("— choose a team —"),
    )

    def __init__(self, *args, organization, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["membership"].queryset = members_of(organization, include_inactive=False)
        self.fields["membership"].label_from_instance = lambda m: str(m.user)
        self.fields["team"].queryset = teams_of(organization).order_by("name")


class ChannelGroupForm(ServiceFormMixin, forms.Form):
    name = forms.CharField(label=_("Name"), max_length=120)
    description = forms.CharField(label=_("Description"), max_length=300, required=False)
    channels = forms.ModelMultipleChoiceField(
        label=_("Channels"), queryset=None, required=False, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args, organization, membership, **kwargs):
        from .selectors import visible_channels

        super().__init__(*args, **kwargs)
        # Only channels this member may see: a restricted one is neither offered nor shown as chosen
        # (services.update_channel_group keeps it in the group).
        self.fields["channels"].queryset = (
            visible_channels(membership)
            .exclude(status=Channel.Status.ARCHIVED)
            .order_by("provider", "handle")
        )
