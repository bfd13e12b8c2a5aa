"""The labelled sample (tests/inbox/data/comments.csv) and its scores, for the test and the bench.

The sample was written before any tuning. Rows are numbered per language; even rows are the
tuning half (rules and word lists were checked against them), odd rows are held out.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

from inbox.nlp import analyse_many

SAMPLE = Path(__file__).parent / "data" / "comments.csv"
# 30 more comments per language written after the tuning, scored once: reported, not asserted.
AFTER_TUNING = Path(__file__).parent / "data" / "comments_after_tuning.csv"
# 30 more per language written before the English negated-service-verb rule (and knowing it was
# coming, so its English figure flatters): reported, not asserted.
AFTER_TUNING_2 = Path(__file__).parent / "data" / "comments_after_tuning_2.csv"
LABELS = ("positive", "neutral", "negative")


@dataclass(frozen=True)
class Scores:
    n: int
    language_accuracy: float
    sentiment_accuracy: float
    macro_f1: float


def load_sample(path: Path = SAMPLE) -> list[tuple[str, str, str, int]]:
    """(text, language, sentiment, row number within its language)."""
    rows, seen = [], {}
    with path.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            index = seen.get(row["language"], 0)
            seen[row["language"]] = index + 1
            rows.append((row["text"], row["language"], row["sentiment"], index))
    return rows


def macro_f1(truth: list[str], predicted: list[str]) -> float:
    scores = []
    for label in LABELS:
        tp = sum(1 for t, p in zip(truth, predicted, strict=True) if t == label and p == label)
        fp = sum(1 for t, p in zip(truth, predicted, strict=True) if t != label and p == label)
        fn = sum(1 for t, p in zip(truth, predicted, strict=True) if t == label and p != label)
        precision = tp / (tp + fp) if tp + fp else 0.0
        recall = tp / (tp + fn) if tp + fn else 0.0
        scores.append(2 * precision * recall / (precision + recall) if precision + recall else 0.0)
    return sum(scores) / len(scores)


def score(language: str, half: str = "all", path: Path = SAMPLE) -> Scores:
    """Scores on one language's rows: half is "all", "tuning" (even rows) or "held-out" (odd)."""
    rows = [row for row in load_sample(path) if row[1] == language]
    if half == "tuning":
        rows = [row for row in rows if row[3] % 2 == 0]
    elif half == "held-out":
        rows = [row for row in rows if row[3] % 2 == 1]
    results = analyse_many([row[0] for row in rows])
    truth = [row[2] for row in rows]
    predicted = [result.sentiment for result in results]
    return Scores(
        n=len(rows),
        language_accuracy=sum(r.language == row[1] for r, row in zip(results, rows, strict=True))
        / len(rows),
        sentiment_accuracy=sum(t == p for t, p in zip(truth, predicted, strict=True)) / len(rows),
        macro_f1=macro_f1(truth, predicted),
    )


def report() -> str:
    lines = []
    for language in ("en", "id"):
        for half in ("all", "tuning", "held-out"):
            s = score(language, half)
            lines.append(
                f"{language} {half:8} n={s.n:3} language {s.language_accuracy:.3f} "
                f"sentiment {s.sentiment_accuracy:.3f} macro-F1 {s.macro_f1:.3f}"
            )
    for name, path in (("after-tuning", AFTER_TUNING), ("after-tuning 2", AFTER_TUNING_2)):
        for language in ("en", "id"):
            s = score(language, path=path)
            lines.append(
                f"{language} {name} n={s.n:3} language {s.language_accuracy:.3f} "
                f"sentiment {s.sentiment_accuracy:.3f} macro-F1 {s.macro_f1:.3f}"
            )
    return "\n".join(lines)


if __name__ == "__main__":
    print(report())
