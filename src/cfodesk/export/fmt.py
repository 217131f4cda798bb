"""Numbers formatted for people in the documents (shared rules in analytics.formatting).

The exports use the same formatting as the narrative and the window, so a number reads the same
everywhere; this module only adds the helpers the documents need on top.
"""

from __future__ import annotations

import math
from typing import Any

from ..analytics.formatting import format_number, format_percent, format_points
from ..analytics.formatting import format_value as _format_value

__all__ = [
    "format_number",
    "format_percent",
    "format_value",
    "format_change",
    "kpi_unit",
    "text",
]


def kpi_unit(unit: Any) -> str:
    """Give a normalised unit name: money, percent, days, months, count or number."""
    name = str(unit or "number").lower()
    return "percent" if name in ("%", "pct", "ratio", "fraction") else name


def format_value(value: Any, unit: Any = "money") -> str:
    """Give a value formatted for its unit (money by default: '1.2M')."""
    try:
        return _format_value(value, kpi_unit(unit))
    except (TypeError, ValueError):
        return text(value)


def format_change(change_pct: Any, change: Any, unit: Any) -> str:
    """Give a KPI's change: '+12.0%' for money and counts, '-1.2 pts' for ratios, else the unit."""
    if change_pct is not None:
        return format_percent(change_pct, signed=True)
    unit = kpi_unit(unit)
    if unit == "percent":
        return format_points(change)
    formatted = format_value(change, unit)
    number = _finite(change)
    return f"+{formatted}" if number is not None and number > 0 else formatted


def _finite(value: Any) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def text(value: Any) -> str:
    """Give a cell's text: '' for missing values, else ``str(value)``."""
    if value is None:
        return ""
    if isinstance(value, float) and math.isnan(value):
        return ""
    return str(value)
