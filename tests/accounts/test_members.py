import pytest

from accounts import services
from accounts.capabilities import Capability, Role, can
from accounts.models import Membership
from socialops.audit.models import AuditEvent
from socialops.errors import ApplicationError

from .. import factories as f
from ..conftest import api_client_for

pytestmark = pytest.mark.django_db


def test_an_admin_changes_a_members_role_and_it_is_audited(alice_client, org_a, vera):
    m = f.membership(org_a, vera)
    r = alice_client.post(f"/o/alpha/members/{m.pk}/", {"role": Role.PUBLISHER})
    assert r.status_code == 302
    m.refresh_from_db()
    assert m.role == Role.PUBLISHER
    event = AuditEvent.objects.for_org(org_a).get(action="member.role_changed")
    assert event.changes["role"] == ["viewer", "publisher"]
    assert event.actor.email == "alice@alpha.test"


def test_deactivating_a_member_ends_their_access_and_revokes_their_tokens(
    alice_client, client, org_a, vera
):
    m = f.membership(org_a, vera)
    api = api_client_for(m)
    assert api.get("/api/v1/organization/").status_code == 200
    r = alice_client.post(f"/o/alpha/members/{m.pk}/deactivate/")
    assert r.status_code == 302
    m.refresh_from_db()
    assert not m.is_active
    client.force_login(vera)
    assert client.get("/o/alpha/").status_code == 404
    response = api.get("/api/v1/organization/")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "authentication_failed"


def test_the_last_owner_cannot_be_demoted(org_a, alice_m):
    with pytest.raises(ApplicationError):
        services.change_role(alice_m, by=alice_m, role=Role.ADMIN)
    alice_m.refresh_from_db()
    assert alice_m.role == Role.OWNER


def test_an_admin_cannot_make_owners(org_a, vera):
    admin = f.add_member(org_a, f.make_user(), Role.ADMIN)
    with pytest.raises(ApplicationError):
        services.change_role(f.membership(org_a, vera), by=admin, role=Role.OWNER)


def test_you_cannot_deactivate_yourself(org_a, alice_m):
    with pytest.raises(ApplicationError):
        services.deactivate_member(alice_m, by=alice_m)


def test_a_publisher_cannot_change_roles(client, org_a, vera):
    pub = f.add_member(org_a, f.make_user(), Role.PUBLISHER)
    client.force_login(pub.user)
    m = f.membership(org_a, vera)
    assert client.post(f"/o/alpha/members/{m.pk}/", {"role": Role.ADMIN}).status_code == 403
    m.refresh_from_db()
    assert m.role == Role.VIEWER


@pytest.mark.parametrize(
    ("role", "capability", "allowed"),
    [
        (Role.OWNER, Capability.MANAGE_OWNERS, True),
        (Role.ADMIN, Capability.MANAGE_OWNERS, False),
        (Role.ADMIN, Capability.MANAGE_MEMBERS, True),
        (Role.MANAGER, Capability.APPROVE, True),
        (Role.MANAGER, Capability.MANAGE_MEMBERS, False),
        (Role.PUBLISHER, Capability.PUBLISH, True),
        (Role.PUBLISHER, Capability.APPROVE, False),
        (Role.CONTRIBUTOR, Capability.COMPOSE, True),
        (Role.CONTRIBUTOR, Capability.PUBLISH, False),
        (Role.MODERATOR, Capability.MODERATE, True),
        (Role.ANALYST, Capability.VIEW_ANALYTICS, True),
        (Role.ANALYST, Capability.COMPOSE, False),
        (Role.VIEWER, Capability.VIEW, True),
        (Role.VIEWER, Capability.COMPOSE, False),
    ],
)
def test_roles_grant_the_capabilities_the_readme_lists(org_a, role, capability, allowed):
    m = f.add_member(org_a, f.make_user(), role)
    assert can(m, capability) is allowed


def test_no_capability_reaches_another_organizations_object(org_a, org_b, alice_m, bob_m):
    team_b = f.make_team(org_b, "B", by=bob_m)
    assert can(alice_m, Capability.MANAGE_TEAMS) is True
    assert can(alice_m, Capability.MANAGE_TEAMS, team_b) is False


def test_an_inactive_membership_has_no_capabilities(org_a, vera):
    m = f.membership(org_a, vera)
    Membership.objects.for_org(org_a).filter(pk=m.pk).update(is_active=False)
    m.refresh_from_db()
    assert can(m, Capability.VIEW) is False


def test_the_member_list_is_paginated_searchable_and_its_query_count_is_pinned(
    alice_client, org_a, django_assert_max_num_queries
):
    for i in range(60):
        f.add_member(org_a, f.make_user(f"m{i:02}@alpha.test"))
    with django_assert_max_num_queries(12):
        page = alice_client.get("/o/alpha/members/").content.decode()
    assert page.count("@alpha.test</small>") == 50
    found = alice_client.get("/o/alpha/members/?q=m07@").content.decode()
    assert "m07@alpha.test" in found and "m08@alpha.test" not in found
