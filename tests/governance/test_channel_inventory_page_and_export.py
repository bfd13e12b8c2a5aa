"""The inventory page and its CSV export: filters, "not yet measured", tenancy, a fixed query count."""

from __future__ import annotations

import csv
import io

import pytest
from django.urls import reverse

from accounts.capabilities import Role
from tests import factories as f

from .coverage_factories import channel, person

pytestmark = pytest.mark.django_db


def _csv(response) -> list[dict]:
    assert response["Content-Type"].startswith("text/csv")
    return list(csv.DictReader(io.StringIO(response.content.decode())))


def test_the_page_lists_every_channel_with_not_yet_measured_reach(alice_client, org_a):
    channel(org_a, "kopi.pagi", name="Kopi Pagi")
    channel(org_a, "kopi_pagi", name="Kopi Pagi")
    response = alice_client.get(reverse("governance_inventory", args=[org_a.slug]))
    assert response.status_code == 200
    html = response.content.decode()
    assert "not yet measured" in html
    assert "Likely duplicate" in html
    assert response.context["counts"] == {"inactive": 2, "duplicate": 2, "low_reach": 0}


def test_the_export_follows_the_filters_and_holds_only_this_organization(
    alice_client, org_a, org_b, alice_m
):
    team = f.make_team(org_a, "Jakarta")
    channel(org_a, "jakarta", team=team)
    channel(org_a, "=cmd", name="=HYPERLINK()")
    channel(org_b, "bravo.secret", name="Bravo Secret")
    url = reverse("governance_inventory_export", args=[org_a.slug])
    rows = _csv(alice_client.get(url))
    assert {r["handle"] for r in rows} == {"jakarta", "'=cmd"}
    assert all(r["followers"] == "not yet measured" for r in rows)
    assert {r["handle"] for r in _csv(alice_client.get(url, {"team": team.pk}))} == {"jakarta"}
    assert "Bravo" not in alice_client.get(url).content.decode()


def test_another_organizations_team_in_the_filter_is_ignored_not_shown(
    alice_client, org_a, org_b, bob_m
):
    bravo_team = f.make_team(org_b, "Bravo team", by=bob_m)
    channel(org_b, "bravo", team=bravo_team)
    channel(org_a, "alpha")
    url = reverse("governance_inventory_export", args=[org_a.slug])
    rows = _csv(alice_client.get(url, {"team": bravo_team.pk}))
    assert {r["handle"] for r in rows} == {"alpha"}  # an invalid filter: the whole list, of A


def test_the_pages_are_for_governance_only(client, org_a):
    publisher = person(org_a, Role.MANAGER)
    client.force_login(publisher.user)
    for name in ("governance_inventory", "governance_inventory_export"):
        assert client.get(reverse(name, args=[org_a.slug])).status_code == 403


def test_the_page_costs_the_same_queries_for_ten_times_the_channels(
    alice_client, org_a, alice_m, django_assert_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    url = reverse("governance_inventory", args=[org_a.slug])
    for i in range(3):
        channel(org_a, f"small{i}", name=f"Small {i}", team=f.make_team(org_a, f"T{i}"))
    alice_client.get(url)
    with CaptureQueriesContext(connection) as small:
        assert alice_client.get(url).status_code == 200
    for i in range(30):
        channel(org_a, f"big{i}", name=f"Big channel {i}", provider="x" if i % 2 else "sandbox")
    with django_assert_num_queries(len(small.captured_queries)):
        response = alice_client.get(url)
    assert len(response.context["rows"]) == 33
