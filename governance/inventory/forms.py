from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.selectors import teams_of
from channels_registry.selectors import provider_names
from socialops.forms import ServiceFormMixin

from .selectors import Flag
from .services import Disposal


class InventoryFilterForm(forms.Form):
    network = forms.ChoiceField(label=_("Network"), required=False)
    team = forms.ModelChoiceField(
        label=_("Team (and its sub-teams)"),
        queryset=None,
        required=False,
        empty_label=_("All teams"),
    )
    flag = forms.ChoiceField(
        label=_("Flag"), required=False, choices=[("", _("Any flag")), *Flag.choices]
    )

    def __init__(self, *args, organization, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["network"].choices = [("", _("All networks"))] + sorted(
            provider_names().items()
        )
        self.fields["team"].queryset = teams_of(organization).order_by("name")


class RetireForm(ServiceFormMixin, forms.Form):
    disposal = forms.ChoiceField(
        label=_("Its scheduled posts"),
        required=False,
        widget=forms.RadioSelect,
        choices=[
            (Disposal.MOVE, _("Move them to another channel of the same network")),
            (Disposal.UNSCHEDULE, _("Send them back to draft")),
        ],
    )
    move_to = forms.ModelChoiceField(
        label=_("Move them to"), queryset=None, required=False, empty_label=_("Choose a channel")
    )

    def __init__(self, *args, targets, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["move_to"].queryset = targets
        self.fields["move_to"].label_from_instance = _channel_label


def _channel_label(channel) -> str:
    name = channel.name or channel.handle
    return f"{name} ({channel.display_handle})" if channel.handle else name
