"""Inbox language and sentiment figures (issue 14): ``analyse_many`` on 10,000 comments.

No database: the texts are the labelled sample's comments (tests/inbox/data/comments.csv)
drawn at random, with a few noise variants (mentions, links, emoji, repeated letters) so the
batch is not 420 strings repeated. The first call's load time is reported apart.
"""

from __future__ import annotations

import csv
import random
import time
from pathlib import Path

Row = tuple[str, str, str, str]
ITEMS = 10_000
SAMPLE = Path(__file__).resolve().parent.parent / "tests" / "inbox" / "data" / "comments.csv"


def _texts() -> list[str]:
    with SAMPLE.open(encoding="utf-8", newline="") as handle:
        base = [row["text"] for row in csv.DictReader(handle)]
    rng = random.Random(14)
    texts = []
    for _ in range(ITEMS):
        text = rng.choice(base)
        variant = rng.random()
        if variant < 0.1:
            text = f"@user{rng.randint(1, 999)} {text}"
        elif variant < 0.2:
            text = f"{text} https://example.test/p/{rng.randint(1, 9999)}"
        elif variant < 0.3:
            text = text.replace("a", "aaa", 1)
        texts.append(text)
    return texts


def run() -> list[Row]:
    from inbox import nlp
    from inbox.nlp import analysis

    texts = _texts()
    analysis._engine = None
    started = time.perf_counter()
    nlp.analyse("warm up")
    load_ms = (time.perf_counter() - started) * 1000
    best = 0.0
    for _ in range(3):
        started = time.perf_counter()
        nlp.analyse_many(texts)
        best = max(best, len(texts) / (time.perf_counter() - started))
    return [
        (
            "inbox nlp: analyse_many, 10,000 comments",
            f"{best:,.0f}",
            "items/s",
            ">= 5,000 (ingest 2,000/s)",
        ),
        ("inbox nlp: per item", f"{1000 / best:.3f}", "ms", "< 0.2"),
        ("inbox nlp: first call (load models)", f"{load_ms:.0f}", "ms", "once per process"),
    ]
