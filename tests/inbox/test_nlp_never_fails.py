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
