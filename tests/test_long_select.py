"""``socialops.forms.LongSelect`` writes the same ``<select>`` as Django's ``Select`` (ids, the
selected option, escaped labels and values, extra attributes), only faster for long lists."""

from __future__ import annotations

from django import forms
from django.test.html import parse_html

from socialops.forms import LongSelect

CHOICES = [("", "Every channel"), (1, "Kopi <Pagi> & co"), (2, 'Say "hi"'), (30, "Third")]


def _rendered(widget, data):
    class F(forms.Form):
        channel = forms.TypedChoiceField(
            choices=CHOICES, required=False, coerce=int, empty_value=None, widget=widget
        )

    form = F(data, auto_id="id_%s")
    form.is_valid()
    return parse_html(str(form["channel"]))


def test_the_markup_is_the_same_as_djangos_select():
    for data in (None, {"channel": "2"}, {"channel": ""}, {"channel": "nope"}):
        assert _rendered(LongSelect, data) == _rendered(forms.Select, data), data


def test_labels_are_escaped_and_the_choice_is_selected():
    html = str(_rendered(LongSelect, {"channel": "1"}))
    assert "Kopi &lt;Pagi&gt; &amp; co" in html
    assert '<option selected value="1">' in html or '<option value="1" selected>' in html
