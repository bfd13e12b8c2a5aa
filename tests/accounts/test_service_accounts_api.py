"""Service accounts and scoped tokens through /api/v1/: scopes enforced, rotation overlap, revocation,
expiry, offboarding and isolation (issue 13: 8)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from accounts import services
from accounts.capabilities import Role
from accounts.models import ApiToken, Membership
from accounts.service_accounts import services as sa_services
from publishing.models import Post
from socialops.audit.models import AuditEvent
from tests import factories as f
from tests.channels.factories import connect_sandbox
from tests.conftest import api_client_for

pytestmark = pytest.mark.django_db


def bearer(raw: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    return client


@pytest.fixture
def robot(org_a, alice_m):
    return sa_services.create_service_account(
        org_a, by=alice_m, name="Zapier sync", description="Posts from the CMS"
    )


def token_for(account, by, *scopes, **kwargs) -> str:
    return sa_services.create_service_account_token(
        account, by=by, name="prod", scopes=list(scopes), **kwargs
    ).raw


def assert_insufficient_scope(response, needed: str):
    assert response.status_code == 403, response.content
    error = response.json()["error"]
    assert error["code"] == "insufficient_scope"
    assert needed in error["message"]


def test_an_admin_token_creates_a_service_account_and_a_token_shown_once(alice_api, org_a):
    created = alice_api.post(
        "/api/v1/service-accounts/", {"name": "BI export", "description": "Nightly"}, format="json"
    )
    assert created.status_code == 201, created.json()
    account = created.json()
    assert account["is_active"] and account["created_by"] == "alice@alpha.test"
    issued = alice_api.post(
        f"/api/v1/service-accounts/{account['id']}/tokens/",
        {"name": "prod", "scopes": ["posts:read", "calendar:read"]},
        format="json",
    )
    assert issued.status_code == 201, issued.json()
    raw = issued.json()["token"]
    assert raw.startswith("sop_") and issued.json()["scopes"] == ["posts:read", "calendar:read"]
    # Only the hash is kept: the secret appears in no stored field and in no later answer.
    stored = ApiToken.objects.for_org(org_a).get(pk=issued.json()["id"])
    assert raw not in (stored.key_hash, stored.prefix) and len(stored.key_hash) == 64
    listed = alice_api.get(f"/api/v1/service-accounts/{account['id']}/tokens/")
    assert (
        listed.status_code == 200
        and "token" not in listed.json()["results"][0]
        and raw not in listed.content.decode()
    )
    # The service account is no member: no seat, not in the member list.
    assert Membership.objects.for_org(org_a).count() == 1
    assert all(
        m["email"] != stored.service_account.user.email
        for m in alice_api.get("/api/v1/members/").json()["results"]
    )
    assert bearer(raw).get("/api/v1/posts/").status_code == 200


def test_a_read_token_cannot_write(robot, alice_m, org_a):
    (channel,) = connect_sandbox(org_a, alice_m, ["sbx-kitchen"])
    reader = bearer(token_for(robot, alice_m, "posts:read"))
    assert reader.get("/api/v1/posts/").status_code == 200
    assert_insufficient_scope(
        reader.post("/api/v1/posts/", {"text": "Hi", "channels": [channel.pk]}, format="json"),
        "posts:write",
    )
    assert_insufficient_scope(reader.get("/api/v1/channels/"), "channels:read")
    assert Post.objects.for_org(org_a).count() == 0


def test_posts_write_creates_posts_as_the_service_account_but_cannot_touch_approvals(
    robot, alice_m, org_a
):
    (channel,) = connect_sandbox(org_a, alice_m, ["sbx-kitchen"])
    writer = bearer(token_for(robot, alice_m, "posts:write"))
    created = writer.post(
        "/api/v1/posts/", {"text": "From the CMS", "channels": [channel.pk]}, format="json"
    )
    assert created.status_code == 201, created.json()
    post = Post.objects.for_org(org_a).get(pk=created.json()["id"])
    assert post.author == robot.user
    # The audit log names the service account as the actor.
    event = AuditEvent.objects.for_org(org_a).filter(action__startswith="post.").latest("seq")
    assert event.actor == robot.user and event.via == "api"
    assert event.actor_label == robot.user.email and "zapier-sync" in event.actor_label
    assert writer.get("/api/v1/posts/").status_code == 200  # write covers read
    assert_insufficient_scope(writer.get("/api/v1/approval-requests/"), "approvals:read")
    assert_insufficient_scope(
        writer.post("/api/v1/approval-workflows/", {"name": "x"}, format="json"), "approvals:write"
    )
    assert_insufficient_scope(writer.get("/api/v1/service-accounts/"), "admin")


def test_a_service_account_acts_only_with_its_scopes_capabilities(robot, alice_m, org_a):
    """members:read opens the members family for reading, but invitations need manage_members: refused."""
    reader = bearer(token_for(robot, alice_m, "members:read"))
    assert reader.get("/api/v1/members/").status_code == 200
    refused = reader.get("/api/v1/invitations/")
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "permission_denied"


def test_an_admin_scoped_service_account_manages_service_accounts_but_never_owners(
    robot, alice_m, org_a, vera
):
    admin = bearer(token_for(robot, alice_m, "admin"))
    made = admin.post("/api/v1/service-accounts/", {"name": "Second robot"}, format="json")
    assert made.status_code == 201
    vera_m = Membership.objects.for_org(org_a).get(user=vera)
    promoted = admin.patch(f"/api/v1/members/{vera_m.pk}/", {"role": "owner"}, format="json")
    assert promoted.status_code == 403  # the admin scope is at most the admin role: no owners made
    vera_m.refresh_from_db()
    assert vera_m.role == Role.VIEWER
    # It cannot disable itself (it would lock itself out mid-call).
    selfish = admin.patch(
        f"/api/v1/service-accounts/{robot.pk}/", {"is_active": False}, format="json"
    )
    assert selfish.status_code == 409


def test_only_admins_manage_service_accounts(org_a, vera, alice_m, robot):
    vera_api = api_client_for(Membership.objects.for_org(org_a).get(user=vera))
    assert vera_api.get("/api/v1/service-accounts/").status_code == 403
    assert (
        vera_api.post("/api/v1/service-accounts/", {"name": "Mine"}, format="json").status_code
        == 403
    )
    refused = vera_api.post(
        f"/api/v1/service-accounts/{robot.pk}/tokens/",
        {"name": "t", "scopes": ["admin"]},
        format="json",
    )
    assert refused.status_code == 403


def test_a_scope_beyond_the_issuer_is_refused(org_a, alice_m, robot):
    """A token can carry no more than who issues it may do: a manager cannot hand out the admin scope."""
    from accounts.service_accounts.services import create_service_account_token
    from socialops.errors import NotAllowed

    manager = f.add_member(org_a, f.make_user("max@alpha.test"), Role.MANAGER)
    with pytest.raises(NotAllowed):
        create_service_account_token(
            robot, by=manager, name="t", scopes=["posts:read"]
        )  # not an admin at all
    writer_token = token_for(robot, alice_m, "members:write")
    refused = bearer(writer_token).post(
        f"/api/v1/service-accounts/{robot.pk}/tokens/",
        {"name": "t", "scopes": ["admin"]},
        format="json",
    )
    assert_insufficient_scope(refused, "admin")


def test_bad_input_is_a_clear_400_and_creates_nothing(alice_api, org_a, robot):
    assert (
        alice_api.post("/api/v1/service-accounts/", {"name": ""}, format="json").status_code == 400
    )
    dup = alice_api.post("/api/v1/service-accounts/", {"name": "zapier SYNC"}, format="json")
    assert dup.status_code == 400 and "name" in dup.json()["error"]["fields"]
    for body in (
        {"name": "t", "scopes": []},
        {"name": "t", "scopes": ["posts:delete"]},
        {"name": "t"},
        {"name": "t", "scopes": ["posts:read"], "expires_at": "2001-01-01T00:00:00Z"},
    ):
        response = alice_api.post(
            f"/api/v1/service-accounts/{robot.pk}/tokens/", body, format="json"
        )
        assert response.status_code == 400, (body, response.json())
        assert response.json()["error"]["code"] == "validation_error"
    assert ApiToken.objects.for_org(org_a).filter(service_account=robot).count() == 0


class Clock:
    def __init__(self, monkeypatch):
        self.now = timezone.now()
        monkeypatch.setattr("django.utils.timezone.now", lambda: self.now)

    def advance(self, **kwargs):
        self.now += timedelta(**kwargs)


def test_rotation_keeps_the_old_token_working_until_the_window_ends(
    alice_api, robot, alice_m, monkeypatch
):
    clock = Clock(monkeypatch)
    old_raw = token_for(robot, alice_m, "posts:read")
    old = ApiToken.objects.for_org(robot.organization).get(service_account=robot)
    until = clock.now + timedelta(hours=2)
    rotated = alice_api.post(
        f"/api/v1/service-accounts/{robot.pk}/tokens/{old.pk}/rotate/",
        {"old_token_expires_at": until.isoformat()},
        format="json",
    )
    assert rotated.status_code == 201, rotated.json()
    new_raw = rotated.json()["token"]
    assert new_raw != old_raw and rotated.json()["scopes"] == ["posts:read"]
    old.refresh_from_db()
    assert old.replaced_by_id == rotated.json()["id"] and old.expires_at == until
    clock.advance(hours=1, minutes=59)
    assert bearer(old_raw).get("/api/v1/posts/").status_code == 200
    assert bearer(new_raw).get("/api/v1/posts/").status_code == 200
    clock.advance(minutes=2)
    expired = bearer(old_raw).get("/api/v1/posts/")
    assert expired.status_code == 401 and expired.json()["error"]["code"] == "authentication_failed"
    assert bearer(new_raw).get("/api/v1/posts/").status_code == 200
    # A rotated token cannot be rotated again: its successor is the one to rotate.
    again = alice_api.post(
        f"/api/v1/service-accounts/{robot.pk}/tokens/{old.pk}/rotate/", {}, format="json"
    )
    assert again.status_code == 409


def test_rotation_overlap_defaults_to_24_hours_and_refuses_a_window_beyond_30_days(
    alice_api, robot, alice_m, monkeypatch
):
    clock = Clock(monkeypatch)
    token_for(robot, alice_m, "posts:read")
    old = ApiToken.objects.for_org(robot.organization).get(service_account=robot)
    too_long = alice_api.post(
        f"/api/v1/service-accounts/{robot.pk}/tokens/{old.pk}/rotate/",
        {"old_token_expires_at": (clock.now + timedelta(days=31)).isoformat()},
        format="json",
    )
    assert (
        too_long.status_code == 400 and "old_token_expires_at" in too_long.json()["error"]["fields"]
    )
    assert (
        alice_api.post(
            f"/api/v1/service-accounts/{robot.pk}/tokens/{old.pk}/rotate/", {}, format="json"
        ).status_code
        == 201
    )
    old.refresh_from_db()
    assert old.expires_at == clock.now + timedelta(hours=24)


def test_revoked_and_expired_tokens_answer_401(alice_api, robot, alice_m, monkeypatch):
    clock = Clock(monkeypatch)
    raw = token_for(robot, alice_m, "posts:read")
    token = ApiToken.objects.for_org(robot.organization).get(service_account=robot)
    revoked = alice_api.post(f"/api/v1/service-accounts/{robot.pk}/tokens/{token.pk}/revoke/")
    assert revoked.status_code == 200 and revoked.json()["revoked_at"]
    assert bearer(raw).get("/api/v1/posts/").status_code == 401
    assert (
        alice_api.post(f"/api/v1/service-accounts/{robot.pk}/tokens/{token.pk}/revoke/").status_code
        == 409
    )

    short = token_for(robot, alice_m, "posts:read", expires_at=clock.now + timedelta(hours=1))
    assert bearer(short).get("/api/v1/posts/").status_code == 200
    clock.advance(hours=1, seconds=1)
    assert bearer(short).get("/api/v1/posts/").status_code == 401


def test_disabling_stops_every_token_and_enabling_brings_them_back(alice_api, robot, alice_m):
    raw = token_for(robot, alice_m, "posts:read")
    disabled = alice_api.patch(
        f"/api/v1/service-accounts/{robot.pk}/", {"is_active": False}, format="json"
    )
    assert disabled.status_code == 200 and not disabled.json()["is_active"]
    assert bearer(raw).get("/api/v1/posts/").status_code == 401
    assert (
        alice_api.patch(
            f"/api/v1/service-accounts/{robot.pk}/", {"is_active": True}, format="json"
        ).status_code
        == 200
    )
    assert bearer(raw).get("/api/v1/posts/").status_code == 200


def test_last_used_is_written_at_most_once_a_minute(
    robot, alice_m, monkeypatch, django_assert_num_queries
):
    clock = Clock(monkeypatch)
    raw = token_for(robot, alice_m, "posts:read")
    token = ApiToken.objects.for_org(robot.organization).get(service_account=robot)
    assert services.authenticate_token(raw) is not None
    token.refresh_from_db()
    first = token.last_used_at
    assert first == clock.now
    clock.advance(seconds=30)
    with django_assert_num_queries(1):  # the lookup only: no write
        services.authenticate_token(raw)
    token.refresh_from_db()
    assert token.last_used_at == first
    clock.advance(seconds=31)
    services.authenticate_token(raw)
    token.refresh_from_db()
    assert token.last_used_at == clock.now


def test_offboarding_the_creator_leaves_the_service_account_working(org_a, alice_m, alice_api):
    admin = f.add_member(org_a, f.make_user("ada@alpha.test"), Role.ADMIN)
    account = sa_services.create_service_account(org_a, by=admin, name="Ada's robot")
    raw = token_for(account, admin, "posts:read")
    personal = api_client_for(admin)
    services.deactivate_member(admin, by=alice_m)
    assert (
        personal.get("/api/v1/posts/").status_code == 401
    )  # the person's own token died with them
    assert bearer(raw).get("/api/v1/posts/").status_code == 200
    account.refresh_from_db()
    assert account.is_active
    assert ApiToken.objects.for_org(org_a).get(service_account=account).revoked_at is None


def test_another_organizations_service_accounts_are_404(org_a, alice_m, alice_api, bob_m, org_b):
    theirs = sa_services.create_service_account(org_b, by=bob_m, name="Bravo robot")
    their_token = sa_services.create_service_account_token(
        theirs, by=bob_m, name="t", scopes=["admin"]
    ).token
    for method, url in [
        ("get", f"/api/v1/service-accounts/{theirs.pk}/"),
        ("get", f"/api/v1/service-accounts/{theirs.pk}/tokens/"),
        ("post", f"/api/v1/service-accounts/{theirs.pk}/tokens/{their_token.pk}/rotate/"),
        ("post", f"/api/v1/service-accounts/{theirs.pk}/tokens/{their_token.pk}/revoke/"),
    ]:
        assert getattr(alice_api, method)(url).status_code == 404, url
    assert "Bravo robot" not in alice_api.get("/api/v1/service-accounts/").content.decode()
    # A's service account token sees only A, even with the admin scope.
    mine = sa_services.create_service_account(org_a, by=alice_m, name="Alpha robot")
    a_admin = bearer(token_for(mine, alice_m, "admin"))
    assert a_admin.get(f"/api/v1/service-accounts/{theirs.pk}/").status_code == 404
    assert a_admin.get("/api/v1/organization/").json()["slug"] == "alpha"
    # A's token for B's account id with A's token id is a 404 too (the token must belong to the account).
    mine_token = ApiToken.objects.for_org(org_a).filter(service_account=mine).first()
    assert (
        alice_api.post(
            f"/api/v1/service-accounts/{theirs.pk}/tokens/{mine_token.pk}/revoke/"
        ).status_code
        == 404
    )


def test_personal_tokens_keep_working_and_may_be_scoped(org_a, alice_m):
    unscoped = api_client_for(alice_m)
    assert (
        unscoped.get("/api/v1/service-accounts/").status_code == 200
    )  # an owner's unscoped token: everything
    scoped = bearer(services.create_api_token(alice_m, name="read only", scopes=["posts:read"]).raw)
    assert scoped.get("/api/v1/posts/").status_code == 200
    assert_insufficient_scope(scoped.get("/api/v1/teams/"), "members:read")
    assert_insufficient_scope(
        scoped.post("/api/v1/teams/", {"name": "Nope"}, format="json"), "members:write"
    )
