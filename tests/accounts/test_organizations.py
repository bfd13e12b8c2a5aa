import pytest

from accounts import services
from accounts.models import Organization, Team
from socialops.errors import ValidationFailed
from socialops.tenancy_models import UnscopedQueryError

from .. import factories as f

pytestmark = pytest.mark.django_db


def test_a_person_in_two_organizations_switches_between_them_and_never_sees_one_from_the_other(
    client, org_a, org_b, alice_m, bob_m
):
    carol = f.make_user("carol@both.test")
    f.add_member(org_a, carol)
    f.add_member(org_b, carol)
    f.make_team(org_a, "Alpha Only Team", by=alice_m)
    f.make_team(org_b, "Bravo Only Team", by=bob_m)
    client.force_login(carol)
    a_page = client.get("/o/alpha/teams/").content.decode()
    b_page = client.get("/o/bravo/teams/").content.decode()
    assert "Alpha Only Team" in a_page and "Bravo Only Team" not in a_page
    assert "Bravo Only Team" in b_page and "Alpha Only Team" not in b_page
    # The switcher lists both; home remembers the last one used.
    assert "Alpha Foods" in b_page and "Bravo Beverages" in b_page
    assert client.get("/").headers["Location"] == "/o/bravo/"


def test_creating_an_organization_makes_the_creator_its_owner(alice_client, alice):
    r = alice_client.post(
        "/orgs/",
        {"name": "Charlie Co", "slug": "charlie", "timezone": "Asia/Jakarta", "language": "id"},
    )
    assert r.status_code == 302
    org = Organization.objects.get(slug="charlie")
    assert org.default_language == "id"


def test_a_duplicate_slug_gets_a_field_error_and_creates_nothing(alice_client, org_a):
    r = alice_client.post(
        "/orgs/", {"name": "Other", "slug": "alpha", "timezone": "UTC", "language": "en"}
    )
    assert r.status_code == 200
    assert "already exists" in r.content.decode()
    assert Organization.objects.filter(name="Other").count() == 0


def test_an_empty_name_is_refused(alice):
    with pytest.raises(ValidationFailed):
        services.create_organization(name="  ", owner=alice)


def test_tenant_models_refuse_queries_that_name_no_organization(org_a):
    with pytest.raises(UnscopedQueryError):
        list(Team.objects.all())
    with pytest.raises(UnscopedQueryError):
        Team.objects.filter(name="x").exists()
    assert list(Team.objects.for_org(org_a)) == []
    assert Team.objects.unscoped().count() >= 0


def test_organization_settings_are_saved_and_audited(alice_client, org_a):
    r = alice_client.post(
        "/o/alpha/settings/",
        {"name": "Alpha Foods Group", "timezone": "Asia/Jakarta", "language": "id"},
    )
    assert r.status_code == 302
    org_a.refresh_from_db()
    assert org_a.name == "Alpha Foods Group" and org_a.timezone == "Asia/Jakarta"


def test_a_viewer_cannot_open_organization_settings(client, org_a, vera):
    client.force_login(vera)
    assert client.get("/o/alpha/settings/").status_code == 403


def test_home_opens_the_organization_joined_first_until_another_is_used(client, org_a, org_b):
    """Signed in afresh (nothing used yet in the session), a member of two organizations lands in
    the one they joined first, not the first by name (the demo's owner lands in the demo, not in
    the empty agency beside it); once another is opened, home remembers that one."""
    dana = f.make_user("dana@both.test")
    f.add_member(org_b, dana)  # Bravo first
    f.add_member(org_a, dana)  # Alpha sorts first by name
    client.force_login(dana)
    assert client.get("/").headers["Location"] == "/o/bravo/"
    client.get("/o/alpha/teams/")
    assert client.get("/").headers["Location"] == "/o/alpha/"
