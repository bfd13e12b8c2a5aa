"""The same bytes are stored once per organization (sha256), under the organization's folder."""

from __future__ import annotations

import os

from django.core.files.storage import default_storage

from publishing.models import MediaAsset, MediaRendition

from .media_factories import image_bytes, media_root, upload  # noqa: F401


def test_the_same_jpeg_uploaded_twice_is_one_asset(org_a, alice_m, media_root):  # noqa: F811
    data = image_bytes(1200, 900, dot=(0.3, 0.3))
    first = upload(org_a, alice_m, data, "launch.jpg")
    second = upload(org_a, alice_m, data, "launch-copy.jpg")
    assert first.created and not second.created
    assert first.asset.pk == second.asset.pk
    assert MediaAsset.objects.for_org(org_a).count() == 1
    stored = [
        n for _root, _dirs, files in os.walk(media_root / f"org/{org_a.pk}/media") for n in files
    ]
    assert len(stored) == 1
    assert first.asset.file.name.startswith(f"org/{org_a.pk}/media/")
    assert MediaRendition.objects.for_org(org_a).filter(asset=first.asset).count() == 5


def test_a_valid_png_is_stored_with_its_facts(org_a, alice_m):
    asset = upload(
        org_a, alice_m, image_bytes(640, 480, fmt="PNG"), "chart.png", alt_text="Sales chart"
    ).asset
    assert (asset.kind, asset.mime_type, asset.width, asset.height) == (
        "image",
        "image/png",
        640,
        480,
    )
    assert asset.alt_text == "Sales chart"
    assert asset.uploaded_by == alice_m.user
    assert len(asset.sha256) == 64
    assert default_storage.exists(asset.file.name)


def test_another_organization_uploading_the_same_bytes_gets_its_own_asset(
    org_a, alice_m, org_b, bob_m
):
    data = image_bytes(700, 700)
    a = upload(org_a, alice_m, data, "same.jpg").asset
    b = upload(org_b, bob_m, data, "same.jpg").asset
    assert a.pk != b.pk and a.sha256 == b.sha256
    assert b.file.name.startswith(f"org/{org_b.pk}/")


def test_an_upload_is_recorded_in_the_audit_log(org_a, alice_m):
    from socialops.audit.models import AuditEvent

    asset = upload(org_a, alice_m, image_bytes(300, 300), "audit.jpg").asset
    event = AuditEvent.objects.for_org(org_a).filter(action="media.uploaded").get()
    assert event.object_id == str(asset.pk)
    assert event.changes["sha256"] == asset.sha256
