"""The audit log page narrows the log by person, action, object, channel, origin and days on the
viewer's clock, searches the entries' text, and pages by position; each entry shows who, when,
from where, how and what changed."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from accounts.capabilities import Role
from socialops.audit.models import AuditEvent
from socialops.audit.selectors import SEARCH_DOCUMENT, EventFilters, filter_events
from socialops.audit.services import audit_context, record_event

from .. import factories as f
from ..channels.factories import connect_sandbox

pytestmark = pytest.mark.django_db

URL = "/o/alpha/governance/audit/"


@pytest.fixture
def log(org_a, alice_m):
    """Alice makes two teams on the web; Pat, by the API, renames one."""
    pat = f.make_user("pat@alpha.test", name="Pat Publisher")
    pat_m = f.add_member(org_a, pat, Role.ADMIN)
    with audit_context(actor=alice_m.user, ip_address="203.0.113.7", via="web"):
        jakarta = f.make_team(org_a, "Jakarta", by=alice_m)
        f.make_team(org_a, "Head office", by=alice_m)
    with audit_context(actor=pat, ip_address="198.51.100.2", via="api"):
        record_event(
            org_a, "team.updated", obj=jakarta, changes={"name": ["Jakarta", "Jakarta Selatan"]}
        )
    return {"pat": pat, "pat_m": pat_m, "jakarta": jakarta}


def _page(client, query=""):
    response = client.get(URL + query)
    assert response.status_code == 200
    return response.content.decode()


def test_an_entry_shows_who_when_where_how_and_what_changed(alice_client, log):
    page = _page(alice_client)
    assert "pat@alpha.test" in page and "198.51.100.2" in page
    assert "team.updated" in page and "API" in page
    assert "name: &quot;Jakarta&quot; → &quot;Jakarta Selatan&quot;" in page


def test_the_page_filters_by_person(alice_client, log):
    page = _page(alice_client, f"?actor={log['pat'].pk}")
    assert "team.updated" in page and "Head office" not in page


def test_the_page_filters_by_exact_action_or_prefix(alice_client, log):
    exact = _page(alice_client, "?action=team.updated")
    assert "team.updated" in exact and "team.created" not in exact
    prefix = _page(alice_client, "?action=team.")
    assert (
        "team.updated" in prefix
        and "team.created" in prefix
        and "organization.created" not in prefix
    )


def test_the_page_filters_by_object_and_origin(alice_client, log):
    page = _page(alice_client, f"?object_type=accounts.team&object_id={log['jakarta'].pk}")
    assert "team.updated" in page and "Head office" not in page
    api_only = _page(alice_client, "?via=api")
    assert "team.updated" in api_only and "team.created" not in api_only


def test_the_page_filters_by_channel(alice_client, org_a, alice_m, log):
    (channel,) = connect_sandbox(org_a, alice_m, ["sbx-kopi"])
    record_event(org_a, "post.variant_retried", changes={"channel": channel.pk, "post": 1})
    page = _page(alice_client, f"?channel={channel.pk}")
    assert "post.variant_retried" in page and "channel.connected" in page
    assert "team.created" not in page


def test_dates_are_days_on_the_viewers_clock(org_a, alice_m, log, settings):
    # 23:30 on 1 March in Jakarta (UTC+7) is 16:30 UTC: a day in Jakarta, not in UTC.
    from zoneinfo import ZoneInfo

    jakarta = ZoneInfo("Asia/Jakarta")
    with timezone.override(jakarta):
        from governance.audit_log.forms import AuditFilterForm

        form = AuditFilterForm(
            {"date_from": "2026-03-01", "date_to": "2026-03-01"},
            members=[],
            channels=[],
            object_types=[],
        )
        assert form.is_valid()
        filters = form.filters()
    assert filters.since.isoformat() == "2026-03-01T00:00:00+07:00"
    assert filters.until - filters.since == timedelta(days=1)


def test_an_end_date_before_the_start_date_is_refused(alice_client, log):
    page = _page(alice_client, "?date_from=2026-03-02&date_to=2026-03-01")
    assert "The end date is before the start date." in page
    assert "team.updated" in page  # the rest of the filters still apply


def test_search_finds_words_inside_what_changed(alice_client, log):
    page = _page(alice_client, "?q=Selatan")
    assert "team.updated" in page and "Head office" not in page
    nothing = _page(alice_client, "?q=nonexistentword")
    assert "No entry matches these filters." in nothing


def test_search_is_served_by_the_full_text_index_on_postgresql(org_a, log):
    if connection.vendor != "postgresql":
        pytest.skip("the index is PostgreSQL's")
    events = filter_events(org_a, EventFilters(text="Selatan"))
    assert [e.action for e in events] == ["team.updated"]
    # The page's search expression is the index's: with other scans off, the planner uses it.
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_indexscan = off")
        cursor.execute(
            f"EXPLAIN SELECT id FROM audit_auditevent WHERE {SEARCH_DOCUMENT} "  # noqa: S608 - constants
            "@@ websearch_to_tsquery('simple'::regconfig, %s)",
            ["Selatan"],
        )
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "audit_search" in plan, plan


def test_the_page_goes_back_and_forth_by_position(alice_client, org_a, alice_m):
    for i in range(55):
        record_event(org_a, "note.made", changes={"n": i})
    first = _page(alice_client)
    newest = AuditEvent.objects.for_org(org_a).order_by("-seq").first().seq
    assert f"before={newest - 49}" in first
    older = _page(alice_client, f"?before={newest - 49}")
    assert "organization.created" in older and f"after={newest - 50}" in older
    back = _page(alice_client, f"?after={newest - 50}")
    assert f"<td>{newest}</td>" in back


def test_the_page_shows_nothing_of_another_organization(alice_client, org_b, bob_m, log):
    f.make_team(org_b, "Bravo Secret Team", by=bob_m)
    assert "Bravo Secret Team" not in _page(alice_client, "?q=Bravo")
    assert "Bravo Secret Team" not in _page(alice_client, f"?actor={bob_m.user.pk}")
