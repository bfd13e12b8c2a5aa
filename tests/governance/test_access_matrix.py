"""The access matrix: people × channels × capabilities with where each comes from (the same
answer as ``can``), filters by team subtree, network and role, a CSV safe from formulas, and a
fixed number of queries at 300 channels × 100 people."""

from __future__ import annotations

import csv
import io

import pytest
from django.urls import reverse

from accounts.capabilities import Role, can
from accounts.selectors import members_of
from channels_registry.models import Channel, ChannelGrant, GrantCapability
from channels_registry.selectors import effective_access
from socialops.audit.models import AuditEvent
from tests import factories as f

from ..channels.factories import bulk_channels
from .coverage_factories import channel, person

pytestmark = pytest.mark.django_db


def _csv(response) -> list[dict]:
    body = b"".join(response.streaming_content).decode()
    return list(csv.DictReader(io.StringIO(body)))


def test_effective_access_agrees_with_can_for_every_person_channel_and_capability(
    review_office, org_a
):
    o = review_office
    vic = person(org_a, Role.VIEWER, teams=[o.bali])
    members = list(members_of(org_a, include_inactive=False))
    channels = [o.kopi, o.promo, o.x]
    access = effective_access(org_a, members, channels)
    for m in members:
        for c in channels:
            fresh = Channel.objects.for_org(org_a).get(pk=c.pk)  # no grant cache
            for cap in GrantCapability.values:
                assert (cap in access[m.pk].get(c.pk, {})) == can(m, cap, fresh), (m, c, cap)
    assert access[o.ana.pk][o.promo.pk]["publish"] == "person"  # channel admin carries publish
    assert access[vic.pk][o.promo.pk] == {"view_analytics": "team"}
    assert access[o.ana.pk][o.x.pk] == {
        "publish": "role",
        "moderate": "role",
        "view_analytics": "role",
    }


def test_the_page_shows_grants_with_their_source_and_filters_people_and_channels(
    alice_client, review_office, org_a
):
    o = review_office
    url = reverse("access_matrix", args=[org_a.slug])
    page = alice_client.get(url).content.decode()
    assert "Ana Agent" in page and "Budi Bali" in page and "Kopi Pagi" in page
    assert "in person" in page and "team" in page

    # team: Head office covers its sub-team Jakarta (Lia, Ana), not Bali
    page = alice_client.get(url, {"team": o.hq.pk}).content.decode()
    assert "Ana Agent" in page and "Lia Lead" in page and "Budi Bali" not in page
    # role
    page = alice_client.get(url, {"role": Role.CONTRIBUTOR}).content.decode()
    assert "Budi Bali" in page and "Ana Agent" not in page
    # network: only X's channel is considered
    page = alice_client.get(url, {"network": "x", "role": Role.PUBLISHER}).content.decode()
    assert "Kopi Pagi" not in page and "Ana Agent" in page


def test_the_csv_lists_every_capability_and_defuses_formulas(
    alice_client, review_office, org_a, alice_m
):
    o = review_office
    evil = channel(org_a, "evil", name='=HYPERLINK("http://evil")')
    ChannelGrant.objects.create(
        organization=org_a, channel=evil, membership=o.budi, capability="publish"
    )
    response = alice_client.get(
        reverse("access_matrix_export", args=[org_a.slug]), {"role": Role.CONTRIBUTOR}
    )
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    rows = _csv(response)
    assert {r["email"] for r in rows} == {"budi@alpha.test"}
    mine = {(r["channel"], r["capability"], r["source"]) for r in rows}
    assert ("Teh Manis", "publish", "person") in mine
    assert ("Promo Harian", "view_analytics", "team") in mine
    assert ('\'=HYPERLINK("http://evil")', "publish", "person") in mine
    assert AuditEvent.objects.for_org(org_a).filter(action="access_review.exported").count() == 1


def test_only_governance_sees_the_matrix(client, vera, org_a):
    client.force_login(vera)
    assert client.get(reverse("access_matrix", args=[org_a.slug])).status_code == 403
    assert client.get(reverse("access_matrix_export", args=[org_a.slug])).status_code == 403


def test_another_organizations_people_and_channels_never_show(alice_client, org_a, org_b, bob_m):
    carol = f.add_member(org_b, f.make_user("carol@bravo.test", name="Carol Bravo"), Role.MANAGER)
    (secret,) = bulk_channels(org_b, 1, name="Bravo Secret Channel")
    ChannelGrant.objects.create(
        organization=org_b, channel=secret, membership=carol, capability="publish"
    )
    page = alice_client.get(reverse("access_matrix", args=[org_a.slug])).content.decode()
    body = b"".join(
        alice_client.get(reverse("access_matrix_export", args=[org_a.slug])).streaming_content
    ).decode()
    for text in (page, body):
        assert "Carol Bravo" not in text and "Bravo Secret Channel" not in text
    # another organization's team is not a choice: the filter is ignored as invalid
    team_b = f.make_team(org_b, "Bravo team")
    page = alice_client.get(reverse("access_matrix", args=[org_a.slug]), {"team": team_b.pk})
    assert page.status_code == 200 and "Bravo team" not in page.content.decode()


def _world(org, owner, *, channels: int, people: int):
    team = f.make_team(org, f"Team {channels}")
    made = Channel.objects.bulk_create(
        [
            Channel(
                organization=org,
                provider="sandbox" if i % 2 else "x",
                external_id=f"w{channels}-{i}",
                handle=f"w{channels}.{i}",
                name=f"World {channels} {i}",
                team=team,
                access=Channel.Access.RESTRICTED if i % 5 == 0 else Channel.Access.ORGANIZATION,
            )
            for i in range(channels)
        ]
    )
    folks = [
        person(org, [Role.MANAGER, Role.PUBLISHER, Role.VIEWER][i % 3], teams=[team])
        for i in range(people)
    ]
    ChannelGrant.objects.bulk_create(
        [
            ChannelGrant(
                organization=org,
                channel=c,
                membership=folks[(i + k) % len(folks)],
                capability=["publish", "moderate", "manage_channels"][k],
            )
            for i, c in enumerate(made)
            for k in range(3)
        ]
        + [
            ChannelGrant(organization=org, channel=c, team=team, capability="view_analytics")
            for c in made
        ]
    )


def test_the_page_and_the_csv_take_a_fixed_number_of_queries_at_300_channels_by_100_people(
    alice_client, org_a, alice_m, django_assert_max_num_queries
):
    _world(org_a, alice_m, channels=3, people=4)
    url = reverse("access_matrix", args=[org_a.slug])
    export = reverse("access_matrix_export", args=[org_a.slug])
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as small:
        assert alice_client.get(url).status_code == 200
    with CaptureQueriesContext(connection) as small_csv:
        b"".join(alice_client.get(export).streaming_content)

    _world(org_a, alice_m, channels=297, people=96)
    with django_assert_max_num_queries(len(small)):
        response = alice_client.get(url)
    assert response.status_code == 200
    assert response.content.decode().count('class="card gov-box access-person"') == 25
    # the CSV computes a person at a time from rows read once: no query per person or channel
    with django_assert_max_num_queries(len(small_csv)):
        rows = _csv(alice_client.get(export))
    assert len({r["email"] for r in rows}) == 101
