"""Issue 13 (5): a variant text or format for a channel the post does not go to is refused (400, keyed
``variant_texts.<id>``), on create and on PATCH, and nothing is written; a hidden channel of the post is
"not one of its channels" to whoever cannot see it."""

from __future__ import annotations

import pytest

from accounts.capabilities import Role
from publishing.models import Post
from tests.channels.factories import bulk_channels, connect_sandbox

from ..factories import add_member, make_user
from .scheduler_factories import reload, variants_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def channels(org_a, alice_m):
    (sandbox,) = connect_sandbox(org_a, alice_m, ["sbx-kitchen"])
    (x,) = bulk_channels(org_a, 1, provider="x", handle="alpha_x", name="Alpha on X")
    return sandbox, x


def _create(api, body):
    return api.post("/api/v1/posts/", body, format="json")


def test_create_refuses_a_text_for_a_channel_not_in_the_post(alice_api, org_a, channels):
    sandbox, x = channels
    response = _create(
        alice_api, {"text": "Hi", "channels": [sandbox.pk], "variant_texts": {str(x.pk): "For X"}}
    )
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    assert list(error["fields"]) == [f"variant_texts.{x.pk}"]
    assert not Post.objects.for_org(org_a).exists()


def test_create_refuses_a_format_for_a_channel_not_in_the_post(alice_api, org_a, channels):
    sandbox, x = channels
    response = _create(
        alice_api, {"text": "Hi", "channels": [x.pk], "variant_formats": {str(sandbox.pk): "post"}}
    )
    assert response.status_code == 400
    assert list(response.json()["error"]["fields"]) == [f"variant_formats.{sandbox.pk}"]


def test_a_channel_id_that_does_not_exist_is_refused_too(alice_api, channels):
    sandbox, _x = channels
    response = _create(
        alice_api, {"text": "Hi", "channels": [sandbox.pk], "variant_texts": {"999999": "?"}}
    )
    assert response.status_code == 400
    assert list(response.json()["error"]["fields"]) == ["variant_texts.999999"]


def test_patch_refuses_a_text_for_a_channel_not_in_the_post_and_keeps_the_post(
    alice_api, org_a, channels
):
    sandbox, x = channels
    post_id = _create(alice_api, {"text": "Hi", "channels": [sandbox.pk]}).json()["id"]
    response = alice_api.patch(
        f"/api/v1/posts/{post_id}/",
        {"text": "Changed", "variant_texts": {str(x.pk): "For X"}},
        format="json",
    )
    assert response.status_code == 400
    assert list(response.json()["error"]["fields"]) == [f"variant_texts.{x.pk}"]
    post = Post.objects.for_org(org_a).get(pk=post_id)
    assert post.text == "Hi" and post.version == 1


def test_patch_takes_a_text_for_a_channel_it_adds_in_the_same_request(alice_api, org_a, channels):
    sandbox, x = channels
    post_id = _create(alice_api, {"text": "Hi", "channels": [sandbox.pk]}).json()["id"]
    response = alice_api.patch(
        f"/api/v1/posts/{post_id}/",
        {"channels": [sandbox.pk, x.pk], "variant_texts": {str(x.pk): "For X"}},
        format="json",
    )
    assert response.status_code == 200, response.json()
    texts = {v["channel"]: v["effective_text"] for v in response.json()["variants"]}
    assert texts == {sandbox.pk: "Hi", x.pk: "For X"}


def test_a_hidden_channel_of_the_post_is_not_the_callers_to_write(org_a, alice_m, channels):
    from channels_registry import services as channel_services
    from channels_registry.models import Channel
    from publishing.posts import services as authoring
    from tests.conftest import api_client_for

    sandbox, x = channels
    post = authoring.create_post(org_a, by=alice_m, text="Hi", channels=[sandbox, x])
    channel_services.set_channel_access(x, by=alice_m, access=Channel.Access.RESTRICTED)
    editor = add_member(org_a, make_user("pia@example.com"), role=Role.PUBLISHER)
    response = api_client_for(editor).patch(
        f"/api/v1/posts/{post.pk}/", {"variant_texts": {str(x.pk): "Sneaky"}}, format="json"
    )
    assert response.status_code == 400
    assert list(response.json()["error"]["fields"]) == [f"variant_texts.{x.pk}"]
    assert "Sneaky" not in [v.text for v in variants_of(reload(post))]
