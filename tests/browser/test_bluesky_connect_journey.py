"""In a real browser: connect a Bluesky account that lives on a self-hosted PDS through the connect
page, see it marked as already connected when connecting again, and read the connect page's cards
for networks this server has not set up, at desktop and phone width (issues 10 and 11).

Set ``BROWSER_SHOTS=/some/dir`` to keep a screenshot of every page the journey passes.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from channels_registry import selectors
from channels_registry.models import Channel
from tests.fakes.bluesky import (
    SELF_DID,
    SELF_HANDLE,
    SELF_PASSWORD,
    BlueskyFake,
    self_hosted_accounts,
)

from .. import factories as f
from ..factories import PASSWORD
from .conftest import no_horizontal_scroll

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = os.environ.get("BROWSER_SHOTS", "")


def _shot(pg, name: str) -> None:
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        pg.screenshot(path=f"{SHOTS}/{name}.png", full_page=True)


@pytest.fixture
def fakes(settings):
    main = BlueskyFake().start()
    own = BlueskyFake(accounts=self_hosted_accounts(), handle_domains=(".brand.example",)).start()
    main.register_remote(SELF_DID, SELF_HANDLE, own.pds_url, well_known=False)
    settings.OUTBOUND_ALLOW_LOOPBACK = True
    settings.SOCIALOPS_PROVIDERS = {
        **settings.SOCIALOPS_PROVIDERS,
        "bluesky": {"urls": main.provider_urls(), "poll_interval": 0},
        "x": {"client_id": "", "client_secret": ""},
    }
    yield main, own
    main.stop()
    own.stop()


def _sign_in(pg, live_server, email):
    pg.goto(f"{live_server.url}/accounts/login/")
    pg.fill("input[name=login]", email)
    pg.fill("input[name=password]", PASSWORD)
    pg.click("button[type=submit]")
    pg.wait_for_url(f"{live_server.url}/o/alpha/")


def _connect_bluesky(pg, live_server, *, shots: str) -> None:
    pg.goto(f"{live_server.url}/o/alpha/channels/connect/")
    assert no_horizontal_scroll(pg)
    _shot(pg, f"connect-{shots}")
    pg.get_by_role("button", name="Connect Bluesky").click()
    pg.wait_for_url("**/channels/connect/?network=bluesky")
    pg.get_by_label("Handle").fill(SELF_HANDLE)
    pg.get_by_label("App password").fill(SELF_PASSWORD)
    assert no_horizontal_scroll(pg)
    _shot(pg, f"connect-bluesky-{shots}")
    pg.get_by_role("button", name="Use an app password").click()
    pg.wait_for_url("**/channels/connect/*/")
    assert no_horizontal_scroll(pg)
    _shot(pg, f"choose-bluesky-{shots}")


def test_a_self_hosted_bluesky_account_is_connected_through_the_pages(
    page, phone, live_server, alice, org_a, fakes
):
    main, own = fakes
    f.make_team(org_a, "Jakarta")
    f.make_team(org_a, "Singapore")

    _sign_in(page, live_server, alice.email)
    page.set_viewport_size({"width": 1366, "height": 900})
    _connect_bluesky(page, live_server, shots="1366")
    page.get_by_label("Brand (own server)").check()
    page.select_option("select[name=team]", label="Jakarta")
    page.select_option("select[name=timezone]", "Asia/Jakarta")
    page.get_by_role("button", name="Add channels").click()
    page.wait_for_url("**/channels/*/")
    channel = Channel.objects.for_org(org_a).get()
    assert (channel.external_id, channel.team.name, channel.timezone) == (
        SELF_DID,
        "Jakarta",
        "Asia/Jakarta",
    )
    assert selectors.credentials_for(channel).extra["pds_url"] == own.pds_url
    assert not main.requests_to("POST", r"createSession$")

    # Connecting again: the chooser says the account is already connected, and the team picked is saved.
    _connect_bluesky(page, live_server, shots="again-1366")
    label = page.locator("label", has_text="Brand (own server)").inner_text()
    assert "already connected: Jakarta, Asia/Jakarta" in label
    page.select_option("select[name=team]", label="Singapore")
    page.get_by_role("button", name="Add channels").click()
    page.wait_for_url("**/channels/*/")
    channel.refresh_from_db()
    assert channel.team.name == "Singapore"

    # The connect page's card for a network this server has not set up, in the person's words.
    page.goto(f"{live_server.url}/o/alpha/channels/connect/")
    x_card = page.locator(".network-card", has=page.get_by_role("heading", name="X", exact=True))
    assert "Ask whoever runs your SocialOps server" in x_card.inner_text()
    assert "CLIENT_ID" not in page.content()

    _sign_in(phone, live_server, alice.email)
    phone.goto(f"{live_server.url}/o/alpha/channels/connect/")
    assert no_horizontal_scroll(phone)
    _shot(phone, "connect-375")
    phone.get_by_role("button", name="Connect Bluesky").click()
    phone.wait_for_url("**/channels/connect/?network=bluesky")
    assert no_horizontal_scroll(phone)
    _shot(phone, "connect-bluesky-375")
