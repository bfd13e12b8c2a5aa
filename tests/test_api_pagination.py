"""Issue 13 (7): every /api/v1/ list is a cursor page: ``limit`` 1…200, an opaque signed ``cursor``,
``{"next", "previous", "results"}``, in a stable order that a walk keeps while rows are added."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from django.utils import timezone

from publishing.models import Post
from tests import factories as f

pytestmark = pytest.mark.django_db

POSTS = "/api/v1/posts/"


def _posts(org, author, n, *, start=None, per_instant=7):
    """``n`` posts, oldest first; ``per_instant`` of them share each ``created_at`` (ties the cursor must
    step through with its offset)."""
    start = start or timezone.now() - timedelta(days=1)
    return Post.objects.bulk_create(
        Post(
            organization=org,
            author=author,
            text=f"post {i}",
            created_at=start + timedelta(seconds=i // per_instant),
        )
        for i in range(n)
    )


def _cursor(url: str) -> str:
    return parse_qs(urlsplit(url).query)["cursor"][0]


def _error(response):
    assert response.status_code == 400, response.content
    return response.json()["error"]


def test_a_list_is_a_page_with_next_previous_and_results_of_fifty_by_default(
    alice_api, org_a, alice
):
    _posts(org_a, alice, 60)
    page = alice_api.get(POSTS).json()
    assert set(page) == {"next", "previous", "results"}
    assert len(page["results"]) == 50 and page["previous"] is None and page["next"]
    assert "count" not in page


@pytest.mark.parametrize("limit", ["0", "-1", "201", "1000", "abc", "1.5", "", " 5", "١٠"])
def test_a_limit_outside_one_to_two_hundred_is_a_400_in_the_error_shape(alice_api, limit):
    error = _error(alice_api.get(POSTS, {"limit": limit}))
    assert error["code"] == "validation_error"
    assert "200" in error["message"] and error["fields"]["limit"] == [error["message"]]
    assert error["request_id"]


def test_a_limit_of_one_and_of_two_hundred_are_taken(alice_api, org_a, alice):
    _posts(org_a, alice, 210)
    assert len(alice_api.get(POSTS, {"limit": 1}).json()["results"]) == 1
    assert len(alice_api.get(POSTS, {"limit": 200}).json()["results"]) == 200


def test_a_cursor_walk_returns_each_row_exactly_once_while_rows_are_added(alice_api, org_a, alice):
    made = _posts(org_a, alice, 250)
    expected = [p.pk for p in sorted(made, key=lambda p: (p.created_at, p.pk), reverse=True)]
    seen, url, pages = [], f"{POSTS}?limit=40", 0
    while url:
        page = alice_api.get(url)
        assert page.status_code == 200, page.content
        body = page.json()
        seen += [row["id"] for row in body["results"]]
        # Meanwhile someone writes new posts: they are newer than the walk and do not shift it.
        _posts(org_a, alice, 3, start=timezone.now(), per_instant=3)
        url, pages = body["next"], pages + 1
        assert url is None or parse_qs(urlsplit(url).query)["limit"] == ["40"]
    assert pages == 7
    assert seen == expected  # each once, newest first (ties broken by id)


def test_rows_added_inside_the_tie_the_walk_stands_in_neither_repeat_nor_hide_a_row(
    alice_api, org_a, alice
):
    """Keyset, not offset: a row with the same created_at as the page's last one does not shift the
    next page (an offset among equal timestamps would return a row twice)."""
    made = _posts(org_a, alice, 250, per_instant=50)
    expected = [p.pk for p in sorted(made, key=lambda p: (p.created_at, p.pk), reverse=True)]
    by_id = {p.pk: p for p in made}
    seen, url = [], f"{POSTS}?limit=30"
    while url:
        body = alice_api.get(url).json()
        seen += [row["id"] for row in body["results"] if row["id"] in by_id]
        if body["results"]:
            boundary = by_id[body["results"][-1]["id"]].created_at
            _posts(org_a, alice, 4, start=boundary, per_instant=4)  # same instant, higher ids
        url = body["next"]
    assert seen == expected


def test_previous_walks_back_to_the_first_page(alice_api, org_a, alice):
    _posts(org_a, alice, 95)
    first = alice_api.get(POSTS, {"limit": 30}).json()
    second = alice_api.get(first["next"]).json()
    third = alice_api.get(second["next"]).json()
    back = alice_api.get(third["previous"]).json()
    assert [r["id"] for r in back["results"]] == [r["id"] for r in second["results"]]
    again = alice_api.get(back["previous"]).json()
    assert [r["id"] for r in again["results"]] == [r["id"] for r in first["results"]]
    assert again["previous"] is None


def test_the_walk_keeps_the_filters(alice_api, org_a, alice):
    made = _posts(org_a, alice, 30)
    Post.objects.for_org(org_a).filter(pk__in=[p.pk for p in made[:12]]).update(
        status=Post.Status.SCHEDULED
    )
    first = alice_api.get(POSTS, {"status": "scheduled", "limit": 5}).json()
    ids = [r["id"] for r in first["results"]]
    url = first["next"]
    while url:
        body = alice_api.get(url).json()
        ids += [r["id"] for r in body["results"]]
        url = body["next"]
    assert sorted(ids) == sorted(p.pk for p in made[:12])


@pytest.mark.parametrize(
    "tamper",
    [
        lambda c: c[:-1] + ("A" if c[-1] != "A" else "B"),  # the signature changed
        lambda c: "x" + c[1:],  # the payload changed
        lambda c: c[: len(c) // 2],  # cut
        lambda c: "cD0yMDI2LTAxLTAx",  # DRF's own unsigned format: p=2026-01-01
        lambda c: "not a cursor",
        lambda c: "",
    ],
)
def test_a_tampered_cursor_is_a_400_invalid_cursor(alice_api, org_a, alice, tamper):
    _posts(org_a, alice, 12)
    cursor = _cursor(alice_api.get(POSTS, {"limit": 5}).json()["next"])
    error = _error(alice_api.get(POSTS, {"limit": 5, "cursor": tamper(cursor)}))
    assert error["code"] == "invalid_cursor" and error["fields"]["cursor"]


def test_a_cursor_of_another_list_is_refused(alice_api, org_a, alice, alice_m):
    for i in range(8):
        f.make_team(org_a, f"T{i}", by=alice_m)
    _posts(org_a, alice, 8)
    teams_cursor = _cursor(alice_api.get("/api/v1/teams/", {"limit": 3}).json()["next"])
    error = _error(alice_api.get(POSTS, {"cursor": teams_cursor}))
    assert error["code"] == "invalid_cursor"


def test_the_schema_documents_limit_cursor_and_the_page(client):
    import yaml

    schema = yaml.safe_load(client.get("/api/schema/").content)
    operation = schema["paths"]["/api/v1/posts/"]["get"]
    params = {p["name"]: p for p in operation["parameters"]}
    assert params["limit"]["schema"] == {
        "type": "integer",
        "minimum": 1,
        "maximum": 200,
        "default": 50,
    }
    assert params["cursor"]["schema"]["type"] == "string"
    ref = operation["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
    page = schema["components"]["schemas"][ref.rsplit("/", 1)[1]]
    assert set(page["properties"]) == {"next", "previous", "results"}
    assert page["properties"]["results"]["type"] == "array"
    assert set(page["required"]) == {"next", "previous", "results"}
