"""The composer at 1366 px (editor left, sticky previews right) and at 375 px (Edit / Preview tabs),
its counters showing the server's count, and the approval link page's decision bar on a phone.

No horizontal scroll is checked against 375 px itself: with touch emulation Chromium widens
``innerWidth`` to the page, so comparing with it would hide an overflow.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from django.core import mail
from playwright.sync_api import expect

from accounts.capabilities import Role
from approvals import services as approval_services
from channels_registry.providers.x import XProvider
from publishing.posts import services as authoring
from tests.channels.factories import bulk_channels, connect_sandbox
from tests.factories import PASSWORD, add_member, make_user
from tests.publishing.media_factories import image_bytes, media_root, upload  # noqa: F401

from .conftest import ARGS, CHROMIUM  # noqa: F401 - the browser fixture launches Debian's Chromium

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SHOTS = os.environ.get("BROWSER_SHOTS", "")
WIDE = {"width": 1366, "height": 768}
PHONE = {"width": 375, "height": 812}
PEPPER_TEXT = "Sambal baru! " + "🌶️" * 20 + " Pedas sekali."


def _context(browser, viewport, *, phone=False):
    extra = {"is_mobile": True, "has_touch": True} if phone else {}
    context = browser.new_context(viewport=viewport, locale="en-US", **extra)
    pg = context.new_page()
    pg.set_default_timeout(10_000)
    return context, pg


def _sign_in(pg, live_server, email="alice@alpha.test"):
    pg.goto(f"{live_server.url}/accounts/login/")
    pg.fill("input[name=login]", email)
    pg.fill("input[name=password]", PASSWORD)
    pg.click("button[type=submit]")
    pg.wait_for_url(f"{live_server.url}/o/alpha/")


def _page_width(pg) -> int:
    return pg.evaluate("document.documentElement.scrollWidth")


def _shot(pg, name, **kw):
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        pg.screenshot(path=f"{SHOTS}/{name}.png", **kw)


@pytest.fixture
def composer_world(org_a, alice_m):
    (sandbox,) = connect_sandbox(org_a, alice_m, ["sbx-kitchen"])
    (x,) = bulk_channels(org_a, 1, provider="x", handle="alpha_x", name="Alpha on X")
    (ig,) = bulk_channels(org_a, 1, provider="instagram", handle="alpha.kopi", name="Alpha Kopi")
    photo = upload(org_a, alice_m, image_bytes(1600, 1200, dot=(0.5, 0.5)), "IMG_2041.jpg").asset
    second = upload(
        org_a, alice_m, image_bytes(1200, 1200, color=(180, 60, 20)), "IMG_2042.jpg"
    ).asset
    return {"sandbox": sandbox, "x": x, "instagram": ig, "photo": photo, "second": second}


def _compose(pg, world):
    pg.check(f"input[name=channels][value='{world['x'].pk}']")
    pg.check(f"input[name=channels][value='{world['instagram'].pk}']")
    pg.check(f"input[name=media][value='{world['photo'].pk}']")
    pg.check(f"input[name=media][value='{world['second'].pk}']")
    pg.fill(f"#alt_{world['photo'].pk}", "A bowl of red sambal")
    pg.fill(f"#alt_{world['second'].pk}", "Red chillies on a plate")
    pg.fill(
        "textarea[name=text]",
        PEPPER_TEXT + " " + "Datang dan coba di semua cabang kami minggu ini. " * 3,
    )


def test_at_1366_the_editor_is_left_and_the_previews_stay_in_view_on_the_right(
    browser, live_server, composer_world
):
    context, pg = _context(browser, WIDE)
    try:
        _sign_in(pg, live_server)
        pg.goto(f"{live_server.url}/o/alpha/compose/")
        _compose(pg, composer_world)
        x = composer_world["x"]
        ig_card = pg.locator(f"#previews [data-preview='{composer_world['instagram'].pk}']")
        expect(ig_card).to_be_visible()
        expect(pg.locator(f"#previews [data-preview='{x.pk}']")).to_be_visible()
        edit, preview = (
            pg.locator("#composer-edit").bounding_box(),
            pg.locator("#composer-preview").bounding_box(),
        )
        assert preview["x"] >= edit["x"] + edit["width"]  # side by side
        assert not pg.locator("[data-composer-tabs]").is_visible()  # no tabs on a wide screen
        # the picture itself (the rendition Instagram gets), the carousel dots, the cut "…more"
        img = ig_card.locator("img").first
        expect(img).to_have_attribute(
            "alt", re.compile("A bowl of red sambal|Red chillies on a plate")
        )
        # the picture really loads (lazily, and a loaded machine takes its time): wait for it
        pg.wait_for_function("(el) => el.complete && el.naturalWidth > 0", arg=img.element_handle())
        assert "IMG_204" not in ig_card.inner_html()
        expect(ig_card.locator(".pv-dots span")).to_have_count(2)
        expect(ig_card.locator("summary", has_text="…more")).to_be_visible()
        # the previews stay in view while the editor scrolls
        pg.mouse.wheel(0, 1500)
        pg.wait_for_timeout(300)
        assert pg.evaluate("window.scrollY") > 500
        assert 0 <= pg.locator("#composer-preview").bounding_box()["y"] < 100  # stuck at the top
        pg.mouse.wheel(0, -1500)
        pg.wait_for_timeout(300)
        assert _page_width(pg) <= WIDE["width"]
        _shot(pg, "compose-1366")
    finally:
        context.close()


def test_the_x_counter_is_the_servers_count_for_emoji_with_presentation_selectors(
    browser, live_server, composer_world
):
    context, pg = _context(browser, WIDE)
    try:
        _sign_in(pg, live_server)
        pg.goto(f"{live_server.url}/o/alpha/compose/")
        x = composer_world["x"]
        pg.check(f"input[name=channels][value='{x.pk}']")
        text = "🌶️" * 165 + "a"  # the page used to say 496 here; X (and the save) count 331
        pg.fill("textarea[name=text]", text)
        counter = pg.locator(f"[data-variant-panel='{x.pk}'] [data-counter]")
        expect(counter).to_have_text("331")  # the page's own count said 496
        assert XProvider.count_text(text) == 331  # what the save validates against
        expect(counter).to_have_class("error")
        pg.fill("textarea[name=text]", PEPPER_TEXT)
        expect(counter).to_have_text(str(XProvider.count_text(PEPPER_TEXT)))
    finally:
        context.close()


def test_on_a_phone_the_composer_has_edit_and_preview_tabs_and_no_horizontal_scroll(
    browser, live_server, composer_world
):
    context, pg = _context(browser, PHONE, phone=True)
    try:
        _sign_in(pg, live_server)
        pg.goto(f"{live_server.url}/o/alpha/compose/")
        tabs = pg.locator("[data-composer-tabs]")
        expect(tabs).to_be_visible()
        _compose(pg, composer_world)
        assert not pg.locator("#composer-preview").is_visible()  # Edit first
        x_counter = pg.locator(f"[data-variant-panel='{composer_world['x'].pk}'] [data-counter]")
        expect(x_counter).to_have_text(re.compile(r"^\d+$"))
        assert _page_width(pg) <= PHONE["width"]
        _shot(pg, "compose-375-edit", full_page=True)
        tabs.get_by_role("tab", name="Preview").click()
        expect(pg.locator("#composer-preview")).to_be_visible()
        assert not pg.locator("#composer-edit").is_visible()
        card = pg.locator(f"#previews [data-preview='{composer_world['instagram'].pk}']")
        expect(card).to_be_visible()
        expect(pg.locator(f"#previews [data-preview='{composer_world['x'].pk}']")).to_be_visible()
        assert _page_width(pg) <= PHONE["width"]
        _shot(pg, "compose-375-preview", full_page=True)
        tabs.get_by_role("tab", name="Edit").click()
        expect(pg.locator("textarea[name=text]")).to_be_visible()
    finally:
        context.close()


def test_the_approval_link_pages_decision_buttons_are_in_the_first_screen_of_a_phone(
    browser, live_server, org_a, alice_m, composer_world
):
    amy = add_member(org_a, make_user("amy@alpha.test", name="Amy Approver"), Role.MANAGER)
    approval_services.create_workflow(
        org_a,
        by=alice_m,
        name="Brand review",
        stages=[
            approval_services.StageSpec(
                name="Brand", approvers=[approval_services.ApproverSpec("person", membership=amy)]
            )
        ],
    )
    post = authoring.create_post(
        org_a,
        by=alice_m,
        text=PEPPER_TEXT + "\n\n" + "Datang dan coba di semua cabang kami. " * 4,
        channels=[composer_world["x"], composer_world["instagram"], composer_world["sandbox"]],
        media=[composer_world["photo"], composer_world["second"]],
        alt_texts=["A bowl of red sambal", ""],
    )
    approval_services.submit_for_approval(post, by=alice_m)
    link = next(m for m in reversed(mail.outbox) if m.to == ["amy@alpha.test"])
    path = re.search(r'href="https?://[^/"]+(/a/[^"]+/)"', link.alternatives[0][0]).group(1)
    context, pg = _context(browser, PHONE, phone=True)
    try:
        pg.goto(live_server.url + path)
        expect(pg.locator("#previews, .approval-previews").first).to_be_visible()
        for name in ("Approve", "Request changes", "Reject"):
            box = pg.get_by_role("button", name=name).bounding_box()
            assert box and 0 <= box["y"] and box["y"] + box["height"] <= PHONE["height"], (
                name,
                box,
            )
        assert _page_width(pg) <= PHONE["width"]
        assert "IMG_2041" not in pg.content()  # a placeholder, not the file name, without a session
        expect(pg.locator(".pv-placeholder", has_text="A bowl of red sambal").first).to_be_visible()
        _shot(pg, "approval-link-375")
        _shot(pg, "approval-link-375-full", full_page=True)
        pg.fill("textarea[name=comment]", "Looks good")
        pg.get_by_role("button", name="Approve").click()
        pg.wait_for_selector("text=your decision was recorded")
    finally:
        context.close()
