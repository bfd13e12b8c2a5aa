"""Connecting as new users met it (issue 10, items 6 and 8): the account chooser says which accounts
are already connected and reconnecting one saves the team and time zone picked there; a network
whose app is not registered is explained in the person's words, with the settings to change shown
only to the people who run the server.
"""

from __future__ import annotations

import pytest
from django.urls import reverse

from channels_registry.models import Channel
from socialops.audit.models import AuditEvent
from tests import factories as f

from .factories import authorize_sandbox, connect_sandbox

pytestmark = pytest.mark.django_db


def chooser_url(org, attempt):
    return reverse("channel_connect_choose", args=[org.slug, attempt.pk])


def test_the_chooser_says_which_accounts_are_already_connected_and_where(
    alice_client, org_a, alice_m
):
    jakarta = f.make_team(org_a, "Jakarta")
    connect_sandbox(org_a, alice_m, ["sbx-kitchen"], team=jakarta, timezone_name="Asia/Jakarta")

    attempt = authorize_sandbox(org_a, alice_m, ["sbx-kitchen", "sbx-kopi"])
    page = alice_client.get(chooser_url(org_a, attempt)).content.decode()

    assert "already connected: Jakarta, Asia/Jakarta; choosing it reconnects that channel" in page
    assert page.count("already connected:") == 1  # the other account is new
    assert "Accounts already connected move to this team and time zone." in page


def test_reconnecting_an_account_saves_the_team_and_time_zone_picked_on_the_chooser(
    alice_client, org_a, alice_m
):
    jakarta, singapore = f.make_team(org_a, "Jakarta"), f.make_team(org_a, "Singapore")
    (channel,) = connect_sandbox(
        org_a, alice_m, ["sbx-kitchen"], team=jakarta, timezone_name="Asia/Jakarta"
    )

    attempt = authorize_sandbox(org_a, alice_m, ["sbx-kitchen"])
    response = alice_client.post(
        chooser_url(org_a, attempt),
        {"accounts": ["sbx-kitchen"], "team": singapore.pk, "timezone": "Asia/Singapore"},
    )

    assert response.status_code == 302
    (again,) = Channel.objects.for_org(org_a)
    assert again.pk == channel.pk
    assert (again.team_id, again.timezone) == (singapore.pk, "Asia/Singapore")
    event = AuditEvent.objects.for_org(org_a).filter(action="channel.reconnected").get()
    assert event.changes == {
        "team": [jakarta.pk, singapore.pk],
        "timezone": ["Asia/Jakarta", "Asia/Singapore"],
    }


def test_the_chooser_starts_from_the_known_channels_team_and_zone_so_an_untouched_form_keeps_them(
    alice_client, org_a, alice_m
):
    jakarta = f.make_team(org_a, "Jakarta")
    (channel,) = connect_sandbox(
        org_a, alice_m, ["sbx-kitchen"], team=jakarta, timezone_name="Asia/Makassar"
    )
    attempt = authorize_sandbox(org_a, alice_m, ["sbx-kitchen"])

    form = alice_client.get(chooser_url(org_a, attempt)).context["form"]
    assert (form.initial["team"], form.initial["timezone"]) == (jakarta.pk, "Asia/Makassar")


def test_an_unregistered_network_is_explained_without_setting_names_to_organization_members(
    alice_client, org_a
):
    page = alice_client.get(reverse("channel_connect", args=[org_a.slug])).content.decode()
    assert "Not available yet" in page
    assert (
        "X has not been set up on this SocialOps server yet. Ask whoever runs your SocialOps server"
        in page
    )
    assert "_CLIENT_ID" not in page and "_CLIENT_SECRET" not in page


def test_the_people_who_run_the_server_are_told_which_settings_to_change(client, org_a, alice):
    alice.is_staff = True
    alice.save(update_fields=["is_staff"])
    client.force_login(alice)
    page = client.get(reverse("channel_connect", args=[org_a.slug])).content.decode()
    assert "X_CLIENT_ID and X_CLIENT_SECRET" in page
    assert "README, section “Configuration”" in page


def test_starting_an_unregistered_network_anyway_names_no_setting(alice_client, org_a):
    response = alice_client.post(reverse("channel_connect", args=[org_a.slug]), {"network": "x"})
    assert response.status_code == 200
    text = response.content.decode()
    assert "X has not been set up on this SocialOps server yet." in text
    assert "_CLIENT_ID" not in text
