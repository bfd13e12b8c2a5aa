"""/api/v1/media/: upload (multipart), list, retrieve with renditions, patch, delete; org-scoped."""

from __future__ import annotations

from django.core.files.uploadedfile import SimpleUploadedFile

from publishing.models import MediaAsset, Post, PostMedia

from .media_factories import image_bytes, media_root, upload, video_bytes  # noqa: F401


def test_uploading_through_the_api_stores_once_and_returns_renditions(
    alice_api, org_a, django_capture_on_commit_callbacks
):
    data = image_bytes(1600, 1200)
    with django_capture_on_commit_callbacks(execute=True):
        first = alice_api.post(
            "/api/v1/media/",
            {"file": SimpleUploadedFile("a.jpg", data), "alt_text": "Alt"},
            format="multipart",
        )
    assert first.status_code == 201, first.content
    body = first.json()
    assert body["kind"] == "image" and body["width"] == 1600 and body["alt_text"] == "Alt"
    assert body["renditions"] == []  # made by a worker once the upload commits …
    made = alice_api.get(f"/api/v1/media/{body['id']}/").json()  # … (the eager task ran on commit)
    assert {r["preset"] for r in made["renditions"]} == {
        "feed_4_5",
        "square",
        "link_1_91",
        "landscape_16_9",
        "story_9_16",
    }
    again = alice_api.post(
        "/api/v1/media/", {"file": SimpleUploadedFile("b.jpg", data)}, format="multipart"
    )
    assert again.status_code == 200 and again.json()["id"] == body["id"]
    assert MediaAsset.objects.for_org(org_a).count() == 1


def test_a_file_that_is_not_what_its_name_says_gets_a_400_naming_it(alice_api):
    response = alice_api.post(
        "/api/v1/media/",
        {"file": SimpleUploadedFile("clip.mp4", b"not a video at all")},
        format="multipart",
    )
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["message"].startswith("clip.mp4 is not a video we can read")
    assert error["fields"]["file"] == [error["message"]]


def test_list_retrieve_patch_and_delete(alice_api, org_a, alice_m):
    image = upload(org_a, alice_m, image_bytes(1200, 900), "p.jpg").asset
    video = upload(org_a, alice_m, video_bytes(), "v.mp4").asset
    listed = alice_api.get("/api/v1/media/").json()
    assert {row["id"] for row in listed["results"]} == {image.pk, video.pk}
    assert len(alice_api.get("/api/v1/media/?kind=video").json()["results"]) == 1
    got = alice_api.get(f"/api/v1/media/{video.pk}/").json()
    assert got["duration_seconds"] > 0 and got["renditions"] == []

    patched = alice_api.patch(
        f"/api/v1/media/{image.pk}/",
        {"alt_text": "Chef at work", "focal_x": 0.25, "focal_y": 0.75},
        format="json",
    )
    assert patched.status_code == 200, patched.content
    assert patched.json()["alt_text"] == "Chef at work"
    assert all(r["focal_x"] == 0.25 for r in patched.json()["renditions"])
    half = alice_api.patch(f"/api/v1/media/{image.pk}/", {"focal_x": 0.5}, format="json")
    assert half.status_code == 400

    post = Post.objects.create(organization=org_a, title="Soon", status=Post.Status.SCHEDULED)
    PostMedia.objects.create(organization=org_a, post=post, asset=image)
    refused = alice_api.delete(f"/api/v1/media/{image.pk}/")
    assert refused.status_code == 409 and "Soon" in refused.json()["error"]["message"]
    assert alice_api.delete(f"/api/v1/media/{video.pk}/").status_code == 204
    assert not MediaAsset.objects.for_org(org_a).filter(pk=video.pk).exists()


def test_another_organizations_media_is_a_404(alice_api, org_b, bob_m):
    theirs = upload(org_b, bob_m, image_bytes(500, 500), "theirs.jpg").asset
    assert alice_api.get("/api/v1/media/").json()["results"] == []
    for method in ("get", "patch", "delete"):
        assert getattr(alice_api, method)(f"/api/v1/media/{theirs.pk}/").status_code == 404


def test_the_list_costs_the_same_few_queries_however_many_assets(
    alice_api, org_a, alice_m, django_assert_max_num_queries
):
    for i in range(4):
        upload(org_a, alice_m, image_bytes(320, 240, color=(i * 50, 0, 0)), f"p{i}.jpg")
    with django_assert_max_num_queries(6):
        response = alice_api.get("/api/v1/media/")
    assert len(response.json()["results"]) == 4
    assert all(len(row["renditions"]) == 5 for row in response.json()["results"])
    assert response.json()["results"][0]["renditions"][0]["url"].startswith("/o/alpha/media/")


def test_a_media_patch_is_all_or_nothing(alice_api, org_a, alice_m):
    """Alt text and focal point in one PATCH are one service call: a video has no focal point, so
    its alt text is not changed either."""
    video = upload(org_a, alice_m, video_bytes(), "v.mp4").asset
    refused = alice_api.patch(
        f"/api/v1/media/{video.pk}/",
        {"alt_text": "Steam rising", "focal_x": 0.2, "focal_y": 0.3},
        format="json",
    )
    assert refused.status_code == 400
    video.refresh_from_db()
    assert video.alt_text == ""
