"""The loaded models: language id (py3langid, EN/ID only) and lexicon-based sentiment.

English is scored by VADER (vaderSentiment). Indonesian is scored by the same rules over an
Indonesian lexicon after slang normalisation (indoNLP's Kamus Alay list); English words inside an
Indonesian comment fall back to VADER's lexicon, emoji to VADER's emoji descriptions.
"""

from __future__ import annotations

import re

from inbox.nlp.analysis import NEUTRAL_UNKNOWN, Analysis, label
from inbox.nlp.lexicon_id import ID_LEXICON

WORD = re.compile(r"[^\W\d_]+(?:[-'][^\W\d_]+)*", re.UNICODE)
MIN_LETTERS = 3
# Mentions, links and e-mail addresses say nothing about the language or the mood.
NOISE = re.compile(r"(?:https?://|www\.)\S+|\S+@\S+\.\S+|[@#][\w.]+", re.UNICODE)


class Engine:
    def __init__(self) -> None:
        from py3langid.langid import MODEL_FILE, LanguageIdentifier
        from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

        self._langid = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
        self._langid.set_languages(["en", "id"])
        self._vader = SentimentIntensityAnalyzer()

    def language(self, text: str) -> str:
        text = NOISE.sub(" ", text)
        letters = sum(1 for ch in text if ch.isalpha())
        if letters < MIN_LETTERS:
            return "und"
        lang, _prob = self._langid.classify(text)
        return lang

    def analyse(self, text: str) -> Analysis:
        if not text.strip():
            return NEUTRAL_UNKNOWN
        language = self.language(text)
        if language == "id":
            score = self._score_id(text)
        else:
            score = self._vader.polarity_scores(text)["compound"]
        return Analysis(language=language, sentiment=label(score), score=round(score, 4))

    def _score_id(self, text: str) -> float:
        total = 0.0
        for word in WORD.findall(text.lower()):
            total += ID_LEXICON.get(word, 0.0)
        return max(-1.0, min(1.0, total / 4.0))
