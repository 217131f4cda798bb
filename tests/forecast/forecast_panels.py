"""Small hand-built panels for the forecast tests (imported by name: tests have no packages)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from cfodesk.model import Panel, SeriesKey


def single_panel(values, metric: str = "revenue", frequency: str = "M") -> Panel:
    """Give a panel with one company-level series."""
    values = np.asarray(values, dtype=float)
    freq = "MS" if frequency == "M" else "QS"
    periods = pd.date_range("2018-01-01", periods=len(values), freq=freq)
    return Panel(periods, frequency, (SeriesKey("total", "total", metric),), values[None, :])


def hierarchy_panel(
    regions=("Europe", "Americas"),
    departments=("Sales", "Support", "R&D"),
    metrics=("revenue", "other_income"),
    periods: int = 60,
    seed: int = 0,
) -> Panel:
    """Give a coherent panel: cells are simulated, every other level is their sum."""
    rng = np.random.default_rng(seed)
    t = np.arange(periods)
    keys: list[SeriesKey] = []
    rows: list[np.ndarray] = []
    for metric in metrics:
        cells = {}
        for r in regions:
            for d in departments:
                base = rng.uniform(50, 150)
                season = base * 0.15 * np.sin(2 * np.pi * (t + rng.integers(12)) / 12)
                trend = base * rng.uniform(-0.002, 0.01) * t
                noise = rng.normal(0, base * 0.04, periods)
                values = base + season + trend + noise
                if metric == "other_income":
                    values = values - base * 1.02  # hovers around zero, can go negative
                cells[(r, d)] = values
        keys.append(SeriesKey("total", "total", metric))
        rows.append(sum(cells.values()))
        for r in regions:
            keys.append(SeriesKey("region", r, metric))
            rows.append(sum(v for (rr, _), v in cells.items() if rr == r))
        for d in departments:
            keys.append(SeriesKey("department", d, metric))
            rows.append(sum(v for (_, dd), v in cells.items() if dd == d))
        for (r, d), v in cells.items():
            keys.append(SeriesKey("region/department", f"{r} / {d}", metric))
            rows.append(v)
    index = pd.date_range("2019-01-01", periods=periods, freq="MS")
    return Panel(index, "M", tuple(keys), np.array(rows))
