"""The figures page (a scope picker, 7 or 30 days, a by-day table with small bars) and renaming
or deleting a tag on the tags page."""

from __future__ import annotations

import pytest
from django.urls import reverse

from accounts.capabilities import Role
from inbox.models import Conversation, ConversationTag, Tag

from .. import factories as f
from .factories import inbox_with_conversation, sandbox_channel

pytestmark = pytest.mark.django_db


@pytest.fixture
def conv(org_a, alice_m):
    return inbox_with_conversation(sandbox_channel(org_a, alice_m))


def test_the_figures_page_shows_totals_and_a_row_per_day(alice_client, conv):
    page = alice_client.get(reverse("inbox_figures", args=["alpha"]))
    assert page.status_code == 200
    html = page.content.decode()
    assert html.count("<tr data-day=") == 7
    assert 'data-figure="opened">1<' in html and 'data-figure="inbound">1<' in html
    assert "<meter" in html and "The whole organization" in html
    month = alice_client.get(reverse("inbox_figures", args=["alpha"]), {"days": "30"})
    assert month.content.decode().count("<tr data-day=") == 30


def test_the_inbox_links_to_its_figures(alice_client, conv):
    html = alice_client.get(reverse("inbox", args=["alpha"])).content.decode()
    assert reverse("inbox_figures", args=["alpha"]) in html


def test_a_non_manager_asking_for_someone_elses_figures_gets_their_own(
    client, org_a, alice_m, conv
):
    mona_user = f.make_user("mona@alpha.test", name="Mona")
    f.add_member(org_a, mona_user, Role.MODERATOR)
    client.force_login(mona_user)
    page = client.get(reverse("inbox_figures", args=["alpha"]), {"scope": f"member-{alice_m.pk}"})
    assert page.status_code == 400
    html = page.content.decode()
    assert "Only managers see other people" in html and "Mona" in html
    assert "The whole organization" not in html


def test_a_bad_range_is_refused_with_a_message(alice_client, conv):
    page = alice_client.get(
        reverse("inbox_figures", args=["alpha"]), {"since": "2026-03-05", "until": "2026-03-01"}
    )
    assert page.status_code == 400
    assert "first day comes after its last" in page.content.decode()


def test_a_tag_is_renamed_and_deleted_from_the_tags_page(alice_client, org_a, conv):
    tag = Tag.objects.create(organization=org_a, name="VIP")
    Tag.objects.create(organization=org_a, name="Spam-ish")
    ConversationTag.objects.create(organization=org_a, conversation=conv, tag=tag)
    page = alice_client.get(reverse("inbox_tags", args=["alpha"])).content.decode()
    assert reverse("inbox_tag_edit", args=["alpha", tag.pk]) in page
    edit = reverse("inbox_tag_edit", args=["alpha", tag.pk])
    alice_client.post(edit, {"name": "Very important", "colour": "#00ff00"})
    tag.refresh_from_db()
    assert (tag.name, tag.colour) == ("Very important", "#00ff00")
    clash = alice_client.post(edit, {"name": "spam-ish", "colour": "#00ff00"}, follow=True)
    assert "already a tag with this name" in clash.content.decode()
    tag.refresh_from_db()
    assert tag.name == "Very important"
    alice_client.post(reverse("inbox_tag_delete", args=["alpha", tag.pk]))
    assert not Tag.objects.for_org(org_a).filter(pk=tag.pk).exists()
    assert Conversation.objects.for_org(org_a).filter(pk=conv.pk).exists()
    assert not ConversationTag.objects.for_org(org_a).exists()


def test_a_viewer_may_not_rename_a_tag(client, org_a, vera):
    tag = Tag.objects.create(organization=org_a, name="VIP")
    client.force_login(vera)
    response = client.post(reverse("inbox_tag_edit", args=["alpha", tag.pk]), {"name": "X"})
    assert response.status_code == 403
    tag.refresh_from_db()
    assert tag.name == "VIP"
