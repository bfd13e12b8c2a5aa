"""notify(): who is told, in which language, through which medium, once, and only after commit."""

from __future__ import annotations

import pytest
from django.core import mail
from django.db import transaction
from django.test import TestCase
from django.utils import translation

from accounts.capabilities import Role
from accounts.models import Notification, NotificationPreference
from accounts.notifications import (
    NotificationKind,
    notify,
    preferences_for,
    render_for_reader,
    safe_local_url,
    set_preferences,
    unread_count,
)
from tests import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True, scope="module")
def _catalogues_compiled():
    """The language tests read the Indonesian catalogue (``make`` compiles it; so does this)."""
    from django.utils.translation import trans_real

    from socialops.i18n import compile_catalogues

    if compile_catalogues():  # forget catalogues loaded before the .mo existed
        trans_real._translations = {}
        trans_real._default = None


CHANNEL = {"handle": "@nusantara.kitchen", "name": "Nusantara", "provider": "mastodon"}


def _failed(org, recipients, **kw):
    """notify() as an action would call it, its transaction committed (the test's own never is)."""
    kw.setdefault("kind", NotificationKind.PUBLISH_FAILED)
    with TestCase.captureOnCommitCallbacks(execute=True):
        return notify(
            org,
            recipients=recipients,
            template="publish_failed",
            context={"channel": CHANNEL, "post": "Rendang week", "reason": "Too long"},
            url=f"/o/{org.slug}/posts/1/",
            **kw,
        )


def _rows(org, user=None):
    """The stored notifications, each rendered as its recipient reads it (title and body)."""
    qs = Notification.objects.for_org(org).select_related("recipient")
    rows = list(qs.filter(recipient=user) if user else qs)
    return [render_for_reader([n], organization=org, user=n.recipient)[0] for n in rows]


def test_a_member_gets_an_in_app_row_and_an_email_with_an_absolute_link(org_a, alice, vera):
    created = _failed(org_a, [vera])
    assert [n.recipient for n in created] == [vera]
    (row,) = _rows(org_a, vera)
    assert row.title == "A post could not be published to @nusantara.kitchen"
    assert "Too long" in row.body
    assert "http" not in row.body  # in-app, the notification itself is the link
    assert row.url == "/o/alpha/posts/1/"
    assert row.read_at is None
    (message,) = mail.outbox
    assert message.to == ["vera@alpha.test"]
    assert message.subject == row.title
    assert "http://testserver/o/alpha/posts/1/" in message.body


def test_an_indonesian_member_is_told_in_indonesian_and_an_english_one_in_english(
    org_a, alice, vera
):
    vera.language = "id"
    vera.save(update_fields=["language"])
    _failed(org_a, [vera, alice])
    assert _rows(org_a, vera)[0].title == "Postingan gagal terbit di @nusantara.kitchen"
    assert _rows(org_a, alice)[0].title == "A post could not be published to @nusantara.kitchen"
    subjects = {m.to[0]: m.subject for m in mail.outbox}
    assert subjects["vera@alpha.test"].startswith("Postingan gagal terbit di")
    assert subjects["alice@alpha.test"].startswith("A post")


def test_without_a_language_of_their_own_a_member_is_emailed_in_the_organizations_language(
    org_a, vera
):
    org_a.default_language = "id"
    org_a.save(update_fields=["default_language"])
    _failed(org_a, [vera])
    assert mail.outbox[0].subject.startswith("Postingan gagal terbit di")
    # the bell renders when read, in the language the reader's page is in
    (row,) = Notification.objects.for_org(org_a).filter(recipient=vera)
    with translation.override("id"):
        assert render_for_reader([row], organization=org_a, user=vera)[0].title.startswith(
            "Postingan gagal terbit di"
        )
    with translation.override("en"):
        assert render_for_reader([row], organization=org_a, user=vera)[0].title.startswith("A post")


def test_the_email_is_sent_only_when_the_transaction_commits(
    org_a, vera, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        notify(
            org_a,
            recipients=[vera],
            kind=NotificationKind.PUBLISH_FAILED,
            template="publish_failed",
            context={"channel": CHANNEL},
        )
        assert mail.outbox == []
        assert len(_rows(org_a, vera)) == 1  # the in-app row is part of the action's transaction
    assert len(callbacks) == 1
    assert len(mail.outbox) == 1


def test_a_rolled_back_action_emails_nobody_and_leaves_no_row(org_a, vera):
    class Boom(Exception):
        pass

    with TestCase.captureOnCommitCallbacks(execute=True), pytest.raises(Boom), transaction.atomic():
        notify(
            org_a,
            recipients=[vera],
            kind=NotificationKind.PUBLISH_FAILED,
            template="publish_failed",
            context={"channel": CHANNEL},
        )
        raise Boom
    assert mail.outbox == []
    assert _rows(org_a) == []


def test_preferences_decide_in_app_and_email_per_kind(org_a, alice, vera):
    set_preferences(org_a, vera, {NotificationKind.PUBLISH_FAILED: (False, True)})
    set_preferences(org_a, alice, {NotificationKind.PUBLISH_FAILED: (True, False)})
    _failed(org_a, [vera, alice])
    assert _rows(org_a, vera) == []
    assert len(_rows(org_a, alice)) == 1
    assert [m.to for m in mail.outbox] == [["vera@alpha.test"]]


def test_a_person_who_turned_a_kind_off_hears_nothing_unless_the_email_is_required(org_a, vera):
    set_preferences(org_a, vera, {NotificationKind.PUBLISH_FAILED: (False, False)})
    assert _failed(org_a, [vera]) == []
    assert mail.outbox == [] and _rows(org_a) == []
    _failed(org_a, [vera], email_required=True)
    assert _rows(org_a) == []
    assert [m.to for m in mail.outbox] == [["vera@alpha.test"]]


def test_defaults_apply_without_a_saved_choice(org_a, vera):
    prefs = preferences_for(org_a, vera)
    assert prefs[NotificationKind.APPROVAL_REQUESTED] == (True, True)
    assert prefs[NotificationKind.COMMENT] == (True, False)
    assert prefs[NotificationKind.SLA_BREACH] == (True, False)
    assert prefs[NotificationKind.CRISIS_ALERT] == (True, True)
    _failed(org_a, [vera], kind=NotificationKind.COMMENT)
    assert len(_rows(org_a, vera)) == 1
    assert mail.outbox == []


def test_preferences_are_per_organization(org_a, org_b, alice, bob):
    f.add_member(org_b, alice, Role.CONTRIBUTOR)
    set_preferences(org_a, alice, {NotificationKind.PUBLISH_FAILED: (False, False)})
    assert preferences_for(org_b, alice)[NotificationKind.PUBLISH_FAILED] == (True, True)
    assert NotificationPreference.objects.for_org(org_b).count() == 0


def test_a_second_notify_with_the_same_dedupe_key_is_a_no_op(org_a, vera):
    assert (
        len(
            _failed(
                org_a, [vera], kind=NotificationKind.APPROVAL_REMINDER, dedupe_key="req-1:day-1"
            )
        )
        == 1
    )
    assert (
        _failed(org_a, [vera], kind=NotificationKind.APPROVAL_REMINDER, dedupe_key="req-1:day-1")
        == []
    )
    assert (
        len(
            _failed(
                org_a, [vera], kind=NotificationKind.APPROVAL_REMINDER, dedupe_key="req-1:day-2"
            )
        )
        == 1
    )
    assert len(_rows(org_a, vera)) == 2
    assert len(mail.outbox) == 2


def test_dedupe_also_holds_for_someone_who_only_takes_email(org_a, vera):
    set_preferences(org_a, vera, {NotificationKind.APPROVAL_REMINDER: (False, True)})
    _failed(org_a, [vera], kind=NotificationKind.APPROVAL_REMINDER, dedupe_key="k")
    _failed(org_a, [vera], kind=NotificationKind.APPROVAL_REMINDER, dedupe_key="k")
    assert len(mail.outbox) == 1


def test_inactive_members_non_members_and_the_actor_are_skipped(
    org_a, org_b, alice, alice_m, bob, vera
):
    gone = f.make_user("gone@alpha.test")
    gone_m = f.add_member(org_a, gone, Role.CONTRIBUTOR)
    gone_m.is_active = False
    gone_m.save(update_fields=["is_active"])
    disabled = f.make_user("disabled@alpha.test")
    f.add_member(org_a, disabled, Role.CONTRIBUTOR)
    disabled.is_active = False
    disabled.save(update_fields=["is_active"])
    created = _failed(org_a, [alice_m, vera, vera, gone, disabled, bob, None], actor=alice)
    assert [n.recipient for n in created] == [vera]
    assert [m.to for m in mail.outbox] == [["vera@alpha.test"]]
    assert created[0].actor == alice


def test_a_membership_of_another_organization_is_not_a_recipient(org_a, org_b, bob_m):
    assert _failed(org_a, [bob_m]) == []
    assert _rows(org_a) == [] and _rows(org_b) == []


def test_an_unknown_kind_is_a_programming_error(org_a, vera):
    with pytest.raises(ValueError, match="unknown notification kind"):
        _failed(org_a, [vera], kind="nonsense")


def test_unread_count_is_per_person_and_organization(org_a, org_b, alice, bob, vera):
    f.add_member(org_b, vera, Role.VIEWER)
    _failed(org_a, [vera])
    _failed(org_a, [vera])
    _failed(org_b, [vera])
    assert unread_count(org_a, vera) == 2
    assert unread_count(org_b, vera) == 1
    assert unread_count(org_a, alice) == 0


def test_a_mail_outage_does_not_break_the_action(org_a, vera, settings):
    settings.EMAIL_BACKEND = "tests.accounts.test_notifications_service.BrokenBackend"
    assert len(_failed(org_a, [vera])) == 1


@pytest.mark.parametrize(
    ("given", "kept"),
    [
        ("/o/alpha/posts/1/", "/o/alpha/posts/1/"),
        ("http://testserver/o/alpha/posts/1/?x=1", "/o/alpha/posts/1/?x=1"),
        ("https://evil.example/o/alpha/", ""),
        ("//evil.example/", ""),
        ("/\\evil.example", ""),
        ("javascript:alert(1)", ""),
        ("o/alpha/", ""),
        ("", ""),
    ],
)
def test_only_paths_on_this_site_are_kept_as_links(given, kept):
    assert safe_local_url(given) == kept


class BrokenBackend:
    def __init__(self, *a, **kw):
        pass

    def send_messages(self, messages):
        raise ConnectionRefusedError("smtp down")


@pytest.fixture
def sample_templates(settings):
    """A test-only template set: notifications/sample_{subject,body}.txt and sample_body.html."""
    from pathlib import Path

    settings.TEMPLATES = [
        {
            **settings.TEMPLATES[0],
            "DIRS": [
                Path(__file__).parent / "notification_templates",
                *settings.TEMPLATES[0]["DIRS"],
            ],
        }
    ]


def _sample(org, recipients, **kw):
    with TestCase.captureOnCommitCallbacks(execute=True):
        return notify(
            org,
            recipients=recipients,
            kind=NotificationKind.MENTION,
            template="sample",
            context={"title": 'Tom & Jerry "say" <hi>'},
            email_context={"secret": "https://x.test/a/s3cret?x=1&y=2"},
            url="/o/alpha/",
            **kw,
        )


def test_the_translation_of_the_recipients_language_is_active_while_rendering(
    org_a, vera, sample_templates
):
    vera.language = "id"
    vera.save(update_fields=["language"])
    _sample(org_a, [vera])
    (row,) = _rows(org_a, vera)
    assert row.title.startswith("Postingan: ")  # "Posts" in Indonesian
    (message,) = mail.outbox
    assert message.subject == row.title
    html, mime = message.alternatives[0]
    assert mime == "text/html" and "Postingan" in html


def test_text_parts_are_not_html_escaped_but_the_html_part_is(org_a, vera, sample_templates):
    _sample(org_a, [vera])
    (row,) = _rows(org_a, vera)
    assert row.title == 'Posts: Tom & Jerry "say" <hi>'
    (message,) = mail.outbox
    assert 'Tom & Jerry "say" <hi>' in message.body
    html = message.alternatives[0][0]
    assert "Tom &amp; Jerry &quot;say&quot; &lt;hi&gt;" in html


def test_a_secret_meant_for_the_email_stays_out_of_the_in_app_copy(org_a, vera, sample_templates):
    _sample(org_a, [vera])
    (row,) = _rows(org_a, vera)
    assert "s3cret" not in row.body and "s3cret" not in row.title
    stored = Notification.objects.for_org(org_a).filter(recipient=vera).values()[0]
    assert "s3cret" not in repr(stored)  # not in any column: params, legacy texts, url
    assert "https://x.test/a/s3cret?x=1&y=2" in mail.outbox[0].body


def test_the_bell_page_escapes_what_the_text_templates_produced(
    client, org_a, vera, sample_templates
):
    _sample(org_a, [vera])
    client.force_login(vera)
    page = client.get(f"/o/{org_a.slug}/notifications/").content.decode()
    assert "Tom &amp; Jerry &quot;say&quot; &lt;hi&gt;" in page
    assert "<hi>" not in page


def test_times_are_rendered_in_each_recipients_time_zone(org_a, alice, vera, sample_templates):
    from datetime import UTC, datetime

    org_a.timezone = "Asia/Jakarta"
    org_a.save(update_fields=["timezone"])
    vera.timezone = "Asia/Tokyo"
    vera.save(update_fields=["timezone"])
    with TestCase.captureOnCommitCallbacks(execute=True):
        notify(
            org_a,
            recipients=[vera, alice],
            kind=NotificationKind.MENTION,
            template="sample",
            context={"title": "T", "when": datetime(2025, 1, 1, 23, 30, tzinfo=UTC)},
        )
    bodies = {n.recipient_id: n.body for n in _rows(org_a)}
    assert "2025-01-02 08:30" in bodies[vera.pk]  # her own zone
    assert "2025-01-02 06:30" in bodies[alice.pk]  # no zone of her own: the organization's


def test_a_message_that_asks_the_actor_to_act_reaches_the_actor_too(org_a, alice, vera):
    created = _failed(
        org_a,
        [vera, alice],
        kind=NotificationKind.APPROVAL_REQUESTED,
        actor=vera,
        include_actor=True,
    )
    assert sorted(n.recipient.email for n in created) == ["alice@alpha.test", "vera@alpha.test"]
    assert sorted(m.to[0] for m in mail.outbox) == ["alice@alpha.test", "vera@alpha.test"]
