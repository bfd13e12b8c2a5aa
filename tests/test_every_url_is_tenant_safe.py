"""Walks every URL pattern of the project and proves organization A cannot reach organization B.

Routes are found by introspecting the URL resolver (not a hand-kept list), and each URL is built
from its own pattern (not with ``reverse()``, which picks one pattern of a name and so would skip
a second pattern with the same name, such as DRF's ``.json`` format-suffix twins). For each route:
- with an organization slug: A's owner asking for B's slug, and for A's slug with B's object
  ids, gets a 404 for every HTTP method; an anonymous visitor is sent to sign in;
- an API route with object ids: A's token with B's ids gets a 404 for every method the view
  accepts (a 405, for pages and API alike, is accepted only for a method the view does not
  serve at all, which its Allow header must confirm: it does not depend on the object);
- every other route: A's owner gets no 500 and no byte of B's data;
- OPTIONS, on every route: no 500 and no byte of B's data.
A route with a keyword argument the walker does not know fails until tests/tenancy_walker.py
is taught how to fill it, and so does a pattern whose built URL does not resolve back to it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import quote

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, resolve
from django.urls.exceptions import Resolver404
from django.utils.regex_helper import normalize

from .conftest import api_client_for
from .tenancy_walker import KWARGS, NOT_TENANT_DATA, ROUTE_KWARGS, WORLD_BUILDERS, World

METHODS = ["get", "post", "put", "patch", "delete"]
_KW = re.compile(r"<(?:\w+:)?(\w+)>|\(\?P<(\w+)>")


@dataclass(frozen=True)
class _Pattern:
    """One real pattern of the resolver: its regex from the root, and the route Django reports for a match."""

    regex: str
    route: str
    callback: object


#: route string (as listed in ALL_ROUTES) → its pattern; every URL the walker visits is built from it
PATTERNS: dict[str, _Pattern] = {}


def _join_route(route1: str, route2: str) -> str:
    # as django.urls.resolvers.URLResolver._join_route: a child's leading "^" is dropped
    return route2 if not route1 else route1 + route2.removeprefix("^")


def _routes(
    resolver: URLResolver | None = None, prefix: str = "", regex: str = "", matched: str = ""
):
    resolver = resolver or get_resolver()
    for p in resolver.url_patterns:
        p_regex = p.pattern.regex.pattern
        full_regex = regex + (p_regex[1:] if regex and p_regex.startswith("^") else p_regex)
        if isinstance(p, URLResolver):
            yield from _routes(
                p, prefix + str(p.pattern), full_regex, _join_route(matched, str(p.pattern))
            )
        elif isinstance(p, URLPattern):
            route = prefix + str(p.pattern)
            names = [a or b for a, b in _KW.findall(route)]
            PATTERNS.setdefault(
                route, _Pattern(full_regex, _join_route(matched, str(p.pattern)), p.callback)
            )
            yield p.name, route, names, p.callback


ALL_ROUTES = list(_routes())


class UnbuildableRoute(AssertionError):
    pass


def build_url(route: str, values: dict, urlconf=None) -> str:
    """The URL of the pattern listed as ``route``, filled with ``values``; it must resolve back to that pattern."""
    pattern = PATTERNS[route]
    for template, params in normalize(pattern.regex):
        if set(params) == set(values):
            url = "/" + quote(
                template % {k: str(v) for k, v in values.items()}, safe="!$&'()*+,;=/~:@"
            )
            break
    else:
        raise UnbuildableRoute(f"{route}: no form of the pattern takes exactly {sorted(values)}")
    try:
        match = resolve(url, urlconf)
    except Resolver404:
        raise UnbuildableRoute(f"{route}: {url} does not resolve") from None
    if match.route != pattern.route or match.func is not pattern.callback:
        raise UnbuildableRoute(f"{route}: {url} resolves to another pattern ({match.route})")
    return url


def test_every_route_has_a_name_the_walker_can_reverse():
    unnamed = [route for name, route, _, _ in ALL_ROUTES if not name]
    assert not unnamed, (
        f"Give these routes a name so the tenancy walker can exercise them: {unnamed}"
    )


def test_the_walker_knows_every_keyword_argument():
    unknown = []
    for name, route, kwargs, _ in ALL_ROUTES:
        for kw in kwargs:
            if kw == "org_slug":
                continue
            if kw in ROUTE_KWARGS.get(name, {}) or kw in KWARGS or name in NOT_TENANT_DATA:
                continue
            unknown.append(f"{name} ({route}): {kw}")
    assert not unknown, "Teach tests/tenancy_walker.py how to fill: " + "; ".join(unknown)


def test_the_api_has_no_format_suffix_twins():
    """``/api/v1/posts/1.json`` was a second URL of every route whose handlers did not take ``format``."""
    suffixed = [route for _name, route, kwargs, _ in ALL_ROUTES if "format" in kwargs]
    assert not suffixed, suffixed


def test_a_pattern_that_no_url_resolves_to_fails_the_walker():
    """A pattern shadowed by an earlier one, or a kwarg its form cannot carry, is reported, not skipped."""
    from django.urls import path, re_path

    def first(request, pk):  # pragma: no cover - never called
        raise AssertionError

    def second(request, pk):  # pragma: no cover - never called
        raise AssertionError

    class ShadowingConf:
        urlpatterns = [
            path("x/<int:pk>/", first, name="x"),
            re_path(r"^x/(?P<pk>[0-9]+)/$", second, name="x"),
        ]

    routes = list(_routes(get_resolver(ShadowingConf)))
    assert [route for _n, route, _k, _c in routes] == ["x/<int:pk>/", "^x/(?P<pk>[0-9]+)/$"]
    try:
        assert build_url("x/<int:pk>/", {"pk": 1}, ShadowingConf) == "/x/1/"
        with pytest.raises(UnbuildableRoute, match="another pattern"):
            build_url("^x/(?P<pk>[0-9]+)/$", {"pk": 1}, ShadowingConf)
    finally:
        for _n, route, _k, _c in routes:
            PATTERNS.pop(route, None)
    with pytest.raises(UnbuildableRoute, match="no form"):
        build_url("api/v1/^teams/(?P<pk>[^/.]+)/$", {"pk": 1, "format": "json"})


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


def _urls_for(world, name, kwargs, route=None):
    """(url, expectation) pairs for one route, built from its own pattern (``route``) or, without it, by name."""
    from django.urls import reverse

    def url(values):
        return build_url(route, values) if route is not None else reverse(name, kwargs=values)

    values = {kw: _value(world, name, kw) for kw in kwargs if kw != "org_slug"}
    ids = {kw: v for kw, v in values.items() if kw != "format"}
    out = []
    if "org_slug" in kwargs:
        out.append((url({**values, "org_slug": world.org_b.slug}), "404"))
        if ids:
            out.append((url({**values, "org_slug": world.org_a.slug}), "404"))
    elif ids and name not in NOT_TENANT_DATA:
        out.append((url(values), "404"))
    else:
        out.append((url(values), "no_leak"))
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
        caller = api if is_api else client
        for url, expectation in _urls_for(world, name, kwargs, route):
            _assert_no_leak(world, url, "options", caller.options(url))
            for method in METHODS:
                response = getattr(caller, method)(url)
                checked += 1
                if expectation == "404":
                    if response.status_code == 405:
                        allow = response.headers.get("Allow", "")
                        assert method.upper() not in allow, (
                            f"{method.upper()} {url}: 405 but Allow says {allow}"
                        )
                        continue
                    assert response.status_code == 404, (
                        f"{method.upper()} {url} answered {response.status_code} to another organization's member; expected 404"
                    )
                else:
                    _assert_no_leak(world, url, method, response)
    assert checked > 50


@pytest.mark.django_db
def test_organization_pages_send_anonymous_visitors_to_sign_in(client, world):
    for name, route, kwargs, _ in ALL_ROUTES:
        if "org_slug" not in kwargs:
            continue
        for url, _exp in _urls_for(world, name, kwargs, route):
            response = client.get(url)
            assert response.status_code == 302 and "/accounts/login/" in response["Location"], (
                name,
                url,
            )


@pytest.mark.django_db
def test_api_routes_refuse_anonymous_callers(world):
    from rest_framework.test import APIClient

    anon = APIClient()
    for name, route, kwargs, _ in ALL_ROUTES:
        if not route.startswith("api/v1/"):
            continue
        for url, _exp in _urls_for(world, name, kwargs, route):
            response = anon.get(url)
            assert response.status_code == 401, (name, url, response.status_code)
