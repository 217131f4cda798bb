"""Held-out interval coverage and accuracy per hierarchy level on generated companies.

Each company is the anomaly benchmark's clean company (6 regions x 5 departments, 7 years monthly:
flows, balances built as running sums, headcounts; no injected anomalies). The last 12 months
are held out, the report's forecast and reconciliation run on the rest, and the share of held-out
months inside the 80 % and 95 % bands is printed per level (total, region, department,
region/department), with the MASE. Bands promised at 80 % should hold about 80 % at every level,
not only on average.

    nice .venv/bin/python bench/interval_levels.py [--companies 3] [--jobs 2]
"""

from __future__ import annotations

import argparse
import importlib.util
import time
from pathlib import Path

import numpy as np
import pandas as pd

from cfodesk.analytics.forecast.engine import forecast_panel
from cfodesk.analytics.forecast.hierarchy import reconcile
from cfodesk.model import Panel

HELD_OUT = 12


def clean_company(seed: int) -> Panel:
    """Give the anomaly benchmark's clean company for a seed."""
    path = Path(__file__).with_name("anomaly_recall.py")
    spec = importlib.util.spec_from_file_location("anomaly_recall", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.make_company(np.random.default_rng(seed))[0]


def held_out_rows(panel: Panel, jobs: int) -> list[dict]:
    """Give, per series, held-out coverage at 80/95 % and MASE."""
    history = Panel(
        panel.periods[:-HELD_OUT], panel.frequency, panel.keys, panel.values[:, :-HELD_OUT]
    )
    result = reconcile(history, forecast_panel(history, horizon=HELD_OUT, jobs=jobs))
    rows = []
    for i, key in enumerate(panel.keys):
        actual = panel.values[i, -HELD_OUT:]
        frame = result.series(key.level, key.segment, key.metric)
        if frame is None or len(frame) == 0 or not np.all(np.isfinite(actual)):
            continue
        past = history.values[i][np.isfinite(history.values[i])]
        scale = float(np.mean(np.abs(past[12:] - past[:-12]))) or 1.0

        forecast = frame["forecast"].to_numpy()
        rows.append(
            {
                "level": key.level,
                "cov80": _inside(frame, actual, 80),
                "cov95": _inside(frame, actual, 95),
                "mase": float(np.mean(np.abs(actual - forecast))) / scale,
            }
        )
    return rows


def _inside(frame: pd.DataFrame, actual: np.ndarray, level: int) -> float:
    """Give the share of held-out values inside a series' band at ``level`` %."""
    low = frame[f"lower_{level}"].to_numpy()
    high = frame[f"upper_{level}"].to_numpy()
    return float(np.mean((actual >= low) & (actual <= high)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--companies", type=int, default=3)
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args()
    started = time.perf_counter()
    rows = []
    for seed in range(11, 11 + args.companies):
        rows += held_out_rows(clean_company(seed), args.jobs)
    frame = pd.DataFrame(rows)
    table = frame.groupby("level", sort=False).agg(
        series=("mase", "size"),
        cov80=("cov80", "mean"),
        cov95=("cov95", "mean"),
        mase=("mase", "mean"),
    )
    table[["cov80", "cov95"]] *= 100
    print(f"{args.companies} generated companies, last {HELD_OUT} months held out")
    print(table.round({"cov80": 1, "cov95": 1, "mase": 3}).to_string())
    print(
        f"all: {len(frame)} series, cov80 {frame.cov80.mean() * 100:.1f} %, "
        f"cov95 {frame.cov95.mean() * 100:.1f} %, MASE {frame.mase.mean():.3f}; "
        f"{time.perf_counter() - started:.0f} s"
    )


if __name__ == "__main__":
    main()
