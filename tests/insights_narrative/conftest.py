"""Hand-built panels for the KPI tests."""

from __future__ import annotations

from collections.abc import Callable, Mapping

import numpy as np
import pandas as pd
import pytest

from cfodesk.model import Panel, SeriesKey


def build_panel(frames: Mapping[tuple[str, str], pd.DataFrame], frequency: str = "M") -> Panel:
    """Give a Panel from {(level, segment): period x metric frame} (same index everywhere)."""
    periods = pd.DatetimeIndex(next(iter(frames.values())).index)
    keys, rows = [], []
    for (level, segment), frame in frames.items():
        for metric in frame.columns:
            keys.append(SeriesKey(level, segment, metric))
            rows.append(frame[metric].to_numpy(dtype=float))
    return Panel(periods, frequency, tuple(keys), np.array(rows))  # type: ignore[arg-type]


@pytest.fixture
def make_panel() -> Callable[..., Panel]:
    return build_panel
