"""Every ``data-confirm`` in the templates sits on an element static/js/app.js asks for: a form (on
submit), a button, an <input> or a link (on click). On anything else it would silently not ask (the asking itself is proven in Chromium:
tests/browser/test_publish_now_and_follow_it.py)."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HANDLED = {"form", "button", "input", "a"}


def test_every_data_confirm_is_on_an_element_the_script_handles():
    found, wrong = 0, []
    for path in (ROOT / "templates").rglob("*.html"):
        for match in re.finditer(r"<(\w+)\b[^>]*\bdata-confirm=", path.read_text()):
            found += 1
            if match.group(1).lower() not in HANDLED:
                wrong.append(f"{path.relative_to(ROOT)}: <{match.group(1)}>")
    assert found >= 10  # the templates do use it (forms, Publish now, the posts list's bulk bar)
    assert not wrong, wrong
