"""The media library pages: upload by content, details with renditions, focal point, alt text, delete."""

from __future__ import annotations

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from publishing.models import MediaAsset, Post, PostMedia

from .media_factories import image_bytes, media_root, upload, video_bytes  # noqa: F401


def _url(name, org, **kw):
    return reverse(name, kwargs={"org_slug": org.slug, **kw})


def test_uploading_a_pdf_named_jpg_on_the_page_shows_the_reason(alice_client, org_a):
    response = alice_client.post(
        _url("media_list", org_a),
        {"file": SimpleUploadedFile("photo.jpg", b"%PDF-1.4 x", content_type="image/jpeg")},
    )
    assert response.status_code == 400
    assert "photo.jpg is not an image: it is a PDF document." in response.content.decode()
    assert not MediaAsset.objects.for_org(org_a).exists()


def test_uploading_an_image_on_the_page_opens_its_details(
    alice_client, org_a, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as after_commit:
        response = alice_client.post(
            _url("media_list", org_a),
            {
                "file": SimpleUploadedFile(
                    "team.jpg", image_bytes(1200, 900), content_type="image/jpeg"
                ),
                "alt_text": "The team at the launch",
            },
        )
    asset = MediaAsset.objects.for_org(org_a).get()
    assert response.status_code == 302 and response["Location"] == _url(
        "media_detail", org_a, asset_id=asset.pk
    )
    # the renditions are made by a worker after the upload commits: until then, "being prepared"
    assert "being prepared" in alice_client.get(response["Location"]).content.decode()
    assert (
        "renditions being prepared" in alice_client.get(_url("media_list", org_a)).content.decode()
    )
    for callback in after_commit:
        callback()  # the make_renditions task (eager in tests)
    page = alice_client.get(response["Location"]).content.decode()
    assert "team.jpg" in page and "The team at the launch" in page
    for preset in ("feed_4_5", "square", "link_1_91", "landscape_16_9", "story_9_16"):
        assert _url("media_rendition", org_a, asset_id=asset.pk, preset=preset) in page
    assert (
        "js/focal.js" in page and "<script>" not in page
    )  # the picker is vendored JS, no inline script


def test_the_library_lists_assets_with_facts_and_uses(alice_client, org_a, alice_m):
    image = upload(org_a, alice_m, image_bytes(1200, 900), "launch.jpg").asset
    upload(org_a, alice_m, video_bytes(), "teaser.mp4")
    post = Post.objects.create(organization=org_a, text="Launch day")
    PostMedia.objects.create(organization=org_a, post=post, asset=image)
    page = alice_client.get(_url("media_list", org_a)).content.decode()
    assert "launch.jpg" in page and "teaser.mp4" in page
    assert "1200 × 900" in page and "320 × 240" in page
    assert "used in 1 post" in page
    assert _url("media_thumbnail", org_a, asset_id=image.pk) in page
    only_video = alice_client.get(_url("media_list", org_a) + "?kind=video").content.decode()
    assert "teaser.mp4" in only_video and "launch.jpg" not in only_video
    detail = alice_client.get(_url("media_detail", org_a, asset_id=image.pk)).content.decode()
    assert "Launch day" in detail


def test_thumbnails_and_files_are_served_to_members_only(
    alice_client, org_a, alice_m, org_b, bob_m
):
    mine = upload(org_a, alice_m, image_bytes(800, 600), "mine.jpg").asset
    theirs = upload(org_b, bob_m, image_bytes(800, 600, color=(9, 9, 9)), "theirs.jpg").asset
    response = alice_client.get(_url("media_thumbnail", org_a, asset_id=mine.pk))
    assert response.status_code == 200 and response["Content-Type"] == "image/jpeg"
    assert response["Cache-Control"].startswith("private")
    video = upload(org_a, alice_m, video_bytes(), "v.mp4").asset
    assert alice_client.get(_url("media_thumbnail", org_a, asset_id=video.pk)).status_code == 200
    # another organization's thumbnail, asked for under either slug, is a 404
    assert alice_client.get(_url("media_thumbnail", org_a, asset_id=theirs.pk)).status_code == 404
    assert alice_client.get(_url("media_thumbnail", org_b, asset_id=theirs.pk)).status_code == 404
    assert alice_client.get(_url("media_original", org_a, asset_id=theirs.pk)).status_code == 404
    assert (
        alice_client.get(
            _url("media_rendition", org_a, asset_id=theirs.pk, preset="square")
        ).status_code
        == 404
    )


def test_the_focal_point_form_moves_the_point_without_javascript(alice_client, org_a, alice_m):
    asset = upload(org_a, alice_m, image_bytes(1200, 900), "f.jpg").asset
    old = set(asset.renditions.values_list("file", flat=True))
    response = alice_client.post(
        _url("media_focal", org_a, asset_id=asset.pk), {"focal_x": "0.2", "focal_y": "0.7"}
    )
    assert response.status_code == 302
    asset.refresh_from_db()
    assert (asset.focal_x, asset.focal_y) == (0.2, 0.7)
    assert not old & set(asset.renditions.values_list("file", flat=True))
    bad = alice_client.post(
        _url("media_focal", org_a, asset_id=asset.pk), {"focal_x": "2", "focal_y": "0.5"}
    )
    assert bad.status_code == 400


def test_alt_text_is_edited_on_the_detail_page(alice_client, org_a, alice_m):
    asset = upload(org_a, alice_m, image_bytes(600, 600), "a.jpg").asset
    response = alice_client.post(
        _url("media_detail", org_a, asset_id=asset.pk), {"alt_text": "A bowl of noodles"}
    )
    assert response.status_code == 302
    asset.refresh_from_db()
    assert asset.alt_text == "A bowl of noodles"


def test_a_viewer_sees_the_library_but_cannot_change_it(client, org_a, alice_m, vera):
    asset = upload(org_a, alice_m, image_bytes(600, 600), "a.jpg").asset
    client.force_login(vera)
    assert client.get(_url("media_list", org_a)).status_code == 200
    assert client.get(_url("media_detail", org_a, asset_id=asset.pk)).status_code == 200
    upload_attempt = client.post(
        _url("media_list", org_a), {"file": SimpleUploadedFile("x.jpg", image_bytes(300, 300))}
    )
    assert upload_attempt.status_code == 403
    assert client.post(_url("media_delete", org_a, asset_id=asset.pk)).status_code == 403
    assert (
        client.post(
            _url("media_focal", org_a, asset_id=asset.pk), {"focal_x": 0, "focal_y": 0}
        ).status_code
        == 403
    )


def test_deleting_is_refused_while_a_scheduled_post_uses_the_file(alice_client, org_a, alice_m):
    asset = upload(org_a, alice_m, image_bytes(600, 600), "busy.jpg").asset
    post = Post.objects.create(
        organization=org_a, title="Friday promo", status=Post.Status.SCHEDULED
    )
    PostMedia.objects.create(organization=org_a, post=post, asset=asset)
    response = alice_client.post(_url("media_delete", org_a, asset_id=asset.pk), follow=True)
    assert (
        "busy.jpg is used by a post that is scheduled or on its way: “Friday promo”"
        in response.content.decode()
    )
    assert MediaAsset.objects.for_org(org_a).filter(pk=asset.pk).exists()


def test_deleting_an_asset_used_only_by_a_draft_detaches_it(
    alice_client, org_a, alice_m, django_capture_on_commit_callbacks
):
    from django.core.files.storage import default_storage

    asset = upload(org_a, alice_m, image_bytes(600, 600), "old.jpg").asset
    files = [asset.file.name, *asset.renditions.values_list("file", flat=True)]
    draft = Post.objects.create(organization=org_a, title="Idea")
    PostMedia.objects.create(organization=org_a, post=draft, asset=asset)
    with django_capture_on_commit_callbacks(execute=True):
        response = alice_client.post(_url("media_delete", org_a, asset_id=asset.pk))
    assert response.status_code == 302 and response["Location"] == _url("media_list", org_a)
    assert not MediaAsset.objects.for_org(org_a).exists()
    assert not PostMedia.objects.for_org(org_a).exists()
    assert not any(default_storage.exists(name) for name in files)


def test_the_library_page_costs_the_same_few_queries_however_many_assets(
    alice_client, org_a, alice_m, django_assert_max_num_queries
):
    for i in range(6):
        upload(org_a, alice_m, image_bytes(320, 240, color=(0, i * 40, 0)), f"g{i}.jpg")
    with django_assert_max_num_queries(12):
        response = alice_client.get(_url("media_list", org_a))
    assert response.content.decode().count('class="media-card"') == 6
