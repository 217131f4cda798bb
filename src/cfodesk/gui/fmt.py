"""Numbers and dates the way the window shows them: the shared report formatting, by metric.

The window, the HTML and the PDF all go through :mod:`cfodesk.analytics.formatting`, so a number
reads the same everywhere; this module only adds the lookups the views need (by metric name).
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from ..analytics.formatting import (
    format_money,
    format_number,
    format_percent,
    format_period,
    format_value,
    is_missing,
)
from ..metrics import metric_info

__all__ = ["money", "number", "percent", "period", "metric_value", "metric_label", "is_missing"]


def money(value: Any, compact: bool = True) -> str:
    """Give an amount: '1.2M' / '250K' when compact, else '1,234,567'."""
    return format_money(None if is_missing(value) else float(value), abbreviate=compact)


def number(value: Any, digits: int = 0) -> str:
    """Give a plain number with thousands separators."""
    return format_number(None if is_missing(value) else float(value), digits)


def percent(value: Any, digits: int = 1, signed: bool = False) -> str:
    """Give a fraction as a percentage (0.12 -> '12.0%')."""
    return format_percent(None if is_missing(value) else float(value), digits, signed=signed)


def period(value: Any, frequency: str = "M") -> str:
    """Give a period as people name it: 'Mar 2025' or 'Q1 2025'."""
    if value is None or value is pd.NaT or (isinstance(value, float) and value != value):
        return "–"
    return format_period(value, frequency)


def metric_label(metric: str) -> str:
    """Give the human name of a metric ('accounts_receivable' -> 'Accounts receivable')."""
    return metric_info(metric).label


def metric_value(metric: str, value: Any, unit: str | None = None) -> str:
    """Give a value formatted by its metric's unit (money, count, percent, days, months)."""
    if is_missing(value):
        return "–"
    return format_value(float(value), unit or metric_info(metric).unit)
