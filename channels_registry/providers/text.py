"""How networks count text, from maintained implementations: one place the providers share.

- Links as twitter-text finds them: the ``twitter-text-parser`` package (a port of twitter-text
  that passes its conformance suite). X counts every link as 23; Mastodon finds links with the
  same library (protocol links only) and also counts each as 23.
- X's weighted length: twitter-text's v3 configuration and weights, from the same package.
- Grapheme clusters (UAX #29, what Bluesky and Mastodon count): the ``regex`` module's ``\\X``.

One narrow guard around the package: twitter-text's link pattern backtracks super-linearly on
long runs of dot-separated labels (``"a." * 2000`` takes seconds; the composer's 70,000
characters would never end). :func:`find_links` therefore hands the package the text in slices
cut at whitespace (no link contains whitespace, so the slices find exactly the links the whole
text has), and keeps out of it a run that no link resembles: more than
:data:`MAX_DOTS_PER_RUN` dots without a space (not counting the periods it ends with), or the
runs past a cost budget. Such a run is one link when it starts with ``http://`` or ``https://``
and plain text otherwise. Real posts never meet either bound.
"""

from __future__ import annotations

import re
import unicodedata
import warnings

import regex

with warnings.catch_warnings():
    # twitter-text-parser reads its emoji table through pkg_resources, which warns on import
    warnings.simplefilter("ignore")
    from twitter_text import extract_emojis_with_indices, extract_urls_with_indices
    from twitter_text.config import config as _twitter_text_config
    from twitter_text.get_character_weight import get_character_weight
    from twitter_text.parse_tweet import convert_line_ending
    from twitter_text.regexp.spaces_group import spaces_group

__all__ = ["count_graphemes", "find_links", "x_weighted_length"]

#: twitter-text's v3 configuration (``config/v3.json``): what X counts today
X_CONFIG = _twitter_text_config["version3"]
#: more dots than this in one run without whitespace: no host name or link looks like that
MAX_DOTS_PER_RUN = 16
#: the extractor's cost grows with the square of a run's dots; a text gets this much of it
DOT_BUDGET = 4096

_RUN = re.compile(f"[^{spaces_group}]+")  # twitter-text's own notion of whitespace
_PROTOCOL = re.compile(r"https?://", re.IGNORECASE)
_GRAPHEME = regex.compile(r"\X")


def _extract(text: str, start: int, end: int, *, without_protocol: bool) -> list[tuple[int, int]]:
    if start >= end:
        return []
    found = extract_urls_with_indices(
        text[start:end], extract_urls_without_protocol=without_protocol
    )
    return [(start + e["indices"][0], start + e["indices"][1]) for e in found]


def find_links(text: str, *, without_protocol: bool = True) -> list[tuple[int, int]]:
    """(start, end) of every link twitter-text finds in ``text`` (code point indices), in order.

    ``without_protocol=False`` finds only links written with ``http://`` or ``https://`` (Mastodon).
    """
    spans: list[tuple[int, int]] = []
    budget, pending = DOT_BUDGET, 0
    for run in _RUN.finditer(text):
        # a link never ends with a period: the periods a run ends with cost nothing
        dots = run.group().rstrip(".").count(".")
        cost = dots * dots if dots > 1 else 0
        if dots <= MAX_DOTS_PER_RUN and cost <= budget:
            budget -= cost
            continue
        spans += _extract(text, pending, run.start(), without_protocol=without_protocol)
        if _PROTOCOL.match(run.group()):
            spans.append(run.span())
        pending = run.end()
    spans += _extract(text, pending, len(text), without_protocol=without_protocol)
    return spans


def x_weighted_length(text: str) -> int:
    """The length X counts against its limit: twitter-text v3 (what ``parse_tweet`` computes).

    Text is NFC-normalized with line endings folded to ``\\n``; each link weighs 23, each emoji
    (a whole sequence: ZWJ families, flags, keycaps, skin tones) the default 200, other code
    points by the configured ranges (Latin and common punctuation 100, the rest 200); the sum is
    divided by the scale (100).
    """
    options = X_CONFIG
    text = convert_line_ending(unicodedata.normalize("NFC", text or ""))
    links = dict(find_links(text))
    emojis = {e["indices"][0]: e["indices"][1] for e in extract_emojis_with_indices(text)}
    total, i = 0, 0
    while i < len(text):
        if i in links:
            total += options["transformed_url_length"] * options["scale"]
            i = links[i]
        elif i in emojis:
            total += options["default_weight"]
            i = emojis[i]
        else:
            total += get_character_weight(text[i], options)
            i += 1
    return total // options["scale"]


def count_graphemes(text: str) -> int:
    """User-perceived characters (extended grapheme clusters, UAX #29)."""
    return len(_GRAPHEME.findall(text or ""))
