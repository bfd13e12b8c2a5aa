"""What every form of publishing's sub-domains (posts, media, calendar, scheduler) shares."""

from __future__ import annotations

from socialops.errors import ApplicationError


class ServiceFormMixin:
    """Copies an ApplicationError's messages onto the form; per-variant messages stay for the panels."""

    def apply_error(self, exc: ApplicationError) -> dict[str, list[str]]:
        """Field messages go on their fields; the rest (per-variant ``channel_<id>``) is returned."""
        aliases = {"at": "schedule_date"}
        rest: dict[str, list[str]] = {}
        for field, messages in exc.fields.items():
            field = aliases.get(field, field)
            if field in self.fields:
                for message in messages:
                    self.add_error(field, message)
            else:
                rest[field] = list(messages)
        self.add_error(None, exc.message)
        return rest
