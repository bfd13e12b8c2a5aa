import pytest

from accounts import selectors, services
from accounts.capabilities import Role
from accounts.models import Team
from socialops.audit.models import AuditEvent
from socialops.errors import ApplicationError, NotAllowed

from .. import factories as f

pytestmark = pytest.mark.django_db


def test_an_admin_builds_a_tree_of_head_office_regions_and_local_teams(alice_client, org_a):
    r = alice_client.post("/o/alpha/teams/", {"name": "Head office"})
    assert r.status_code == 302
    hq = Team.objects.for_org(org_a).get(name="Head office")
    alice_client.post("/o/alpha/teams/", {"name": "Indonesia", "parent": hq.pk})
    indo = Team.objects.for_org(org_a).get(name="Indonesia")
    alice_client.post("/o/alpha/teams/", {"name": "Jakarta", "parent": indo.pk})
    tree = [(t.name, depth) for t, depth in selectors.team_tree(org_a)]
    assert tree == [("Head office", 0), ("Indonesia", 1), ("Jakarta", 2)]
    assert selectors.team_subtree_ids(org_a, hq) == set(
        Team.objects.for_org(org_a).values_list("pk", flat=True)
    )
    page = alice_client.get("/o/alpha/teams/").content.decode()
    assert "Jakarta" in page


def test_making_a_team_its_own_ancestor_is_refused_and_changes_nothing(
    alice_client, org_a, alice_m
):
    hq = f.make_team(org_a, "HQ", by=alice_m)
    region = f.make_team(org_a, "Region", parent=hq, by=alice_m)
    local = f.make_team(org_a, "Local", parent=region, by=alice_m)
    events_before = AuditEvent.objects.for_org(org_a).count()
    r = alice_client.post(f"/o/alpha/teams/{hq.pk}/", {"name": "HQ", "parent": local.pk})
    assert r.status_code == 200
    assert "its own ancestor" in r.content.decode()
    hq.refresh_from_db()
    assert hq.parent_id is None
    assert AuditEvent.objects.for_org(org_a).count() == events_before


def test_a_team_cannot_be_its_own_parent(org_a, alice_m):
    hq = f.make_team(org_a, "HQ", by=alice_m)
    with pytest.raises(ApplicationError):
        services.update_team(hq, by=alice_m, name="HQ", parent=hq)


def test_duplicate_team_names_get_a_field_error(alice_client, org_a, alice_m):
    f.make_team(org_a, "Jakarta", by=alice_m)
    r = alice_client.post("/o/alpha/teams/", {"name": "jakarta"})
    assert r.status_code == 200
    assert "already exists" in r.content.decode()
    assert Team.objects.for_org(org_a).count() == 1


def test_another_organizations_team_cannot_be_chosen_as_parent(org_a, org_b, alice_m, bob_m):
    foreign = f.make_team(org_b, "Bravo HQ", by=bob_m)
    with pytest.raises(ApplicationError):
        services.create_team(org_a, by=alice_m, name="Sneaky", parent=foreign)
    assert not Team.objects.for_org(org_a).filter(name="Sneaky").exists()


def test_a_viewer_may_see_teams_but_not_create_them(client, org_a, vera):
    client.force_login(vera)
    assert client.get("/o/alpha/teams/").status_code == 200
    assert client.post("/o/alpha/teams/", {"name": "Nope"}).status_code == 403
    membership = f.membership(org_a, vera)
    with pytest.raises(NotAllowed):
        services.create_team(org_a, by=membership, name="Nope")


def test_team_changes_are_audited(org_a, alice_m):
    team = f.make_team(org_a, "HQ", by=alice_m)
    services.update_team(team, by=alice_m, name="Head office", parent=None)
    actions = list(AuditEvent.objects.for_org(org_a).values_list("action", flat=True))
    assert "team.created" in actions and "team.updated" in actions
    updated = AuditEvent.objects.for_org(org_a).get(action="team.updated")
    assert updated.changes == {"name": ["HQ", "Head office"]}


def test_a_team_with_sub_teams_cannot_be_deleted(org_a, alice_m):
    hq = f.make_team(org_a, "HQ", by=alice_m)
    f.make_team(org_a, "Region", parent=hq, by=alice_m)
    with pytest.raises(ApplicationError):
        services.delete_team(hq, by=alice_m)
    assert Team.objects.for_org(org_a).filter(pk=hq.pk).exists()


def test_manager_role_may_manage_teams(org_a):
    user = f.make_user()
    m = f.add_member(org_a, user, Role.MANAGER)
    assert services.create_team(org_a, by=m, name="Ops").name == "Ops"


def test_a_team_page_lists_only_that_teams_members(alice_client, org_a, alice_m, vera):
    hq = f.make_team(org_a, "HQ", by=alice_m)
    other = f.make_team(org_a, "Other", by=alice_m)
    services.set_member_teams(f.membership(org_a, vera), by=alice_m, teams=[other])
    services.set_member_teams(alice_m, by=alice_m, teams=[hq])
    page = alice_client.get(f"/o/alpha/teams/{hq.pk}/").content.decode()
    assert "Alice Alpha" in page and "Vera Viewer" not in page
