"""Each network counts text its own way, and the providers count it with maintained code.

- X: twitter-text v3 (``twitter-text-parser``). The expected values marked "conformance" are
  twitter-text's own published cases (twitter/twitter-text, conformance/validate.yml and
  extract.yml); the package passes all of them, and so does our guarded use of it.
- Bluesky: extended grapheme clusters (``regex``'s ``\\X``).
- Mastodon: its StatusLengthValidator: graphemes, every ``http(s)://`` link as 23, a remote
  mention ``@user@domain`` as ``@user``.
- Facebook, Instagram, LinkedIn: characters (code points after NFC).
"""

from __future__ import annotations

import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from twitter_text import parse_tweet

from channels_registry.providers.bluesky import BlueskyProvider
from channels_registry.providers.facebook import FacebookProvider
from channels_registry.providers.mastodon import MastodonProvider
from channels_registry.providers.x import XProvider

PEPPER = "🌶️"  # U+1F336 U+FE0F: an emoji with its presentation selector
FAMILY = "👨\u200d👩\u200d👧\u200d👦"  # a ZWJ family: seven code points, one emoji


@pytest.mark.parametrize(
    ("text", "length"),
    [
        # conformance (validate.yml, WeightedTweetsWithDiscountedEmojiCounterTest)
        ("Hi http://test.co", 26),
        ("http://test.co", 23),
        ("H🐱☺" + FAMILY, 7),
        ("😷👾😡🔥💩", 10),
        ("🙋🏽👨\u200d🎤", 4),
        ("1⃣", 2),
        ("Unicode 9.0 emoji: 🤠; 💃; 💃🏾", 29),
        (
            "Unicode 10.0 emoji: 🤪; 🧕; 🧕🏾; 🏴\U000e0067\U000e0062\U000e0065\U000e006e\U000e0067\U000e007f",
            34,
        ),
        ("ABC\u202a\uffffABC\ufffe", 12),
        ("\u2066\u202ahttp://foobar.پاکستان/\u202c\u2069", 31),
        ("randomurlrandomurlrandomurlrandomurlrandomurlrandomurlrandomurls.com", 68),
        ("日" * 160, 320),
        (FAMILY * 140, 280),
        # emoji presentation selectors: the composer said 333 where the server said 331
        (PEPPER, 2),
        (PEPPER * 10 + " Pedas!", 27),
        ("❤️", 2),
        ("🇮🇩🇯🇵", 4),  # flags: two regional indicators each
        ("日本語のテキスト", 16),
        ("한국어", 6),
        ("café", 4),
        # links: every one weighs 23, with or without the protocol, however long
        ("https://example.com/a/very/long/path/that/is/longer/than/23?x=1", 23),
        ("see example.com.", 28),  # the final period is not part of the link
        ("foo.jp", 23),  # conformance (extract.yml): a bare ccTLD domain is a link
        ("see t.co", 27),  # conformance: t.co is a link
        ("https://socialops.example/x", 27),  # .example is no TLD: not a link
        ("mail bob@example.com", 20),  # an address is not a link
    ],
)
def test_x_counts_the_twitter_text_way(text, length):
    assert XProvider.count_text(text) == length


_TRICKY = st.sampled_from(
    [
        "a",
        "Z",
        "0",
        " ",
        "\n",
        ".",
        "/",
        ":",
        "-",
        "_",
        "@",
        "#",
        "?",
        "=",
        "&",
        "(",
        ")",
        "http://",
        "https://",
        "www.",
        ".com",
        ".co.jp",
        ".id",
        "example",
        "t.co",
        "日",
        "한",
        PEPPER,
        FAMILY,
        "🇮🇩",
        "👍🏽",
        "1️⃣",
        "e\u0301",
        "\u200d",
        "\ufe0f",
        "…",
        "“",
    ]
)


@settings(max_examples=300, deadline=None)
@given(st.lists(_TRICKY, max_size=40).map("".join))
def test_x_counts_what_twitter_text_counts_for_any_ordinary_text(text):
    """Our guarded use of the package is exactly the package's own count for ordinary text."""
    assert XProvider.count_text(text) == parse_tweet(text).weightedLength


def test_a_trailing_run_of_periods_is_not_part_of_the_link():
    # conformance (extract.yml, "a URL with a ton of trailing periods")
    text = "http://example.com/path" + "." * 42
    assert XProvider.count_text(text) == 23 + 42


@pytest.mark.parametrize(
    "text",
    [
        "a." * 35_000,  # twitter-text's pattern alone takes minutes on this
        ".a" * 35_000,
        "www." * 17_500,
        ("a." * 16 + " ") * 2_000,
        "a. " * 23_000,
    ],
)
def test_long_runs_of_dotted_labels_are_counted_quickly(text):
    started = time.perf_counter()
    assert XProvider.count_text(text) == len(text)  # no link in any of them: one per character
    # a guard against a hang (twitter-text's own pattern backtracks for minutes on these), not a
    # speed target: the bound is loose enough for a loaded CI machine; make bench measures speed
    assert time.perf_counter() - started < 60


def test_a_run_with_too_many_dots_for_a_host_is_still_a_link_when_it_starts_with_a_protocol():
    text = "read https://example.com/" + "v1." * 20 + "x"
    assert XProvider.count_text(text) == 5 + 23


@pytest.mark.parametrize(
    ("text", "graphemes"),
    [
        ("hello", 5),
        (FAMILY, 1),
        ("👍🏽", 1),
        ("🇫🇷🇩🇪", 2),
        ("e\u0301", 1),
        ("क्ष", 1),  # Devanagari conjunct
        ("\r\n", 1),
        ("한국어", 3),
        ("\u1112\u1161\u11ab", 1),  # Hangul jamo: one syllable
        (PEPPER * 3, 3),
        ("🫱🏻\u200d🫲🏿", 1),  # a newer ZWJ sequence (Emoji 14)
        ("https://example.com/a/long/path", 31),  # Bluesky counts links as typed
    ],
)
def test_bluesky_counts_grapheme_clusters(text, graphemes):
    assert BlueskyProvider.count_text(text) == graphemes


@pytest.mark.parametrize(
    ("text", "length"),
    [
        ("Hi https://example.com/a/very/long/path/indeed", 3 + 23),
        ("Hi http://test.co", 3 + 23),  # short links count 23 too
        ("see example.com", 15),  # without a protocol Mastodon makes no link: counted as typed
        ("@alice@example.social hello", len("@alice hello")),  # a remote mention without its domain
        ("@alice hello", 12),
        (FAMILY + " " + PEPPER, 3),  # graphemes
        ("日本語", 3),
        ("https://example.com/@bob@other.social", 23),  # the link wins over the mention inside it
    ],
)
def test_mastodon_counts_like_its_status_length_validator(text, length):
    assert MastodonProvider.count_text(text) == length


def test_networks_that_document_characters_count_code_points_after_nfc():
    assert FacebookProvider.count_text("e\u0301" + PEPPER) == 3  # é (NFC) + pepper + selector
    assert FacebookProvider.count_text("https://example.com/long") == 24
