"""A notification keeps what happened (template + plain parameters) and is rendered when read.

The bell's page and the API show it in the reader's language and zone of the moment they read it,
not in those of the day it was sent; rows from before keep their stored sentence.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.db import connection
from django.test import TestCase
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import Notification
from accounts.notifications import NotificationKind, notify
from tests.conftest import api_client_for

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True, scope="module")
def _catalogues_compiled():
    """The language tests read the Indonesian catalogue (``make`` compiles it; so does this)."""
    from django.utils.translation import trans_real

    from socialops.i18n import compile_catalogues

    if compile_catalogues():
        trans_real._translations = {}
        trans_real._default = None


DUE = datetime(2025, 3, 1, 23, 30, tzinfo=UTC)  # 06:30 the next day in Jakarta, 08:30 in Tokyo


def _approval_needed(org, user, title="Rendang week", **kw):
    """What approvals sends when a stage starts (the same template and parameters)."""
    with TestCase.captureOnCommitCallbacks(execute=True):
        return notify(
            org,
            recipients=[user],
            kind=NotificationKind.APPROVAL_REQUESTED,
            template="approvals_requested",
            context={
                "post_title": title,
                "stage_name": "Brand",
                "due_at": DUE,
                "on_behalf_of": "",
                "submitted_by": "Carl",
                "diff": False,
            },
            email_context={
                "approval_link": "http://testserver/a/s3cret-token/",
                "link_ttl_hours": 72,
                "post_text": "Fresh rendang every Friday",
            },
            url=f"/o/{org.slug}/approvals/requests/1/",
            **kw,
        )


def _list(client, org):
    return client.get(reverse("notification_list", args=[org.slug])).content.decode()


def test_a_notification_sent_in_english_reads_in_indonesian_after_the_switch(client, org_a, alice):
    _approval_needed(org_a, alice)
    client.force_login(alice)
    assert "Approval needed: Rendang week" in _list(client, org_a)

    client.post("/language/", {"language": "id", "next": "/o/alpha/"})  # the top bar's switch

    page = _list(client, org_a)
    assert "Persetujuan diperlukan: Rendang week" in page
    assert "Approval needed" not in page


def test_the_api_reads_it_in_the_readers_current_language(org_a, alice, alice_m):
    _approval_needed(org_a, alice)
    api = api_client_for(alice_m)
    assert api.get("/api/v1/notifications/").json()["results"][0]["title"] == (
        "Approval needed: Rendang week"
    )
    alice.language = "id"
    alice.save(update_fields=["language"])
    (row,) = api.get("/api/v1/notifications/").json()["results"]
    assert row["title"] == "Persetujuan diperlukan: Rendang week"
    assert "Mohon beri keputusan paling lambat" in row["body"]


def test_a_reader_without_a_saved_language_reads_in_the_language_of_the_request(org_a, alice_m):
    _approval_needed(org_a, alice_m.user)
    api = api_client_for(alice_m)
    (row,) = api.get("/api/v1/notifications/", HTTP_ACCEPT_LANGUAGE="id").json()["results"]
    assert row["title"] == "Persetujuan diperlukan: Rendang week"


def test_times_are_shown_in_the_zone_the_reader_has_when_reading(client, org_a, alice):
    org_a.timezone = "Asia/Jakarta"
    org_a.save(update_fields=["timezone"])
    _approval_needed(org_a, alice)
    client.force_login(alice)
    assert "Sun 2 Mar 2025, 06:30 WIB" in _list(
        client, org_a
    )  # the organization's zone: she chose none
    alice.timezone = "Asia/Tokyo"
    alice.save(update_fields=["timezone"])
    page = _list(client, org_a)
    # (the shown time, not a bare "06:30": the page's own <time datetime="…T06:06:30…"> of a
    # notification sent now can hold those characters at 06:06:30 in the morning)
    assert "Sun 2 Mar 2025, 08:30 JST" in page and "2025, 06:30" not in page


def test_what_is_stored_is_plain_data_without_the_emails_secrets(org_a, alice):
    from django.core import mail

    _approval_needed(org_a, alice)
    (stored,) = Notification.objects.for_org(org_a).values(
        "template", "params", "legacy_title", "legacy_body", "url"
    )
    assert stored["template"] == "approvals_requested"
    assert stored["params"]["post_title"] == "Rendang week"
    assert stored["params"]["due_at"] == {"__datetime__": "2025-03-01T23:30:00+00:00"}
    assert "s3cret" not in repr(stored) and "Fresh rendang" not in repr(stored)
    assert stored["legacy_title"] == "" and stored["legacy_body"] == ""  # no sentence is stored
    (message,) = mail.outbox  # the e-mail has them
    assert "http://testserver/a/s3cret-token/" in message.body


def test_notify_refuses_objects_and_naive_times_in_what_it_keeps(org_a, alice, alice_m):
    with pytest.raises(TypeError, match=r"context\['channel'\] is a Membership"):
        notify(
            org_a,
            recipients=[alice],
            kind=NotificationKind.COMMENT,
            template="generic",
            context={"title": "x", "channel": alice_m},
        )
    with pytest.raises(TypeError, match="naive datetime"):
        notify(
            org_a,
            recipients=[alice],
            kind=NotificationKind.COMMENT,
            template="generic",
            context={"title": "x", "when": datetime(2025, 1, 1)},  # noqa: DTZ001 - the point of the test
        )
    assert not Notification.objects.for_org(org_a).exists()


def test_notify_refuses_a_template_that_does_not_exist(org_a, alice):
    from django.template import TemplateDoesNotExist

    with pytest.raises(TemplateDoesNotExist):
        notify(org_a, recipients=[alice], kind=NotificationKind.COMMENT, template="no_such_thing")


def test_rows_stored_before_keep_their_sentence(client, org_a, alice, alice_m):
    Notification.objects.create(
        organization=org_a,
        recipient=alice,
        kind=NotificationKind.APPROVAL_REQUESTED,
        legacy_title="Approval needed: Old post",
        legacy_body="Carl asks you to approve “Old post” (stage: Brand).",
        url="/o/alpha/",
    )
    alice.language = "id"
    alice.save(update_fields=["language"])
    client.force_login(alice)
    page = _list(client, org_a)
    assert "Approval needed: Old post" in page and "Carl asks you to approve" in page
    (row,) = api_client_for(alice_m).get("/api/v1/notifications/").json()["results"]
    assert row["title"] == "Approval needed: Old post"


def test_a_row_that_cannot_be_rendered_any_more_shows_its_kind_and_breaks_nothing(
    client, org_a, alice, alice_m
):
    for template, params in (
        ("a_template_removed_since", {}),
        ("approvals_requested", {"due_at": {"__datetime__": "not a time"}}),
    ):
        Notification.objects.create(
            organization=org_a,
            recipient=alice,
            kind=NotificationKind.APPROVAL_REQUESTED,
            template=template,
            params=params,
        )
    client.force_login(alice)
    response = client.get(reverse("notification_list", args=[org_a.slug]))
    assert response.status_code == 200
    assert response.content.decode().count("Approval requested") >= 2
    titles = [
        r["title"] for r in api_client_for(alice_m).get("/api/v1/notifications/").json()["results"]
    ]
    assert titles == ["Approval requested", "Approval requested"]


def _mixed(org, user, actor, count):
    """Notifications of every template the apps send, plus old rows."""
    for i in range(count):
        kind = i % 4
        if kind == 0:
            _approval_needed(org, user, title=f"Post {i}", actor=actor)
        elif kind == 1:
            with TestCase.captureOnCommitCallbacks(execute=True):
                notify(
                    org,
                    recipients=[user],
                    kind=NotificationKind.PUBLISH_FAILED,
                    template="publish_failed",
                    context={
                        "post": f"Post {i}",
                        "channel": {"handle": "@kitchen", "name": "Kitchen", "provider": "sandbox"},
                        "reason": "Too long",
                    },
                    actor=actor,
                )
        elif kind == 2:
            with TestCase.captureOnCommitCallbacks(execute=True):
                notify(
                    org,
                    recipients=[user],
                    kind=NotificationKind.APPROVAL_DECIDED,
                    template="approvals_decided",
                    context={
                        "post_title": f"Post {i}",
                        "outcome": "scheduled",
                        "requested_at": DUE,
                        "reason": "",
                        "reason_code": "",
                        "comment": "",
                    },
                    actor=actor,
                )
        else:
            Notification.objects.create(
                organization=org,
                recipient=user,
                kind="comment",
                legacy_title=f"Old {i}",
                actor=actor,
            )


def test_the_list_page_renders_without_a_query_per_notification(
    client, org_a, alice, vera, django_assert_max_num_queries
):
    _mixed(org_a, alice, vera, 40)
    client.force_login(alice)
    url = reverse("notification_list", args=[org_a.slug])
    client.get(url)  # warm the session
    # session, user, organization, membership, unread count, page count, my organizations, the page
    with django_assert_max_num_queries(8):
        page = client.get(url).content.decode()
    assert page.count('class="notif card') == 30 and "Vera Viewer" in page
    assert "Approved and scheduled: Post" in page and "Approval needed: Post" in page


def test_the_api_list_renders_without_a_query_per_notification(org_a, alice, alice_m, vera):
    api = api_client_for(alice_m)

    def queries():
        with CaptureQueriesContext(connection) as ctx:
            assert api.get("/api/v1/notifications/").status_code == 200
        return len(ctx.captured_queries)

    _mixed(org_a, alice, vera, 4)
    queries()  # warm the token (its first use is recorded)
    few = queries()
    _mixed(org_a, alice, vera, 60)  # a full page of 50
    assert queries() == few <= 4  # token, membership, count, the page
