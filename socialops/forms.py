"""What every app's forms share (the kernel: imports no app)."""

from __future__ import annotations

from django import forms
from django.forms.utils import flatatt
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe

from socialops.errors import ApplicationError


class ServiceFormMixin:
    """Copies an ApplicationError's messages onto the form, so a page says what the API says.

    Field messages go on their fields (``field_aliases`` maps a service's field name onto the form's
    own, e.g. the composer's ``{"at": "schedule_date"}``); the others are returned, for a page that
    shows them elsewhere (the composer's per-variant ``channel_<id>`` panels). The error's message
    goes on top of the form.
    """

    field_aliases: dict[str, str] = {}

    def apply_error(self, exc: ApplicationError) -> dict[str, list[str]]:
        rest: dict[str, list[str]] = {}
        for field, messages in exc.fields.items():
            field = self.field_aliases.get(field, field)
            if field in self.fields:
                for message in messages:
                    self.add_error(field, message)
            else:
                rest[field] = list(messages)
        self.add_error(None, exc.message)
        return rest


class LongSelect(forms.Select):
    """A ``<select>`` for lists of hundreds (a dashboard's 300 channels): the same markup as
    Django's ``Select``, written here instead of through one template render per option (which
    took ~50 ms of the analytics dashboard's ~120). Flat choices only (no option groups)."""

    def render(self, name, value, attrs=None, renderer=None):
        attrs = self.build_attrs(self.attrs, attrs)
        attrs["name"] = name
        selected = set(self.format_value(value))
        options = format_html_join(
            "",
            '<option value="{}"{}>{}</option>',
            (
                (str(v), mark_safe(" selected") if str(v) in selected else "", label)  # noqa: S308
                for v, label in self.choices
            ),
        )
        return format_html("<select{}>{}</select>", flatatt(attrs), options)
