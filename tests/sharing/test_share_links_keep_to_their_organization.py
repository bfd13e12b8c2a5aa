"""Another organization's share link cannot be listed, fetched or revoked through any page or API;
the calendar's pages and API see only the calendar's links."""

from __future__ import annotations

import pytest
from django.http import Http404
from django.urls import reverse

from publishing.calendar import services as calendar_services
from socialops.sharing import selectors, services
from socialops.sharing.models import ShareLink

pytestmark = pytest.mark.django_db


@pytest.fixture
def bravo_links(org_b, bob, bob_m, board_kind):
    calendar, _t = calendar_services.create_share_link(
        org_b, by=bob_m, name="Bravo calendar", filters={}
    )
    dashboard, _t = services.create_link(org_b, kind=board_kind, by=bob, name="Bravo board")
    return calendar, dashboard


def test_the_selectors_never_name_another_organizations_link(org_a, alice, bob, bravo_links):
    assert not selectors.links_of(org_a).exists()
    assert not selectors.links_created_by(org_a, bob).exists()
    for link in bravo_links:
        with pytest.raises(Http404):
            selectors.get_link(org_a, link.pk)
    assert {link.pk for link in selectors.links_created_by(bravo_links[0].organization, bob)} == {
        link.pk for link in bravo_links
    }


def test_alpha_cannot_revoke_or_see_bravos_links_on_the_page_or_the_api(
    alice_client, alice_api, org_a, bravo_links
):
    for link in bravo_links:
        revoke = reverse(
            "calendar_share_revoke", kwargs={"org_slug": org_a.slug, "link_id": link.pk}
        )
        assert alice_client.post(revoke).status_code == 404
        assert alice_api.get(f"/api/v1/calendar-share-links/{link.pk}/").status_code == 404
        assert alice_api.post(f"/api/v1/calendar-share-links/{link.pk}/revoke/").status_code == 404
    page = alice_client.get(
        reverse("calendar_share", kwargs={"org_slug": org_a.slug})
    ).content.decode()
    assert "Bravo" not in page
    assert alice_api.get("/api/v1/calendar-share-links/").json()["results"] == []
    assert (
        not ShareLink.objects.for_org(bravo_links[0].organization)
        .filter(revoked_at__isnull=False)
        .exists()
    )


def test_the_calendar_pages_and_api_see_only_calendar_links(
    alice_client, alice_api, org_a, alice, board_kind
):
    board, _token = services.create_link(org_a, kind=board_kind, by=alice, name="Exec board")
    page = alice_client.get(
        reverse("calendar_share", kwargs={"org_slug": org_a.slug})
    ).content.decode()
    assert "Exec board" not in page
    assert alice_api.get("/api/v1/calendar-share-links/").json()["results"] == []
    assert alice_api.post(f"/api/v1/calendar-share-links/{board.pk}/revoke/").status_code == 404
    revoke = reverse("calendar_share_revoke", kwargs={"org_slug": org_a.slug, "link_id": board.pk})
    assert alice_client.post(revoke).status_code == 404
    assert ShareLink.objects.for_org(org_a).get(pk=board.pk).revoked_at is None
