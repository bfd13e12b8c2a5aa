"""The e-mails that moved to notify(): a publishing failure and a channel to reconnect also ring the bell."""

from __future__ import annotations

import pytest
from django.core import mail
from django.test import TestCase

from accounts.capabilities import Role
from accounts.models import Notification, NotificationKind
from accounts.notifications import render_for_reader, set_preferences
from channels_registry import services as channel_services
from channels_registry.providers import errors
from channels_registry.providers.sandbox import SandboxProvider
from publishing.models import PostVariant
from publishing.scheduler import services as scheduling
from publishing.scheduler.notifications import notify_publish_failure
from tests import factories as f
from tests.channels.factories import connect_sandbox
from tests.publishing.scheduler_factories import make_post, sandbox_channels, tick

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True, scope="module")
def _catalogues_compiled():
    from django.utils.translation import trans_real

    from socialops.i18n import compile_catalogues

    if compile_catalogues():
        trans_real._translations = {}
        trans_real._default = None


def _fail_next_publish(monkeypatch, message):
    def publish(self, credentials, account_id, request):
        raise errors.ContentRejected(message)

    monkeypatch.setattr(SandboxProvider, "publish", publish)


def test_a_failed_post_rings_the_authors_bell_and_emails_them_in_their_language(
    org_a, alice, alice_m, vera, monkeypatch
):
    alice.language = "id"
    alice.save(update_fields=["language"])
    (kitchen,) = sandbox_channels(org_a, alice_m)
    post = make_post(org_a, alice, [kitchen], title="Weekend menu")
    scheduling.publish_now(post, by=alice_m)
    _fail_next_publish(monkeypatch, "Too many hashtags.")
    with TestCase.captureOnCommitCallbacks(execute=True):
        tick()
    (row,) = render_for_reader(
        Notification.objects.for_org(org_a).filter(recipient=alice), organization=org_a, user=alice
    )
    assert row.kind == NotificationKind.PUBLISH_FAILED
    assert row.title.startswith("Postingan gagal terbit di")
    assert "Too many hashtags." in row.body
    assert row.url == f"/o/alpha/posts/{post.pk}/"
    assert not Notification.objects.for_org(org_a).filter(recipient=vera).exists()
    (message,) = mail.outbox
    assert message.to == ["alice@alpha.test"] and message.subject == row.title
    assert f"http://testserver/o/alpha/posts/{post.pk}/" in message.body


def test_an_author_who_turned_off_failure_emails_only_sees_the_bell(
    org_a, alice, alice_m, monkeypatch
):
    set_preferences(org_a, alice, {NotificationKind.PUBLISH_FAILED: (True, False)})
    (kitchen,) = sandbox_channels(org_a, alice_m)
    post = make_post(org_a, alice, [kitchen], title="Weekend menu")
    scheduling.publish_now(post, by=alice_m)
    _fail_next_publish(monkeypatch, "Nope.")
    with TestCase.captureOnCommitCallbacks(execute=True):
        tick()
    assert Notification.objects.for_org(org_a).filter(recipient=alice).count() == 1
    assert mail.outbox == []


def test_a_variant_that_did_not_fail_tells_nobody(org_a, alice, alice_m):
    (kitchen,) = sandbox_channels(org_a, alice_m)
    post = make_post(org_a, alice, [kitchen], title="Weekend menu")
    variant = PostVariant.objects.for_org(org_a).get(post=post)
    assert notify_publish_failure(variant.pk) is False
    assert notify_publish_failure(987654) is False
    assert not Notification.objects.for_org(org_a).exists()


def test_a_channel_to_reconnect_tells_only_those_who_can_reconnect_it(org_a, alice, alice_m):
    manager = f.add_member(org_a, f.make_user("manager@alpha.test"), Role.MANAGER)
    viewer = f.add_member(org_a, f.make_user("viewer2@alpha.test"), Role.VIEWER)
    manager.user.language = "id"
    manager.user.save(update_fields=["language"])
    (channel,) = connect_sandbox(org_a, alice_m)
    with TestCase.captureOnCommitCallbacks(execute=True):
        channel_services.mark_needs_reauth(channel, reason="The user revoked the app.")
    rows = {
        n.recipient_id: render_for_reader([n], organization=org_a, user=n.recipient)[0]
        for n in Notification.objects.for_org(org_a).select_related("recipient")
    }
    assert set(rows) == {alice.pk, manager.user_id}
    assert viewer.user_id not in rows
    assert rows[alice.pk].kind == NotificationKind.CHANNEL_NEEDS_REAUTH
    assert rows[alice.pk].url == f"/o/alpha/channels/{channel.pk}/"
    assert rows[manager.user_id].title.startswith("Hubungkan ulang")  # each in their own language
    assert rows[alice.pk].title.startswith("Reconnect")
    assert "revoked" in rows[alice.pk].body
