"""Numbers and dates written the way finance people read them.

Money is abbreviated with K/M/B ("1.2M", "250K", "-3.4B") or written in full with thousands
separators ("1,234,567"); percentages take fractions (0.084 -> "8.4%"); periods read "Mar 2025"
and "Q1 2025". Missing values (None, NaN) print as an en dash. Every function is pure and cheap:
the narrative, the exports and the window all call these, so the same number reads the same
everywhere.
"""

from __future__ import annotations

import math
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Literal

import pandas as pd

__all__ = [
    "MISSING",
    "is_missing",
    "format_number",
    "format_money",
    "format_signed_money",
    "format_percent",
    "format_points",
    "format_days",
    "format_months",
    "format_count",
    "format_month",
    "format_quarter",
    "format_period",
    "format_period_range",
    "format_value",
]

MISSING = "–"
_SCALES: tuple[tuple[float, str], ...] = ((1e9, "B"), (1e6, "M"), (1e3, "K"))
Scale = Literal["", "K", "M", "B"]
DateLike = pd.Timestamp | datetime | date | str


def is_missing(value: object) -> bool:
    """Give True for None, NaN and infinities (values that print as a dash)."""
    if value is None:
        return True
    try:
        return not math.isfinite(float(value))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return True


def format_number(value: float | None, decimals: int = 0) -> str:
    """Give a number with thousands separators: 1234567.8 -> '1,234,568'."""
    if is_missing(value):
        return MISSING
    text = _fixed(float(value), decimals, grouped=True)  # type: ignore[arg-type]
    return "0" if _is_negative_zero(text) else text


def format_money(
    value: float | None,
    *,
    abbreviate: bool = True,
    scale: Scale | None = None,
    currency: str = "",
    decimals: int | None = None,
) -> str:
    """Give an amount for people: '1.2M', '250K', '9,876', or '1,234,567' in full.

    Parameters
    ----------
    value
        The amount; None or NaN prints as a dash.
    abbreviate
        Use K/M/B from 10,000 upwards; below that the full number is clearer.
    scale
        Force one unit ('K', 'M', 'B', or '' for none) so amounts in one sentence compare
        easily ('2.9M', '0.6M').
    currency
        Prefix such as '$' or 'EUR ' (placed after the minus sign).
    decimals
        Digits after the point; by default 1 below 100 of the unit and 0 above ('12.3K',
        '250K').
    """
    if is_missing(value):
        return MISSING
    amount = float(value)  # type: ignore[arg-type]
    sign = "-" if amount < 0 else ""
    magnitude = abs(amount)
    if scale is None:
        scale = _auto_scale(magnitude) if abbreviate else ""
    divisor = dict((s, d) for d, s in _SCALES).get(scale, 1.0)
    scaled = magnitude / divisor
    digits = decimals if decimals is not None else (0 if scale == "" or scaled >= 100 else 1)
    text = _fixed(scaled, digits, grouped=True)
    if scale and decimals is None and text.replace(",", "") in ("1000", "1000.0"):
        # 999,960 rounds to '1000K': say '1.0M' instead.
        bigger = {"K": "M", "M": "B"}.get(scale)
        if bigger:
            return format_money(amount, scale=bigger, currency=currency)  # type: ignore[arg-type]
    if float(text.replace(",", "")) == 0:
        sign = ""
    return f"{sign}{currency}{text}{scale}"


def format_signed_money(value: float | None, **kwargs: object) -> str:
    """Give a change in money with its sign: '+1.2M', '-250K', '0'."""
    text = format_money(value, **kwargs)  # type: ignore[arg-type]
    if text == MISSING or text.startswith("-") or _all_zero(text):
        return text
    return f"+{text}"


def format_percent(value: float | None, decimals: int = 1, *, signed: bool = False) -> str:
    """Give a fraction as a percentage: 0.084 -> '8.4%' (signed: '+8.4%')."""
    if is_missing(value):
        return MISSING
    text = _fixed(float(value) * 100, decimals)  # type: ignore[arg-type]
    if _is_negative_zero(text):
        text = text[1:]
    if signed and not text.startswith("-") and not _all_zero(text):
        text = f"+{text}"
    return f"{text}%"


def format_points(value: float | None, decimals: int = 1) -> str:
    """Give a change of a ratio in percentage points: -0.012 -> '-1.2 pts'."""
    if is_missing(value):
        return MISSING
    text = format_percent(value, decimals, signed=True)[:-1]
    return f"{text} pts"


def format_days(value: float | None, decimals: int = 0) -> str:
    """Give a number of days: 45.2 -> '45 days' (1 -> '1 day')."""
    if is_missing(value):
        return MISSING
    text = format_number(value, decimals)
    return f"{text} day" if text in ("1", "-1") else f"{text} days"


def format_months(value: float | None, decimals: int = 1) -> str:
    """Give a duration in months: 14.25 -> '14.2 months'."""
    if is_missing(value):
        return MISSING
    text = format_number(value, decimals)
    return f"{text} month" if text in ("1", "1.0") else f"{text} months"


def format_count(value: float | None) -> str:
    """Give a count with thousands separators: 1234 -> '1,234'."""
    return format_number(value, 0)


def format_month(when: DateLike) -> str:
    """Give a month label: 2025-03-01 -> 'Mar 2025'."""
    return pd.Timestamp(when).strftime("%b %Y")


def format_quarter(when: DateLike) -> str:
    """Give the label of the calendar quarter holding a date: 2025-02-01 -> 'Q1 2025'."""
    stamp = pd.Timestamp(when)
    return f"Q{stamp.quarter} {stamp.year}"


def format_period(when: DateLike, frequency: str = "M") -> str:
    """Give a period label at the data's frequency ('Mar 2025' or 'Q1 2025')."""
    return format_quarter(when) if frequency == "Q" else format_month(when)


def format_period_range(start: DateLike, end: DateLike, frequency: str = "M") -> str:
    """Give a span of periods: 'Jan 2025 – Dec 2025' (one label when start == end)."""
    first, last = format_period(start, frequency), format_period(end, frequency)
    return first if first == last else f"{first} – {last}"


def format_value(value: float | None, unit: str) -> str:
    """Give a value in its unit (money, percent, days, months, count, number)."""
    if unit == "money":
        return format_money(value)
    if unit == "percent":
        return format_percent(value)
    if unit == "days":
        return format_days(value)
    if unit == "months":
        return format_months(value)
    if unit == "count":
        return format_count(value)
    return format_number(value, 2)


def _fixed(number: float, digits: int, *, grouped: bool = False) -> str:
    # Round half away from zero, as people and spreadsheets do (0.25 -> 0.3), not half-even.
    quantum = Decimal(1).scaleb(-digits)
    rounded = Decimal(repr(number)).quantize(quantum, rounding=ROUND_HALF_UP)
    return f"{rounded:,f}" if grouped else f"{rounded:f}"


def _auto_scale(magnitude: float) -> Scale:
    if magnitude < 1e4:
        return ""
    for divisor, suffix in _SCALES:
        if magnitude >= divisor:
            return suffix  # type: ignore[return-value]
    return ""


def _all_zero(text: str) -> bool:
    return not any(ch in "123456789" for ch in text)


def _is_negative_zero(text: str) -> bool:
    return text.startswith("-") and _all_zero(text)
