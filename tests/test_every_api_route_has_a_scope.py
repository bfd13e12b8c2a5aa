"""Every /api/v1/ route names its resource family in socialops/scopes.py, so a scoped token is checked.

A route missing from ``socialops.scopes.VIEW_FAMILIES`` would be closed to every scoped token (fail
closed), and this test fails until it is mapped: a new endpoint cannot forget its scope.
"""

from __future__ import annotations

import pytest
from rest_framework import permissions

from socialops import scopes

from .test_every_url_is_tenant_safe import ALL_ROUTES

API_ROUTES = [
    (name, route, callback)
    for name, route, _kwargs, callback in ALL_ROUTES
    if route.startswith("api/v1/")
]


def test_the_walker_sees_the_api_routes():
    names = {name for name, _route, _cb in API_ROUTES}
    assert {
        "api_organization",
        "post-list",
        "approval-request-list",
        "service-account-list",
    } <= names
    assert len(API_ROUTES) > 40


@pytest.mark.parametrize(("name", "route", "callback"), API_ROUTES, ids=[r[0] for r in API_ROUTES])
def test_every_api_route_maps_to_a_scope_for_read_and_write(name, route, callback):
    view_class = callback.cls
    assert scopes.view_key(view_class) in scopes.VIEW_FAMILIES, (
        f"{route} ({scopes.view_key(view_class)}) has no resource family in socialops/scopes.py VIEW_FAMILIES"
    )
    for method in ("GET", "POST", "PATCH", "DELETE"):
        needed = scopes.required_scope(view_class, method)
        assert needed in scopes.all_scopes(), (route, method, needed)
        if needed != scopes.ADMIN:
            assert needed.endswith(":read") == (method in permissions.SAFE_METHODS)


def test_every_mapped_view_still_exists():
    """A renamed view would leave a stale entry and open nothing: the map names real routes only."""
    routed = {scopes.view_key(cb.cls) for _name, _route, cb in API_ROUTES}
    assert set(scopes.VIEW_FAMILIES) <= routed, set(scopes.VIEW_FAMILIES) - routed


def test_an_unmapped_view_is_covered_by_no_scope():
    class Unmapped:
        pass

    needed = scopes.required_scope(Unmapped, "GET")
    assert needed is None
    assert not scopes.covers(["admin", "posts:write"], needed)


def test_write_covers_read_and_admin_covers_everything_but_not_the_other_way():
    assert scopes.covers(["posts:write"], "posts:read")
    assert not scopes.covers(["posts:read"], "posts:write")
    assert not scopes.covers(["posts:write"], "approvals:write")
    assert not scopes.covers(["posts:write"], scopes.ADMIN)
    assert all(scopes.covers([scopes.ADMIN], s) for s in scopes.all_scopes())
