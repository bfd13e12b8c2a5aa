"""The channels list, its filters, the CSV export and the query budget with 300 channels."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

import pytest
from django.urls import reverse

from channels_registry import selectors
from channels_registry.models import Channel
from tests import factories as f

from .factories import bulk_channels, connect_sandbox

pytestmark = pytest.mark.django_db


def _csv(response) -> list[dict]:
    return list(csv.DictReader(io.StringIO(response.content.decode())))


def test_the_list_filters_by_network_team_subtree_and_status(alice_client, org_a, alice_m):
    hq = f.make_team(org_a, "Head office")
    indonesia = f.make_team(org_a, "Indonesia", parent=hq)
    jakarta = f.make_team(org_a, "Jakarta", parent=indonesia)
    singapore = f.make_team(org_a, "Singapore", parent=hq)
    kitchen, kopi = connect_sandbox(org_a, alice_m, ["sbx-kitchen", "sbx-kopi"], team=jakarta)
    (promo,) = connect_sandbox(org_a, alice_m, ["sbx-promo"], team=singapore)
    Channel.objects.for_org(org_a).filter(pk=kopi.pk).update(status=Channel.Status.NEEDS_REAUTH)
    url = reverse("channel_list", args=[org_a.slug])

    def handles(**params):
        response = alice_client.get(url, params)
        assert response.status_code == 200
        return sorted(c.handle for c in response.context["page"].object_list)

    assert handles() == ["kopi.pagi", "nusantara.kitchen", "promo.harian"]
    assert handles(team=indonesia.pk) == [
        "kopi.pagi",
        "nusantara.kitchen",
    ]  # Jakarta is under Indonesia
    assert handles(team=singapore.pk) == ["promo.harian"]
    assert handles(status="needs_reauth") == ["kopi.pagi"]
    assert handles(network="sandbox", status="active", team=hq.pk) == [
        "nusantara.kitchen",
        "promo.harian",
    ]
    assert handles(network="x") == []
    assert kitchen and promo


def test_times_are_shown_in_the_viewers_time_zone(alice_client, alice, org_a, alice_m):
    alice.timezone = "Asia/Jakarta"
    alice.save()
    (channel,) = connect_sandbox(org_a, alice_m)
    Channel.objects.for_org(org_a).filter(pk=channel.pk).update(
        token_expires_at=datetime(2030, 1, 1, 23, 30, tzinfo=UTC),
        last_synced_at=datetime(2030, 1, 1, 1, 0, tzinfo=UTC),
    )
    response = alice_client.get(reverse("channel_list", args=[org_a.slug]))
    assert (
        b"Wed 2 Jan 2030, 06:30 WIB" in response.content
    )  # 23:30 UTC is 06:30 the next day in Jakarta
    assert b"Tue 1 Jan 2030, 08:00 WIB" in response.content


def test_the_list_of_300_channels_is_paginated_with_a_fixed_number_of_queries(
    alice_client, org_a, django_assert_max_num_queries
):
    team = f.make_team(org_a, "Regional")
    bulk_channels(org_a, 300, team=team)
    url = reverse("channel_list", args=[org_a.slug])
    alice_client.get(url)  # warm the session
    with django_assert_max_num_queries(13):
        response = alice_client.get(url, {"team": team.pk, "page": 2})
    assert response.status_code == 200
    page = response.context["page"]
    assert page.paginator.count == 300 and len(page.object_list) == 50 and page.number == 2


def test_the_csv_export_follows_the_filters_and_never_contains_tokens(alice_client, org_a, alice_m):
    kitchen, kopi = connect_sandbox(org_a, alice_m, ["sbx-kitchen", "sbx-kopi"])
    Channel.objects.for_org(org_a).filter(pk=kopi.pk).update(
        status=Channel.Status.DISCONNECTED, name='=HYPERLINK("http://evil")'
    )
    response = alice_client.get(reverse("channel_export", args=[org_a.slug]))
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    rows = _csv(response)
    assert sorted(r["handle"] for r in rows) == ["kopi.pagi", "nusantara.kitchen"]
    assert "token_expires_at" in rows[0] and rows[0]["token_expires_at"]
    body = response.content.decode()
    for channel in (kitchen,):
        creds = selectors.credentials_for(channel)
        assert creds.access_token not in body and creds.refresh_token not in body
    assert "'=HYPERLINK" in body  # a formula from a network is defused
    filtered = _csv(
        alice_client.get(reverse("channel_export", args=[org_a.slug]), {"status": "active"})
    )
    assert [r["handle"] for r in filtered] == ["nusantara.kitchen"]


def test_restricted_channels_are_hidden_from_members_without_a_grant(client, org_a, alice_m, vera):
    kitchen, kopi = connect_sandbox(org_a, alice_m, ["sbx-kitchen", "sbx-kopi"])
    Channel.objects.for_org(org_a).filter(pk=kopi.pk).update(access=Channel.Access.RESTRICTED)
    client.force_login(vera)
    response = client.get(reverse("channel_list", args=[org_a.slug]))
    assert [c.handle for c in response.context["page"].object_list] == ["nusantara.kitchen"]
    assert client.get(reverse("channel_detail", args=[org_a.slug, kopi.pk])).status_code == 404
    assert client.get(reverse("channel_detail", args=[org_a.slug, kitchen.pk])).status_code == 200
