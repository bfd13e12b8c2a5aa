"""What every app's forms share (the kernel: imports no app)."""

from __future__ import annotations

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
