"""Issue 13 (3, 7): a query parameter an endpoint does not take is a 400 ``unknown_parameter`` (a misspelt
filter must not silently return everything), a bad enum value is a 400 naming the allowed values, and
the parameters the schema lists are exactly the ones the server takes (one declaration per view).

The walk covers every /api/v1/ route and every method its view serves, found from the URL resolver."""

from __future__ import annotations

import re

import pytest
import yaml
from django.urls import resolve

from .test_every_url_is_tenant_safe import ALL_ROUTES, build_url

pytestmark = pytest.mark.django_db

#: ids no organization has: the parameter check comes before the object is looked up
MISSING = {"pk": 2**40, "token_id": 2**40, "delivery_id": 2**40}
API_ROUTES = [
    (name, route, kwargs, callback)
    for name, route, kwargs, callback in ALL_ROUTES
    if route.startswith("api/v1/")
]


def _methods(callback) -> list[str]:
    actions = getattr(callback, "actions", None)  # a viewset route: method → action
    # (DRF adds "head" to the map on the first GET: a HEAD answer has no body to read)
    return sorted(set(actions) - {"head", "options"}) if actions else ["get"]


def test_the_walk_sees_the_api():
    assert len(API_ROUTES) > 40
    assert {"post-list", "variant-list", "notification-list", "approval-request-list"} <= {
        name for name, *_ in API_ROUTES
    }


@pytest.mark.parametrize(
    ("name", "route", "kwargs", "callback"), API_ROUTES, ids=[r[0] for r in API_ROUTES]
)
def test_every_api_route_refuses_an_unknown_query_parameter(
    alice_api, name, route, kwargs, callback
):
    url = build_url(route, {k: MISSING[k] for k in kwargs})
    for method in _methods(callback):
        response = getattr(alice_api, method)(f"{url}?nonsense=1", {}, format="json")
        assert response.status_code == 400, (name, method, response.status_code, response.content)
        error = response.json()["error"]
        assert error["code"] == "unknown_parameter", (name, method, error)
        assert "nonsense" in error["message"] and error["fields"] == {
            "nonsense": [error["message"]]
        }


def test_the_message_lists_what_the_endpoint_takes(alice_api):
    error = alice_api.get("/api/v1/posts/?stauts=draft").json()["error"]
    assert error["code"] == "unknown_parameter"
    for accepted in ("status", "updated_since", "created_since", "limit", "cursor"):
        assert accepted in error["message"]
    error = alice_api.get("/api/v1/teams/1/?expand=parent").json()["error"]
    assert error["code"] == "unknown_parameter" and "takes none" in error["message"]


@pytest.mark.parametrize("value", ["json", "api", "xml"])
def test_format_is_not_a_parameter_the_api_takes(alice_api, value):
    """DRF would pick a renderer by ?format= (a 404 for an unknown one); the API speaks JSON only."""
    for url in ("/api/v1/posts/", "/api/v1/teams/1/"):
        response = alice_api.get(url, {"format": value})
        assert response.status_code == 400, response.content
        assert response.json()["error"]["code"] == "unknown_parameter"


@pytest.mark.parametrize(
    ("url", "allowed"),
    [
        ("/api/v1/posts/?status=bogus", "draft"),
        ("/api/v1/variants/?status=bogus", "held"),
        ("/api/v1/approval-requests/?status=bogus", "changes_requested"),
        ("/api/v1/approval-requests/?waiting=you", "me"),
        ("/api/v1/channels/?status=bogus", "needs_reauth"),
        ("/api/v1/channels/?network=myspace", "mastodon"),
        ("/api/v1/media/?kind=gif", "video"),
        ("/api/v1/calendar/events/?start=2026-01-01&end=2026-01-31&status=bogus", "scheduled"),
    ],
)
def test_a_bad_enum_value_is_a_400_with_the_allowed_values(alice_api, url, allowed):
    response = alice_api.get(url)
    assert response.status_code == 400, response.content
    error = response.json()["error"]
    name = re.findall(r"[?&](\w+)=(?:bogus|you|myspace|gif)", url)[0]
    assert error["code"] == "validation_error" and allowed in error["fields"][name][0]


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/posts/?channel=abc",
        "/api/v1/approval-requests/?post=0",
        "/api/v1/notifications/?unread=maybe",
        "/api/v1/publishing-freezes/?active=null",
        "/api/v1/posts/?status=draft&status=scheduled",
        "/api/v1/channels/?q=" + "x" * 201,
    ],
)
def test_a_malformed_filter_value_is_a_400(alice_api, url):
    response = alice_api.get(url)
    assert response.status_code == 400, response.content
    assert response.json()["error"]["code"] == "validation_error"


def test_declared_filters_still_filter(alice_api, org_a, alice):
    from publishing.models import Post

    Post.objects.create(organization=org_a, author=alice, status=Post.Status.SCHEDULED)
    Post.objects.create(organization=org_a, author=alice)
    rows = alice_api.get("/api/v1/posts/?status=scheduled").json()["results"]
    assert [r["status"] for r in rows] == ["scheduled"]


def test_the_schema_lists_exactly_the_query_parameters_the_server_takes(client):
    schema = yaml.safe_load(client.get("/api/schema/").content)
    checked = 0
    for path, operations in schema["paths"].items():
        if not path.startswith("/api/v1/"):
            continue
        match = resolve(re.sub(r"\{[^}]+\}", "1", path))
        actions = getattr(match.func, "actions", None)
        if not actions:
            continue
        for method, operation in operations.items():
            if method not in actions or method == "head":
                continue
            documented = {p["name"] for p in operation.get("parameters", []) if p["in"] == "query"}
            taken = set(match.func.cls().accepted_parameters(actions[method]))
            assert documented == taken, (path, method, documented, taken)
            checked += 1
    assert checked > 60
