"""Bulk scheduling from CSV: all or nothing, with a report naming every bad row."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from publishing.models import Post, PostVariant
from publishing.posts import services as authoring
from publishing.posts.csv_import import import_posts_csv
from tests.channels.factories import bulk_channels, connect_sandbox

HEADER = "channel,text,scheduled_at,timezone,link,first_comment,campaign\n"


@pytest.fixture
def channels(org_a, alice_m):
    (sandbox,) = connect_sandbox(org_a, alice_m, ["sbx-kitchen"], timezone_name="Asia/Jakarta")
    (x,) = bulk_channels(org_a, 1, provider="x", handle="alpha_x", name="Alpha on X")
    authoring.create_campaign(org_a, by=alice_m, name="Lebaran", utm_campaign="lebaran")
    return sandbox, x


def _day(n=3):
    return (timezone.now() + timedelta(days=n)).date().isoformat()


def _upload(client, org, content: bytes):
    return client.post(
        reverse("post_import", args=[org.slug]),
        {"file": SimpleUploadedFile("posts.csv", content, content_type="text/csv")},
    )


@pytest.mark.django_db
def test_a_valid_file_creates_and_schedules_every_row(alice_client, org_a, channels):
    sandbox, x = channels
    day = _day()
    rows = (
        HEADER
        + f"@nusantara.kitchen,Pagi #kopi,{day} 09:00,,https://alpha.example/a,Order here,Lebaran\n"
        + f'{x.pk},"Hello, X",{day}T10:30:00+00:00,UTC,,,\n'
    )
    response = _upload(alice_client, org_a, ("\ufeff" + rows).encode("utf-8"))  # with a BOM
    assert response.status_code == 302
    posts = list(Post.objects.for_org(org_a).order_by("pk"))
    assert [p.status for p in posts] == [Post.Status.SCHEDULED, Post.Status.SCHEDULED]
    y, m, d = map(int, day.split("-"))
    assert posts[0].scheduled_at == datetime(
        y, m, d, 2, 0, tzinfo=UTC
    )  # the channel's zone: Asia/Jakarta
    assert posts[0].campaign.name == "Lebaran" and posts[0].first_comment == "Order here"
    assert posts[1].scheduled_at == datetime(y, m, d, 10, 30, tzinfo=UTC)
    assert (
        PostVariant.objects.for_org(org_a).filter(status=PostVariant.Status.SCHEDULED).count() == 2
    )


@pytest.mark.django_db
def test_wrong_columns_are_refused_listing_the_expected_ones(alice_client, org_a, channels):
    response = _upload(alice_client, org_a, b"account,message,when\nx,hi,2030-01-01 09:00\n")
    body = response.content.decode()
    assert response.status_code == 400
    assert (
        "Expected columns: channel, text, scheduled_at, timezone, link, first_comment, campaign"
        in body
    )
    assert "missing: channel, text, scheduled_at" in body
    assert Post.objects.for_org(org_a).count() == 0


@pytest.mark.django_db
def test_a_file_that_is_not_utf8_is_refused(alice_client, org_a, channels):
    content = (HEADER + f"@nusantara.kitchen,Café crème,{_day()} 09:00,,,,\n").encode("latin-1")
    response = _upload(alice_client, org_a, content)
    assert response.status_code == 400 and "not UTF-8" in response.content.decode()
    assert Post.objects.for_org(org_a).count() == 0


@pytest.mark.django_db
def test_bad_rows_import_nothing_and_every_one_is_reported(org_a, alice_m, channels):
    day = _day()
    content = (
        HEADER
        + f"@nusantara.kitchen,Good row,{day} 09:00,,,,\n"  # line 2: fine
        + f"@nobody,Who?,{day} 09:00,,,,\n"  # line 3: unknown channel
        + f"@alpha_x,{'x' * 300},{day} 09:00,,,,\n"  # line 4: too long for X
        + "@nusantara.kitchen,Old,2020-01-01 09:00,,,,\n"  # line 5: in the past
        + f"@nusantara.kitchen,Zone,{day} 09:00,Mars/Olympus,,,\n"  # line 6: bad zone
        + f"@nusantara.kitchen,Camp,{day} 09:00,,notalink,,Nope\n"
    )  # line 7: bad link, unknown campaign
    report = import_posts_csv(org_a, by=alice_m, data=content.encode())
    assert not report.ok
    lines = {r.line: " ".join(r.errors) for r in report.rows}
    assert sorted(lines) == [3, 4, 5, 6, 7]
    assert "“@nobody” was not found" in lines[3]
    assert "X @alpha_x: the text is 300 characters" in lines[4]
    assert "in the past" in lines[5]
    assert "Mars/Olympus" in lines[6]
    assert "notalink" in lines[7] and "“Nope” does not exist" in lines[7]
    assert Post.objects.for_org(org_a).count() == 0


@pytest.mark.django_db
def test_the_upload_page_shows_the_row_report(alice_client, org_a, channels):
    response = _upload(
        alice_client, org_a, (HEADER + f"@nobody,Who?,{_day()} 09:00,,,,\n").encode()
    )
    body = response.content.decode()
    assert response.status_code == 400 and "Nothing was imported." in body and "Row 2:" in body


@pytest.mark.django_db
def test_a_viewer_cannot_import(client, org_a, vera, channels):
    client.force_login(vera)
    assert client.get(reverse("post_import", args=[org_a.slug])).status_code == 403
