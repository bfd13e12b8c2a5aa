"""The approval link page shows the composer's network previews. Pictures come through the
organization's membership-checked media views, so only an approver signed in as themselves sees
them; a visitor with the link alone sees a placeholder with the alt text, never the file name."""

from __future__ import annotations

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from publishing.posts import services as authoring
from tests.publishing.media_factories import image_bytes, media_root, upload  # noqa: F401

from .conftest import link_tokens, submit


@pytest.fixture
def post_with_photo(org_a, people, workflow, channel):
    photo = upload(org_a, people.owner, image_bytes(1200, 1200), "DSC_0042-private.jpg").asset
    post = authoring.create_post(
        org_a,
        by=people.author,
        text="Fresh bread at seven " * 3,
        channels=[channel],
        media=[photo],
        alt_texts=["Three loaves on a board"],
    )
    submit(post, people.author)
    return post, photo


def _link_page(client, email):
    token = link_tokens(mail.outbox, email)[-1]
    return client.get(reverse("approval_link", args=[token])).content.decode()


@pytest.mark.django_db
def test_the_link_alone_shows_a_placeholder_and_never_the_file_name(post_with_photo):
    body = _link_page(Client(), "amy@alpha.test")
    assert 'class="pv pv-sandbox"' in body
    assert "Three loaves on a board" in body and "pv-placeholder" in body
    assert "DSC_0042-private" not in body and "/media/" not in body


@pytest.mark.django_db
def test_the_approver_signed_in_sees_the_picture_through_the_media_views(
    org_a, people, post_with_photo
):
    _post, photo = post_with_photo
    client = Client()
    client.force_login(people.amy.user)
    body = _link_page(client, "amy@alpha.test")
    src = reverse(
        "media_rendition", args=[org_a.slug, photo.pk, "feed_4_5"]
    )  # what the network gets
    assert f'<img src="{src}" alt="Three loaves on a board"' in body
    assert "DSC_0042-private" not in body


@pytest.mark.django_db
def test_the_decision_buttons_sit_in_the_bar_of_the_link_page(post_with_photo):
    body = _link_page(Client(), "amy@alpha.test")
    assert 'class="approval-phone approval-link-page"' in body
    assert body.index('class="decide-buttons"') > body.index(
        'class="pv pv-sandbox"'
    )  # fixed by CSS
