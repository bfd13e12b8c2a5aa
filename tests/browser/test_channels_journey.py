"""A new owner's channels journey in a real browser: connect sandbox accounts through the consent
page, read and filter the inventory, export it, disconnect a channel and grant access; then the
same pages at phone width.

Set ``BROWSER_SHOTS=/some/dir`` to keep a screenshot of every page the journey passes.
"""

from __future__ import annotations

import csv
import io
import os
from pathlib import Path

import pytest

from accounts.capabilities import Role
from channels_registry import selectors
from channels_registry.models import Channel, ChannelGrant

from .. import factories as f
from ..channels.factories import connect_sandbox
from ..factories import PASSWORD
from .conftest import no_horizontal_scroll

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = os.environ.get("BROWSER_SHOTS", "")


def _shot(pg, name: str) -> None:
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        pg.screenshot(path=f"{SHOTS}/{name}.png", full_page=True)


@pytest.fixture
def live(live_server, settings):
    # The sandbox's consent page and callback are built from SITE_URL: point it at the live server.
    settings.SITE_URL = live_server.url
    return live_server


def _sign_in(pg, live_server, email):
    pg.goto(f"{live_server.url}/accounts/login/")
    pg.fill("input[name=login]", email)
    pg.fill("input[name=password]", PASSWORD)
    pg.click("button[type=submit]")
    pg.wait_for_url(f"{live_server.url}/o/alpha/")


def _connect_two_sandbox_accounts(pg, live_server, *, suffix: str) -> None:
    """From the channel list: Connect → Sandbox → consent (two of three accounts) → chooser."""
    pg.get_by_role("link", name="Connect a channel").click()
    pg.wait_for_url("**/channels/connect/")
    assert no_horizontal_scroll(pg)
    _shot(pg, f"connect-{suffix}")
    pg.get_by_role("button", name="Connect Sandbox").click()
    pg.wait_for_url("**/connect/sandbox/authorize?**")
    assert no_horizontal_scroll(pg)
    _shot(pg, f"sandbox-consent-{suffix}")
    pg.get_by_label("Promo Harian").uncheck()
    pg.get_by_role("button", name="Allow").click()
    pg.wait_for_url("**/channels/connect/*/")
    assert no_horizontal_scroll(pg)
    _shot(pg, f"choose-accounts-{suffix}")
    pg.get_by_label("Nusantara Kitchen").check()
    pg.get_by_label("Kopi Pagi").check()
    pg.select_option("select[name=team]", label="Jakarta")
    pg.select_option("select[name=timezone]", "Asia/Jakarta")
    pg.get_by_role("button", name="Add channels").click()
    pg.wait_for_url(f"{live_server.url}/o/alpha/channels/")


def _row(pg, name: str):
    return pg.locator("#channel-table tbody tr", has_text=name)


def test_an_owner_connects_filters_exports_disconnects_and_grants(page, live, alice, org_a):
    f.make_team(org_a, "Jakarta")
    petra = f.make_user("petra@alpha.test", name="Petra Publisher")
    f.add_member(org_a, petra, Role.CONTRIBUTOR)

    _sign_in(page, live, alice.email)
    page.locator("#primary-nav").get_by_role("link", name="Channels").click()
    page.wait_for_url("**/o/alpha/channels/")
    assert "No channels yet" in page.locator("main").inner_text()
    _shot(page, "channels-empty-desktop")

    _connect_two_sandbox_accounts(page, live, suffix="desktop")
    assert "2 channels connected." in page.locator(".messages").inner_text()
    assert page.locator("#channel-table tbody tr").count() == 2
    for name in ("Nusantara Kitchen", "Kopi Pagi"):
        row = _row(page, name)
        assert "Active" in row.locator(".badge").first.inner_text()
        assert "Jakarta" in row.inner_text() and "Sandbox" in row.inner_text()
    assert "Promo Harian" not in page.locator("#channel-table").inner_text()
    _shot(page, "channels-list-desktop")

    # Filters: by network and status; a filter nothing matches says so.
    page.select_option("select[name=network]", "sandbox")
    page.select_option("select[name=status]", "active")
    page.get_by_role("button", name="Filter").click()
    page.wait_for_url("**/channels/?**status=active**")
    assert page.locator("#channel-table tbody tr").count() == 2
    page.select_option("select[name=status]", "disconnected")
    page.get_by_role("button", name="Filter").click()
    page.wait_for_url("**status=disconnected**")
    assert page.locator("#channel-table").count() == 0
    assert "No channel matches these filters." in page.locator("main").inner_text()
    page.get_by_role("link", name="Clear").click()
    page.wait_for_url(f"{live.url}/o/alpha/channels/")

    # The CSV export: a header, one row per channel, and never a token.
    with page.expect_download() as info:
        page.get_by_role("link", name="Export CSV").click()
    download = info.value
    assert download.suggested_filename.startswith(
        "channels-alpha-"
    ) and download.suggested_filename.endswith(".csv")
    text = Path(download.path()).read_text(encoding="utf-8")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0][:7] == ["id", "network", "external_id", "handle", "name", "team", "status"]
    assert sorted(r[4] for r in rows[1:]) == ["Kopi Pagi", "Nusantara Kitchen"]
    assert all(r[6] == "active" for r in rows[1:])
    assert not any("token" in col and col != "token_expires_at" for col in rows[0])
    for channel in Channel.objects.for_org(org_a):
        creds = selectors.credentials_for(channel)
        assert creds.access_token and creds.access_token not in text
        assert not creds.refresh_token or creds.refresh_token not in text

    # One channel: disconnect it after confirming.
    page.get_by_role("link", name="Kopi Pagi").click()
    page.wait_for_url("**/o/alpha/channels/*/")
    assert page.locator("h1").inner_text() == "Kopi Pagi"
    _shot(page, "channel-detail-desktop")
    questions = []

    def accept(dialog):
        questions.append(dialog.message)
        dialog.accept()

    page.on("dialog", accept)
    page.get_by_role("button", name="Disconnect").click()
    page.wait_for_selector(".msg-success")
    assert questions and "Disconnect this channel?" in questions[0]
    assert "Channel disconnected." in page.locator(".messages").inner_text()
    assert page.locator("main .badge-err").first.inner_text() == "Disconnected"
    assert page.get_by_role("button", name="Disconnect").count() == 0
    kopi = Channel.objects.for_org(org_a).get(external_id="sbx-kopi")
    assert kopi.status == Channel.Status.DISCONNECTED

    # Grant Petra "Publish" on the channel.
    page.select_option("select[name=capability]", "publish")
    page.select_option("select[name=membership]", label=str(petra))
    page.get_by_role("button", name="Grant access").click()
    page.wait_for_selector(".msg-success")
    grants = page.locator("#grant-table")
    assert "Publish" in grants.inner_text() and str(petra) in grants.inner_text()
    assert (
        ChannelGrant.objects.for_org(org_a)
        .filter(channel=kopi, membership__user=petra, capability="publish")
        .exists()
    )
    _shot(page, "channel-detail-disconnected-desktop")

    # Back on the list, the status reads Disconnected.
    page.get_by_role("link", name="Channels").first.click()
    page.wait_for_url(f"{live.url}/o/alpha/channels/")
    assert "Disconnected" in _row(page, "Kopi Pagi").inner_text()
    assert "Active" in _row(page, "Nusantara Kitchen").inner_text()

    # Groups: make one with both channels.
    page.get_by_role("link", name="Groups").click()
    page.wait_for_url("**/channels/groups/")
    _shot(page, "groups-empty-desktop")
    page.fill("input[name=name]", "Coffee brands")
    page.get_by_label("kopi.pagi").check()
    page.get_by_role("button", name="Create group").click()
    page.wait_for_selector(".msg-success")
    assert "Coffee brands" in page.locator("main").inner_text()
    _shot(page, "groups-desktop")


def test_the_channels_pages_fit_a_phone(phone, live, alice, alice_m, org_a):
    f.make_team(org_a, "Jakarta")
    connect_sandbox(org_a, alice_m, accounts=("sbx-promo",), team=None)

    _sign_in(phone, live, alice.email)
    phone.click("[data-nav-toggle]")
    phone.locator("#primary-nav").get_by_role("link", name="Channels").click()
    phone.wait_for_url("**/o/alpha/channels/")
    assert no_horizontal_scroll(phone)

    _connect_two_sandbox_accounts(phone, live, suffix="phone")
    assert phone.locator("#channel-table tbody tr").count() == 3
    assert "Active" in _row(phone, "Kopi Pagi").inner_text()
    assert no_horizontal_scroll(phone)
    _shot(phone, "channels-list-phone")

    _row(phone, "Nusantara Kitchen").get_by_role("link", name="Nusantara Kitchen").click()
    phone.wait_for_url("**/o/alpha/channels/*/")
    assert phone.locator("h1").inner_text() == "Nusantara Kitchen"
    assert phone.get_by_role("button", name="Disconnect").is_visible()
    assert no_horizontal_scroll(phone)
    _shot(phone, "channel-detail-phone")

    phone.goto(f"{live.url}/o/alpha/channels/connect/?network=mastodon")
    assert phone.locator("h2").inner_text() == "Connect Mastodon"
    assert phone.get_by_label("Instance address").is_visible()
    assert no_horizontal_scroll(phone)
    _shot(phone, "connect-mastodon-phone")

    phone.goto(f"{live.url}/o/alpha/channels/groups/")
    assert no_horizontal_scroll(phone)
    _shot(phone, "groups-phone")
