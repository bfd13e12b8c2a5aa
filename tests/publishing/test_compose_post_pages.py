"""The post list (filters, pinned query count), the post detail with each variant's state, and isolation."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from publishing.models import Post, PostVariant
from publishing.posts import services as authoring
from tests.channels.factories import bulk_channels, connect_sandbox


@pytest.mark.django_db
def test_the_post_list_filters_and_keeps_its_query_count_flat(alice_client, org_a, alice_m):
    channels = bulk_channels(org_a, 3)
    campaign = authoring.create_campaign(org_a, by=alice_m, name="Spring")
    url = reverse("post_list", args=[org_a.slug])

    def count_queries():
        with CaptureQueriesContext(connection) as ctx:
            assert alice_client.get(url).status_code == 200
        return len(ctx.captured_queries)

    authoring.create_post(org_a, by=alice_m, text="One", channels=channels[:1])
    count_queries()  # the first visit also stores the last organization in the session
    few = count_queries()
    for i in range(6):
        authoring.create_post(
            org_a, by=alice_m, text=f"Many {i}", channels=channels, campaign=campaign
        )
    assert count_queries() == few

    body = alice_client.get(url, {"campaign": campaign.pk}).content.decode()
    assert "Many 0" in body and ">One<" not in body
    body = alice_client.get(url, {"status": "scheduled"}).content.decode()
    assert "No post matches these filters." in body


@pytest.mark.django_db
def test_the_detail_shows_each_variant_state_the_live_link_and_the_failure_reason(
    alice_client, org_a, alice_m
):
    ok_channel, bad_channel = connect_sandbox(org_a, alice_m, ["sbx-kitchen", "sbx-promo"])
    post = authoring.create_post(
        org_a, by=alice_m, text="Watch it go", channels=[ok_channel, bad_channel]
    )
    variants = PostVariant.objects.for_org(org_a)
    variants.filter(channel=ok_channel).update(
        status="published", external_url="https://sandbox.example/p/1"
    )
    variants.filter(channel=bad_channel).update(
        status="failed", failure_reason="The network said no: spam filter"
    )
    Post.objects.for_org(org_a).filter(pk=post.pk).update(status=Post.Status.PARTIALLY_PUBLISHED)
    body = alice_client.get(reverse("post_detail", args=[org_a.slug, post.pk])).content.decode()
    assert "https://sandbox.example/p/1" in body and "The network said no: spam filter" in body
    failed = variants.get(channel=bad_channel)
    assert reverse("variant_retry", args=[org_a.slug, post.pk, failed.pk]) in body

    response = alice_client.post(reverse("variant_retry", args=[org_a.slug, post.pk, failed.pk]))
    assert response.status_code == 302
    failed.refresh_from_db()
    assert failed.status != PostVariant.Status.FAILED
    assert variants.get(channel=ok_channel).status == PostVariant.Status.PUBLISHED


@pytest.mark.django_db
def test_another_organizations_post_is_a_404_on_every_page(alice_client, org_a, org_b, bob_m):
    (channel,) = connect_sandbox(org_b, bob_m, ["sbx-kopi"])
    post = authoring.create_post(org_b, by=bob_m, text="Bravo only", channels=[channel])
    for name in ("post_detail", "post_edit", "post_localize"):
        assert alice_client.get(reverse(name, args=[org_a.slug, post.pk])).status_code == 404, name
    assert alice_client.post(reverse("post_delete", args=[org_a.slug, post.pk])).status_code == 404
    assert Post.objects.for_org(org_b).count() == 1


@pytest.mark.django_db
def test_a_draft_can_be_deleted_from_its_page(alice_client, org_a, alice_m):
    (channel,) = connect_sandbox(org_a, alice_m, ["sbx-kitchen"])
    post = authoring.create_post(org_a, by=alice_m, text="Bye", channels=[channel])
    assert alice_client.post(reverse("post_delete", args=[org_a.slug, post.pk])).status_code == 302
    assert Post.objects.for_org(org_a).count() == 0
