"""Read-only share links: signed, expiring, revocable; only the creator's chosen view, never another org's."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from publishing.calendar import services as calendar_services
from socialops.sharing.models import ShareLink

from .conftest import P, V, in_days, make_post, month_range, posts_in

pytestmark = pytest.mark.django_db


def _link(org, by, **kw):
    return calendar_services.create_share_link(
        org, by=by, name=kw.pop("name", "Agency"), filters=kw.pop("filters", {}), **kw
    )


def _events(client, token, at):
    return client.get(
        reverse("calendar_shared_events", kwargs={"share_token": token}), month_range(at)
    )


def test_a_valid_link_opens_the_read_only_calendar_for_anyone(
    client, org_a, alice, alice_m, channels
):
    post = make_post(
        org_a,
        alice,
        channels[:1],
        status=P.SCHEDULED,
        variant_status=V.SCHEDULED,
        at=in_days(2),
        text="Shared launch post",
    )
    _link_obj, token = _link(org_a, alice_m)
    page = client.get(reverse("calendar_shared", kwargs={"share_token": token}))
    assert page.status_code == 200
    assert 'data-shared="1"' in page.content.decode()
    assert page["Referrer-Policy"] == "no-referrer"
    events = posts_in(_events(client, token, in_days(2)).json()["events"])
    assert [e["extendedProps"]["post"] for e in events] == [post.pk]
    assert (
        events[0]["editable"] is False
        and "url" not in events[0]
        and "author" not in events[0]["extendedProps"]
    )


def test_only_a_hash_of_the_token_is_stored(org_a, alice_m):
    link, token = _link(org_a, alice_m)
    secret = token.split(":")[0]
    row = ShareLink.objects.for_org(org_a).get(pk=link.pk)
    assert row.token_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert secret not in str(row.__dict__)


def test_the_creators_filters_are_frozen(client, org_a, alice, alice_m, channels, campaign):
    inside = make_post(org_a, alice, channels[:1], planned_at=in_days(2), campaign=campaign)
    make_post(org_a, alice, channels[:1], planned_at=in_days(2))
    _l, token = _link(org_a, alice_m, filters={"campaign": campaign.pk, "bogus": "x"})
    url = reverse("calendar_shared_events", kwargs={"share_token": token})
    # a visitor cannot widen the view with their own query parameters
    response = client.get(url, {**month_range(in_days(2)), "campaign": "", "team": ""})
    assert [e["extendedProps"]["post"] for e in posts_in(response.json()["events"])] == [inside.pk]


def test_an_expired_link_shows_a_clear_page(client, org_a, alice_m):
    link, token = _link(org_a, alice_m, expires_in_days=1)
    ShareLink.objects.for_org(org_a).filter(pk=link.pk).update(
        expires_at=timezone.now() - timedelta(minutes=1)
    )
    response = client.get(reverse("calendar_shared", kwargs={"share_token": token}))
    assert response.status_code == 410
    assert "expired" in response.content.decode()
    assert 'id="calendar"' not in response.content.decode()
    assert _events(client, token, in_days(1)).status_code == 410
    assert (
        client.get(reverse("calendar_shared_feed", kwargs={"share_token": token})).status_code
        == 410
    )


def test_a_revoked_link_shows_a_clear_page(client, alice_client, org_a, alice_m):
    link, token = _link(org_a, alice_m)
    revoke = reverse("calendar_share_revoke", kwargs={"org_slug": org_a.slug, "link_id": link.pk})
    assert alice_client.post(revoke).status_code == 302
    response = client.get(reverse("calendar_shared", kwargs={"share_token": token}))
    assert response.status_code == 410
    assert "turned off" in response.content.decode()


def test_a_tampered_or_unknown_token_is_a_404(client, org_a, alice_m):
    _l, token = _link(org_a, alice_m)
    secret, signature = token.split(":")
    for bad in (
        secret[:-1] + ("A" if secret[-1] != "A" else "B") + ":" + signature,
        secret,
        "nonsense",
        "x" * 43 + ":" + signature,
    ):
        response = client.get(reverse("calendar_shared", kwargs={"share_token": bad}))
        assert response.status_code == 404, bad
        assert 'id="calendar"' not in response.content.decode()


def test_a_link_never_shows_another_organizations_data(
    client, org_a, org_b, alice, alice_m, bob, bob_m, channels
):
    from ..channels.factories import connect_sandbox

    (bravo_channel,) = connect_sandbox(org_b, bob_m, ["sbx-promo"])
    make_post(org_b, bob, [bravo_channel], planned_at=in_days(2), text="Bravo confidential")
    make_post(org_a, alice, channels[:1], planned_at=in_days(2), text="Alpha shared")
    # A link saved before filters were checked against the organization names B's channel: it shows nothing.
    old, token = _link(org_a, alice_m)
    ShareLink.objects.for_org(org_a).filter(pk=old.pk).update(filters={"channel": bravo_channel.pk})
    body = _events(client, token, in_days(2)).content.decode()
    assert (
        "Bravo confidential" not in body and "Alpha shared" not in body
    )  # B's channel id matches nothing in A
    _l, token = _link(org_a, alice_m)
    body = _events(client, token, in_days(2)).content.decode()
    assert "Alpha shared" in body and "Bravo confidential" not in body


def test_a_link_dies_with_its_creators_access(client, org_a, alice_m):
    from accounts.capabilities import Role

    from .. import factories as f

    publisher = f.add_member(org_a, f.make_user("pub@alpha.test"), Role.PUBLISHER)
    _l, token = _link(org_a, publisher)
    assert client.get(reverse("calendar_shared", kwargs={"share_token": token})).status_code == 200
    publisher.is_active = False
    publisher.save()
    assert client.get(reverse("calendar_shared", kwargs={"share_token": token})).status_code == 410


def test_the_share_page_creates_a_link_with_the_chosen_filters(alice_client, org_a, campaign):
    url = reverse("calendar_share", kwargs={"org_slug": org_a.slug})
    page = alice_client.get(url, {"campaign": campaign.pk, "status": "draft"}).content.decode()
    assert f'value="{campaign.pk}"' in page
    # the chosen filters in words, not ids
    assert f"Campaign: {campaign.name}" in page and "Status: Draft" in page
    assert '<span class="badge">campaign=' not in page
    assert 'id="no-share-links"' in page
    response = alice_client.post(
        url, {"name": "Agency", "expires_in_days": 7, "campaign": campaign.pk}
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert "/calendar/shared/" in body and "feed.ics" in body
    link = ShareLink.objects.for_org(org_a).get()
    assert link.filters == {"campaign": campaign.pk}
    assert abs((link.expires_at - timezone.now()) - timedelta(days=7)) < timedelta(minutes=1)


@pytest.mark.parametrize("key", ["team", "channel", "campaign", "author"])
def test_a_link_cannot_be_saved_with_another_organizations_ids_in_its_filters(
    org_a, org_b, alice_m, bob, bob_m, key
):
    from publishing.posts import services as authoring
    from socialops.errors import ValidationFailed

    from .. import factories as f
    from ..channels.factories import connect_sandbox

    (bravo_channel,) = connect_sandbox(org_b, bob_m, ["sbx-promo"])
    bravo = {
        "team": f.make_team(org_b, "Bravo Team", by=bob_m).pk,
        "channel": bravo_channel.pk,
        "campaign": authoring.create_campaign(org_b, by=bob_m, name="Bravo Campaign").pk,
        "author": bob.pk,
    }
    with pytest.raises(ValidationFailed) as refused:
        _link(org_a, alice_m, filters={key: bravo[key]})
    assert key in refused.value.fields
    assert not ShareLink.objects.for_org(org_a).exists()


def test_a_link_cannot_be_saved_with_an_unknown_network(org_a, alice_m):
    from socialops.errors import ValidationFailed

    with pytest.raises(ValidationFailed) as refused:
        _link(org_a, alice_m, filters={"network": "myspace"})
    assert "network" in refused.value.fields


def test_the_api_refuses_another_organizations_team_in_a_share_links_filters(
    alice_api, org_a, org_b, bob_m
):
    from .. import factories as f

    bravo_team = f.make_team(org_b, "Bravo Team", by=bob_m)
    response = alice_api.post(
        "/api/v1/calendar-share-links/",
        {"name": "Agency", "filters": {"team": bravo_team.pk}},
        format="json",
    )
    assert response.status_code == 400 and "team" in response.json()["error"]["fields"]
    assert not ShareLink.objects.for_org(org_a).exists()
