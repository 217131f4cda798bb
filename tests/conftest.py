"""Shared fixtures: every test gets its own CFO Desk home (history, logs) and small data files."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cfodesk.model import Panel, SeriesKey


@pytest.fixture(autouse=True)
def isolated_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Keep history, logs and window runs of a test out of the user's real data folder."""
    home = tmp_path_factory.mktemp("cfodesk-home")
    monkeypatch.setenv("CFODESK_HOME", str(home))
    return home


def write_records_csv(
    path: Path,
    *,
    years: int = 3,
    regions: tuple[str, ...] = ("North", "South"),
    departments: tuple[str, ...] = ("Sales", "Ops"),
    seed: int = 7,
) -> Path:
    """Write a small, realistic records-layout finance export and give its path."""
    rng = np.random.default_rng(seed)
    dates = pd.date_range("2021-01-01", periods=12 * years, freq="MS")
    rows = []
    for r_i, region in enumerate(regions):
        for d_i, dept in enumerate(departments):
            base = 100_000 * (1 + r_i) * (1 + 0.5 * d_i)
            cash = 500_000.0
            for t, date in enumerate(dates):
                season = 1 + 0.15 * np.sin(2 * np.pi * (date.month - 1) / 12)
                revenue = base * (1 + 0.01 * t) * season * rng.normal(1, 0.03)
                cogs = revenue * 0.4 * rng.normal(1, 0.02)
                opex = base * 0.3 * rng.normal(1, 0.03)
                payroll = base * 0.15
                cash += revenue - cogs - opex - payroll
                rows.append(
                    {
                        "date": date.strftime("%Y-%m-%d"),
                        "region": region,
                        "department": dept,
                        "revenue": round(revenue, 2),
                        "cogs": round(cogs, 2),
                        "operating_expenses": round(opex, 2),
                        "payroll": round(payroll, 2),
                        "headcount": 10 + r_i + d_i,
                        "cash_balance": round(cash, 2),
                        "accounts_receivable": round(revenue * 1.5, 2),
                    }
                )
    pd.DataFrame(rows).to_csv(path, index=False)
    return path


@pytest.fixture
def records_csv(tmp_path: Path) -> Path:
    """A small records CSV: 3 years monthly, 2 regions x 2 departments, 7 metrics."""
    return write_records_csv(tmp_path / "finance.csv")


@pytest.fixture
def make_records_csv(tmp_path: Path) -> Callable[..., Path]:
    """Make records CSVs of a chosen shape: ``make_records_csv(name, years=..., ...)``."""

    def make(name: str = "finance.csv", **kwargs: object) -> Path:
        return write_records_csv(tmp_path / name, **kwargs)  # type: ignore[arg-type]

    return make


def panel_from_frames(
    frames: Mapping[tuple[str, str], pd.DataFrame], frequency: str = "M"
) -> Panel:
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
    """Build hand-made panels in tests: ``make_panel({("total", "total"): frame})``."""
    return panel_from_frames
