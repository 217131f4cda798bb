"""Hand-built panels for the anomaly tests: leaves summed up to every level."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from cfodesk.model import Panel, SeriesKey

Leaves = Mapping[tuple[str, str], Mapping[str, np.ndarray]]


def panel_from_leaves(leaves: Leaves, start: str = "2019-01-01", frequency: str = "M") -> Panel:
    """Give a panel with total, region, department and region/department series summed up."""
    first = next(iter(leaves.values()))
    n = len(next(iter(first.values())))
    periods = pd.date_range(start, periods=n, freq="MS" if frequency == "M" else "QS")
    metrics = list(first)
    sums: dict[SeriesKey, np.ndarray] = {}
    for (region, department), series in leaves.items():
        for level, segment in (
            ("total", "total"),
            ("region", region),
            ("department", department),
            ("region/department", f"{region} / {department}"),
        ):
            for metric in metrics:
                key = SeriesKey(level, segment, metric)
                sums[key] = sums.get(key, np.zeros(n)) + np.asarray(series[metric], float)
    keys = tuple(sums)
    return Panel(periods, frequency, keys, np.vstack([sums[k] for k in keys]))  # type: ignore[arg-type]


def seasonal_series(
    rng: np.random.Generator,
    n: int = 84,
    level: float = 1000.0,
    noise: float = 0.04,
    period: int = 12,
) -> np.ndarray:
    """Give a growing, seasonal, noisy positive series."""
    t = np.arange(n)
    season = 1 + 0.15 * np.sin(2 * np.pi * t / period) + 0.05 * np.cos(4 * np.pi * t / period)
    return level * np.exp(0.096 / period * t) * season * np.exp(rng.normal(0, noise, n))
