"""The inbox's search (full text and parts of words; PostgreSQL indexes it) and the team and
date filters."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.db import connection
from django.urls import reverse

from inbox.models import Conversation

from .. import factories as f
from .factories import inbox_with_conversation, sandbox_channel

pytestmark = pytest.mark.django_db
on_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the search indexes exist on PostgreSQL"
)


@pytest.fixture
def channel(org_a, alice_m):
    return sandbox_channel(org_a, alice_m)


def _list(client, **params):
    return client.get(reverse("inbox", args=["alpha"]), params).content.decode()


def test_search_finds_whole_words_parts_of_words_and_authors(alice_client, channel):
    inbox_with_conversation(channel, text="Apakah ada cabang di Bandung?", author="rina")
    inbox_with_conversation(channel, kind="dm", text="Kopi susunya enak", author="sari")
    assert "Bandung" in _list(alice_client, q="cabang") and "Kopi" not in _list(
        alice_client, q="cabang"
    )
    assert "Bandung" in _list(alice_client, q="Bandu")  # part of a word
    assert "Kopi susunya" in _list(alice_client, q="sari")  # the author
    assert "Bandung" not in _list(alice_client, q="Surabaya")


def test_search_takes_any_input_without_failing(alice_client, channel):
    inbox_with_conversation(channel, text="Diskon 50% hari ini?", author="rina")
    for q in ['"unclosed', "a OR", "-", "50%", "_", "\\", "!!! ::", "café & (x"]:
        assert alice_client.get(reverse("inbox", args=["alpha"]), {"q": q}).status_code == 200
    assert "Diskon" in _list(alice_client, q="50%")
    assert "Diskon" not in _list(alice_client, q="5_%")  # % and _ are not wildcards


def test_another_organizations_items_never_match(alice_client, bob_m, org_b, channel):
    theirs = sandbox_channel(org_b, bob_m, account="sbx-kitchen")
    inbox_with_conversation(theirs, text="Rahasia perusahaan lain", author="joko")
    assert "perusahaan lain" not in _list(alice_client, q="Rahasia", status="all")


@on_postgresql
def test_words_match_in_any_order_and_without_accents(alice_client, channel):
    inbox_with_conversation(channel, text="Le café est fermé aujourd'hui", author="rina")
    assert "fermé" in _list(alice_client, q="ferme cafe")
    assert "fermé" in _list(alice_client, q="aujourd'hui café")
    assert "fermé" not in _list(alice_client, q="cafe -ferme")


@on_postgresql
def test_the_search_indexes_exist():
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname FROM pg_indexes WHERE indexname IN "
            "('item_search_vector', 'item_text_trgm', 'conv_author_trgm')"
        )
        assert len(cursor.fetchall()) == 3


def test_the_team_filter_takes_the_team_and_the_teams_below_it(
    alice_client, org_a, alice_m, channel
):
    sales = f.make_team(org_a, "Sales")
    jakarta = f.make_team(org_a, "Jakarta", parent=sales)
    support = f.make_team(org_a, "Support")
    in_jakarta = sandbox_channel(org_a, alice_m, account="sbx-kopi", team=jakarta)
    in_support = sandbox_channel(org_a, alice_m, account="sbx-promo", team=support)
    inbox_with_conversation(in_jakarta, text="Pesanan dari Jakarta", author="rina")
    inbox_with_conversation(in_support, kind="dm", text="Tolong bantu support", author="budi")
    page = _list(alice_client, team=sales.pk)
    assert "Pesanan dari Jakarta" in page and "Tolong bantu" not in page
    page = _list(alice_client, team=support.pk)
    assert "Pesanan dari Jakarta" not in page and "Tolong bantu" in page


def test_another_organizations_team_is_not_a_filter(alice_client, org_b, channel):
    inbox_with_conversation(channel, text="Pesanan kami", author="rina")
    theirs = f.make_team(org_b, "Theirs")
    response = alice_client.get(reverse("inbox", args=["alpha"]), {"team": theirs.pk})
    assert response.status_code == 200 and "team" in response.context["form"].errors


def test_the_date_range_bounds_the_last_item_day_inclusive(alice_client, channel):
    march = inbox_with_conversation(channel, text="Pesan bulan Maret", author="rina")
    april = inbox_with_conversation(channel, kind="dm", text="Pesan bulan April", author="budi")
    Conversation.objects.for_org(channel.organization).filter(pk=march.pk).update(
        last_item_at=datetime(2026, 3, 10, 12, tzinfo=UTC)
    )
    Conversation.objects.for_org(channel.organization).filter(pk=april.pk).update(
        last_item_at=datetime(2026, 4, 10, 12, tzinfo=UTC)
    )
    page = _list(alice_client, last_from="2026-04-01")
    assert "April" in page and "Maret" not in page
    page = _list(alice_client, last_to="2026-03-10")
    assert "Maret" in page and "April" not in page
    page = _list(alice_client, last_from="2026-03-11", last_to="2026-04-09")
    assert "Maret" not in page and "April" not in page


@on_postgresql
def test_search_results_come_best_match_first_or_newest_first(alice_client, channel):
    inbox_with_conversation(channel, text="Kopi kopi kopi, kopi susu terbaik", author="rina")
    inbox_with_conversation(
        channel, kind="dm", text="Pesanan belum sampai, kopi dingin", author="sari"
    )
    best = _list(alice_client, q="kopi")
    assert best.index("terbaik") < best.index("belum sampai")
    newest = _list(alice_client, q="kopi", sort="newest")
    assert newest.index("belum sampai") < newest.index("terbaik")
    # a part of a word still finds (and ranks by its trigram similarity)
    partial = _list(alice_client, q="dingi")
    assert "belum sampai" in partial and "terbaik" not in partial


@on_postgresql
def test_relevance_orders_the_newest_matches_and_says_so(alice_client, channel, monkeypatch):
    from inbox import selectors

    monkeypatch.setattr(selectors, "RANKED", 1)
    inbox_with_conversation(channel, text="Kopi kopi kopi kopi", author="rina")
    inbox_with_conversation(channel, kind="dm", text="ada kopi?", author="sari")
    page = _list(alice_client, q="kopi")
    assert "ada kopi?" in page and "Kopi kopi" not in page and 'id="inbox-ranked-note"' in page
    newest = _list(alice_client, q="kopi", sort="newest")
    assert "ada kopi?" in newest and "Kopi kopi" in newest and "inbox-ranked-note" not in newest


def test_a_bad_sort_is_refused_as_a_filter_error_not_a_failure(alice_client, channel):
    inbox_with_conversation(channel, text="Apakah ada cabang di Bandung?", author="rina")
    response = alice_client.get(reverse("inbox", args=["alpha"]), {"q": "bandung", "sort": "x"})
    assert response.status_code == 200
