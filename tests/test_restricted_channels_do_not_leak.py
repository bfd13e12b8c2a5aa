"""Walks every named URL inside ONE organization and proves a restricted channel stays hidden.

The tenancy walker (tests/test_every_url_is_tenant_safe.py) proves organization A cannot reach
organization B. This walk proves the same for a restricted channel inside organization B: a
member without a grant (a manager, who holds every capability but the admin ones, and a viewer)
gets a 404 for everything that only exists on that channel, and no response of any route shows
its name, handle, variant texts, freeze reason or ids.

It reuses the walker's knowledge of every route (``KWARGS``, ``ROUTE_KWARGS``, ``WORLD_BUILDERS``
in tests/tenancy_walker.py): B's world is built as usual, then the restricted objects are added
and, per scenario, put in the place of B's ordinary ones (``world.b["channel"]`` becomes the
restricted channel, ``world.b["post"]`` a post on it, …). Which world keys a route names is found
by calling its kwarg functions on a recording dict, so a new route taught to the walker is walked
here too, without a line in this file.

Scenarios:
- ``hidden``: the restricted channel, a post that only goes there, its variant, a freeze on it, a
  grant on it, a cadence target on it, an approval request for that post and an approval link its
  (former) approver still holds: every method must answer 404 (or a 405 its Allow header confirms).
- ``mixed``: a post on the restricted channel and an open one (and its approval request, whose diff
  names the restricted variant), a group holding both channels, a workflow conditioned on the
  restricted channel: the route may answer anything below 500 that does not contain a marker; the
  restricted variant of the mixed post is still a 404.

Every request runs in a savepoint that is rolled back, so a route that changes something (a
manager may delete a group) leaves the world as it was for the next one.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

import pytest
from django.db import transaction
from django.urls import reverse

from accounts.capabilities import Role

from . import factories as f
from .conftest import api_client_for
from .tenancy_walker import KWARGS, NOT_TENANT_DATA, ROUTE_KWARGS, WORLD_BUILDERS, World
from .test_every_url_is_tenant_safe import ALL_ROUTES, METHODS

# Distinctive primary keys: any of them in a response is the restricted channel's data.
R_CHANNEL_ID = 4_817_001
R_POST_ID = 4_817_002
R_VARIANT_ID = 4_817_003
MIXED_R_VARIANT_ID = 4_817_004
R_IDS = [R_CHANNEL_ID, R_POST_ID, R_VARIANT_ID, MIXED_R_VARIANT_ID]
_ID_RE = re.compile(r"(?<!\d)(" + "|".join(str(i) for i in R_IDS) + r")(?!\d)")

MARKERS = [
    "Rosa Restricted Channel",
    "rosa.restricted.handle",
    "Rosa only post text",
    "Rosa only post title",
    "Rosa variant override text",
    "Rosa variant edited text",
    "Rosa freeze reason",
    "Rosa private comment",
]


def _ids_go_on_above_ours(*models) -> None:
    """New rows get ids far above the distinctive ones (SQLite continues after the largest id
    ever used; PostgreSQL's sequences ignore explicit ids), so no later row is mistaken for ours."""
    from django.db import connection

    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            for model in models:
                cursor.execute(
                    "UPDATE sqlite_sequence SET seq = 9000000 WHERE name = %s AND seq < 9000000",
                    [model._meta.db_table],
                )


class _Recorder(dict):
    """A dict that remembers which keys were read (to learn which world objects a route names)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.read: set[str] = set()

    def __getitem__(self, key):
        self.read.add(key)
        return super().__getitem__(key)


# --- The restricted world (inside organization B) ----------------------------------------------------


def _restricted(world: World) -> dict[str, Any]:
    """B's restricted channel and everything on it; returns them by name (``world.r``)."""
    from approvals import services as approval_services
    from approvals.models import ApprovalAssignment
    from channels_registry import services as channel_services
    from channels_registry.models import Channel
    from publishing.calendar import services as calendar
    from publishing.models import Post, PostVariant
    from publishing.posts import services as authoring
    from publishing.scheduler import services as scheduling

    org, bob_m = world.org_b, world.bob_m
    open_channel = world.b["channel"]
    gil = f.add_member(org, f.make_user("gil@bravo.test", name="Gil Grantee"), Role.PUBLISHER)
    mona = f.add_member(org, f.make_user("mona@bravo.test", name="Mona Manager"), Role.MANAGER)
    vic = f.add_member(org, f.make_user("vic@bravo.test", name="Vic Viewer"), Role.VIEWER)
    rosa = Channel.objects.create(
        pk=R_CHANNEL_ID,
        organization=org,
        provider="sandbox",
        external_id="rosa-restricted",
        handle="rosa.restricted.handle",
        name="Rosa Restricted Channel",
        access=Channel.Access.RESTRICTED,
        timezone="Asia/Jakarta",
    )
    _ids_go_on_above_ours(Channel)
    channel_services.grant_channel_access(rosa, by=bob_m, capability="publish", membership=gil)
    grant = channel_services.grant_channel_access(
        rosa, by=bob_m, capability="view_analytics", team=world.b["team"]
    )
    # Mona may see the channel while the requests start (so she is assigned and holds links); the
    # grant is revoked below: what she was sent stays in her mailbox, everything live must hide it.
    mona_grant = channel_services.grant_channel_access(
        rosa, by=bob_m, capability="publish", membership=mona
    )

    only = authoring.create_post(
        org, by=gil, text="Rosa only post text", title="Rosa only post title", channels=[rosa]
    )
    # renumbered at once (foreign keys are checked at the end of the transaction)
    Post.objects.for_org(org).filter(pk=only.pk).update(id=R_POST_ID)
    PostVariant.objects.for_org(org).filter(post_id=only.pk).update(
        post_id=R_POST_ID, id=R_VARIANT_ID
    )
    only = Post.objects.for_org(org).get(pk=R_POST_ID)
    _ids_go_on_above_ours(Post, PostVariant)

    mixed = authoring.create_post(
        org,
        by=gil,
        text="Mixed open text",
        channels=[open_channel, rosa],
        variant_texts={rosa.pk: "Rosa variant override text"},
    )
    PostVariant.objects.for_org(org).filter(post=mixed, channel=rosa).update(id=MIXED_R_VARIANT_ID)

    workflow = approval_services.create_workflow(
        org,
        by=bob_m,
        name="Mixed route workflow",
        priority=1,
        channel_ids=[rosa.pk],
        stages=[
            approval_services.StageSpec(
                name="Mixed route stage",
                backup_approver=bob_m,
                approvers=[
                    approval_services.ApproverSpec("person", membership=mona),
                    approval_services.ApproverSpec("person", membership=bob_m),
                ],
            )
        ],
    )
    only_request = approval_services.submit_for_approval(only, by=gil)
    mixed_request = approval_services.submit_for_approval(mixed, by=gil)
    approval_services.decide(mixed_request, by=bob_m, decision="approve")
    mixed = Post.objects.for_org(org).get(pk=mixed.pk)
    authoring.update_post(mixed, by=gil, variant_texts={rosa.pk: "Rosa variant edited text"})
    mixed_request.refresh_from_db()

    def mona_link(request):
        assignment = (
            ApprovalAssignment.objects.for_org(org)
            .filter(request=request, membership=mona, status="pending")
            .first()
        )
        return (
            approval_services.issue_link(assignment, ttl_hours=72) if assignment else "not-assigned"
        )

    only_link, mixed_link = mona_link(only_request), mona_link(mixed_request)
    channel_services.revoke_channel_access(mona_grant, by=bob_m)
    from accounts.models import Notification

    # The bell keeps what was sent while she could see the channel (as her mailbox does).
    Notification.objects.for_org(org).filter(recipient=mona.user).delete()

    approval_services.add_comment(only, by=gil, body="Rosa private comment")
    freeze = scheduling.create_freeze(
        org, by=bob_m, scope="channel", channel=rosa, reason="Rosa freeze reason"
    )
    group = channel_services.create_channel_group(
        org, by=bob_m, name="Mixed group", channels=[open_channel, rosa]
    )
    target = calendar.set_cadence_target(rosa, by=bob_m, min_per_week=1, max_per_week=3)
    return {
        "mona": mona,
        "vic": vic,
        "gil": gil,
        "channel": rosa,
        "only": only,
        "mixed": mixed,
        "grant": grant,
        "freeze": freeze,
        "group": group,
        "target": target,
        "workflow": workflow,
        "only_request": only_request,
        "mixed_request": mixed_request,
        "only_link": only_link,
        "mixed_link": mixed_link,
    }


#: scenario → {world key: function(r) giving the object that takes the place of B's ordinary one}
SCENARIOS: dict[str, dict[str, Callable[[dict], Any]]] = {
    "hidden": {
        "channel": lambda r: r["channel"],
        "post": lambda r: r["only"],
        "variant": lambda r: r["only"].variants.get(),
        "freeze": lambda r: r["freeze"],
        "channel_grant": lambda r: r["grant"],
        "cadence_target": lambda r: r["target"],
        "approval_request": lambda r: r["only_request"],
        "approval_link_token": lambda r: r["only_link"],
    },
    "mixed": {
        "post": lambda r: r["mixed"],
        "variant": lambda r: r["mixed"].variants.get(pk=MIXED_R_VARIANT_ID),
        "channel_group": lambda r: r["group"],
        "workflow": lambda r: r["workflow"],
        "approval_request": lambda r: r["mixed_request"],
        "approval_link_token": lambda r: r["mixed_link"],
    },
}
#: keys whose object a member without a grant may not know exists, per scenario: a 404 for every method
HIDDEN = {
    "hidden": set(SCENARIOS["hidden"]),
    "mixed": {"variant", "approval_link_token"},
}


def leaks_in(text: str, url: str = "") -> list[str]:
    """The markers and restricted ids in ``text``. The request's own URL, which pages echo in links
    and forms, is left out first; a URL with a query string names the ids itself (filters are echoed
    back as typed, as for an id that does not exist), so only the markers count there."""
    for form in {url, html.escape(url), quote(url), quote(url, safe=""), html.escape(quote(url))}:
        text = text.replace(form, "")
    found = [m for m in MARKERS if m in text]
    if "?" not in url:
        found += [f"id {m}" for m in _ID_RE.findall(text)]
    return found


class _Missing:
    """Stands for an object that does not exist (the control request)."""

    pk = 987_654_321


_MISSING_TOKEN = "not-a-real-link:not-a-signature"


def _url_and_keys(world: World, view: dict, name: str, kwargs: list[str]) -> tuple[str, set[str]]:
    rec = _Recorder(view)
    w = World(org_a=world.org_a, org_b=world.org_b, alice_m=world.alice_m, bob_m=world.bob_m, b=rec)
    values = {}
    for kw in kwargs:
        if kw in ("org_slug", "format"):
            continue
        if kw in ROUTE_KWARGS.get(name, {}):
            values[kw] = ROUTE_KWARGS[name][kw](w)
        elif kw in KWARGS:
            values[kw] = KWARGS[kw](w)
        else:
            values[kw] = "0123456789abcdef-not-a-real-key"
    if "org_slug" in kwargs:
        values["org_slug"] = world.org_b.slug
    return reverse(name, kwargs=values), rec.read


def _query_variants(r: dict) -> str:
    """Filters naming the restricted objects, appended to every list: a filter must not reveal them."""
    return (
        f"?channel={r['channel'].pk}&post={r['only'].pk}&group={r['group'].pk}&variant={R_VARIANT_ID}"
        f"&channel_id={r['channel'].pk}&waiting=me"
    )


def _call(caller, method: str, url: str):
    """One request in a savepoint that is rolled back: whatever it changed is undone for the next."""
    with transaction.atomic():
        response = getattr(caller, method)(url)
        body = b"".join(response) if response.streaming else response.content
        transaction.set_rollback(True)
    return response, body.decode(errors="ignore")


def walk(
    world: World, r: dict, actor, *, expect_hidden: bool = True, only: set[str] | None = None
) -> tuple[list[str], dict[str, list[str]]]:
    """Every route as ``actor``; returns (problems, markers found per request).

    A hidden object must be indistinguishable from a missing one: the route answers 404, or the very
    status it gives for an id that does not exist (a viewer's 403 before any object is read, a 405).
    """
    from django.test import Client

    client = Client()
    client.force_login(actor.user)
    api = api_client_for(actor, name="restricted-walker")
    problems: list[str] = []
    seen: dict[str, list[str]] = {}
    done: set[tuple[str, str]] = set()
    for name, route, kwargs, _callback in ALL_ROUTES:
        if name in ("account_logout",) or "format" in kwargs:
            continue
        if name in NOT_TENANT_DATA:
            continue  # public routes keyed by a token of their own (tests/test_every_url_is_tenant_safe.py)
        if only is not None and name not in only:
            continue
        caller = api if route.startswith("api/v1/") else client
        for scenario, overrides in [("base", {})] + list(SCENARIOS.items()):
            view = {**world.b, **{key: make(r) for key, make in overrides.items()}}
            url, keys = _url_and_keys(world, view, name, kwargs)
            named = keys & set(overrides)
            if scenario != "base" and not named:
                continue  # the route names nothing this scenario replaces: walked once, in "base"
            hidden = named & HIDDEN.get(scenario, set())
            control = None
            if hidden:
                missing = {
                    k: (_MISSING_TOKEN if k.endswith("token") else _Missing()) for k in hidden
                }
                control, _keys = _url_and_keys(world, {**view, **missing}, name, kwargs)
            listing = set(kwargs) <= {"org_slug"} and (route.startswith(("o/", "api/v1/")))
            urls = [url] + ([url + _query_variants(r)] if listing else [])
            for one in urls:
                for method in METHODS if named else ["get"]:
                    if (one, method) in done:
                        continue
                    done.add((one, method))
                    response, text = _call(caller, method, one)
                    where = f"{method.upper()} {one} [{scenario}]"
                    if response.status_code >= 500:
                        problems.append(f"{where}: {response.status_code}")
                        continue
                    if hidden and expect_hidden and response.status_code != 404:
                        expected, _text = _call(caller, method, control)
                        if response.status_code != expected.status_code:
                            problems.append(
                                f"{where}: {response.status_code}, but {expected.status_code} for a "
                                f"missing {sorted(hidden)}"
                            )
                    found = leaks_in(text, one)
                    if found:
                        seen[where] = found
                        problems.append(f"{where} shows {found}")
    return problems, seen


@pytest.fixture
def world(org_a, org_b, alice_m, bob_m):
    w = World(org_a=org_a, org_b=org_b, alice_m=alice_m, bob_m=bob_m)
    for build in WORLD_BUILDERS:
        build(w)
    return w


@pytest.fixture
def r(world):
    return _restricted(world)


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["mona", "vic"])
def test_no_route_shows_a_restricted_channel_to_a_member_without_a_grant(world, r, role):
    problems, _seen = walk(world, r, r[role])
    assert not problems, f"{len(problems)} leaks:\n" + "\n".join(problems)


@pytest.mark.django_db
def test_the_walk_sees_the_restricted_channel_where_a_grantee_looks(world, r):
    """The markers and ids are real: the owner, who sees the channel, meets them on the key routes."""
    _problems, seen = walk(
        world,
        r,
        world.bob_m,
        expect_hidden=False,
        only={
            "publishing-freeze-list",
            "post_edit",
            "channel-grant-detail",
            "approval_request_detail",
            "channel_group_detail",
            "approval_submit",
        },
    )
    urls = " ".join(seen)
    for route in (
        "/api/v1/publishing-freezes/",
        f"/posts/{r['mixed'].pk}/edit/",
        f"/channel-grants/{r['grant'].pk}/",
        f"/approvals/requests/{r['mixed_request'].pk}/",
        f"/channels/groups/{r['group'].pk}/",
        f"/approvals/posts/{r['mixed'].pk}/submit/",
    ):
        assert route in urls, f"the owner should see the restricted channel on {route}"
