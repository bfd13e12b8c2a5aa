"""Every post chip of the calendar reads at WCAG AA (4.5:1), whatever colour its campaign has,
published (faded) or not; the browser test (tests/browser/test_accessibility.py) checks the
drawn calendar with axe."""

from __future__ import annotations

import pytest

from publishing.calendar.selectors import DEFAULT_COLOR, chip_colors, contrast_ratio

# the default, the demo's, the form's default and colours people pick, light to dark
PALETTE = [
    DEFAULT_COLOR, "#2f5bd3", "#c2410c", "#7c3aed", "#16a34a", "#22c55e", "#0ea5e9", "#e11d48",
    "#f59e0b", "#fde047", "#808080", "#767676", "#1e3a8a", "#000000", "#ffffff", "#ff0000",
    "#00ff00", "#0000ff", "#14b8a6", "#db2777",
]  # fmt: skip


@pytest.mark.parametrize(
    "status", ["draft", "in_review", "approved", "scheduled", "failed", "published"]
)
@pytest.mark.parametrize("color", PALETTE)
def test_a_chip_text_reads_on_its_colour(color, status):
    chip = chip_colors(color, status)
    ratio = contrast_ratio(chip["textColor"], chip["backgroundColor"])
    assert ratio >= 4.5, (color, status, chip, round(ratio, 2))


def test_white_stays_where_it_reads_and_a_published_post_is_its_colour_faded():
    assert chip_colors(DEFAULT_COLOR, "scheduled")["textColor"] == "#ffffff"
    assert chip_colors("#c2410c", "scheduled")["textColor"] == "#ffffff"
    # a mid green: white read at 3.3:1, so the words are dark
    assert chip_colors("#16a34a", "scheduled")["textColor"] != "#ffffff"
    published = chip_colors(DEFAULT_COLOR, "published")
    assert published["backgroundColor"] == "#9aa5b4"  # what 65 % opacity on white looked like
    assert published["textColor"] != "#ffffff"
    assert published["ink"] == "cal-ink-dark"
    assert chip_colors(DEFAULT_COLOR, "draft")["ink"] == "cal-ink-light"


def test_the_contrast_ratio_is_wcag_s():
    assert round(contrast_ratio("#ffffff", "#000000"), 2) == 21.0
    assert round(contrast_ratio("#767676", "#ffffff"), 2) == 4.54
    assert contrast_ratio("#abcdef", "#abcdef") == 1.0
