"""The engine: progress per series, determinism across jobs, cancel, fallback."""

from __future__ import annotations

import threading
import time

import numpy as np
import psutil
import pytest
from forecast_panels import hierarchy_panel, single_panel

import cfodesk.analytics.forecast.select as select_module
from cfodesk.analytics.forecast.engine import POOL_MIN_SERIES, forecast_panel
from cfodesk.analytics.forecast.hierarchy import reconcile
from cfodesk.progress import Cancelled, CancelToken


def test_progress_names_each_series_in_order():
    panel = hierarchy_panel(metrics=("revenue",), periods=36)
    calls = []
    forecast_panel(panel, horizon=3, on_progress=lambda *a, **k: calls.append((a, k)))
    steps = [(a, k) for a, k in calls if k.get("item")]
    assert [a[0] for a, _ in steps] == list(range(1, len(panel.keys) + 1))
    assert steps[0][1]["message"] == f"Forecasting revenue (1 of {len(panel.keys)})"
    assert steps[-1][1]["item"] == "revenue · Americas / R&D"
    assert steps[-1][1]["message"].startswith("Forecasting revenue · Americas / R&D (12 of")


def test_same_numbers_with_one_or_two_jobs():
    panel = hierarchy_panel(metrics=("revenue", "payroll", "other_income"), periods=30)
    assert len(panel.keys) > POOL_MIN_SERIES
    one = reconcile(panel, forecast_panel(panel, horizon=6, jobs=1))
    counts = []
    two_base = forecast_panel(
        panel, horizon=6, jobs=2, on_progress=lambda d, t, **k: counts.append(d)
    )
    two = reconcile(panel, two_base)
    numeric = ["forecast", "lower_80", "upper_80", "lower_95", "upper_95"]
    assert np.array_equal(one.table[numeric].to_numpy(), two.table[numeric].to_numpy())
    assert list(one.table["model"]) == list(two.table["model"])
    assert counts[-1] == len(panel.keys) and counts == sorted(counts)


def test_cancel_with_two_jobs_stops_fast_and_leaves_no_workers():
    panel = hierarchy_panel(
        regions=tuple(f"R{i}" for i in range(8)),
        departments=tuple(f"D{i}" for i in range(6)),
        metrics=("revenue", "payroll", "cogs"),
        periods=84,
    )
    token = CancelToken()
    seen = threading.Event()

    def on_progress(done, total, item=None, message=None):
        if done >= 3:
            seen.set()

    token_set_at = [float("inf")]

    def cancel_soon():
        seen.wait(30)
        token_set_at[0] = time.monotonic()
        token.cancel()

    threading.Thread(target=cancel_soon, daemon=True).start()
    with pytest.raises(Cancelled):
        forecast_panel(panel, horizon=12, jobs=2, on_progress=on_progress, cancel=token)
    cancelled_at = time.monotonic()
    assert cancelled_at - token_set_at[0] < 0.5
    assert seen.is_set()
    # No worker process is left behind half a second after the cancel (multiprocessing's own
    # resource tracker, shared by the whole test process, is not a worker).
    while _workers() and time.monotonic() - cancelled_at < 0.5:
        time.sleep(0.02)
    assert not _workers()


def _workers() -> list[psutil.Process]:
    out = []
    for child in psutil.Process().children(recursive=True):
        try:
            if child.status() == psutil.STATUS_ZOMBIE:
                continue
            if any("resource_tracker" in part for part in child.cmdline()):
                continue
        except psutil.NoSuchProcess:
            continue
        out.append(child)
    return out


def test_cancel_in_process_is_polled_between_series():
    panel = hierarchy_panel(metrics=("revenue",), periods=36)
    token = CancelToken()

    def on_progress(done, total, item=None, message=None):
        if done == 2:
            token.cancel()

    with pytest.raises(Cancelled):
        forecast_panel(panel, on_progress=on_progress, cancel=token)


def test_series_whose_models_all_fail_falls_back_to_seasonal_naive(monkeypatch):
    def broken(*args, **kwargs):
        raise ValueError("singular system")

    for name in ("fit_ets_family", "theta", "arima", "drift"):
        monkeypatch.setattr(select_module, name, broken)
    season = np.array([5, 6, 8, 9, 7, 6, 5, 4, 6, 8, 9, 10.0])
    panel = single_panel(np.tile(season, 4) + np.arange(48) * 0.1)
    result = reconcile(panel, forecast_panel(panel, horizon=12))
    summary = result.summary[0]
    assert summary.fallback and summary.model == "Seasonal naive"
    assert "singular system" in summary.note
    assert np.allclose(
        result.series("total", "total", "revenue")["forecast"], panel.values[0, -12:]
    )


def test_unexpected_error_in_one_series_does_not_sink_the_others(monkeypatch):
    real = select_module.forecast_series

    def flaky(values, *args):
        if values[0] == 999:
            raise RuntimeError("boom")
        return real(values, *args)

    monkeypatch.setattr(select_module, "forecast_series", flaky)
    panel = hierarchy_panel(metrics=("revenue",), periods=36)
    panel.values[3, 0] = 999
    result = reconcile(panel, forecast_panel(panel, horizon=4))
    flags = [s.fallback for s in result.summary]
    assert flags[3] and sum(flags) == 1
    assert "RuntimeError: boom" in result.summary[3].note
