"""/api/v1/posts/ and /api/v1/variants/: create, change, delete drafts; one error shape; other orgs are 404."""

from __future__ import annotations

import pytest

from publishing.models import Post, PostVariant
from publishing.posts import services as authoring
from tests.channels.factories import bulk_channels, connect_sandbox
from tests.conftest import api_client_for


@pytest.fixture
def channels(org_a, alice_m):
    (sandbox,) = connect_sandbox(org_a, alice_m, ["sbx-kitchen"])
    (x,) = bulk_channels(org_a, 1, provider="x", handle="alpha_x", name="Alpha on X")
    return sandbox, x


@pytest.mark.django_db
def test_a_post_is_created_patched_and_deleted_through_the_api(alice_api, org_a, channels):
    sandbox, x = channels
    created = alice_api.post(
        "/api/v1/posts/",
        {
            "text": "From the API #kopi",
            "channels": [sandbox.pk, x.pk],
            "link_url": "https://alpha.example",
            "variant_texts": {str(x.pk): "Short for X"},
        },
        format="json",
    )
    assert created.status_code == 201, created.json()
    body = created.json()
    assert body["status"] == "draft" and body["version"] == 1
    by_channel = {v["channel"]: v for v in body["variants"]}
    assert by_channel[sandbox.pk]["effective_text"] == "From the API #kopi"
    assert (
        by_channel[x.pk]["text_overridden"] and by_channel[x.pk]["effective_text"] == "Short for X"
    )

    patched = alice_api.patch(f"/api/v1/posts/{body['id']}/", {"text": "Changed"}, format="json")
    assert patched.status_code == 200 and patched.json()["version"] == 2
    assert {v["channel"]: v["effective_text"] for v in patched.json()["variants"]} == {
        sandbox.pk: "Changed",
        x.pk: "Short for X",
    }

    variant_id = by_channel[x.pk]["id"]
    reset = alice_api.patch(f"/api/v1/variants/{variant_id}/", {"reset_text": True}, format="json")
    assert reset.status_code == 200 and reset.json()["effective_text"] == "Changed"
    story = alice_api.patch(
        f"/api/v1/variants/{by_channel[sandbox.pk]['id']}/", {"format": "story"}, format="json"
    )
    assert story.status_code == 400  # a story needs media
    assert story.json()["error"]["code"] == "invalid_variants"

    assert alice_api.delete(f"/api/v1/posts/{body['id']}/").status_code == 204
    assert Post.objects.for_org(org_a).count() == 0


@pytest.mark.django_db
def test_api_errors_use_the_one_error_shape_and_save_nothing(alice_api, org_a, channels):
    _sandbox, x = channels
    response = alice_api.post(
        "/api/v1/posts/", {"text": "x" * 281, "channels": [x.pk]}, format="json"
    )
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid_variants" and "X @alpha_x" in error["message"]
    assert error["fields"] == {
        f"channel_{x.pk}": [error["message"].removeprefix("Nothing was saved. ")]
    }
    assert alice_api.post("/api/v1/posts/", {"text": "no channels"}, format="json").json()["error"][
        "fields"
    ] == {"channels": ["This field is required."]}
    assert Post.objects.for_org(org_a).count() == 0


@pytest.mark.django_db
def test_another_organizations_posts_and_channels_are_not_found(
    alice_api, org_a, org_b, bob_m, channels
):
    (bravo_channel,) = connect_sandbox(org_b, bob_m, ["sbx-kopi"])
    bravo_post = authoring.create_post(org_b, by=bob_m, text="Bravo only", channels=[bravo_channel])
    bravo_variant = PostVariant.objects.for_org(org_b).get()
    assert alice_api.get(f"/api/v1/posts/{bravo_post.pk}/").status_code == 404
    assert (
        alice_api.patch(f"/api/v1/posts/{bravo_post.pk}/", {"text": "x"}, format="json").status_code
        == 404
    )
    assert alice_api.delete(f"/api/v1/posts/{bravo_post.pk}/").status_code == 404
    assert alice_api.get(f"/api/v1/variants/{bravo_variant.pk}/").status_code == 404
    assert "Bravo only" not in alice_api.get("/api/v1/posts/").content.decode()
    refused = alice_api.post(
        "/api/v1/posts/", {"text": "Sneaky", "channels": [bravo_channel.pk]}, format="json"
    )
    assert refused.status_code == 400 and refused.json()["error"]["fields"] == {
        "channels": ["Choose valid channels."]
    }


@pytest.mark.django_db
def test_a_restricted_channel_the_person_cannot_see_is_not_found(org_a, alice_m, channels):
    from accounts.capabilities import Role
    from tests import factories as f

    sandbox, _x = channels
    sandbox.access = sandbox.Access.RESTRICTED
    sandbox.save()
    pat = f.add_member(org_a, f.make_user("pat@alpha.test"), Role.PUBLISHER)
    response = api_client_for(pat).post(
        "/api/v1/posts/", {"text": "Hi", "channels": [sandbox.pk]}, format="json"
    )
    assert response.status_code == 400 and response.json()["error"]["fields"] == {
        "channels": ["Choose valid channels."]
    }


@pytest.mark.django_db
def test_a_published_post_cannot_be_edited_or_deleted(alice_api, org_a, alice_m, channels):
    sandbox, _x = channels
    post = authoring.create_post(org_a, by=alice_m, text="Out", channels=[sandbox])
    Post.objects.for_org(org_a).filter(pk=post.pk).update(status=Post.Status.PUBLISHED)
    assert (
        alice_api.patch(f"/api/v1/posts/{post.pk}/", {"text": "x"}, format="json").status_code
        == 409
    )
    assert alice_api.delete(f"/api/v1/posts/{post.pk}/").status_code == 409


@pytest.mark.django_db
def test_a_variant_patch_is_all_or_nothing(alice_api, org_a, channels):
    """Text and format in one PATCH are one service call: a format refused keeps the old text."""
    sandbox, _x = channels
    created = alice_api.post(
        "/api/v1/posts/", {"text": "Kopi", "channels": [sandbox.pk]}, format="json"
    ).json()
    variant_id = created["variants"][0]["id"]
    refused = alice_api.patch(
        f"/api/v1/variants/{variant_id}/",
        {"text": "Its own text", "format": "story"},
        format="json",
    )
    assert refused.status_code == 400  # a story needs media
    variant = PostVariant.objects.for_org(org_a).get(pk=variant_id)
    assert (variant.text, variant.text_overridden, variant.format) == ("", False, "post")
    assert Post.objects.for_org(org_a).get().version == 1
