"""The bell after the post changed: a renamed post, a deleted one.

A notification records what happened when it happened: it keeps the title the post had then (the
approver was asked about that version; the link leads to the post as it is now). Nothing it shows
is read from the post again, so a deleted post cannot break the bell, the page or the API.
"""

from __future__ import annotations

import pytest
from django.urls import reverse

from approvals import services
from publishing.posts import services as authoring
from tests.conftest import api_client_for

from .conftest import submit

pytestmark = pytest.mark.django_db


@pytest.fixture
def titled(org_a, people, channel):
    return authoring.create_post(
        org_a, by=people.author, title="Launch day", text="Fresh bread at 7", channels=[channel]
    )


def _bell_page(client, membership):
    client.force_login(membership.user)
    response = client.get(reverse("notification_list", args=[membership.organization.slug]))
    assert response.status_code == 200
    return response.content.decode()


def test_a_renamed_post_keeps_the_title_it_was_sent_with(client, people, workflow, titled):
    submit(titled, people.author)
    authoring.update_post(titled, by=people.author, title="Launch week")
    page = _bell_page(client, people.amy)
    assert "Approval needed: Launch day" in page


def test_a_deleted_post_leaves_a_readable_bell(client, people, workflow, titled):
    request = submit(titled, people.author)
    services.decide(request, by=people.amy, decision="reject", comment="Not this week")
    authoring.delete_post(titled, by=people.author)
    assert "Approval needed: Launch day" in _bell_page(client, people.amy)
    author_page = _bell_page(client, people.author)
    assert "Rejected: Launch day" in author_page and "Not this week" in author_page
    results = api_client_for(people.amy).get("/api/v1/notifications/").json()["results"]
    assert [r["title"] for r in results] == ["Approval needed: Launch day"]
