"""Issue 13 (6): two integrations writing one post never overwrite each other without knowing it.

Every read of one object answers an ``ETag``; a write with ``If-Match`` naming an older one is a 412
``precondition_failed`` and writes nothing (``*`` passes); a PATCH with a stale body ``version`` is a 409
``stale_version`` naming the current version. The compare happens under the row lock: on PostgreSQL two
PATCHes sent at once with one ETag end as one 200 and one 412.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from publishing.models import Post, PostVariant
from publishing.posts import services as authoring
from tests.channels.factories import connect_sandbox
from tests.conftest import api_client_for

from .publishing.scheduler_factories import make_post, reload

pytestmark = pytest.mark.django_db


@pytest.fixture
def channel(org_a, alice_m):
    (sandbox,) = connect_sandbox(org_a, alice_m, ["sbx-kitchen"])
    return sandbox


@pytest.fixture
def post(org_a, alice_m, channel):
    return authoring.create_post(org_a, by=alice_m, text="First words", channels=[channel])


@pytest.fixture
def two(alice_m):
    """Two integrations of one organization, each with its own token."""
    return api_client_for(alice_m, name="crm"), api_client_for(alice_m, name="scheduler")


def _etag(response) -> str:
    assert response.status_code == 200, response.content
    tag = response["ETag"]
    assert tag.startswith('"') and tag.endswith('"') and len(tag) > 2
    return tag


def _error(response) -> dict:
    return response.json()["error"]


def test_a_post_and_a_variant_read_alone_carry_an_etag_that_changes_with_them(alice_api, post):
    url = f"/api/v1/posts/{post.pk}/"
    first = _etag(alice_api.get(url))
    assert _etag(alice_api.get(url)) == first  # nothing changed, same tag
    variant = PostVariant.objects.for_org(post.organization_id).get(post=post)
    variant_tag = _etag(alice_api.get(f"/api/v1/variants/{variant.pk}/"))

    patched = alice_api.patch(url, {"text": "Second words"}, format="json")
    assert _etag(patched) != first  # a write answers the new tag …
    assert _etag(alice_api.get(url)) == patched["ETag"]  # … which is what a read says next
    assert _etag(alice_api.get(f"/api/v1/variants/{variant.pk}/")) != variant_tag
    assert not alice_api.get("/api/v1/posts/").has_header("ETag")  # a list is not one object


def test_the_second_patch_with_the_first_etag_is_a_412_and_the_first_write_stays(two, post):
    crm, scheduler = two
    url = f"/api/v1/posts/{post.pk}/"
    tag = _etag(crm.get(url))
    assert _etag(scheduler.get(url)) == tag

    won = crm.patch(url, {"text": "From the CRM"}, format="json", HTTP_IF_MATCH=tag)
    assert won.status_code == 200, won.json()
    lost = scheduler.patch(url, {"text": "From the scheduler"}, format="json", HTTP_IF_MATCH=tag)
    assert lost.status_code == 412
    assert _error(lost)["code"] == "precondition_failed"
    assert won["ETag"] in _error(lost)["message"]  # it names the tag to read again
    assert reload(post).text == "From the CRM" and reload(post).version == 2

    again = scheduler.patch(
        url, {"text": "From the scheduler"}, format="json", HTTP_IF_MATCH=won["ETag"]
    )
    assert again.status_code == 200 and reload(post).text == "From the scheduler"


def test_if_match_star_passes_and_a_list_of_tags_passes_when_one_is_current(alice_api, post):
    url = f"/api/v1/posts/{post.pk}/"
    star = alice_api.patch(url, {"text": "Any"}, format="json", HTTP_IF_MATCH="*")
    assert star.status_code == 200
    listed = alice_api.patch(
        url, {"text": "Listed"}, format="json", HTTP_IF_MATCH=f'"stale", W/{star["ETag"]}'
    )
    assert listed.status_code == 200, listed.json()


def test_a_stale_body_version_is_a_409_that_names_the_current_version(two, post):
    crm, scheduler = two
    url = f"/api/v1/posts/{post.pk}/"
    version = crm.get(url).json()["version"]
    assert (
        crm.patch(url, {"text": "From the CRM", "version": version}, format="json").status_code
        == 200
    )
    stale = scheduler.patch(url, {"text": "Overwrite?", "version": version}, format="json")
    assert stale.status_code == 409
    error = _error(stale)
    assert error["code"] == "stale_version"
    assert error["fields"]["version"] == ["The current version is 2."]
    assert "version 2" in error["message"]
    assert reload(post).text == "From the CRM"
    fresh = scheduler.patch(url, {"text": "Now mine", "version": 2}, format="json")
    assert fresh.status_code == 200 and fresh.json()["version"] == 3


def test_a_variant_patch_with_a_stale_content_version_is_a_409(alice_api, post):
    variant = PostVariant.objects.for_org(post.organization_id).get(post=post)
    url = f"/api/v1/variants/{variant.pk}/"
    seen = alice_api.get(url).json()["content_version"]
    alice_api.patch(f"/api/v1/posts/{post.pk}/", {"text": "Moved on"}, format="json")
    stale = alice_api.patch(url, {"text": "Mine", "content_version": seen}, format="json")
    assert stale.status_code == 409 and _error(stale)["code"] == "stale_version"
    assert _error(stale)["fields"]["version"] == [f"The current version is {seen + 1}."]
    assert not reload(variant).text_overridden
    fresh = alice_api.patch(url, {"text": "Mine", "content_version": seen + 1}, format="json")
    assert fresh.status_code == 200 and fresh.json()["effective_text"] == "Mine"


def test_a_stale_if_match_stops_a_delete(alice_api, org_a, post):
    url = f"/api/v1/posts/{post.pk}/"
    tag = _etag(alice_api.get(url))
    alice_api.patch(url, {"title": "Renamed"}, format="json")
    assert alice_api.delete(url, HTTP_IF_MATCH=tag).status_code == 412
    assert Post.objects.for_org(org_a).filter(pk=post.pk).exists()
    current = _etag(alice_api.get(url))
    assert alice_api.delete(url, HTTP_IF_MATCH=current).status_code == 204


def test_a_stale_if_match_stops_a_variant_edit(alice_api, post):
    variant = PostVariant.objects.for_org(post.organization_id).get(post=post)
    url = f"/api/v1/variants/{variant.pk}/"
    tag = _etag(alice_api.get(url))
    assert alice_api.patch(url, {"text": "Own text"}, format="json").status_code == 200
    stale = alice_api.patch(url, {"text": "Other text"}, format="json", HTTP_IF_MATCH=tag)
    assert stale.status_code == 412 and _error(stale)["code"] == "precondition_failed"
    assert reload(variant).text == "Own text"


def test_the_posts_etag_guards_its_schedule_move_and_cancel(org_a, alice, alice_api, channel):
    post = make_post(org_a, alice, [channel])
    url = f"/api/v1/posts/{post.pk}/"
    at = (timezone.now() + timedelta(days=2)).replace(microsecond=0).isoformat()
    tag = _etag(alice_api.get(url))
    scheduled = alice_api.post(f"{url}schedule/", {"at": at}, format="json", HTTP_IF_MATCH=tag)
    assert scheduled.status_code == 200, scheduled.json()
    assert scheduled["ETag"] != tag and scheduled["ETag"] == _etag(alice_api.get(url))

    later = (timezone.now() + timedelta(days=3)).replace(microsecond=0).isoformat()
    for action, body in (("schedule", {"at": later}), ("move", {"at": later}), ("cancel", {})):
        stale = alice_api.post(f"{url}{action}/", body, format="json", HTTP_IF_MATCH=tag)
        assert stale.status_code == 412, (action, stale.json())
    assert reload(post).status == Post.Status.SCHEDULED
    assert reload(post).scheduled_at.isoformat() == at.replace("Z", "+00:00")

    cancelled = alice_api.post(f"{url}cancel/", {}, format="json", HTTP_IF_MATCH=scheduled["ETag"])
    assert cancelled.status_code == 200 and reload(post).status == Post.Status.CANCELLED


def test_another_organizations_post_is_a_404_whatever_the_if_match(org_b, bob_m, post):
    bob_api = api_client_for(bob_m)
    url = f"/api/v1/posts/{post.pk}/"
    assert bob_api.get(url).status_code == 404
    assert bob_api.patch(url, {"text": "x"}, format="json", HTTP_IF_MATCH="*").status_code == 404


def test_a_create_still_answers_its_location_and_an_etag(alice_api, channel):
    created = alice_api.post(
        "/api/v1/posts/", {"text": "New", "channels": [channel.pk]}, format="json"
    )
    assert created.status_code == 201
    assert created["Location"].endswith(f"/api/v1/posts/{created.json()['id']}/")
    assert created["ETag"] == _etag(alice_api.get(created["Location"]))


def test_the_schema_documents_if_match_the_412_and_the_etag():
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    one = schema["paths"]["/api/v1/posts/{id}/"]
    for method in ("patch", "delete"):
        names = [p["name"] for p in one[method]["parameters"]]
        assert "If-Match" in names and "412" in one[method]["responses"], method
    schedule = schema["paths"]["/api/v1/posts/{id}/schedule/"]["post"]
    assert "If-Match" in [p["name"] for p in schedule["parameters"]]
    assert "412" in schedule["responses"] and "ETag" in schedule["responses"]["200"]["headers"]
    assert "ETag" in one["get"]["responses"]["200"]["headers"]
    assert "412" not in schema["paths"]["/api/v1/posts/"]["post"]["responses"]
    from socialops.errors import ERROR_CODES

    assert "precondition_failed" in ERROR_CODES


@pytest.mark.skipif(
    __import__("django.db").db.connection.vendor != "postgresql",
    reason="concurrent writers need row locks (SQLite serializes whole-database writes)",
)
@pytest.mark.django_db(transaction=True)
def test_two_concurrent_patches_with_one_etag_end_as_one_200_and_one_412(org_a, alice_m, channel):
    """Both requests read the same ETag and PATCH at once: the compare happens under the row lock, so
    the second waits for the first to commit, then sees the new tag."""
    import threading

    from django.db import connections

    post = authoring.create_post(org_a, by=alice_m, text="Before", channels=[channel])
    url = f"/api/v1/posts/{post.pk}/"
    clients = [api_client_for(alice_m, name="one"), api_client_for(alice_m, name="two")]
    tag = _etag(clients[0].get(url))
    start, answers, errors = threading.Barrier(2), {}, []

    def send(index):
        try:
            start.wait(10)
            answers[index] = clients[index].patch(
                url, {"text": f"Writer {index}"}, format="json", HTTP_IF_MATCH=tag
            )
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=send, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert not errors, errors
    assert sorted(r.status_code for r in answers.values()) == [200, 412]
    (winner,) = [i for i, r in answers.items() if r.status_code == 200]
    post = reload(post)
    assert post.text == f"Writer {winner}" and post.version == 2


def test_if_none_match_with_the_current_etag_is_a_304_without_a_body(alice_api, alice_m, post):
    url = f"/api/v1/posts/{post.pk}/"
    tag = _etag(alice_api.get(url))
    unchanged = alice_api.get(url, HTTP_IF_NONE_MATCH=tag)
    assert unchanged.status_code == 304 and unchanged["ETag"] == tag and not unchanged.content
    assert "X-Request-ID" in unchanged
    assert alice_api.get(url, HTTP_IF_NONE_MATCH=f'"other", W/{tag}').status_code == 304
    assert alice_api.get(url, HTTP_IF_NONE_MATCH="*").status_code == 304
    assert alice_api.get(url, HTTP_IF_NONE_MATCH='"other"').status_code == 200
    authoring.update_post(post, by=alice_m, text="Changed words")
    changed = alice_api.get(url, HTTP_IF_NONE_MATCH=tag)
    assert changed.status_code == 200 and changed["ETag"] != tag
    assert changed.json()["text"] == "Changed words"
    # a list is not conditional; another organization's object is still a 404
    assert alice_api.get("/api/v1/posts/", HTTP_IF_NONE_MATCH=tag).status_code == 200


def test_if_none_match_does_not_reveal_another_organizations_object(org_b, bob_m, post):
    tag = '"anything"'
    other = api_client_for(bob_m)
    assert other.get(f"/api/v1/posts/{post.pk}/", HTTP_IF_NONE_MATCH="*").status_code == 404
    assert other.get(f"/api/v1/posts/{post.pk}/", HTTP_IF_NONE_MATCH=tag).status_code == 404
