"""``analyse(text)`` and ``analyse_many(texts)``: language ("en", "id", "und") and sentiment."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Literal

Language = Literal["en", "id", "und"]
Sentiment = Literal["positive", "neutral", "negative"]

# A score at or beyond these bounds is positive / negative; between them, neutral.
POSITIVE_AT = 0.05
NEGATIVE_AT = -0.05


@dataclass(frozen=True, slots=True)
class Analysis:
    language: Language
    sentiment: Sentiment
    score: float  # -1 (most negative) ... 1 (most positive)


NEUTRAL_UNKNOWN = Analysis(language="und", sentiment="neutral", score=0.0)

_lock = threading.Lock()
_engine = None


def _get_engine():
    global _engine
    if _engine is None:
        with _lock:
            if _engine is None:
                from inbox.nlp.engine import Engine

                _engine = Engine()
    return _engine


def label(score: float) -> Sentiment:
    if score >= POSITIVE_AT:
        return "positive"
    if score <= NEGATIVE_AT:
        return "negative"
    return "neutral"


def analyse(text: str) -> Analysis:
    """The language and sentiment of one inbox item's text."""
    return _get_engine().analyse(text or "")


def analyse_many(texts: list[str]) -> list[Analysis]:
    """``analyse`` for a batch, in order (the ingest path calls this once per page of items)."""
    engine = _get_engine()
    return [engine.analyse(text or "") for text in texts]
