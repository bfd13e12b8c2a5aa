"""One "link not available" page for every kind: 404 for an unknown or tampered token, 410 for an
expired or revoked link (each worded as such), readable on a phone; the decorator hands the link to
the kind's view only when it opens."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.http import HttpResponse
from django.test import RequestFactory
from django.utils import timezone

from socialops.sharing import kinds, services
from socialops.sharing.models import ShareLink
from socialops.sharing.views import shared_link

pytestmark = pytest.mark.django_db


@shared_link("testboard")
def _board(request, link, share_token):
    return HttpResponse(f"board {link.name}")


def _get(token):
    request = RequestFactory().get(f"/d/{token}/")
    from django.contrib.auth.models import AnonymousUser

    request.user = AnonymousUser()
    return _board(request, share_token=token)


def test_an_open_link_reaches_the_kinds_view(org_a, alice, board_kind):
    _l, token = services.create_link(org_a, kind=board_kind, by=alice, name="Exec board")
    response = _get(token)
    assert response.status_code == 200 and response.content == b"board Exec board"
    assert response["Referrer-Policy"] == "no-referrer"


def test_expired_revoked_and_unknown_links_get_the_one_page(org_a, alice, board_kind):
    expired, old = services.create_link(
        org_a,
        kind=board_kind,
        by=alice,
        name="Q1",
        expires_at=timezone.now() + timedelta(days=1),
    )
    ShareLink.objects.for_org(org_a).filter(pk=expired.pk).update(
        expires_at=timezone.now() - timedelta(minutes=1)
    )
    revoked, off = services.create_link(org_a, kind=board_kind, by=alice, name="Q2")
    services.revoke_link(revoked, by=alice)
    cases = {
        old: (410, "The link has expired."),
        off: (410, "The link was turned off by the people who shared it."),
        "nonsense": (404, "The link is not valid."),
    }
    for token, (status, wording) in cases.items():
        response = _get(token)
        body = response.content.decode()
        assert response.status_code == status, token
        assert wording in body and 'id="share-gone"' in body
        assert "Test board share link" in body and "board Q" not in body
        assert 'name="viewport" content="width=device-width' in body
        assert response["X-Robots-Tag"] == "noindex"


def test_the_kinds_check_refuses_a_link_as_revoked(org_a, alice):
    kinds.register_kind("checked", label="Checked link", check=lambda link: "revoked")
    try:
        _l, token = services.create_link(org_a, kind="checked", by=alice, name="X")
        from socialops.sharing.views import open_link

        assert open_link(token, kind="checked") == (None, "revoked")
    finally:
        kinds.unregister_kind("checked")


def test_the_calendar_page_names_its_kind(client, org_a, alice_m):
    from django.urls import reverse

    from publishing.calendar import services as calendar_services

    link, token = calendar_services.create_share_link(org_a, by=alice_m, name="Agency", filters={})
    calendar_services.revoke_share_link(link, by=alice_m)
    response = client.get(reverse("calendar_shared", kwargs={"share_token": token}))
    assert response.status_code == 410
    assert "Calendar share link" in response.content.decode()
