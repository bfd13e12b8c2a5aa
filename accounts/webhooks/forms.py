from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from socialops.webhooks.events import choices as event_choices

from ..forms import ServiceFormMixin


class WebhookEndpointForm(ServiceFormMixin, forms.Form):
    # The service checks the address (https, public, resolvable); this field only takes the text.
    url = forms.CharField(
        label=_("URL"),
        max_length=2000,
        help_text=_("https:// on an address reachable on the internet."),
    )
    description = forms.CharField(label=_("Description"), max_length=200, required=False)
    events = forms.MultipleChoiceField(
        label=_("Events"), choices=event_choices, widget=forms.CheckboxSelectMultiple
    )
