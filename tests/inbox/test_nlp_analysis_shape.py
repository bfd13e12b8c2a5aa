"""inbox.nlp: the shape of an analysis, and the obvious cases in both languages."""

import dataclasses
import threading

import pytest

from inbox.nlp import Analysis, analyse, analyse_many


def test_an_analysis_is_a_frozen_record_of_language_sentiment_and_score():
    result = analyse("I love this, thank you so much!")
    assert isinstance(result, Analysis)
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.score = 0.0  # type: ignore[misc]
    assert result.language in {"en", "id", "und"}
    assert result.sentiment in {"positive", "neutral", "negative"}
    assert -1.0 <= result.score <= 1.0


@pytest.mark.parametrize(
    ("text", "language", "sentiment"),
    [
        ("I love this, thank you so much!", "en", "positive"),
        ("Terrible service, my order never arrived.", "en", "negative"),
        ("Mantap banget kak, barangnya bagus", "id", "positive"),
        ("Kecewa berat, paketnya rusak", "id", "negative"),
    ],
)
def test_the_obvious_cases_get_their_language_and_sentiment(text, language, sentiment):
    result = analyse(text)
    assert (result.language, result.sentiment) == (language, sentiment)


@pytest.mark.parametrize("text", ["", "   ", "ok", "👍", "12345", "@brand"])
def test_empty_or_too_short_texts_have_no_language(text):
    assert analyse(text).language == "und"


def test_analyse_many_keeps_the_order_and_agrees_with_analyse():
    texts = ["Mantap banget kak", "", "Terrible service, never again.", "Where is my order?"]
    assert analyse_many(texts) == [analyse(text) for text in texts]
    assert analyse_many([]) == []


def test_concurrent_first_calls_share_one_loaded_engine():
    results: list[list[Analysis]] = []
    texts = ["Kecewa berat, paketnya rusak", "I love this!"]

    def work():
        results.append(analyse_many(texts))

    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(results) == 4
    assert all(result == results[0] for result in results)


@pytest.mark.parametrize(
    "text", ["สินค้าดีมากครับ ส่งเร็ว", "这个产品很好，谢谢", "شكرا جزيلا على الخدمة"]
)
def test_texts_in_another_script_have_no_language(text):
    assert analyse(text).language == "und"


def test_mentions_and_links_do_not_decide_the_language():
    assert analyse("@tokobaju_official https://example.test/p/1 🙏").language == "und"
    assert analyse("@brand_id pesanan saya belum sampai").language == "id"
