"""Working the inbox: saved replies (variables, who manages them, the picker's choices), tags,
snooze and its wake-up, bulk actions, and each new page's tenancy."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.capabilities import Role
from inbox import services
from inbox.models import Conversation, ConversationTag, SavedReply, Tag
from inbox.selectors import InboxFilters, conversations_for, saved_replies_for
from socialops.errors import NotAllowed, ValidationFailed

from .. import factories as f
from .factories import inbox_with_conversation, sandbox_channel

pytestmark = pytest.mark.django_db


@pytest.fixture
def channel(org_a, alice_m):
    return sandbox_channel(org_a, alice_m)


@pytest.fixture
def conv(channel):
    return inbox_with_conversation(channel, text="Apakah ada cabang di Bandung?", author="rina")


@pytest.fixture
def second(channel):
    return inbox_with_conversation(
        channel, kind="dm", text="Can I change my address?", author="sam", lang="en"
    )


def _moderator(org, email="mo@alpha.test"):
    user = f.make_user(email, name="Mona Moderator")
    return f.add_member(org, user, Role.MODERATOR)


# --- saved replies ---------------------------------------------------------------------------


def test_a_saved_reply_fills_in_its_three_variables(alice_m, conv):
    saved = services.save_saved_reply(
        alice_m,
        title="Hi",
        text="Halo {first_name}, terima kasih sudah menghubungi {channel}. — {agent}",
    )
    text = services.render_saved_reply(saved, conversation=conv, by=alice_m)
    assert text == f"Halo Rina, terima kasih sudah menghubungi {conv.channel.name}. — Alice"


def test_unknown_variables_are_refused_when_saving(alice_m):
    with pytest.raises(ValidationFailed) as refused:
        services.save_saved_reply(alice_m, title="Hi", text="Halo {name} and {order_id}")
    assert "{name}" in refused.value.message and "{order_id}" in refused.value.message
    assert SavedReply.objects.for_org(alice_m.organization).count() == 0


def test_shared_replies_are_for_admins_and_a_team_s_for_its_moderators(org_a, alice_m):
    mona = _moderator(org_a)
    team = f.make_team(org_a, "Jakarta")
    other = f.make_team(org_a, "Bali")
    with pytest.raises(NotAllowed):
        services.save_saved_reply(mona, title="Shared", text="Hello")
    with pytest.raises(NotAllowed):
        services.save_saved_reply(mona, title="Team", text="Hello", team=team)
    mona.teams.add(team)
    mine = services.save_saved_reply(mona, title="Team", text="Hello", team=team)
    with pytest.raises(NotAllowed):
        services.save_saved_reply(mona, title="Other", text="Hello", team=other)
    shared = services.save_saved_reply(alice_m, title="Shared", text="Hello")
    with pytest.raises(NotAllowed):
        services.delete_saved_reply(mona, shared)
    services.delete_saved_reply(mona, mine)
    assert list(SavedReply.objects.for_org(org_a).values_list("title", flat=True)) == ["Shared"]


def test_the_picker_offers_shared_and_own_team_replies_in_the_conversation_s_language(
    org_a, alice_m, conv, second
):
    mine, theirs = f.make_team(org_a, "Jakarta"), f.make_team(org_a, "Bali")
    alice_m.teams.add(mine)
    services.save_saved_reply(alice_m, title="any", text="x")
    services.save_saved_reply(alice_m, title="id", text="x", language="id")
    services.save_saved_reply(alice_m, title="en", text="x", language="en")
    services.save_saved_reply(alice_m, title="team", text="x", team=mine)
    services.save_saved_reply(alice_m, title="other team", text="x", team=theirs)
    assert [s.title for s in saved_replies_for(alice_m, conv)] == ["any", "id", "team"]
    assert [s.title for s in saved_replies_for(alice_m, second)] == ["any", "en", "team"]


def test_saved_replies_page_lists_creates_edits_and_deletes(alice_client, alice_m, conv):
    url = reverse("inbox_saved_replies", args=["alpha"])
    bad = alice_client.post(url, {"title": "Hi", "text": "Halo {nama}", "language": "id"})
    assert bad.status_code == 400 and "{nama}" in bad.content.decode()
    alice_client.post(url, {"title": "Hi", "text": "Halo {first_name}", "language": "id"})
    saved = SavedReply.objects.for_org(alice_m.organization).get()
    edit = reverse("inbox_saved_reply", args=["alpha", saved.pk])
    assert alice_client.get(edit).status_code == 200
    alice_client.post(edit, {"title": "Hello", "text": "Halo {first_name}!", "language": ""})
    saved.refresh_from_db()
    assert (saved.title, saved.text, saved.language) == ("Hello", "Halo {first_name}!", "")
    page = alice_client.get(reverse("inbox_conversation", args=["alpha", conv.pk])).content.decode()
    assert 'data-saved-text="Halo Rina!"' in page and "saved-replies-dialog" in page
    alice_client.post(reverse("inbox_saved_reply_delete", args=["alpha", saved.pk]))
    assert not SavedReply.objects.for_org(alice_m.organization).exists()


# --- tags and snooze ---------------------------------------------------------------------------


def test_tags_are_added_removed_and_filter_the_list(alice_client, alice_m, conv, second):
    alice_client.post(reverse("inbox_tags", args=["alpha"]), {"name": "VIP", "colour": "#ff0000"})
    tag = Tag.objects.for_org(alice_m.organization).get()
    assert tag.colour == "#ff0000"
    alice_client.post(reverse("inbox_tag", args=["alpha", conv.pk]), {"tag": tag.pk})
    listed = alice_client.get(reverse("inbox", args=["alpha"]), {"tag": tag.pk}).content.decode()
    assert "Bandung" in listed and "change my address" not in listed
    alice_client.post(
        reverse("inbox_tag", args=["alpha", conv.pk]), {"tag": tag.pk, "action": "remove"}
    )
    assert not ConversationTag.objects.for_org(alice_m.organization).exists()


def test_a_tag_name_is_unique_and_a_colour_is_checked(alice_m):
    services.create_tag(alice_m, name="VIP")
    with pytest.raises(Exception) as twice:
        services.create_tag(alice_m, name="vip")
    assert "already" in str(twice.value.message)
    with pytest.raises(ValidationFailed):
        services.create_tag(alice_m, name="Refund", colour="red")


def test_a_snoozed_conversation_comes_back_when_its_time_passes(alice_client, alice_m, conv):
    later = timezone.localtime() + timedelta(hours=2)
    alice_client.post(
        reverse("inbox_snooze", args=["alpha", conv.pk]),
        {"until": later.strftime("%Y-%m-%dT%H:%M")},
    )
    conv.refresh_from_db()
    assert conv.status == "snoozed" and conv.snoozed_until is not None
    assert services.wake_snoozed() == 0
    assert services.wake_snoozed(now=timezone.now() + timedelta(hours=3)) == 1
    conv.refresh_from_db()
    assert conv.status == "open" and conv.snoozed_until is None


def test_a_snoozed_conversation_comes_back_when_the_customer_writes(alice_m, channel, conv):
    from channels_registry.providers.base import InboxItem

    services.snooze_conversation(conv, by=alice_m, until=timezone.now() + timedelta(days=1))
    first = conv.items.first()
    services.ingest(
        channel,
        [
            InboxItem(
                external_id="again-1",
                kind="comment",
                text="Halo? Masih ada?",
                author_id=first.author_external_id,
                author_handle=first.author_handle,
                created_at=timezone.now(),
                post_external_id=first.post_external_id,
                parent_external_id=first.external_id,
                thread_id=conv.external_thread_id,
            )
        ],
    )
    conv.refresh_from_db()
    assert conv.status == "open"


def test_snoozing_in_the_past_is_refused(alice_m, conv):
    with pytest.raises(ValidationFailed):
        services.snooze_conversation(conv, by=alice_m, until=timezone.now() - timedelta(minutes=1))


# --- bulk --------------------------------------------------------------------------------------


def test_bulk_close_and_tag_report_done_and_refused(alice_client, alice_m, conv, second, bob_m):
    bravo_channel = sandbox_channel(bob_m.organization, bob_m)
    foreign = inbox_with_conversation(bravo_channel, text="Other org")
    page = alice_client.post(
        reverse("inbox_bulk", args=["alpha"]),
        {"action": "close", "conversation": [conv.pk, second.pk, foreign.pk]},
        follow=True,
    )
    assert "2 done, 1 refused." in page.content.decode()
    assert set(
        Conversation.objects.for_org(alice_m.organization).values_list("status", flat=True)
    ) == {"closed"}
    foreign.refresh_from_db()
    assert foreign.status == "new"
    tag = services.create_tag(alice_m, name="VIP")
    result = services.bulk_action(alice_m, [conv.pk, second.pk], action="tag", tag=tag)
    assert sorted(result.done) == sorted([conv.pk, second.pk]) and not result.refused
    result = services.bulk_action(alice_m, [conv.pk], action="assign_me")
    conv.refresh_from_db()
    assert result.done == [conv.pk] and conv.assignee_id == alice_m.pk


def test_bulk_refuses_what_a_member_may_not_moderate(org_a, conv):
    viewer = f.add_member(org_a, f.make_user("v2@alpha.test"), Role.VIEWER)
    result = services.bulk_action(viewer, [conv.pk], action="spam")
    assert result.refused == [conv.pk]
    assert conversations_for(viewer, InboxFilters(status="all")).count() == 0


# --- pages: shortcuts are offered, tenancy on every new URL --------------------------------------


def test_the_list_and_conversation_load_the_inbox_script_and_the_shortcuts_dialog(
    alice_client, conv
):
    for url in (
        reverse("inbox", args=["alpha"]),
        reverse("inbox_conversation", args=["alpha", conv.pk]),
    ):
        body = alice_client.get(url).content.decode()
        assert "js/inbox.js" in body and 'id="shortcuts-dialog"' in body and "<script>" not in body
    listed = alice_client.get(reverse("inbox", args=["alpha"])).content.decode()
    assert f'name="conversation" value="{conv.pk}" form="bulk-form"' in listed


def test_another_organization_gets_404_on_every_new_url(client, bob, alice_m, conv):
    saved = services.save_saved_reply(alice_m, title="Hi", text="Halo")
    tag = services.create_tag(alice_m, name="VIP")
    client.force_login(bob)
    for name, args in (
        ("inbox_tag", [conv.pk]),
        ("inbox_snooze", [conv.pk]),
        ("inbox_saved_reply_delete", [saved.pk]),
    ):
        assert client.post(reverse(name, args=["bravo", *args]), {"tag": tag.pk}).status_code == 404
    assert client.get(reverse("inbox_saved_reply", args=["bravo", saved.pk])).status_code == 404
    # his own organization's pages show none of Alpha's
    assert "Halo" not in client.get(reverse("inbox_saved_replies", args=["bravo"])).content.decode()
    assert "VIP" not in client.get(reverse("inbox_tags", args=["bravo"])).content.decode()
    client.post(
        reverse("inbox_bulk", args=["bravo"]), {"action": "close", "conversation": [conv.pk]}
    )
    conv.refresh_from_db()
    assert conv.status == "new"
    # and Alpha's URLs are not his at all
    assert client.get(reverse("inbox_saved_replies", args=["alpha"])).status_code in (403, 404)
    SavedReply.objects.for_org(alice_m.organization).get(pk=saved.pk)


def test_close_and_next_opens_the_next_conversation_the_page_names(alice_client, conv, second):
    answer = alice_client.post(
        reverse("inbox_status", args=["alpha", conv.pk]), {"status": "closed", "next": second.pk}
    )
    assert answer.status_code == 302
    assert answer["Location"] == reverse("inbox_conversation", args=["alpha", second.pk])
    conv.refresh_from_db()
    assert conv.status == "closed"
