"""The media library in Chromium at phone width: upload, see renditions, click to move the focal point.

Set ``BROWSER_SHOTS=/some/dir`` to keep screenshots.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from publishing.models import MediaAsset

from ..factories import PASSWORD
from ..publishing.media_factories import image_bytes, media_root  # noqa: F401
from .conftest import no_horizontal_scroll

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = os.environ.get("BROWSER_SHOTS", "")


def _shot(pg, name):
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        pg.screenshot(path=f"{SHOTS}/{name}.png", full_page=True)


def _wait_until(pg, expression, timeout=10.0):
    """Poll from Python: wait_for_function evaluates strings with eval, which our CSP forbids."""
    deadline = time.monotonic() + timeout
    while not pg.evaluate(expression):
        assert time.monotonic() < deadline, f"timed out waiting for {expression}"
        pg.wait_for_timeout(100)


def test_a_phone_user_uploads_an_image_and_clicks_its_subject(
    live_server, phone, org_a, alice, tmp_path
):  # noqa: F811
    csp_errors = []
    phone.on(
        "console",
        lambda m: csp_errors.append(m.text) if "Content Security Policy" in m.text else None,
    )
    phone.goto(f"{live_server.url}/accounts/login/")
    phone.fill("input[name=login]", alice.email)
    phone.fill("input[name=password]", PASSWORD)
    phone.click("button[type=submit]")
    phone.wait_for_url(f"{live_server.url}/o/alpha/")

    photo = tmp_path / "market.jpg"
    photo.write_bytes(image_bytes(1600, 1200, dot=(0.75, 0.25)))
    phone.goto(f"{live_server.url}/o/alpha/media/")
    assert no_horizontal_scroll(phone)
    phone.set_input_files("input[name=file]", str(photo))
    phone.fill("textarea[name=alt_text]", "A market stall")
    phone.click("#media-upload button[type=submit]")
    phone.wait_for_selector("[data-focal-image]")
    assert no_horizontal_scroll(phone)
    assert phone.locator(".rendition img").count() == 5
    _shot(phone, "media-detail-phone")

    image = phone.locator("[data-focal-image]")
    image.wait_for(state="visible")
    _wait_until(phone, "document.querySelector('[data-focal-image]').complete")
    box = image.bounding_box()
    with phone.expect_navigation():
        image.click(position={"x": box["width"] * 0.75, "y": box["height"] * 0.25})
    asset = MediaAsset.objects.for_org(org_a).get()
    assert asset.focal_x == pytest.approx(0.75, abs=0.03) and asset.focal_y == pytest.approx(
        0.25, abs=0.03
    )
    assert "Focal point moved" in phone.content()

    phone.goto(f"{live_server.url}/o/alpha/media/")
    assert phone.locator(".media-card img").count() == 1
    # the thumbnail loads through the org-scoped view (lazy: wait for it)
    _wait_until(
        phone,
        "document.querySelector('.media-card img').complete"
        " && document.querySelector('.media-card img').naturalWidth > 0",
    )
    _shot(phone, "media-list-phone")
    assert not csp_errors
