"""/api/v1/access-reviews/: start (201, or a 400 with nothing created), list and read (governance
sees all, a reviewer their own), items (a reviewer's own only), decide (remove revokes at once),
close (409 twice), declared filters, another organization's review is a 404."""

from __future__ import annotations

from datetime import timedelta

import pytest

from accounts.capabilities import Role
from channels_registry.models import ChannelGrant
from governance.access_review import services
from governance.access_review.models import ReviewCampaign
from governance.access_review.selectors import today_in
from tests import factories as f
from tests.conftest import api_client_for

from .coverage_factories import channel

pytestmark = pytest.mark.django_db

URL = "/api/v1/access-reviews/"


def _start(alice_api, o, **body):
    return alice_api.post(URL, {"due_on": o.due.isoformat(), **body}, format="json")


def test_an_admin_starts_lists_reads_and_closes_a_review(alice_api, review_office, org_a):
    o = review_office
    response = _start(alice_api, o, name="Q4", team=o.hq.pk)
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["name"] == "Q4" and body["team"] == o.hq.pk and body["status"] == "open"
    assert body["item_count"] == 2 and body["pending_count"] == 2 and body["result"] == {}
    pk = body["id"]
    assert [r["id"] for r in alice_api.get(URL).json()["results"]] == [pk]
    assert alice_api.get(URL, {"status": "closed"}).json()["results"] == []
    assert alice_api.get(f"{URL}{pk}/").json()["id"] == pk
    items = alice_api.get(f"{URL}{pk}/items/").json()["results"]
    assert {i["person"] for i in items} == {"ana@alpha.test"}
    assert {i["reviewer"] for i in items} == {o.lead.pk}

    closed = alice_api.post(f"{URL}{pk}/close/")
    assert closed.status_code == 200, closed.content
    assert closed.json()["status"] == "closed"
    assert closed.json()["result"]["counts"]["pending"] == 2
    again = alice_api.post(f"{URL}{pk}/close/")
    assert again.status_code == 409 and again.json()["error"]["code"] == "conflict"


def test_bad_input_is_a_400_and_nothing_is_created(alice_api, review_office, org_a, org_b, bob):
    o = review_office
    empty = f.make_team(org_a, "Empty", by=o.owner)
    refused = _start(alice_api, o, team=empty.pk)
    assert refused.status_code == 400
    assert refused.json()["error"]["code"] == "no_reviewers"
    assert _start(alice_api, o, networks=["myspace"]).status_code == 400
    assert _start(alice_api, o, due_on="yesterday").status_code == 400
    past = (today_in(org_a) - timedelta(days=2)).isoformat()
    assert _start(alice_api, o, due_on=past).status_code == 400
    assert _start(alice_api, o, team="3").status_code == 400
    bravo_team = f.make_team(org_b, "Bravo team")
    assert _start(alice_api, o, team=bravo_team.pk).status_code == 404
    assert alice_api.get(URL, {"status": "half"}).status_code == 400
    assert alice_api.get(URL, {"colour": "red"}).status_code == 400
    assert not ReviewCampaign.objects.for_org(org_a).exists()


def test_a_reviewer_sees_and_decides_only_their_own_items(review_office, org_a):
    o = review_office
    campaign = services.start_review(o.org, by=o.owner, due_on=o.due)
    lead_api = api_client_for(o.lead)
    listed = lead_api.get(URL).json()["results"]
    assert [c["id"] for c in listed] == [campaign.pk]
    items = lead_api.get(f"{URL}{campaign.pk}/items/").json()["results"]
    assert {i["person"] for i in items} == {"ana@alpha.test"}
    kopi = next(i for i in items if i["channel"] == o.kopi.pk)
    promo = next(i for i in items if i["channel"] == o.promo.pk)

    decided = lead_api.post(
        f"{URL}{campaign.pk}/items/decide/",
        {"items": [kopi["id"]], "decision": "remove", "note": "Left"},
        format="json",
    )
    assert decided.status_code == 200, decided.content
    assert decided.json()["items"][0]["decision"] == "remove"
    assert decided.json()["items"][0]["revoked"] == ["publish", "moderate"]
    assert not ChannelGrant.objects.for_org(org_a).filter(membership=o.ana, channel=o.kopi).exists()
    pending = lead_api.get(f"{URL}{campaign.pk}/items/", {"decision": "pending"}).json()
    assert [i["id"] for i in pending["results"]] == [promo["id"]]

    # Budi's item is not Lia's: the whole request is refused, nothing changes
    budi_item = next(
        i
        for i in api_client_for(o.owner).get(f"{URL}{campaign.pk}/items/").json()["results"]
        if i["person"] == "budi@alpha.test"
    )
    refused = lead_api.post(
        f"{URL}{campaign.pk}/items/decide/",
        {"items": [promo["id"], budi_item["id"]], "decision": "remove"},
        format="json",
    )
    assert refused.status_code == 400
    assert ChannelGrant.objects.for_org(org_a).filter(membership=o.ana, channel=o.promo).exists()
    assert ChannelGrant.objects.for_org(org_a).filter(membership=o.budi).exists()
    for bad in ({"items": [], "decision": "keep"}, {"items": [promo["id"]], "decision": "bin"}):
        assert (
            lead_api.post(f"{URL}{campaign.pk}/items/decide/", bad, format="json").status_code
            == 400
        )

    # a reviewer may not start or close reviews
    assert lead_api.post(URL, {"due_on": o.due.isoformat()}, format="json").status_code == 403
    assert lead_api.post(f"{URL}{campaign.pk}/close/").status_code == 403


def test_someone_with_nothing_to_review_sees_no_review(review_office):
    o = review_office
    campaign = services.start_review(o.org, by=o.owner, due_on=o.due)
    ana_api = api_client_for(o.ana)
    assert ana_api.get(URL).json()["results"] == []
    assert ana_api.get(f"{URL}{campaign.pk}/").status_code == 404
    assert ana_api.get(f"{URL}{campaign.pk}/items/").status_code == 404


def test_another_organizations_review_is_a_404(alice_api, org_b, bob_m):
    carol = f.add_member(org_b, f.make_user("carol@bravo.test", name="Carol Bravo"), Role.MANAGER)
    secret = channel(org_b, "bravo.secret")
    ChannelGrant.objects.create(
        organization=org_b, channel=secret, membership=carol, capability="publish"
    )
    campaign = services.start_review(org_b, by=bob_m, due_on=today_in(org_b) + timedelta(days=3))
    item = campaign.items.get()
    assert alice_api.get(URL).json()["results"] == []
    assert alice_api.get(f"{URL}{campaign.pk}/").status_code == 404
    assert alice_api.get(f"{URL}{campaign.pk}/items/").status_code == 404
    assert alice_api.post(f"{URL}{campaign.pk}/close/").status_code == 404
    response = alice_api.post(
        f"{URL}{campaign.pk}/items/decide/",
        {"items": [item.pk], "decision": "remove"},
        format="json",
    )
    assert response.status_code == 404
    assert ChannelGrant.objects.for_org(org_b).filter(membership=carol).exists()


def test_a_scoped_token_needs_the_admin_scope(review_office, org_a):
    from rest_framework.test import APIClient

    from accounts import services as accounts_services

    issued = accounts_services.create_api_token(
        review_office.owner, name="narrow", scopes=["channels:read"]
    )
    c = APIClient()
    c.credentials(HTTP_AUTHORIZATION=f"Bearer {issued.raw}")
    response = c.get(URL)
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "insufficient_scope"
