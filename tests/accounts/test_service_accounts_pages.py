"""The service-account pages under the organization's settings, walked with the Django test client."""

from __future__ import annotations

import re

import pytest
from rest_framework.test import APIClient

from accounts.capabilities import Role
from accounts.models import ApiToken, ServiceAccount
from tests import factories as f

pytestmark = pytest.mark.django_db


def _new_token(response) -> str:
    match = re.search(r'id="new-token">(sop_[^<]+)<', response.content.decode())
    assert match, "the new token is shown on the page"
    return match.group(1)


def _api(raw: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    return client


def test_an_admin_creates_a_service_account_issues_rotates_and_revokes_tokens_and_disables_it(
    alice_client, org_a
):
    base = f"/o/{org_a.slug}/service-accounts/"
    listing = alice_client.get(base)
    assert listing.status_code == 200 and "No service accounts yet." in listing.content.decode()
    assert (
        base.encode() in alice_client.get(f"/o/{org_a.slug}/settings/").content
    )  # in the settings menu

    created = alice_client.post(base, {"name": "BI export", "description": "Nightly numbers"})
    account = ServiceAccount.objects.for_org(org_a).get()
    assert created.status_code == 302 and created["Location"] == f"{base}{account.pk}/"
    detail = alice_client.get(created["Location"])
    assert "BI export" in detail.content.decode() and "No tokens yet." in detail.content.decode()

    # A token without a scope is refused on the page, nothing is stored.
    refused = alice_client.post(f"{base}{account.pk}/", {"name": "prod"})
    assert refused.status_code == 200 and "This field is required." in refused.content.decode()
    assert not ApiToken.objects.for_org(org_a).filter(service_account=account).exists()

    issued = alice_client.post(
        f"{base}{account.pk}/", {"name": "prod", "scopes": ["posts:read", "calendar:read"]}
    )
    raw = _new_token(issued)
    assert _api(raw).get("/api/v1/posts/").status_code == 200
    again = alice_client.get(f"{base}{account.pk}/").content.decode()
    assert raw not in again and "posts:read" in again  # shown once; the scopes stay listed

    token = ApiToken.objects.for_org(org_a).get(service_account=account)
    rotated = alice_client.post(f"{base}{account.pk}/tokens/{token.pk}/rotate/", {"overlap": "0"})
    new_raw = _new_token(rotated)
    assert new_raw != raw
    assert (
        _api(raw).get("/api/v1/posts/").status_code == 401
    )  # no overlap chosen: the old one stops now
    assert _api(new_raw).get("/api/v1/posts/").status_code == 200

    successor = ApiToken.objects.for_org(org_a).get(
        service_account=account, replaced_by__isnull=True
    )
    revoked = alice_client.post(f"{base}{account.pk}/tokens/{successor.pk}/revoke/")
    assert revoked.status_code == 302
    assert _api(new_raw).get("/api/v1/posts/").status_code == 401

    second = _new_token(
        alice_client.post(f"{base}{account.pk}/", {"name": "staging", "scopes": ["posts:read"]})
    )
    assert alice_client.post(f"{base}{account.pk}/disable/").status_code == 302
    assert _api(second).get("/api/v1/posts/").status_code == 401
    assert "Disabled" in alice_client.get(base).content.decode()
    assert alice_client.post(f"{base}{account.pk}/enable/").status_code == 302
    assert _api(second).get("/api/v1/posts/").status_code == 200


def test_a_rotation_with_an_overlap_keeps_the_old_token_for_now(alice_client, org_a):
    base = f"/o/{org_a.slug}/service-accounts/"
    alice_client.post(base, {"name": "Robot"})
    account = ServiceAccount.objects.for_org(org_a).get()
    raw = _new_token(
        alice_client.post(f"{base}{account.pk}/", {"name": "prod", "scopes": ["posts:read"]})
    )
    token = ApiToken.objects.for_org(org_a).get(service_account=account)
    new_raw = _new_token(
        alice_client.post(f"{base}{account.pk}/tokens/{token.pk}/rotate/", {"overlap": "86400"})
    )
    assert _api(raw).get("/api/v1/posts/").status_code == 200
    assert _api(new_raw).get("/api/v1/posts/").status_code == 200
    bad = alice_client.post(f"{base}{account.pk}/tokens/{token.pk}/rotate/", {"overlap": "99"})
    assert bad.status_code == 302  # an unknown choice: a message, no rotation
    assert ApiToken.objects.for_org(org_a).filter(service_account=account).count() == 2


def test_members_who_are_not_admins_get_403_and_no_menu_entry(client, org_a, vera):
    manager = f.make_user("max@alpha.test")
    f.add_member(org_a, manager, Role.MANAGER)
    for user in (vera, manager):
        client.force_login(user)
        assert client.get(f"/o/{org_a.slug}/service-accounts/").status_code == 403
        assert (
            client.post(f"/o/{org_a.slug}/service-accounts/", {"name": "Sneaky"}).status_code == 403
        )
        assert b"service-accounts/" not in client.get(f"/o/{org_a.slug}/members/").content
    assert not ServiceAccount.objects.for_org(org_a).exists()


def test_a_personal_token_can_be_limited_to_scopes_on_its_page(alice_client, org_a):
    page = alice_client.post(
        f"/o/{org_a.slug}/tokens/", {"name": "reader", "scopes": ["posts:read"]}
    )
    raw = _new_token(page)
    assert _api(raw).get("/api/v1/posts/").status_code == 200
    refused = _api(raw).get("/api/v1/teams/")
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "insufficient_scope"
