"""What changed and why, in a few plain sentences (issue 16 item 2), from the dashboard's own
figures: no external service, nothing stored.

- The largest moves of the key figures against the previous period (at least
  :data:`MIN_CHANGE_PERCENT`, over a previous figure big enough to compare, :data:`MIN_BASE`; the
  inbox's rates and median over at least :data:`MIN_SAMPLE` conversations or messages in each
  period), the biggest first, at most :data:`MAX_MOVES`.
- Each summed figure's move is put down to the network and team (or the network, or the team) of
  the channels that made most of it (at least half of the change), when the channels differ.
- The inbox's unusual days in the range: the day whose median first response was furthest above
  the range's usual day, and the day with far more incoming messages than usual.
- When no figure has two periods to compare and no day stands out: "Not enough data yet to say
  what changed." — never a sentence built on too little.

Every sentence is a whole msgid (gettext, and ngettext where a number decides the plural form);
numbers and days are formatted for the active language (``django.utils.formats``).
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass

from django.utils import formats
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from socialops.dates import local_day

from .selectors import METRIC_LABELS

#: the figures' names in sentences (the tiles' labels)
#: the figures' names (the tiles' words), from the selectors
LABELS = METRIC_LABELS

#: a move smaller than this (percent of the previous figure) is not news
MIN_CHANGE_PERCENT = 5.0
#: at most this many moves are told
MAX_MOVES = 3
#: the smallest previous figure a percentage is worth computing on (default: :data:`DEFAULT_BASE`)
MIN_BASE = {"posts_published": 3, "inbox_volume": 10, "followers": 20}
DEFAULT_BASE = 20
#: an inbox rate or median over fewer conversations or messages than this, in either period, is
#: not compared
MIN_SAMPLE = 5
#: percentages told as "from X % to Y %" (a percent of a percent confuses)
RATES = ("engagement_rate", "sla_met_percent", "sentiment_positive", "sentiment_negative")
#: figures that are summed per channel, so their move can be put down to channels
SUMMED = (
    "followers",
    "impressions",
    "engagements",
    "link_clicks",
    "video_views",
    "posts_published",
)
#: the share of a move a group must make to be named as its source
MAJORITY = 0.5
#: an unusual day needs this many days with figures in the range
MIN_DAYS = 5
#: a day's median first response is unusual at twice the usual day's and this many seconds more
SLOW_DAY_MIN_SECONDS = 30 * 60
#: a day's incoming messages are unusual at three times the usual day's and this many more
BUSY_DAY_MIN_EXTRA = 10


@dataclass(frozen=True)
class Move:
    key: str
    current: float
    previous: float
    percent: float  # relative change, signed


def what_changed(board) -> list[str]:
    """The sentences for ``board`` (an ``analytics.selectors.Dashboard``), in the active language."""
    period = _period(board.range.days)
    comparable, moves = _moves(board)
    sentences = [_move_sentence(board, m, period) for m in moves[:MAX_MOVES]]
    if comparable and not moves:
        sentences.append(
            _("Little changed: no key figure moved by more than %(percent)s%% %(period)s.")
            % {"percent": _number(MIN_CHANGE_PERCENT), "period": period}
        )
    sentences += _inbox_days(board)
    if not sentences:
        return [_("Not enough data yet to say what changed.")]
    return sentences


# --- moves --------------------------------------------------------------------------------------


def _moves(board) -> tuple[bool, list[Move]]:
    """Whether any figure could be compared, and the moves worth telling, biggest first."""
    comparable = False
    moves = []
    for kpi in [*board.kpis, *board.inbox]:
        if kpi.key not in LABELS or kpi.key == "sentiment_neutral":
            continue
        if kpi.current is None or kpi.previous is None:
            continue
        if kpi.key in RATES or kpi.key == "first_response_median":
            sample = board.inbox_counts.get(kpi.key)
            if not kpi.previous or (sample is not None and min(sample) < MIN_SAMPLE):
                continue
        elif kpi.previous < MIN_BASE.get(kpi.key, DEFAULT_BASE):
            continue
        comparable = True
        percent = kpi.change_percent
        if percent is None or abs(percent) < MIN_CHANGE_PERCENT:
            continue
        moves.append(Move(kpi.key, kpi.current, kpi.previous, percent))
    moves.sort(key=lambda m: (-abs(m.percent), m.key))
    return comparable, moves


def _move_sentence(board, move: Move, period: str) -> str:
    metric = LABELS[move.key]
    rose = move.percent > 0
    if move.key == "first_response_median":
        values = {
            "now": duration_text(move.current),
            "before": duration_text(move.previous),
            "period": period,
        }
        if rose:
            return (
                _(
                    "Replies took longer: a median first response of %(now)s against %(before)s %(period)s."
                )
                % values
            )
        return (
            _(
                "Replies came faster: a median first response of %(now)s against %(before)s %(period)s."
            )
            % values
        )
    if move.key in RATES:
        values = {
            "metric": metric,
            "before": _number(move.previous, 1),
            "now": _number(move.current, 1),
            "period": period,
        }
        if rose:
            return _("%(metric)s rose from %(before)s%% to %(now)s%% %(period)s.") % values
        return _("%(metric)s fell from %(before)s%% to %(now)s%% %(period)s.") % values
    values = {"metric": metric, "percent": _percent(move.percent), "period": period}
    source = _source(board, move) if move.key in SUMMED else ""
    if source:
        values["source"] = source
        if rose:
            return (
                _("%(metric)s rose %(percent)s%% %(period)s, most of it from %(source)s.") % values
            )
        return _("%(metric)s fell %(percent)s%% %(period)s, most of it from %(source)s.") % values
    if rose:
        return _("%(metric)s rose %(percent)s%% %(period)s.") % values
    return _("%(metric)s fell %(percent)s%% %(period)s.") % values


def _source(board, move: Move) -> str:
    """Who made most of a summed figure's move: a network's channels of one team, a network, a
    team; "" when the channels do not differ that way or no group made half of it."""
    deltas = []
    for row in board.channels:
        now, before = row.values.get(move.key), row.previous.get(move.key)
        if move.key == "followers" and (now is None or before is None):
            continue  # a channel new to the period is no growth (as the tile counts it)
        delta = (now or 0) - (before or 0)
        if delta:
            deltas.append((row, delta))
    total = sum(d for _row, d in deltas)
    if not total:
        return ""
    levels = (
        lambda r: (r.network_name, r.team),
        lambda r: (r.network_name, ""),
        lambda r: ("", r.team),
    )
    for group_of in levels:
        groups: dict[tuple[str, str], float] = {}
        for row, delta in deltas:
            groups[group_of(row)] = groups.get(group_of(row), 0) + delta
        if len(groups) < 2:
            continue
        (network, team), part = max(groups.items(), key=lambda g: g[1] / total)
        if part / total < MAJORITY or (not network and not team):
            continue
        if network and team:
            return _("%(network)s channels of the %(team)s team") % {
                "network": network,
                "team": team,
            }
        if network:
            return _("%(network)s channels") % {"network": network}
        return _("channels of the %(team)s team") % {"team": team}
    return ""


# --- the inbox's unusual days --------------------------------------------------------------------


def _inbox_days(board) -> list[str]:
    days = board.inbox_days
    if not board.inbox or board.inbox[0].current is None:
        return []
    out = []
    medians = {
        d: v["median_seconds"]
        for d, v in days.items()
        if v.get("median_seconds") is not None and v.get("responded", 0) >= 1
    }
    if len(medians) >= MIN_DAYS:
        usual = statistics.median(medians.values())
        day, slowest = max(medians.items(), key=lambda item: (item[1], item[0]))
        extra = slowest - usual
        if extra >= SLOW_DAY_MIN_SECONDS and slowest >= 2 * usual:
            out.append(_slow_day_sentence(day, extra))
    rng = board.range
    if rng.days >= MIN_DAYS:
        from datetime import timedelta

        counts = {
            rng.since + timedelta(days=n): days.get(rng.since + timedelta(days=n), {}).get(
                "inbound", 0
            )
            for n in range(rng.days)
        }
        usual = statistics.median(counts.values())
        day, busiest = max(counts.items(), key=lambda item: (item[1], item[0]))
        # a usual day has messages: with most days empty (a new inbox, a quiet channel) any busy
        # day would be "far more than the usual 0", which says nothing
        if usual > 0 and busiest >= usual + BUSY_DAY_MIN_EXTRA and busiest >= 3 * usual:
            out.append(
                ngettext(
                    "The inbox received %(count)s message on %(day)s, far more than the usual %(usual)s a day.",
                    "The inbox received %(count)s messages on %(day)s, far more than the usual %(usual)s a day.",
                    busiest,
                )
                % {"count": _number(busiest), "day": _day(day), "usual": _number(usual)}
            )
    return out


def _slow_day_sentence(day, extra_seconds: float) -> str:
    if extra_seconds >= 3600:
        hours = round(extra_seconds / 3600)
        return ngettext(
            "Replies took %(hours)s hour longer than usual on %(day)s.",
            "Replies took %(hours)s hours longer than usual on %(day)s.",
            hours,
        ) % {"hours": _number(hours), "day": _day(day)}
    minutes = round(extra_seconds / 60)
    return ngettext(
        "Replies took %(minutes)s minute longer than usual on %(day)s.",
        "Replies took %(minutes)s minutes longer than usual on %(day)s.",
        minutes,
    ) % {"minutes": _number(minutes), "day": _day(day)}


# --- words and numbers ---------------------------------------------------------------------------


def _period(days: int) -> str:
    if days == 7:
        return _("week on week")
    return ngettext(
        "compared with the previous day",
        "compared with the previous %(days)s days",
        days,
    ) % {"days": _number(days)}


def _number(value, decimals: int = 0) -> str:
    """``value`` in the active language's notation (1,234.5 / 1.234,5)."""
    if decimals == 0:
        value = round(value)
    return formats.number_format(value, decimal_pos=decimals, use_l10n=True, force_grouping=True)


def _percent(value: float) -> str:
    value = abs(value)
    return _number(value, 0 if value >= 10 else 1)


def _day(day) -> str:
    """``Sat 14 Nov`` (``Sab, 14 Nov``): the one day format (``socialops.dates``)."""
    return local_day(day)


def duration_text(seconds: float) -> str:
    """``45 minutes``, ``3.5 hours``, ``12 hours`` in the active language."""
    minutes = round(seconds / 60)
    if minutes < 60:
        return ngettext("%(n)s minute", "%(n)s minutes", minutes) % {"n": _number(minutes)}
    hours = seconds / 3600
    shown = round(hours, 1) if hours < 10 else round(hours)
    return ngettext("%(n)s hour", "%(n)s hours", 1 if shown == 1 else 2) % {
        "n": _number(shown, 1 if shown != int(shown) else 0)
    }


__all__ = ["LABELS", "duration_text", "what_changed"]
