"""The bell, the notifications page and the settings page: one's own notifications, in one's zone."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import pytest
from django.test import TestCase, override_settings
from django.urls import reverse

from accounts.capabilities import Role
from accounts.models import Notification, NotificationPreference
from accounts.notifications import NotificationKind, notify, preferences_for
from tests import factories as f

pytestmark = pytest.mark.django_db


def _note(org, user, title="Rendang week was approved", url="/o/alpha/posts/", **kw):
    with TestCase.captureOnCommitCallbacks(execute=True):
        (n,) = notify(
            org,
            recipients=[user],
            kind=kw.pop("kind", NotificationKind.COMMENT),
            template="generic",
            context={"title": title, "message": kw.pop("message", "Body of " + title)},
            url=url,
            **kw,
        )
    return n


def _url(name, org, *args):
    return reverse(name, args=[org.slug, *args])


def test_the_header_bell_loads_its_count_through_htmx_without_inline_script(alice_client, org_a):
    page = alice_client.get(_url("org_home", org_a)).content.decode()
    assert 'id="notification-bell"' in page
    assert f'hx-get="{_url("notification_bell", org_a)}"' in page
    assert 'hx-trigger="load, every 60s"' in page
    assert f'href="{_url("notification_list", org_a)}"' in page
    assert "onclick" not in page and "<script>" not in page


def test_the_bell_partial_says_how_many_are_unread_in_words(alice_client, org_a, alice, vera):
    bell = alice_client.get(_url("notification_bell", org_a)).content.decode()
    assert "bell-count" not in bell and 'aria-label="Notifications, none unread"' in bell
    for i in range(3):
        _note(org_a, alice, title=f"N{i}")
    bell = alice_client.get(_url("notification_bell", org_a)).content.decode()
    assert 'aria-label="3 unread notifications"' in bell
    assert 'data-unread="3"' in bell
    assert 'hx-trigger="every 60s"' in bell
    _note(org_a, vera)  # someone else's
    assert 'data-unread="3"' in alice_client.get(_url("notification_bell", org_a)).content.decode()


def test_the_bell_counts_only_the_current_organization(client, org_a, org_b, alice, bob):
    f.add_member(org_b, alice, Role.VIEWER)
    _note(org_b, alice, title="In bravo")
    client.force_login(alice)
    assert "bell-count" not in client.get(_url("notification_bell", org_a)).content.decode()
    assert 'data-unread="1"' in client.get(_url("notification_bell", org_b)).content.decode()


def test_the_list_shows_newest_first_highlights_unread_and_uses_the_viewers_time_zone(
    alice_client, org_a, alice
):
    alice.timezone = "Asia/Jakarta"
    alice.save(update_fields=["timezone"])
    old = _note(org_a, alice, title="Older one")
    Notification.objects.for_org(org_a).filter(pk=old.pk).update(
        created_at=datetime(2025, 1, 1, 23, 30, tzinfo=UTC),
        read_at=datetime(2025, 1, 2, tzinfo=UTC),
    )
    _note(org_a, alice, title="Newer one")
    page = alice_client.get(_url("notification_list", org_a)).content.decode()
    assert page.index("Newer one") < page.index("Older one")
    assert page.count("notif card notif-unread") == 1
    # 23:30 UTC is 06:30 the next day in Jakarta
    assert 'datetime="2025-01-02T06:30:00+07:00"' in page
    assert "1 unread notification" in page


def test_opening_a_notification_marks_it_read_and_follows_its_link(alice_client, org_a, alice):
    n = _note(org_a, alice, url="/o/alpha/posts/?from=bell")
    response = alice_client.post(_url("notification_open", org_a, n.pk))
    assert response.status_code == 302 and response["Location"] == "/o/alpha/posts/?from=bell"
    n.refresh_from_db()
    assert n.read_at is not None


def test_opening_needs_a_post(alice_client, org_a, alice):
    n = _note(org_a, alice)
    assert alice_client.get(_url("notification_open", org_a, n.pk)).status_code == 405
    n.refresh_from_db()
    assert n.read_at is None


@pytest.mark.parametrize(
    "bad", ["https://evil.example/phish", "//evil.example/", "/\\evil.example"]
)
def test_a_link_off_site_is_never_followed(alice_client, org_a, alice, bad):
    n = _note(org_a, alice, url=bad)
    assert n.url == ""
    Notification.objects.for_org(org_a).filter(pk=n.pk).update(url=bad)  # even if one got stored
    response = alice_client.post(_url("notification_open", org_a, n.pk))
    assert response["Location"] == _url("notification_list", org_a)


def test_someone_elses_notification_is_a_404(client, org_a, alice, vera):
    n = _note(org_a, alice)
    client.force_login(vera)
    assert client.post(_url("notification_open", org_a, n.pk)).status_code == 404
    n.refresh_from_db()
    assert n.read_at is None


def test_mark_all_read_marks_only_mine_in_this_organization(client, org_a, org_b, alice, vera):
    f.add_member(org_b, alice, Role.VIEWER)
    _note(org_a, alice)
    _note(org_a, alice)
    other = _note(org_a, vera)
    bravo = _note(org_b, alice)
    client.force_login(alice)
    response = client.post(_url("notification_read_all", org_a))
    assert response.status_code == 302
    assert (
        not Notification.objects.for_org(org_a)
        .filter(recipient=alice, read_at__isnull=True)
        .exists()
    )
    other.refresh_from_db()
    bravo.refresh_from_db()
    assert other.read_at is None and bravo.read_at is None


def test_the_list_is_paginated_with_a_fixed_number_of_queries(
    alice_client, org_a, alice, vera, django_assert_max_num_queries
):
    for i in range(35):
        _note(org_a, alice, title=f"Note {i:02}", actor=vera)
    url = _url("notification_list", org_a)
    alice_client.get(url)  # warm the session
    # session, user, organization, membership, unread count, page count, my organizations, the page
    with django_assert_max_num_queries(8):
        page = alice_client.get(url).content.decode()
    assert page.count('class="notif card') == 30 and "Vera Viewer" in page
    assert page.count('class="notif card', 0) == 30
    second = alice_client.get(url, {"page": 2}).content.decode()
    assert second.count('class="notif card') == 5


def test_the_settings_page_saves_a_choice_per_kind_for_this_organization(
    client, org_a, org_b, alice
):
    f.add_member(org_b, alice, Role.VIEWER)
    client.force_login(alice)
    page = client.get(_url("notification_settings", org_a)).content.decode()
    assert 'name="publish_failed__email"' in page and "Publishing failures" in page
    data = {f"{k}__in_app": "on" for k in NotificationKind.values}
    data["comment__email"] = "on"
    del data["mention__in_app"]
    response = client.post(_url("notification_settings", org_a), data)
    assert response.status_code == 302
    prefs = preferences_for(org_a, alice)
    assert prefs[NotificationKind.MENTION] == (False, False)
    assert prefs[NotificationKind.COMMENT] == (True, True)
    assert prefs[NotificationKind.PUBLISH_FAILED] == (True, False)
    assert NotificationPreference.objects.for_org(org_b).count() == 0
    page = client.get(_url("notification_settings", org_a)).content.decode()
    assert (
        'name="comment__email" id="id_comment__email" aria-labelledby="kind-comment col-email-comment" checked'
        in page
    )


def test_pages_are_translated(client, org_a, alice):
    alice.language = "id"
    alice.save(update_fields=["language"])
    client.force_login(alice)
    page = client.get(_url("notification_list", org_a)).content.decode()
    assert '<html lang="id">' in page


@override_settings(SESSION_IDLE_TIMEOUT=600)
def test_the_bells_polling_does_not_keep_an_idle_session_alive(client, org_a, alice):
    client.force_login(alice)
    client.get(_url("org_home", org_a))
    session = client.session
    session["_seen_at"] = time.time() - 300
    session.save()
    poll = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TRIGGER": "notification-bell"}
    assert client.get(_url("notification_bell", org_a), **poll).status_code == 200
    assert time.time() - client.session["_seen_at"] >= 299  # not counted as activity
    session = client.session
    session["_seen_at"] = time.time() - 700
    session.save()
    response = client.get(_url("notification_bell", org_a), **poll)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_a_member_of_two_organizations_sees_each_ones_notifications_only_there(
    client, org_a, org_b, alice
):
    f.add_member(org_b, alice, Role.VIEWER)
    _note(org_a, alice, title="Alpha thing")
    bravo = _note(org_b, alice, title="Bravo thing", url="/o/bravo/")
    client.force_login(alice)
    page_a = client.get(_url("notification_list", org_a)).content.decode()
    assert "Alpha thing" in page_a and "Bravo thing" not in page_a
    page_b = client.get(_url("notification_list", org_b)).content.decode()
    assert "Bravo thing" in page_b and "Alpha thing" not in page_b
    # B's notification through A's address is a 404, and stays unread
    assert client.post(_url("notification_open", org_a, bravo.pk)).status_code == 404
    bravo.refresh_from_db()
    assert bravo.read_at is None
