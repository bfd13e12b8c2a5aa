"""inbox.nlp on the labelled sample: ≥ 80% sentiment accuracy and ≥ 95% language id per language.

The sample (tests/inbox/data/comments.csv, 210 comments per language, a third of each class) was
written before tuning; the held-out half (odd rows) is held to the same bar as the whole.
"""

import pytest

from tests.inbox.nlp_sample import LABELS, load_sample, report, score


def test_the_sample_has_at_least_200_comments_per_language_in_balanced_classes():
    rows = load_sample()
    for language in ("en", "id"):
        counts = {
            label: sum(1 for r in rows if r[1] == language and r[2] == label) for label in LABELS
        }
        assert sum(counts.values()) >= 200
        assert min(counts.values()) >= 0.3 * sum(counts.values())


@pytest.mark.parametrize("language", ["en", "id"])
@pytest.mark.parametrize("half", ["all", "held-out"])
def test_sentiment_and_language_reach_the_bar_on_the_sample(language, half):
    print("\n" + report())
    scores = score(language, half)
    assert scores.language_accuracy >= 0.95
    assert scores.sentiment_accuracy >= 0.80
