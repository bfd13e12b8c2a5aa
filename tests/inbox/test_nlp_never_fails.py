"""inbox.nlp takes any text the networks send (emoji, other scripts, control characters) without failing."""

from hypothesis import given, settings
from hypothesis import strategies as st

from inbox.nlp import analyse, analyse_many


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=300))
def test_any_text_gets_a_well_formed_analysis(text):
    result = analyse(text)
    assert result.language in {"en", "id", "und"}
    assert result.sentiment in {"positive", "neutral", "negative"}
    assert -1.0 <= result.score <= 1.0
    assert (result.score > 0) == (result.sentiment == "positive") or result.sentiment == "neutral"


@settings(max_examples=50, deadline=None)
@given(st.lists(st.text(alphabet="abcdegiklmnprstuy !?😡👍🙏2", max_size=60), max_size=20))
def test_analyse_many_is_analyse_for_each_text(texts):
    assert analyse_many(texts) == [analyse(text) for text in texts]


def test_the_words_it_keeps_change_no_result_and_stay_bounded(monkeypatch):
    """The readings of tokens and words are kept as met (the ingest path's speed) but never
    change an analysis, and the memory starts again past ``KEPT_WORDS`` entries."""
    from inbox.nlp import engine as module

    texts = [
        "Enak bgt, mantappp! pasti balik lagi 😍",
        "gk jelas, pesanan blm sampai2 kecewa bgt",
        "kurang bagus tapi harganya murah",
        "Pelayanannya lambat parah, ga recommended",
    ]
    fresh = [module.Engine().analyse(text) for text in texts]
    monkeypatch.setattr(module, "KEPT_WORDS", 8)
    kept = module.Engine()
    for _round in range(3):  # (the second and third time from what it keeps)
        assert [kept.analyse(text) for text in texts] == fresh
        assert len(kept._token_words) <= 8 and len(kept._valences) <= 8
