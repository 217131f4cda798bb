"""Fixtures for the window tests: offscreen Qt, a private data folder, a small finance CSV."""

from __future__ import annotations

import os

# Before any Qt import: no display is needed.
os.environ["QT_QPA_PLATFORM"] = "offscreen"

import time
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pandas as pd
import pytest

from cfodesk.config import ReportConfig
from cfodesk.errors import InputError
from cfodesk.model import Dataset, Panel, Report
from cfodesk.progress import Cancelled, CancelToken, ProgressTracker

REGIONS = ("Europe", "Americas")
DEPARTMENTS = ("Sales", "Engineering")


@pytest.fixture(autouse=True)
def private_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Keep history, reports and settings of each test in its own folder."""
    home = tmp_path / "home"
    monkeypatch.setenv("CFODESK_HOME", str(home))
    return home


def finance_records(months: int = 36, seed: int = 7) -> pd.DataFrame:
    """Give 2 regions x 2 departments x ``months`` of revenue, costs and headcount."""
    rng = np.random.default_rng(seed)
    dates = pd.date_range("2022-01-01", periods=months, freq="MS")
    rows = []
    for r, region in enumerate(REGIONS):
        for d, dept in enumerate(DEPARTMENTS):
            base = 100_000 * (1 + r) * (1 + 0.5 * d)
            trend = np.linspace(1.0, 1.4, months)
            season = 1 + 0.1 * np.sin(np.arange(months) * 2 * np.pi / 12)
            revenue = base * trend * season * rng.normal(1, 0.03, months)
            if r == 0 and d == 0:
                revenue[20] *= 1.8  # one clear anomaly
            for i, date in enumerate(dates):
                rows.append(
                    {
                        "date": date.strftime("%Y-%m-%d"),
                        "region": region,
                        "department": dept,
                        "revenue": round(revenue[i], 2),
                        "cogs": round(revenue[i] * 0.4, 2),
                        "operating_expenses": round(base * 0.3 * rng.normal(1, 0.02), 2),
                        "headcount": int(10 + 5 * r + 3 * d + i // 6),
                    }
                )
    return pd.DataFrame(rows)


@pytest.fixture
def small_csv(tmp_path: Path) -> Path:
    """A small records-layout CSV."""
    path = tmp_path / "finance.csv"
    finance_records().to_csv(path, index=False)
    return path


def fake_report(config: ReportConfig, run_id: str) -> Report:
    """Build a Report with every section the views read, without the analytics."""
    records = finance_records()
    records["date"] = pd.to_datetime(records["date"])
    metrics = ("revenue", "cogs", "operating_expenses", "headcount")
    dataset = Dataset(
        records=records, frequency="M", dimensions=("region", "department"), metrics=metrics
    )
    from cfodesk.analytics.panel import build_panel

    panel: Panel = build_panel(dataset, config.levels)
    rows, anomalies, correlations = [], [], []
    future = pd.date_range(panel.periods[-1] + pd.offsets.MonthBegin(), periods=6, freq="MS")
    for key in panel.keys:
        last = float(panel.series(key).iloc[-1])
        for h, date in enumerate(future, 1):
            rows.append(
                {
                    "level": key.level,
                    "segment": key.segment,
                    "metric": key.metric,
                    "date": date,
                    "forecast": last,
                    "lower_80": last * (1 - 0.02 * h),
                    "upper_80": last * (1 + 0.02 * h),
                    "lower_95": last * (1 - 0.04 * h),
                    "upper_95": last * (1 + 0.04 * h),
                    "model": "naive",
                }
            )
        if key.metric == "revenue":
            value = float(panel.series(key).iloc[20])
            anomalies.append(
                {
                    "level": key.level,
                    "segment": key.segment,
                    "metric": key.metric,
                    "date": panel.periods[20],
                    "value": value,
                    "expected": value / 1.5,
                    "lower": value / 1.8,
                    "upper": value / 1.3,
                    "score": 4.2,
                    "severity": "high",
                    "reason": "Far above the usual level",
                }
            )
    for a, b, r in (
        ("revenue", "cogs", 0.98),
        ("revenue", "headcount", 0.7),
        ("cogs", "headcount", 0.65),
    ):
        correlations.append(
            {
                "metric_a": a,
                "metric_b": b,
                "level": "total",
                "segment": "total",
                "correlation": r,
                "lag": 0,
                "method": "pearson",
                "sentence": f"{a} and {b} move together",
            }
        )
    return Report(
        run_id=run_id,
        created_at="2026-01-01T00:00:00",
        app_version="test",
        config=config,
        dataset=dataset,
        panel=panel,
        forecast=SimpleNamespace(table=pd.DataFrame(rows), summary=[]),  # type: ignore[arg-type]
        anomalies=SimpleNamespace(table=pd.DataFrame(anomalies)),  # type: ignore[arg-type]
        correlations=SimpleNamespace(table=pd.DataFrame(correlations)),  # type: ignore[arg-type]
        stage_durations={"load": 0.01, "validate": 0.01, "kpis": 0.01, "forecast": 0.1},
    )


class FakePipeline:
    """A run function with run_report's signature: real progress events, fast, cancellable.

    Records every call's sources and config so tests can see what the window passed on.
    """

    def __init__(self, per_item_s: float = 0.01, items: int = 20, fail: Exception | None = None):
        self.per_item_s = per_item_s
        self.items = items
        self.fail = fail
        self.calls: list[dict[str, Any]] = []

    def __call__(
        self,
        sources,
        config=None,
        on_progress=None,
        cancel=None,
        *,
        out_dir=None,
        overwrite=False,
        history=None,
        run_id=None,
    ) -> Report:
        config = config or ReportConfig()
        cancel = cancel or CancelToken()
        self.calls.append({"sources": list(sources), "config": config, "out_dir": out_dir})
        tracker = ProgressTracker(
            run_id or "fake",
            on_progress or (lambda e: None),
            stages=("load", "validate", "kpis", "forecast", "anomalies"),
        )
        try:
            for stage in tracker.stages:
                tracker.start_stage(stage, total=self.items)
                for i in range(self.items):
                    if cancel.wait(self.per_item_s):
                        raise Cancelled()
                    tracker.step(i + 1, self.items, item="revenue · Europe / Sales")
                if self.fail is not None and stage == "validate":
                    raise self.fail
            report = fake_report(config, run_id or "fake")
        except BaseException:
            tracker.finish("cancelled" if cancel.cancelled else "failed")
            raise
        tracker.finish("done")
        return report


@pytest.fixture
def fake_pipeline() -> Callable[..., FakePipeline]:
    return FakePipeline


def wait_until(predicate: Callable[[], bool], timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.01)
    return predicate()


__all__ = ["FakePipeline", "InputError", "fake_report", "finance_records", "wait_until"]
