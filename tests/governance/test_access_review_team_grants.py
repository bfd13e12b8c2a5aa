"""Access that comes through a team is reviewed too: the item says which of the person's teams
brings it (a grant to that team or to a team above it), and "remove" takes the person out of that
team, audited, with their other items that came only through it removed with it."""

from __future__ import annotations

import csv
import io

import pytest
from django.urls import reverse

from accounts.capabilities import Role
from governance.access_review import services
from governance.access_review.models import ReviewItem
from socialops.audit.models import AuditEvent

from .coverage_factories import channel, grant, person

pytestmark = pytest.mark.django_db


def _items(campaign):
    return {
        (i.membership_id, i.channel_id): i
        for i in ReviewItem.objects.for_org(campaign.organization_id).filter(campaign=campaign)
    }


def test_an_item_says_which_team_brings_the_access(review_office, org_a):
    o = review_office
    # a grant to Head office covers Jakarta's people (Ana, and Lia its lead), but not the owner
    teh = channel(org_a, "teh2", name="Teh Hangat")
    grant(teh, o.owner, "publish", team=o.hq)
    o.owner.teams.set([o.hq])
    items = _items(services.start_review(o.org, by=o.owner, due_on=o.due))
    budi = items[(o.budi.pk, o.promo.pk)]
    assert (budi.capabilities, budi.team_capabilities) == ([], ["view_analytics"])
    assert budi.via_teams == [{"id": o.bali.pk, "name": "Bali"}]
    assert budi.reviewer_id == o.owner.pk  # Bali has no lead: the starter
    ana = items[(o.ana.pk, teh.pk)]
    assert (ana.team_capabilities, ana.via_team_names, ana.reviewer_id) == (
        ["publish"],
        ["Jakarta"],
        o.lead.pk,
    )
    assert items[(o.lead.pk, teh.pk)].reviewer_id == o.owner.pk  # nobody reviews their own
    assert (o.owner.pk, teh.pk) not in items  # an owner has it all by role
    # in person and through a team on one channel: one item with both
    grant(o.kopi, o.owner, "view_analytics", team=o.jakarta)
    both = _items(services.start_review(o.org, by=o.owner, due_on=o.due))[(o.ana.pk, o.kopi.pk)]
    assert (both.capabilities, both.team_capabilities) == (
        ["publish", "moderate"],
        ["view_analytics"],
    )


def test_removing_access_through_a_team_takes_the_person_out_of_it(
    alice_client, review_office, org_a
):
    o = review_office
    other = channel(org_a, "susu", name="Susu Segar")
    grant(other, o.owner, "moderate", team=o.bali)
    campaign = services.start_review(o.org, by=o.owner, due_on=o.due)
    items = _items(campaign)
    promo, susu, x = (items[(o.budi.pk, c.pk)] for c in (o.promo, other, o.x))
    services.decide_items(campaign, by=o.owner, item_ids=[promo.pk], decision="remove")
    assert list(o.budi.teams.all()) == []
    for item in (promo, susu, x):
        item.refresh_from_db()
    assert (promo.decision, promo.left_teams, promo.revoked) == ("remove", ["Bali"], [])
    # Susu came only through Bali: removed with it; X is a grant in person: still to review
    assert (susu.decision, susu.note) == ("remove", "Removed with the team membership.")
    assert x.decision == "pending"
    changed = AuditEvent.objects.for_org(org_a).get(
        action="member.teams_changed", object_id=str(o.budi.pk)
    )
    assert changed.changes == {"teams": [[o.bali.pk], []], "access_review": campaign.pk}
    assert changed.actor_id == o.owner.user_id
    decided = AuditEvent.objects.for_org(org_a).filter(action="access_review.item_decided")
    assert {e.changes["item"] for e in decided} == {promo.pk, susu.pk}

    page = alice_client.get(reverse("access_review_mine", args=[org_a.slug, campaign.pk]))
    assert "Through the team Bali: View analytics" in page.content.decode()
    response = alice_client.get(reverse("access_review_export", args=[org_a.slug, campaign.pk]))
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    row = next(r for r in rows if r["channel"] == "Promo Harian" and r["person"].startswith("Budi"))
    assert (row["via_teams"], row["left_teams"], row["team_capabilities"]) == (
        "Bali",
        "Bali",
        "view_analytics",
    )


def test_the_api_shows_the_team_and_a_lead_cannot_remove_another_leads_people(review_office, org_a):
    from rest_framework.test import APIClient

    from accounts import services as accounts_services

    o = review_office
    campaign = services.start_review(o.org, by=o.owner, due_on=o.due)
    budi = _items(campaign)[(o.budi.pk, o.promo.pk)]
    token = accounts_services.create_api_token(o.owner, name="Review")
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {token.raw}")
    body = api.get(f"/api/v1/access-reviews/{campaign.pk}/items/").json()
    row = next(r for r in body["results"] if r["id"] == budi.pk)
    assert (row["via_teams"], row["team_capabilities"], row["left_teams"]) == (
        ["Bali"],
        ["view_analytics"],
        [],
    )
    lia = accounts_services.create_api_token(o.lead, name="Lia")
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {lia.raw}")
    refused = api.post(
        f"/api/v1/access-reviews/{campaign.pk}/items/decide/",
        {"items": [budi.pk], "decision": "remove"},
        format="json",
    )
    assert refused.status_code == 400
    assert list(o.budi.teams.all()) == [o.bali]


def test_a_person_outside_the_scope_is_not_reviewed_through_the_team(review_office, org_a):
    o = review_office
    outsider = person(org_a, Role.PUBLISHER, teams=[o.bali], name="Outsider")
    items = _items(services.start_review(o.org, by=o.owner, due_on=o.due, team=o.hq))
    assert (outsider.pk, o.promo.pk) not in items and (o.budi.pk, o.promo.pk) not in items
