from __future__ import annotations

from datetime import timedelta

from django import forms
from django.utils.translation import gettext_lazy as _

from socialops.scopes import scope_choices

from ..forms import ServiceFormMixin


class ServiceAccountForm(ServiceFormMixin, forms.Form):
    name = forms.CharField(
        label=_("Name"), max_length=100, help_text=_("What calls the API, e.g. “BI export”.")
    )
    description = forms.CharField(label=_("Description"), max_length=300, required=False)


class ServiceAccountTokenForm(ServiceFormMixin, forms.Form):
    name = forms.CharField(
        label=_("Token name"), max_length=100, help_text=_("Where it is used, e.g. “production”.")
    )
    scopes = forms.MultipleChoiceField(
        label=_("Scopes"),
        choices=scope_choices,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("What the token may call. Choose as little as the job needs."),
    )
    expires_at = forms.DateTimeField(
        label=_("Expires"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
        help_text=_("Leave empty for a token that lasts until revoked."),
    )


#: how long the old token keeps working after a rotation, as offered on the page
OVERLAP_CHOICES = [
    ("0", _("Stop the old token now")),
    ("3600", _("1 hour")),
    ("86400", _("24 hours")),
    ("604800", _("7 days")),
]


class RotateTokenForm(forms.Form):
    overlap = forms.TypedChoiceField(
        label=_("Keep the old token working for"),
        choices=OVERLAP_CHOICES,
        coerce=int,
        initial="86400",
    )

    def overlap_delta(self) -> timedelta:
        return timedelta(seconds=self.cleaned_data["overlap"])
