"""What a sample of each column looks like: filled cells, share of numbers and dates, spread.

Profiles are the measurements layout planning judges columns by; :mod:`.read` takes them once,
when a table is read, and hands them to the planner. They are a seam of their own: plain
statistics of cells, with no idea of roles, layouts or overrides. Columns are measured on a
sample of rows, so profiling a million-row file costs milliseconds.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .dates import parse_dates
from .numbers import parse_numbers

__all__ = ["ColumnProfile", "profile_columns", "sample_rows"]

_SAMPLE_ROWS = 4000


@dataclass(frozen=True)
class ColumnProfile:
    """What a sample of one column looks like."""

    name: str
    filled: int
    numeric_share: float
    date_share: float
    distinct: int
    distinct_share: float
    mean_length: float


def sample_rows(cells: pd.DataFrame) -> pd.DataFrame:
    """Give up to a few thousand rows spread over the table (head plus evenly spaced rows)."""
    if len(cells) <= _SAMPLE_ROWS:
        return cells
    head = np.arange(_SAMPLE_ROWS // 2)
    spread = np.linspace(_SAMPLE_ROWS // 2, len(cells) - 1, _SAMPLE_ROWS // 2).astype(int)
    return cells.iloc[np.unique(np.concatenate([head, spread]))]


def profile_columns(cells: pd.DataFrame) -> dict[str, ColumnProfile]:
    """Give a profile of each column, computed on a sample of rows."""
    sample = sample_rows(cells)
    profiles = {}
    for name in sample.columns:
        column = sample[name]
        present = column.dropna()
        filled = len(present)
        if filled == 0:
            profiles[name] = ColumnProfile(name, 0, 0.0, 0.0, 0, 0.0, 0.0)
            continue
        numbers = parse_numbers(present)
        numeric = float((~np.isnan(numbers.values)).sum() / max(filled - numbers.empty_markers, 1))
        dates = parse_dates(present)
        distinct = int(present.nunique())
        profiles[name] = ColumnProfile(
            name=name,
            filled=filled,
            numeric_share=numeric if filled > numbers.empty_markers else 0.0,
            date_share=dates.parsed,
            distinct=distinct,
            distinct_share=distinct / filled,
            mean_length=float(present.astype(str).str.len().mean()),
        )
    return profiles
