"""What the URL walker needs to know to exercise every route (tests/test_every_url_is_tenant_safe.py).

The walker finds every named URL pattern by introspecting the resolver. For each keyword
argument a route takes, it needs a value naming *organization B's* object, so it can prove
that a member of organization A (or A's API token) gets a 404 for it. Teach it here:

- ``KWARGS``: kwarg name → function(world) giving B's value (used for every route with that kwarg).
- ``ROUTE_KWARGS``: url name → {kwarg: function(world)} where a kwarg name is ambiguous (DRF's ``pk``).
- ``NOT_TENANT_DATA``: url name → why its kwargs name no tenant data (secret keys of allauth…);
  the walker still calls it and checks it leaks nothing of B and never fails with a 500.
- ``WORLD_BUILDERS``: functions that add B's objects of a new app to ``world.b`` (and A's to ``world.a``).

A route whose kwargs are in none of these fails the suite until it is taught here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from accounts import services
from accounts.capabilities import Role
from accounts.models import Membership, Organization

from . import factories as f


@dataclass
class World:
    org_a: Organization
    org_b: Organization
    alice_m: Membership  # owner of A: the actor who tries to reach B
    bob_m: Membership  # owner of B
    a: dict[str, Any] = field(default_factory=dict)
    b: dict[str, Any] = field(default_factory=dict)
    #: strings that only B's data contains; none may appear in any response to A
    b_markers: list[str] = field(default_factory=list)


def _accounts(world: World) -> None:
    org_b, bob_m = world.org_b, world.bob_m
    team = f.make_team(org_b, "Bravo Secret Team", by=bob_m)
    carol = f.make_user("carol@bravo.test", name="Carol Bravo")
    carol_m = f.add_member(org_b, carol, Role.PUBLISHER)
    issued = services.invite_member(org_b, by=bob_m, email="dave@bravo.test", role=Role.VIEWER)
    token = services.create_api_token(bob_m, name="bravo-token")
    world.b.update(team=team, member=carol_m, invitation=issued.invitation, invitation_token=issued.token,
                   api_token=token.token)
    world.b_markers += ["Bravo Secret Team", "carol@bravo.test", "dave@bravo.test", "Bravo Beverages", "bravo-token"]


def _channels(world: World) -> None:
    from channels_registry import services as channel_services

    from .channels.factories import authorize_sandbox, bulk_channels, connect_sandbox

    org_b, bob_m = world.org_b, world.bob_m
    (channel,) = connect_sandbox(org_b, bob_m, ["sbx-kopi"], team=world.b["team"])
    (secret,) = bulk_channels(org_b, 1, handle="bravo.secret.channel", name="Bravo Secret Channel")
    group = channel_services.create_channel_group(org_b, by=bob_m, name="Bravo Secret Group", channels=[channel, secret])
    grant = channel_services.grant_channel_access(channel, by=bob_m, capability="publish", membership=world.b["member"])
    attempt = authorize_sandbox(org_b, bob_m, ["sbx-promo"])
    world.b.update(channel=channel, channel_group=group, channel_grant=grant, connect_attempt=attempt)
    world.b_markers += ["Bravo Secret Group", "bravo.secret.channel", "Bravo Secret Channel"]


WORLD_BUILDERS: list[Callable[[World], None]] = [_accounts, _channels]

KWARGS: dict[str, Callable[[World], Any]] = {
    "team_id": lambda w: w.b["team"].pk,
    "member_id": lambda w: w.b["member"].pk,
    "invitation_id": lambda w: w.b["invitation"].pk,
    "token_id": lambda w: w.b["api_token"].pk,
    # An invitation link of B's, opened by A's owner (a different address): must be a 404.
    "token": lambda w: w.b["invitation_token"],
    "channel_id": lambda w: w.b["channel"].pk,
    "group_id": lambda w: w.b["channel_group"].pk,
    "grant_id": lambda w: w.b["channel_grant"].pk,
    "attempt_id": lambda w: w.b["connect_attempt"].pk,
}

ROUTE_KWARGS: dict[str, dict[str, Callable[[World], Any]]] = {
    "team-detail": {"pk": lambda w: w.b["team"].pk},
    "member-detail": {"pk": lambda w: w.b["member"].pk},
    "member-deactivate": {"pk": lambda w: w.b["member"].pk},
    "member-reactivate": {"pk": lambda w: w.b["member"].pk},
    "invitation-detail": {"pk": lambda w: w.b["invitation"].pk},
    "channel-detail": {"pk": lambda w: w.b["channel"].pk},
    "channel-archive": {"pk": lambda w: w.b["channel"].pk},
    "channel-unarchive": {"pk": lambda w: w.b["channel"].pk},
    "channel-disconnect": {"pk": lambda w: w.b["channel"].pk},
    "channel-group-detail": {"pk": lambda w: w.b["channel_group"].pk},
    "channel-grant-detail": {"pk": lambda w: w.b["channel_grant"].pk},
}

NOT_TENANT_DATA: dict[str, str] = {
    "account_reset_password_from_key": "allauth: a password-reset key for one user, no tenant data",
    "account_confirm_email": "allauth: an e-mail confirmation key, no tenant data",
    "account_login_code_confirm": "allauth: a one-time login code, no tenant data",
    "signed_media": "a signed, expiring media link: the signature names the file (tests/channels/test_signed_media_urls.py)",
    "channel_connect_callback": "names a network; the organization comes from the attempt the state names",
    "channel_webhook": "public: names a network; pushes are verified by signature, never tied to the caller",
}
