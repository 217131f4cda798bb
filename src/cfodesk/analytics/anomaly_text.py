"""The sentences behind each anomaly, with numbers written for people.

"Marketing spend in Mar 2025 was 2.4x the expected 41,200 — the highest in 5 years",
"Revenue in Europe in Jul 2024 was 45% below the expected 1.2M",
"Headcount stepped up from 120 to 165 in Jan 2023 and stayed there",
"Cash balance fell 3.2M in Mar 2025, where it usually rises about 250,000 a month".
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from ..metrics import metric_info
from .formatting import format_period

__all__ = [
    "format_amount",
    "format_signed_amount",
    "period_label",
    "subject",
    "deviation_reason",
    "shift_reason",
    "change_reason",
    "record_clause",
]


def format_amount(value: float, metric: str = "") -> str:
    """Give an amount the way a controller writes it: '41,200', '1.2M', '120', '-3.4B'."""
    if value is None or not math.isfinite(value):
        return "–"
    unit = metric_info(metric).unit if metric else "money"
    if unit == "percent":
        return f"{value * 100:.1f}%" if abs(value) <= 1.5 else f"{value:.1f}%"
    magnitude = abs(value)
    if magnitude >= 1e9:
        return f"{value / 1e9:.1f}B"
    if magnitude >= 1e6:
        return f"{value / 1e6:.1f}M"
    if magnitude >= 1e4:
        digits = 10 ** (int(math.floor(math.log10(magnitude))) - 2)  # three significant figures
        return f"{round(value / digits) * digits:,.0f}"
    if magnitude >= 100 or unit == "count":
        return f"{value:,.0f}"
    return f"{value:,.2f}".rstrip("0").rstrip(".")


def format_signed_amount(value: float, metric: str = "") -> str:
    """Give an amount with its sign: '+120,300', '-4,100'."""
    text = format_amount(abs(value), metric)
    return ("-" if value < 0 else "+") + text


def period_label(date: pd.Timestamp, frequency: str) -> str:
    """Give 'Mar 2025' for months, 'Q1 2025' for quarters."""
    return format_period(date, frequency)


def subject(metric: str, level: str, segment: str) -> str:
    """Give 'Revenue' for the company or 'Revenue in Europe / Sales' for a segment."""
    label = metric_info(metric).label
    return label if level == "total" else f"{label} in {segment}"


def deviation_reason(
    metric: str, level: str, segment: str, when: str, value: float, expected: float
) -> str:
    """Give the sentence for a spike or dip: how far the value was from what was expected."""
    head = f"{subject(metric, level, segment)} in {when} was"
    expected_text = format_amount(expected, metric)
    if expected > 0 and value >= 0:
        ratio = value / expected
        if ratio >= 1.5:
            return f"{head} {ratio:.1f}x the expected {expected_text}"
        change = abs(ratio - 1) * 100
        direction = "above" if ratio >= 1 else "below"
        return f"{head} {change:.0f}% {direction} the expected {expected_text}"
    gap = format_signed_amount(value - expected, metric)
    return f"{head} {format_amount(value, metric)} against the expected {expected_text} ({gap})"


def shift_reason(
    metric: str, level: str, segment: str, when: str, before: float, after: float
) -> str:
    """Give the sentence for a level shift: from what to what, and that it stayed."""
    direction = "up" if after >= before else "down"
    text = (
        f"{subject(metric, level, segment)} stepped {direction} from "
        f"{format_amount(before, metric)} to {format_amount(after, metric)} in {when} "
        "and stayed there"
    )
    if before > 0 and after > 0:
        text += f" ({(after / before - 1) * 100:+.0f}%)"
    return text


def change_reason(
    metric: str,
    level: str,
    segment: str,
    when: str,
    change: float,
    expected_change: float,
    typical_move: float,
    frequency: str = "M",
) -> str:
    """Give the sentence for a balance that moved unusually in one period and stayed there.

    ``expected_change`` is the change the trend and season called for; ``typical_move`` the
    usual size of a period's change either way (both in the metric's units).
    """
    verb = "rose" if change >= 0 else "fell"
    head = (
        f"{subject(metric, level, segment)} {verb} {format_amount(abs(change), metric)} in {when}"
    )
    every = "quarter" if frequency == "Q" else "month"
    trending = math.isfinite(expected_change) and abs(expected_change) >= 0.5 * typical_move
    if trending and np.sign(expected_change) == np.sign(change):
        return f"{head}, {abs(change) / abs(expected_change):.1f}x the usual {every}ly change"
    if trending:
        usual_verb = "rises" if expected_change >= 0 else "falls"
        amount = format_amount(abs(expected_change), metric)
        return f"{head}, where it usually {usual_verb} about {amount} a {every}"
    if not math.isfinite(typical_move) or typical_move <= 0:
        return f"{head}, where it usually barely moves"
    return (
        f"{head}, {abs(change) / typical_move:.1f}x its typical {every}ly move of "
        f"{format_amount(typical_move, metric)}"
    )


def record_clause(
    history: np.ndarray, index: int, periods: pd.DatetimeIndex, frequency: str, high: bool
) -> str:
    """Give ' — the highest in 5 years' (or 'since Jun 2021') when the value sets a record."""
    per_year = 4 if frequency == "Q" else 12
    value = history[index]
    before = history[:index]
    finite = np.isfinite(before)
    if finite.sum() < per_year:
        return ""
    word = "highest" if high else "lowest"
    beats = before[finite] >= value if high else before[finite] <= value
    if not beats.any():
        years = int(finite.sum() // per_year)
        return f" — the {word} in {years} year{'s' if years != 1 else ''}"
    last_match = int(np.flatnonzero(finite)[np.flatnonzero(beats)[-1]])
    if index - last_match >= per_year:
        return f" — the {word} since {period_label(periods[last_match], frequency)}"
    return ""
