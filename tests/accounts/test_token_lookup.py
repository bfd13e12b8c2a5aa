"""The API token's lookup, run on every API request: one statement brings the token with its
organization and its holder (a member and their account, or a service account and its user), the
same objects the ORM would make, prepared once per database session on PostgreSQL."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts import services
from accounts.models import ApiToken, Membership, Organization, User
from accounts.service_accounts import services as sa_services

pytestmark = pytest.mark.django_db


def _fields(obj) -> dict:
    return {f.attname: getattr(obj, f.attname) for f in obj._meta.concrete_fields}


def _as_the_orm_reads(model, pk):
    manager = model.objects
    return _fields((manager.unscoped() if hasattr(manager, "unscoped") else manager).get(pk=pk))


def test_a_person_token_comes_with_its_organization_member_and_account_in_one_statement(
    org_a, alice_m
):
    raw = services.create_api_token(alice_m, name="cms").raw
    services.authenticate_token(raw)  # (prepares the statement; notes the token's last use)
    with CaptureQueriesContext(connection) as queries:
        token = services.authenticate_token(raw)
        read = (
            token.organization.name,
            token.membership.user.email,
            token.membership.organization.slug,
            token.service_account,
        )
    assert len(queries) == 1, [q["sql"] for q in queries]
    assert read == ("Alpha Foods", "alice@alpha.test", "alpha", None)
    assert _fields(token) == _as_the_orm_reads(ApiToken, token.pk)
    assert _fields(token.organization) == _as_the_orm_reads(Organization, org_a.pk)
    assert _fields(token.membership) == _as_the_orm_reads(Membership, alice_m.pk)
    assert _fields(token.membership.user) == _as_the_orm_reads(User, alice_m.user_id)
    assert not token._state.adding and token._state.db == "default"


def test_a_service_account_token_comes_with_its_account_and_user(org_a, alice_m):
    robot = sa_services.create_service_account(org_a, by=alice_m, name="Zapier sync")
    raw = sa_services.create_service_account_token(
        robot, by=alice_m, name="prod", scopes=["posts:read"]
    ).raw
    services.authenticate_token(raw)
    with CaptureQueriesContext(connection) as queries:
        token = services.authenticate_token(raw)
        read = (token.service_account.name, token.service_account.user_id, token.membership)
    assert len(queries) == 1
    assert read == ("Zapier sync", robot.user_id, None)
    assert token.scopes == ["posts:read"]  # (JSON, converted as the ORM converts it)
    assert _fields(token.service_account.user) == _as_the_orm_reads(User, robot.user_id)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="prepared on PostgreSQL only")
def test_the_lookup_is_prepared_once_then_run_by_name(alice_m):
    raw = services.create_api_token(alice_m, name="cms").raw
    services.authenticate_token(raw)
    with CaptureQueriesContext(connection) as queries:
        services.authenticate_token(raw)
        services.authenticate_token(raw)
    sql = [q["sql"].lstrip().upper() for q in queries]
    assert [s.split()[0] for s in sql] == ["EXECUTE", "EXECUTE"]


def test_each_token_names_its_own_organization_and_a_wrong_secret_or_prefix_nothing(
    org_a, org_b, alice_m, bob_m
):
    mine = services.create_api_token(alice_m, name="a").raw
    theirs = services.create_api_token(bob_m, name="b").raw
    assert services.authenticate_token(mine).organization == org_a
    assert services.authenticate_token(theirs).organization == org_b
    assert services.authenticate_token(theirs).membership.user.email == "bob@bravo.test"
    prefix = mine.rsplit("_", 1)[0]
    assert services.authenticate_token(prefix + "_" + "x" * 20) is None
    assert services.authenticate_token("sop_nosuchprefix_" + "x" * 20) is None


def test_a_revoked_token_or_a_departed_member_is_refused(alice_m):
    revoked = services.create_api_token(alice_m, name="old")
    ApiToken.objects.unscoped().filter(pk=revoked.token.pk).update(revoked_at="2026-01-01T00:00Z")
    assert services.authenticate_token(revoked.raw) is None
    kept = services.create_api_token(alice_m, name="kept").raw
    Membership.objects.unscoped().filter(pk=alice_m.pk).update(is_active=False)
    assert services.authenticate_token(kept) is None
