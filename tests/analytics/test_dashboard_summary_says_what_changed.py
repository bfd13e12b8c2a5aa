"""The dashboard's plain-language summary (analytics.summary) on crafted figures: rises and falls,
the channels that made them, rates, the inbox's unusual days, too little data; English, and the
Indonesian path (numbers and days formatted for ``id``; every sentence a gettext/ngettext msgid the
lead translates). No database: the summary reads only the dashboard's figures."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.utils import translation

from analytics import summary
from analytics.selectors import INBOX_KEYS, KPI_KEYS, ChannelRow, Dashboard, DateRange, Kpi

SINCE = date(2026, 11, 9)  # a Monday; the 14th is a Saturday


def row(network, team, values, previous, channel_id=[0]):  # noqa: B006 - a counter
    channel_id[0] += 1
    return ChannelRow(
        channel_id=channel_id[0],
        name=f"{network} {team}",
        handle="h",
        network=network.lower(),
        network_name=network,
        team=team,
        values=values,
        previous=previous,
        last_fetched_at=None,
        last_error="",
    )


def board(kpis=None, channels=(), *, days=7, inbox=None, inbox_days=None, counts=None) -> Dashboard:
    """A dashboard of ``days`` days from SINCE: ``kpis`` {key: (current, previous)}, the rest
    without figures; ``inbox`` likewise for the inbox's tiles."""
    rng = DateRange(SINCE, SINCE + timedelta(days=days - 1))
    given = kpis or {}
    inbox = inbox or {}
    return Dashboard(
        range=rng,
        previous_range=rng.previous(),
        kpis=[Kpi(k, *given.get(k, (None, None))) for k in KPI_KEYS],
        channels=list(channels),
        last_fetched_at=None,
        networks=[],
        inbox=[Kpi(k, *inbox.get(k, (None, None))) for k in INBOX_KEYS] if inbox else [],
        inbox_days=inbox_days or {},
        inbox_counts=counts or {},
    )


def engagement_rise():
    return board(
        {"engagements": (112, 100)},
        [
            row("Instagram", "Jakarta", {"engagements": 60}, {"engagements": 50}),
            row("Instagram", "Bandung", {"engagements": 21}, {"engagements": 20}),
            row("X", "Jakarta", {"engagements": 31}, {"engagements": 30}),
        ],
    )


def unusual_inbox_days(slow_extra_hours=3, busy=50):
    days = {}
    for n in range(7):
        day = SINCE + timedelta(days=n)
        days[day] = {"inbound": 10, "responded": 4, "median_seconds": 1800.0}
    days[date(2026, 11, 14)]["median_seconds"] = 1800.0 + slow_extra_hours * 3600
    days[date(2026, 11, 12)]["inbound"] = busy
    return board(inbox={"inbox_volume": (110, 100)}, inbox_days=days)


def test_a_rise_is_told_with_the_channels_that_made_most_of_it():
    assert summary.what_changed(engagement_rise()) == [
        "Engagements rose 12% week on week, most of it from Instagram channels of the Jakarta team."
    ]


def test_a_fall_over_four_weeks_names_the_network_when_teams_do_not_matter():
    fall = board(
        {"impressions": (800, 1000)},
        [
            row("X", "", {"impressions": 320}, {"impressions": 500}),
            row("Instagram", "Jakarta", {"impressions": 480}, {"impressions": 500}),
        ],
        days=28,
    )
    assert summary.what_changed(fall) == [
        "Impressions fell 20% compared with the previous 28 days, most of it from X channels."
    ]


def test_a_move_no_group_made_half_of_is_told_without_a_source():
    spread = board(
        {"link_clicks": (130, 100)},
        [
            row("X", "A", {"link_clicks": 40}, {"link_clicks": 30}),
            row("Instagram", "B", {"link_clicks": 50}, {"link_clicks": 40}),
            row("Mastodon", "C", {"link_clicks": 40}, {"link_clicks": 30}),
        ],
        days=1,
    )
    assert summary.what_changed(spread) == ["Link clicks rose 30% compared with the previous day."]


def test_the_biggest_moves_come_first_and_at_most_three_are_told():
    many = board(
        {
            "impressions": (1100, 1000),
            "engagements": (200, 100),
            "reach": (500, 1000),
            "link_clicks": (130, 100),
            "video_views": (1010, 1000),
        }
    )
    said = summary.what_changed(many)
    assert [s.split(" ")[0] for s in said] == ["Engagements", "Reach", "Link"]


def test_rates_and_response_times_are_told_as_from_and_to():
    moved = board(
        {"engagement_rate": (6.0, 5.0)},
        inbox={"first_response_median": (3600, 1200), "sla_met_percent": (70.0, 90.0)},
    )
    # the response time tripled (+200 %), SLA met fell 22 %, the rate rose 20 %
    assert summary.what_changed(moved) == [
        "Replies took longer: a median first response of 1 hour against 20 minutes week on week.",
        "SLA met fell from 90.0% to 70.0% week on week.",
        "Engagement rate rose from 5.0% to 6.0% week on week.",
    ]


def test_the_inbox_days_far_from_usual_are_named():
    assert summary.what_changed(unusual_inbox_days()) == [
        "Inbox volume rose 10% week on week.",
        "Replies took 3 hours longer than usual on Sat 14 Nov.",
        "The inbox received 50 messages on Thu 12 Nov, far more than the usual 10 a day.",
    ]


def test_an_hour_and_minutes_take_their_plural_forms():
    said = summary.what_changed(unusual_inbox_days(slow_extra_hours=1, busy=10))
    assert "Replies took 1 hour longer than usual on Sat 14 Nov." in said
    said = summary.what_changed(unusual_inbox_days(slow_extra_hours=0.75, busy=10))
    assert "Replies took 45 minutes longer than usual on Sat 14 Nov." in said


def test_small_moves_are_little_change():
    assert summary.what_changed(board({"engagements": (101, 100)})) == [
        "Little changed: no key figure moved by more than 5% week on week."
    ]


@pytest.mark.parametrize(
    "kpis",
    [
        {},  # nothing fetched yet
        {"engagements": (50, None)},  # no earlier figure
        {"engagements": (50, 2), "posts_published": (4, 1)},  # too small to compare
    ],
)
def test_too_little_data_says_so_and_nothing_else(kpis):
    assert summary.what_changed(board(kpis)) == ["Not enough data yet to say what changed."]


def test_a_usual_week_of_inbox_days_adds_nothing():
    quiet = unusual_inbox_days(slow_extra_hours=0, busy=10)
    assert summary.what_changed(quiet) == ["Inbox volume rose 10% week on week."]


def test_a_busy_day_is_not_unusual_when_the_usual_day_has_no_messages():
    """A new inbox: every message arrived on one day, the others were empty. "Far more than the
    usual 0 a day" would say nothing; the summary keeps quiet about that day."""
    days = {SINCE + timedelta(days=n): {"inbound": 0} for n in range(7)}
    days[date(2026, 11, 12)]["inbound"] = 71
    said = summary.what_changed(board(inbox={"inbox_volume": (71, 0)}, inbox_days=days))
    assert not any("far more than the usual" in s for s in said)
    assert said == ["Not enough data yet to say what changed."]


# --- Indonesian ------------------------------------------------------------------------------------

#: every msgid the summary can say (the lead translates them; listed in the report)
MSGIDS = {
    "Not enough data yet to say what changed.",
    "Little changed: no key figure moved by more than %(percent)s%% %(period)s.",
    "%(metric)s rose %(percent)s%% %(period)s.",
    "%(metric)s fell %(percent)s%% %(period)s.",
    "%(metric)s rose %(percent)s%% %(period)s, most of it from %(source)s.",
    "%(metric)s fell %(percent)s%% %(period)s, most of it from %(source)s.",
    "%(metric)s rose from %(before)s%% to %(now)s%% %(period)s.",
    "%(metric)s fell from %(before)s%% to %(now)s%% %(period)s.",
    "Replies took longer: a median first response of %(now)s against %(before)s %(period)s.",
    "Replies came faster: a median first response of %(now)s against %(before)s %(period)s.",
    "%(network)s channels of the %(team)s team",
    "%(network)s channels",
    "channels of the %(team)s team",
    "week on week",
    "compared with the previous day",
    "Replies took %(hours)s hour longer than usual on %(day)s.",
    "Replies took %(minutes)s minute longer than usual on %(day)s.",
    "The inbox received %(count)s message on %(day)s, far more than the usual %(usual)s a day.",
    "%(n)s minute",
    "%(n)s hour",
}


def test_in_indonesian_numbers_and_days_follow_the_language():
    rise = board({"engagements": (1055, 1000)}, [])
    with translation.override("id"):
        said = summary.what_changed(rise) + summary.what_changed(unusual_inbox_days(busy=1200))
    # sentences, numbers (1.200; 5,5) and day names all in Indonesian
    assert said[0] == "Interaksi naik 5,5% dibanding minggu sebelumnya."
    assert "Balasan 3 jam lebih lambat dari biasanya pada Sab, 14 Nov." in said
    assert (
        "Kotak masuk menerima 1.200 pesan pada Kam, 12 Nov, jauh di atas biasanya, 10 per hari."
        in said
    )


def test_every_sentence_goes_through_gettext_or_ngettext_in_indonesian(monkeypatch):
    """Each sentence is a msgid of :data:`MSGIDS` looked up in the active catalogue: the summary
    marks what it asks for, and nothing reaches the page that was not asked."""
    asked: list[str] = []

    def gettext(message):
        asked.append(message)
        return "«" + translation.gettext(message) + "»"

    def ngettext(singular, plural, n):
        asked.append(singular)
        return "«" + translation.ngettext(singular, plural, n) + "»"

    monkeypatch.setattr(summary, "_", gettext)
    monkeypatch.setattr(summary, "ngettext", ngettext)
    boards = [
        engagement_rise(),
        board({"engagements": (101, 100)}),
        board({}),
        # a network's channels without a team
        board(
            {"impressions": (790, 1000)},
            [
                row("X", "", {"impressions": 300}, {"impressions": 500}),
                row("Y", "T", {"impressions": 490}, {"impressions": 500}),
            ],
        ),
        # a network's channels of one team, over three days
        board(
            {"impressions": (790, 1000)},
            [
                row("X", "T", {"impressions": 300}, {"impressions": 500}),
                row("X", "U", {"impressions": 490}, {"impressions": 500}),
            ],
            days=3,
        ),
        # no network or pair made half of it; one team did
        board(
            {"impressions": (750, 1000)},
            [
                row("X", "T", {"impressions": 150}, {"impressions": 250}),
                row("Y", "T", {"impressions": 150}, {"impressions": 250}),
                row("Z", "U", {"impressions": 200}, {"impressions": 250}),
                row("W", "V", {"impressions": 250}, {"impressions": 250}),
            ],
        ),
        board({"engagement_rate": (4.0, 5.0), "reach": (800, 1000)}),
        board(inbox={"first_response_median": (600, 1200), "sla_met_percent": (95.0, 90.0)}),
        board(inbox={"first_response_median": (7200, 1200)}),
        unusual_inbox_days(),
        unusual_inbox_days(slow_extra_hours=0.5),
    ]
    with translation.override("id"):
        for b in boards:
            for sentence in summary.what_changed(b):
                assert sentence.startswith("«") and sentence.endswith("»"), sentence
    assert set(asked) == MSGIDS


def test_a_team_is_named_when_no_network_made_most_of_the_move():
    by_team = board(
        {"impressions": (750, 1000)},
        [
            row("X", "Jakarta", {"impressions": 150}, {"impressions": 250}),
            row("Y", "Jakarta", {"impressions": 150}, {"impressions": 250}),
            row("Z", "Bandung", {"impressions": 200}, {"impressions": 250}),
        ],
    )
    assert summary.what_changed(by_team) == [
        "Impressions fell 25% week on week, most of it from channels of the Jakarta team."
    ]


def test_an_inbox_rate_over_a_handful_of_conversations_is_not_compared():
    moved = {"first_response_median": (3600, 1200), "sla_met_percent": (70.0, 90.0)}
    few = board(inbox=moved, counts={"first_response_median": (12, 4), "sla_met_percent": (3, 9)})
    assert summary.what_changed(few) == ["Not enough data yet to say what changed."]
    enough = board(
        inbox=moved, counts={"first_response_median": (12, 5), "sla_met_percent": (10, 9)}
    )
    assert len(summary.what_changed(enough)) == 2
