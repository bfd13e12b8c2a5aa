"""What routing and the SLA clock read about one organization during one ``ingest`` call, read
once and shared: its zone, its team tree, the teams involved, its holiday regions, its routing
rules, the members who may take conversations, its SLA targets, its tags; and the webhook
endpoints listening for ``conversation.created``.

Between calls, on PostgreSQL and read inside a transaction (so on the primary, never a
replica behind it), a process keeps them (``_KEPT``) while the organization's
``OrgFactsVersion`` row is the same row version: triggers (migrations 0010 and 0012) rewrite
that row in the transaction of any change to what is kept here, so the first batch after an offboarding, a rule's
edit or a new holiday region commits reads afresh, and never assigns the person removed. The key
is the row's version *and* its ``xmin`` (the transaction that wrote it): a change made and rolled
back in this process's own transaction leaves a row version nobody else can write again. Nothing
that moves with each batch is kept (the round-robin's pointer, the time of day: who is working now
is decided per batch from the kept hours). Elsewhere (SQLite) every call reads afresh.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from django.db import connection

from accounts.models import Organization, Team
from accounts.selectors import team_parents

from ..models import OrgFactsVersion

#: organizations whose facts a process keeps, at most (the least recently read go first)
KEPT_ORGANIZATIONS = 256
#: holiday ranges kept per organization, at most (a range moves once a day)
KEPT_RANGES = 32

#: organization id -> (the version row's (version, xmin), the facts)
_KEPT: dict[int, tuple[tuple[int, str], dict[Any, Any]]] = {}


def _version(organization_id: int) -> tuple[int, str] | None:
    """The organization's facts version, or None when nothing may be kept (not PostgreSQL)."""
    if connection.vendor != "postgresql":
        return None
    table = connection.ops.quote_name(OrgFactsVersion._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT version, xmin::text FROM {table} WHERE organization_id = %s",  # noqa: S608
            [organization_id],
        )
        row = cursor.fetchone()
    return (row[0], row[1]) if row else (0, "")


def _kept_store(organization_id: int) -> dict[Any, Any]:
    if not connection.in_atomic_block:
        # outside a transaction a read may go to the replica (``socialops.db_router``), which may
        # not have the change the version names yet: read afresh, keep nothing (ingest always
        # runs in its transaction, on the primary)
        return {}
    version = _version(organization_id)
    if version is None:
        return {}
    kept = _KEPT.pop(organization_id, None)
    if kept is None or kept[0] != version:
        kept = (version, {})
    _KEPT[organization_id] = kept  # (last: the most recently read)
    while len(_KEPT) > KEPT_ORGANIZATIONS:
        del _KEPT[next(iter(_KEPT))]
    return kept[1]


def forget_kept_facts() -> None:
    """Drop what this process keeps: the next batch of every organization reads its facts (what
    a test counts when it measures a batch that finds nothing kept)."""
    _KEPT.clear()


class OrgFacts:
    def __init__(self, organization_id: int):
        self.organization_id = organization_id
        self._store: dict[Any, Any] | None = None

    def kept(self, key, load: Callable[[], Any]):
        """The fact ``key``, from ``load()`` the first time this organization's version asks."""
        if self._store is None:
            self._store = _kept_store(self.organization_id)
        if key not in self._store:
            self._store[key] = load()
        return self._store[key]

    @property
    def timezone(self) -> str:
        def load():
            zone = (
                Organization.objects.filter(pk=self.organization_id)
                .values_list("timezone", flat=True)
                .first()
            )
            return zone or "UTC"

        return self.kept("timezone", load)

    @property
    def parents(self) -> dict[int, int | None]:
        return self.kept("parents", lambda: team_parents(self.organization_id))

    def teams(self, ids) -> dict[int, Team]:
        """The teams of ``ids`` (one query for those not read yet)."""
        known: dict[int, Team | None] = self.kept("teams", dict)
        missing = {i for i in ids if i is not None and i not in known}
        if missing:
            found = {
                t.pk: t for t in Team.objects.for_org(self.organization_id).filter(pk__in=missing)
            }
            for pk in missing:
                known[pk] = found.get(pk)
        return {i: known[i] for i in ids if i is not None and known.get(i) is not None}

    @property
    def holiday_countries(self) -> dict[int | None, tuple[str, ...]]:
        from publishing.selectors import holiday_countries_of

        return self.kept("holiday_countries", lambda: holiday_countries_of(self.organization_id))

    def holidays(self, team_ids, first: date, last: date) -> dict[int | None, frozenset[date]]:
        from publishing.selectors import holiday_dates_by_team

        if not self.holiday_countries:
            return {}
        ranges: dict = self.kept("holidays", dict)
        key = (frozenset(team_ids), first, last)
        if key not in ranges:
            while len(ranges) >= KEPT_RANGES:
                del ranges[next(iter(ranges))]
            ranges[key] = holiday_dates_by_team(
                self.organization_id,
                team_ids,
                first,
                last,
                countries=self.holiday_countries,
                parents=self.parents,
            )
        return ranges[key]
