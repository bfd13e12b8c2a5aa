"""Walks every named URL of the project and proves organization A cannot reach organization B.

Routes are found by introspecting the URL resolver (not a hand-kept list). For each route:
- with an organization slug: A's owner asking for B's slug, and for A's slug with B's object
  ids, gets a 404 for every HTTP method; an anonymous visitor is sent to sign in;
- an API route with object ids: A's token with B's ids gets a 404 for every method the view
  accepts (a 405, for pages and API alike, is accepted only for a method the view does not
  serve at all, which its Allow header must confirm: it does not depend on the object);
- every other route: A's owner gets no 500 and no byte of B's data.
A route with a keyword argument the walker does not know fails until tests/tenancy_walker.py
is taught how to fill it.
"""

from __future__ import annotations

import re

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from .conftest import api_client_for
from .tenancy_walker import KWARGS, NOT_TENANT_DATA, ROUTE_KWARGS, WORLD_BUILDERS, World

METHODS = ["get", "post", "put", "patch", "delete"]
_KW = re.compile(r"<(?:\w+:)?(\w+)>|\(\?P<(\w+)>")


def _routes(resolver: URLResolver | None = None, prefix: str = ""):
    resolver = resolver or get_resolver()
    for p in resolver.url_patterns:
        if isinstance(p, URLResolver):
            yield from _routes(p, prefix + str(p.pattern))
        elif isinstance(p, URLPattern):
            route = prefix + str(p.pattern)
            names = [a or b for a, b in _KW.findall(route)]
            yield p.name, route, names, p.callback


ALL_ROUTES = list(_routes())


def test_every_route_has_a_name_the_walker_can_reverse():
    unnamed = [route for name, route, _, _ in ALL_ROUTES if not name]
    assert not unnamed, f"Give these routes a name so the tenancy walker can exercise them: {unnamed}"


def test_the_walker_knows_every_keyword_argument():
    unknown = []
    for name, route, kwargs, _ in ALL_ROUTES:
        for kw in kwargs:
            if kw in ("org_slug", "format"):
                continue
            if kw in ROUTE_KWARGS.get(name, {}) or kw in KWARGS or name in NOT_TENANT_DATA:
                continue
            unknown.append(f"{name} ({route}): {kw}")
    assert not unknown, "Teach tests/tenancy_walker.py how to fill: " + "; ".join(unknown)


@pytest.fixture
def world(org_a, org_b, alice_m, bob_m):
    w = World(org_a=org_a, org_b=org_b, alice_m=alice_m, bob_m=bob_m)
    for build in WORLD_BUILDERS:
        build(w)
    return w


def _value(world, name, kw):
    if kw in ROUTE_KWARGS.get(name, {}):
        return ROUTE_KWARGS[name][kw](world)
    if kw in KWARGS:
        return KWARGS[kw](world)
    return "0123456789abcdef-not-a-real-key"  # NOT_TENANT_DATA routes


def _urls_for(world, name, kwargs):
    """(url, expectation) pairs for one route."""
    values = {kw: _value(world, name, kw) for kw in kwargs if kw not in ("org_slug", "format")}
    if "format" in kwargs:
        return []  # DRF's format-suffix twins of routes that are walked without it
    out = []
    if "org_slug" in kwargs:
        out.append((reverse(name, kwargs={**values, "org_slug": world.org_b.slug}), "404"))
        if values:
            out.append((reverse(name, kwargs={**values, "org_slug": world.org_a.slug}), "404"))
    elif values and name not in NOT_TENANT_DATA:
        out.append((reverse(name, kwargs=values), "404"))
    else:
        out.append((reverse(name, kwargs=values), "no_leak"))
    return out


def _assert_no_leak(world, url, method, response):
    assert response.status_code < 500, f"{method.upper()} {url} failed with {response.status_code}"
    body = b"".join(response) if response.streaming else response.content
    text = body.decode(errors="ignore")
    for marker in world.b_markers:
        assert marker not in text, f"{method.upper()} {url} shows B's data ({marker!r}) to A"


@pytest.mark.django_db
def test_no_route_lets_organization_a_reach_organization_b(client, world):
    client.force_login(world.alice_m.user)
    api = api_client_for(world.alice_m, name="walker")
    checked = 0
    for name, route, kwargs, _callback in ALL_ROUTES:
        if name in ("account_logout",):
            continue  # would end the walker's own session; it holds no tenant data
        is_api = route.startswith("api/v1/")
        for url, expectation in _urls_for(world, name, kwargs):
            for method in METHODS:
                caller = api if is_api else client
                response = getattr(caller, method)(url)
                checked += 1
                if expectation == "404":
                    if response.status_code == 405:
                        allow = response.headers.get("Allow", "")
                        assert method.upper() not in allow, f"{method.upper()} {url}: 405 but Allow says {allow}"
                        continue
                    assert response.status_code == 404, (
                        f"{method.upper()} {url} answered {response.status_code} to another organization's member; expected 404"
                    )
                else:
                    _assert_no_leak(world, url, method, response)
    assert checked > 50


@pytest.mark.django_db
def test_organization_pages_send_anonymous_visitors_to_sign_in(client, world):
    for name, _route, kwargs, _ in ALL_ROUTES:
        if "org_slug" not in kwargs:
            continue
        for url, _exp in _urls_for(world, name, kwargs):
            response = client.get(url)
            assert response.status_code == 302 and "/accounts/login/" in response["Location"], (name, url)


@pytest.mark.django_db
def test_api_routes_refuse_anonymous_callers(world):
    from rest_framework.test import APIClient

    anon = APIClient()
    for name, route, kwargs, _ in ALL_ROUTES:
        if not route.startswith("api/v1/"):
            continue
        for url, _exp in _urls_for(world, name, kwargs):
            response = anon.get(url)
            assert response.status_code == 401, (name, url, response.status_code)
