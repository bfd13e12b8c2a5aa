"""What routing and the SLA clock read about one organization during one ``ingest`` call, read
once and shared: its zone, its team tree, the teams involved, its holiday regions."""

from __future__ import annotations

from datetime import date
from functools import cached_property

from accounts.models import Organization, Team
from accounts.selectors import team_parents


class OrgFacts:
    def __init__(self, organization_id: int):
        self.organization_id = organization_id
        self._teams: dict[int, Team | None] = {}

    @cached_property
    def timezone(self) -> str:
        zone = (
            Organization.objects.filter(pk=self.organization_id)
            .values_list("timezone", flat=True)
            .first()
        )
        return zone or "UTC"

    @cached_property
    def parents(self) -> dict[int, int | None]:
        return team_parents(self.organization_id)

    def teams(self, ids) -> dict[int, Team]:
        """The teams of ``ids`` (one query for those not read yet)."""
        missing = {i for i in ids if i is not None and i not in self._teams}
        if missing:
            found = {
                t.pk: t for t in Team.objects.for_org(self.organization_id).filter(pk__in=missing)
            }
            for pk in missing:
                self._teams[pk] = found.get(pk)
        return {i: self._teams[i] for i in ids if i is not None and self._teams.get(i) is not None}

    @cached_property
    def holiday_countries(self) -> dict[int | None, tuple[str, ...]]:
        from publishing.selectors import holiday_countries_of

        return holiday_countries_of(self.organization_id)

    def holidays(self, team_ids, first: date, last: date) -> dict[int | None, frozenset[date]]:
        from publishing.selectors import holiday_dates_by_team

        if not self.holiday_countries:
            return {}
        return holiday_dates_by_team(
            self.organization_id,
            team_ids,
            first,
            last,
            countries=self.holiday_countries,
            parents=self.parents,
        )
