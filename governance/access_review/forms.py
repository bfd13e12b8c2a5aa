from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.capabilities import Role
from accounts.selectors import teams_of
from channels_registry.selectors import provider_names
from socialops.forms import ServiceFormMixin


def _networks() -> list[tuple[str, str]]:
    return sorted(provider_names().items(), key=lambda kv: kv[1].lower())


class MatrixFilterForm(forms.Form):
    team = forms.ModelChoiceField(
        label=_("Team (and its sub-teams)"),
        queryset=None,
        required=False,
        empty_label=_("All teams"),
    )
    network = forms.ChoiceField(label=_("Network"), required=False)
    role = forms.ChoiceField(
        label=_("Role"), required=False, choices=[("", _("All roles")), *Role.choices]
    )

    def __init__(self, *args, organization, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["network"].choices = [("", _("All networks")), *_networks()]
        self.fields["team"].queryset = teams_of(organization).order_by("name")


class StartReviewForm(ServiceFormMixin, forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200, required=False)
    team = forms.ModelChoiceField(
        label=_("Team (and its sub-teams)"),
        queryset=None,
        required=False,
        empty_label=_("Everyone"),
    )
    networks = forms.MultipleChoiceField(
        label=_("Networks"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("None ticked: every network."),
    )
    due_on = forms.DateField(label=_("Due date"), widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, organization, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["networks"].choices = _networks()
        self.fields["team"].queryset = teams_of(organization).order_by("name")
