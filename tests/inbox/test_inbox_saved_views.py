"""Saved views of the inbox list: a member keeps the current filters under a name, private or
shared with the organization, and picks them from a menu beside the built-in ones."""

from __future__ import annotations

import pytest
from django.urls import reverse

from accounts.capabilities import Role
from inbox.models import SavedView

from .. import factories as f
from .factories import inbox_with_conversation, sandbox_channel

pytestmark = pytest.mark.django_db


@pytest.fixture
def channel(org_a, alice_m):
    return sandbox_channel(org_a, alice_m)


@pytest.fixture
def carol_client(org_a):
    from django.test import Client

    member = f.add_member(
        org_a, f.make_user("carol@alpha.test", name="Carol Alpha"), Role.MODERATOR
    )
    client = Client()
    client.force_login(member.user)
    return client


def _inbox(client, **params):
    return client.get(reverse("inbox", args=["alpha"]), params)


def _save(client, **data):
    return client.post(reverse("inbox_save_view", args=["alpha"]), data)


def test_the_menu_has_the_built_in_views_and_they_filter(alice_client, channel):
    inbox_with_conversation(
        channel, kind="dm", text="Pesanan rusak, kecewa", author="budi", hint="complaint"
    )
    body = _inbox(alice_client).content.decode()
    assert "My open" in body and "Unassigned negative" in body
    assert "?assignee=none&amp;sentiment=negative" in body
    page = _inbox(alice_client, assignee="none", sentiment="negative").content.decode()
    assert "Pesanan rusak" in page
    assert (
        "Pesanan rusak" not in _inbox(alice_client, status="open", assignee="me").content.decode()
    )


def test_a_member_saves_the_filters_and_finds_them_in_the_menu(alice_client, org_a, channel):
    response = _save(
        alice_client, name="Negatif ID", query="sentiment=negative&language=id&page=3&evil=1"
    )
    assert response.status_code == 302
    view = SavedView.objects.for_org(org_a).get()
    assert view.query == "sentiment=negative&language=id" and not view.shared
    assert response["Location"].endswith("/inbox/?sentiment=negative&language=id")
    body = _inbox(alice_client).content.decode()
    assert "Negatif ID" in body and f'data-view="saved-{view.pk}"' in body
    # saving again under the same name replaces the filters
    _save(alice_client, name="Negatif ID", query="q=refund")
    assert SavedView.objects.for_org(org_a).get().query == "q=refund"


def test_the_filter_forms_fields_win_over_the_pages_query(alice_client, org_a, channel):
    """htmx includes the filter form, current even after the list was narrowed in place."""
    _save(alice_client, name="Now", query="language=en", sentiment="positive", q="", status="")
    assert SavedView.objects.for_org(org_a).get().query == "sentiment=positive"


def test_a_view_needs_a_name(alice_client, org_a, channel):
    _save(alice_client, name="  ", query="q=x")
    assert not SavedView.objects.for_org(org_a).exists()


def test_private_views_stay_private_and_shared_ones_are_seen(
    alice_client, carol_client, org_a, alice_m, channel
):
    from inbox.services.saved_views import save_view

    mine = save_view(alice_m, name="Alice only", query="q=a")
    shared = save_view(alice_m, name="Team queue", query="q=b", shared=True)
    body = _inbox(carol_client).content.decode()
    assert "Team queue" in body and "Alice only" not in body
    # only the owner removes it: anyone else's (shared or not) is a 404
    for view in (mine, shared):
        url = reverse("inbox_delete_view", args=["alpha", view.pk])
        assert carol_client.post(url).status_code == 404
    assert SavedView.objects.for_org(org_a).count() == 2
    url = reverse("inbox_delete_view", args=["alpha", shared.pk])
    assert alice_client.post(url).status_code == 302
    assert list(SavedView.objects.for_org(org_a)) == [mine]


def test_another_organizations_views_are_invisible_and_out_of_reach(
    alice_client, bob_m, org_a, channel
):
    from inbox.services.saved_views import save_view

    theirs = save_view(bob_m, name="Bob shared", query="q=b", shared=True)
    assert "Bob shared" not in _inbox(alice_client).content.decode()
    url = reverse("inbox_delete_view", args=["alpha", theirs.pk])
    assert alice_client.post(url).status_code == 404
    url = reverse("inbox_delete_view", args=["beta", theirs.pk])
    assert alice_client.post(url).status_code == 404
    assert SavedView.objects.for_org(bob_m.organization).count() == 1
    assert alice_client.get(reverse("inbox_save_view", args=["alpha"])).status_code == 405


def test_an_htmx_save_is_told_where_to_go(alice_client, org_a, channel):
    response = alice_client.post(
        reverse("inbox_save_view", args=["alpha"]),
        {"name": "Mine", "query": "", "assignee": "me", "q": "refund", "shared": "on"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    assert response["HX-Redirect"].endswith("/inbox/?q=refund&assignee=me")
    view = SavedView.objects.for_org(org_a).get()
    assert view.shared and view.query == "q=refund&assignee=me"


def _rename(client, view, **data):
    return client.post(reverse("inbox_rename_view", args=["alpha", view.pk]), data)


def test_a_member_renames_their_view_from_the_page(alice_client, alice_m, org_a, channel):
    from inbox.services.saved_views import save_view

    view = save_view(alice_m, name="Negatif", query="sentiment=negative")
    body = _inbox(alice_client).content.decode()
    action = reverse("inbox_rename_view", args=["alpha", view.pk])
    assert f'action="{action}"' in body and 'value="Negatif"' in body
    response = _rename(alice_client, view, name=" Negatif ID ", query="language=id&page=2")
    assert response.status_code == 302
    assert response["Location"].endswith("/inbox/?language=id")
    view.refresh_from_db()
    assert view.name == "Negatif ID" and view.query == "sentiment=negative"
    page = alice_client.get(response["Location"]).content.decode()
    assert "View renamed to “Negatif ID”." in page


def test_a_rename_to_a_blank_or_taken_name_is_refused_with_a_message(
    alice_client, alice_m, org_a, channel
):
    from inbox.services.saved_views import save_view

    view = save_view(alice_m, name="Negatif", query="sentiment=negative")
    save_view(alice_m, name="Refunds", query="q=refund")
    blank = _rename(alice_client, view, name="  ")
    assert "Give the view a name." in alice_client.get(blank["Location"]).content.decode()
    taken = _rename(alice_client, view, name="Refunds")
    page = alice_client.get(taken["Location"]).content.decode()
    assert "You already have a view with this name." in page
    view.refresh_from_db()
    assert view.name == "Negatif"
    assert SavedView.objects.for_org(org_a).get(name="Refunds").query == "q=refund"


def test_only_the_owner_renames_a_view_from_the_page(
    alice_client, carol_client, alice_m, org_a, channel
):
    from inbox.services.saved_views import save_view

    mine = save_view(alice_m, name="Alice only", query="q=a")
    shared = save_view(alice_m, name="Team queue", query="q=b", shared=True)
    body = _inbox(carol_client).content.decode()
    assert reverse("inbox_rename_view", args=["alpha", shared.pk]) not in body
    for view in (mine, shared):
        assert _rename(carol_client, view, name="Carol's").status_code == 404
    names = set(SavedView.objects.for_org(org_a).values_list("name", flat=True))
    assert names == {"Alice only", "Team queue"}
    assert (
        carol_client.get(reverse("inbox_rename_view", args=["alpha", mine.pk])).status_code == 405
    )


def test_another_organizations_view_cannot_be_renamed_from_the_page(alice_client, bob_m, channel):
    from inbox.services.saved_views import save_view

    theirs = save_view(bob_m, name="Bob shared", query="q=b", shared=True)
    for slug in ("alpha", "bravo"):
        url = reverse("inbox_rename_view", args=[slug, theirs.pk])
        assert alice_client.post(url, {"name": "Taken"}).status_code == 404
    theirs.refresh_from_db()
    assert theirs.name == "Bob shared"
