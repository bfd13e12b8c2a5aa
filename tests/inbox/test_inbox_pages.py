"""The inbox pages: the list, a conversation, reply (sent, failed and resent), assign, close."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.capabilities import Role
from channels_registry.providers.errors import ContentRejected
from inbox.models import Conversation, Item, Reply
from socialops.audit.models import AuditEvent

from .. import factories as f
from .factories import inbox_with_conversation, sandbox_channel

pytestmark = pytest.mark.django_db


@pytest.fixture
def channel(org_a, alice_m):
    return sandbox_channel(org_a, alice_m)


@pytest.fixture
def conv(channel):
    return inbox_with_conversation(channel, text="Apakah ada cabang di Bandung?")


def _url(name, conv, *extra):
    return reverse(name, args=[conv.organization.slug, conv.pk, *extra])


def test_the_list_shows_the_conversation_with_author_text_language_and_status(alice_client, conv):
    page = alice_client.get(reverse("inbox", args=["alpha"]))
    assert page.status_code == 200
    body = page.content.decode()
    assert "Apakah ada cabang di Bandung?" in body and "Rina" in body
    assert ">ID<" in body and "New" in body
    assert 'hx-trigger="every 15s"' in body  # new items appear without a reload


def test_the_list_fragment_and_the_nav_count_follow_new_items(alice_client, channel, conv):
    inbox_with_conversation(
        channel, kind="dm", text="Refund saya belum masuk", author="budi", hint="complaint"
    )
    fragment = alice_client.get(reverse("inbox", args=["alpha"]), HTTP_HX_REQUEST="true")
    assert (
        "<html" not in fragment.content.decode()
        and "Refund saya belum masuk" in fragment.content.decode()
    )
    assert (
        b"data-inbox-count>2<" in alice_client.get(reverse("inbox_count", args=["alpha"])).content
    )


def test_filters_and_search_narrow_the_list(alice_client, channel, conv):
    inbox_with_conversation(
        channel, kind="dm", text="Love this! Best coffee", author="sari", lang="en", hint="praise"
    )
    url = reverse("inbox", args=["alpha"])
    assert "Bandung" not in alice_client.get(url, {"language": "en"}).content.decode()
    assert "Best coffee" in alice_client.get(url, {"sentiment": "positive"}).content.decode()
    found = alice_client.get(url, {"q": "cabang"}).content.decode()
    assert "Bandung" in found and "Best coffee" not in found
    assert "Bandung" in alice_client.get(url, {"assignee": "none"}).content.decode()
    assert "Bandung" not in alice_client.get(url, {"assignee": "me"}).content.decode()


def test_a_reply_goes_out_through_the_network_and_joins_the_thread(alice_client, conv):
    response = alice_client.post(_url("inbox_reply", conv), {"text": "Ada kak, di Jl. Braga 12."})
    assert response.status_code == 302
    reply = Reply.objects.for_org(conv.organization).get()
    assert reply.status == "sent" and reply.external_id.startswith("sbxr_")
    outbound = Item.objects.for_org(conv.organization).get(direction="outbound")
    assert outbound.conversation_id == conv.pk and outbound.external_id == reply.external_id
    conv.refresh_from_db()
    assert conv.status == "pending"
    assert AuditEvent.objects.for_org(conv.organization).filter(action="inbox.reply_sent").exists()
    page = alice_client.get(_url("inbox_conversation", conv)).content.decode()
    assert "Ada kak, di Jl. Braga 12." in page


def test_a_reply_the_network_refuses_stays_as_a_failed_draft_and_can_be_resent(
    alice_client, conv, monkeypatch
):
    from channels_registry.providers.sandbox import SandboxProvider

    real_reply = SandboxProvider.reply

    def refuse(self, *args, **kwargs):
        raise ContentRejected("The sandbox refuses this reply today.")

    monkeypatch.setattr(SandboxProvider, "reply", refuse)
    alice_client.post(_url("inbox_reply", conv), {"text": "Ada kak"})
    failed = Reply.objects.for_org(conv.organization).get()
    assert failed.status == "failed" and "refuses" in failed.error and failed.text == "Ada kak"
    page = alice_client.get(_url("inbox_conversation", conv)).content.decode()
    assert "refuses this reply" in page and "Send again" in page

    monkeypatch.setattr(SandboxProvider, "reply", real_reply)
    alice_client.post(_url("inbox_reply_resend", conv, failed.pk), {"text": "Ada kak, di Bandung!"})
    failed.refresh_from_db()
    assert failed.status == "sent" and failed.text == "Ada kak, di Bandung!"
    assert Reply.objects.for_org(conv.organization).count() == 1


def test_a_reply_over_the_network_s_limit_is_refused_before_sending(alice_client, conv):
    response = alice_client.post(_url("inbox_reply", conv), {"text": "x" * 5001})
    assert response.status_code == 400
    assert "shorten the reply" in response.content.decode()
    assert not Reply.objects.for_org(conv.organization).exists()


def test_assign_to_me_then_close_and_reopen_are_audited(alice_client, alice_m, conv):
    alice_client.post(_url("inbox_assign", conv), {"assignee": "me"})
    conv.refresh_from_db()
    assert conv.assignee_id == alice_m.pk and conv.status == "open"
    alice_client.post(_url("inbox_status", conv), {"status": "closed"})
    conv.refresh_from_db()
    assert conv.status == "closed"
    assert "Bandung" not in alice_client.get(reverse("inbox", args=["alpha"])).content.decode()
    alice_client.post(_url("inbox_status", conv), {"status": "open"})
    conv.refresh_from_db()
    assert conv.status == "open"
    actions = set(AuditEvent.objects.for_org(conv.organization).values_list("action", flat=True))
    assert {"inbox.assigned", "inbox.closed", "inbox.reopened"} <= actions


def test_hide_and_delete_a_comment_on_the_network(alice_client, conv):
    item = Item.objects.for_org(conv.organization).get()
    alice_client.post(_url("inbox_item_moderate", conv, item.pk), {"action": "hide"})
    item.refresh_from_db()
    assert item.is_hidden
    alice_client.post(_url("inbox_item_moderate", conv, item.pk), {"action": "delete"})
    item.refresh_from_db()
    assert item.is_deleted


def test_the_list_page_costs_a_fixed_number_of_queries(alice_client, channel, conv):
    url = reverse("inbox", args=["alpha"])
    alice_client.get(url)
    with CaptureQueriesContext(connection) as few:
        alice_client.get(url)
    for n in range(8):
        inbox_with_conversation(channel, kind="dm", author=f"person{n}", text=f"halo {n}")
    with CaptureQueriesContext(connection) as many:
        alice_client.get(url)
    assert len(many) == len(few)
    assert Conversation.objects.for_org(conv.organization).count() == 9


@pytest.mark.parametrize("params", [{}, {"q": "halo"}, {"q": "halo", "sort": "newest"}])
def test_the_list_costs_the_same_queries_whatever_its_rows_show(
    alice_client, alice_m, org_a, channel, conv, params
):
    """Tags, assignees, snoozes, saved views and members on the rows cost no query per row."""
    from datetime import timedelta

    from django.utils import timezone

    from inbox import services
    from inbox.services.saved_views import save_view

    url = reverse("inbox", args=["alpha"])
    inbox_with_conversation(channel, kind="dm", author="first", text="halo 0")
    alice_client.get(url, params)
    with CaptureQueriesContext(connection) as few:
        assert alice_client.get(url, params).status_code == 200
    tags = [services.create_tag(alice_m, name=f"Tag {n}") for n in range(3)]
    for n in range(6):
        member = f.add_member(org_a, f.make_user(f"m{n}@alpha.test", name=f"M{n}"), Role.MODERATOR)
        save_view(member, name=f"View {n}", query="q=halo", shared=True)
        c = inbox_with_conversation(channel, kind="dm", author=f"person{n}", text=f"halo {n}")
        services.assign_conversation(c, by=alice_m, assignee=member)
        for tag in tags[: n % 4]:
            services.tag_conversation(c, by=alice_m, tag=tag)
        if n % 2:
            services.snooze_conversation(c, by=alice_m, until=timezone.now() + timedelta(days=1))
    with CaptureQueriesContext(connection) as many:
        page = alice_client.get(url, params)
    body = page.content.decode()
    assert "Assigned to M5" in body and "Tag 2" in body and "until" in body
    assert len(many) == len(few)


def test_the_rows_escape_what_customers_and_members_wrote(alice_client, alice_m, org_a, channel):
    from inbox import services

    conv = inbox_with_conversation(channel, text="<script>alert(1)</script> & co", author="x")
    conv.author_name = 'Rina "<b>"'
    conv.save(update_fields=["author_name"])
    tag = services.create_tag(alice_m, name="<i>VIP</i>", colour="#ff0000")
    services.tag_conversation(conv, by=alice_m, tag=tag)
    body = alice_client.get(reverse("inbox", args=["alpha"])).content.decode()
    assert "<script>alert" not in body and "&lt;script&gt;alert(1)&lt;/script&gt; &amp; co" in body
    assert "Rina &quot;&lt;b&gt;&quot;" in body and "<b>" not in body
    assert 'aria-label="Select the conversation with Rina &quot;&lt;b&gt;&quot;"' in body
    assert "&lt;i&gt;VIP&lt;/i&gt;" in body and "<i>VIP" not in body


def test_a_viewer_without_moderation_sees_an_empty_inbox_and_no_conversation(client, org_a, conv):
    viewer = f.make_user("val@alpha.test", name="Val Viewer")
    f.add_member(org_a, viewer, Role.VIEWER)
    client.force_login(viewer)
    page = client.get(reverse("inbox", args=["alpha"])).content.decode()
    assert "Bandung" not in page and "ask an admin" in page
    assert client.get(_url("inbox_conversation", conv)).status_code == 404


def test_an_unexpected_error_while_sending_still_keeps_the_reply_as_failed(
    alice_client, conv, monkeypatch
):
    from channels_registry.providers.sandbox import SandboxProvider

    def explode(self, *args, **kwargs):
        raise RuntimeError("connection reset in a library")

    monkeypatch.setattr(SandboxProvider, "reply", explode)
    alice_client.post(_url("inbox_reply", conv), {"text": "Ada kak"})
    kept = Reply.objects.for_org(conv.organization).get()
    assert kept.status == "failed" and kept.text == "Ada kak"
    assert "unexpected error" in kept.error and "connection reset" not in kept.error


def test_a_second_reply_while_one_is_being_sent_is_refused_not_sent_twice(alice_client, conv):
    item = Item.objects.for_org(conv.organization).get()
    Reply.objects.create(
        organization=conv.organization,
        conversation=conv,
        in_reply_to=item,
        text="first, on its way",
        status=Reply.Status.SENDING,
    )
    response = alice_client.post(_url("inbox_reply", conv), {"text": "second"})
    assert response.status_code == 400
    assert "being sent" in response.content.decode()
    assert Reply.objects.for_org(conv.organization).count() == 1


def test_the_list_pages_through_older_conversations(alice_client, channel, conv, monkeypatch):
    """Past one page the list offers older conversations, and the way back; a bad page number is
    the first page, a page past the end says so and links back."""
    from inbox import views

    monkeypatch.setattr(views, "PAGE_SIZE", 3)
    for n in range(4):
        inbox_with_conversation(channel, kind="dm", author=f"pager{n}", text=f"halo {n}")
    url = reverse("inbox", args=["alpha"])

    first = alice_client.get(url, {"status": "all"}).content.decode()
    assert first.count('id="conversation-') == 3 and 'rel="next"' in first
    assert 'rel="prev"' not in first
    second = alice_client.get(url, {"status": "all", "page": "2"}).content.decode()
    assert second.count('id="conversation-') == 2 and 'rel="prev"' in second
    assert 'rel="next"' not in second
    assert "status=all" in second.split('rel="prev"')[0].rsplit("href=", 1)[1]  # filters kept
    shown = set(re.findall(r'id="conversation-(\d+)"', first + second))
    assert len(shown) == 5  # every conversation once
    for bad in ("0", "-1", "abc", "99999999"):
        again = alice_client.get(url, {"status": "all", "page": bad})
        assert again.status_code == 200 and again.content.decode().count('id="conversation-') == 3
    past = alice_client.get(url, {"status": "all", "page": "9"}).content.decode()
    assert 'id="conversation-' not in past and 'rel="prev"' in past
