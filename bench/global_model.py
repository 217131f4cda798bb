"""Would one global model over lag features beat the per-series engine on related series?

The issue suggests measuring a global model for the many related bottom-level series. This fits
one ridge regression per horizon step over every series of a company at once (the last 24
values, divided by the mean of the last 12 and logged, predict the value h months ahead the same
way), and compares its held-out MASE per hierarchy level with the engine's base forecasts and a
75/25 mix of the two, on the clean generated companies of ``bench/interval_levels.py``.
Positive series only (the logs need them). Numpy only: the ridge is a 25 x 25 solve per step.

    nice .venv/bin/python bench/global_model.py [--companies 3]
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd

from cfodesk.analytics.forecast.engine import forecast_panel
from cfodesk.model import Panel
from interval_levels import HELD_OUT, clean_company

LAGS = 24
RIDGE = 1.0


def _features(window: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Give (log lags relative to the recent mean, that mean) for (series, LAGS) windows."""
    norm = np.mean(np.abs(window[:, -12:]), axis=1)
    norm[norm == 0] = 1.0
    return np.log(np.maximum(window / norm[:, None], 1e-3)), norm


def global_ridge(values: np.ndarray, horizon: int) -> np.ndarray:
    """Give (series, horizon) forecasts of one ridge model per step fitted across all series."""
    count, length = values.shape
    inputs, targets = [], []
    for t in range(LAGS, length):
        feats, norm = _features(values[:, t - LAGS : t])
        ahead = np.full((count, horizon), np.nan)
        for h in range(min(horizon, length - t)):
            ahead[:, h] = np.log(np.maximum(values[:, t + h] / norm, 1e-3))
        inputs.append(feats)
        targets.append(ahead)
    x, y = np.concatenate(inputs), np.concatenate(targets)
    last, norm = _features(values[:, -LAGS:])
    out = np.empty((count, horizon))
    for h in range(horizon):
        keep = np.isfinite(y[:, h])
        design = np.c_[np.ones(keep.sum()), x[keep]]
        gram = design.T @ design + RIDGE * np.eye(design.shape[1])
        coef = np.linalg.solve(gram, design.T @ y[keep, h])
        out[:, h] = np.exp(np.c_[np.ones(count), last] @ coef) * norm
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--companies", type=int, default=3)
    args = parser.parse_args()
    rows = []
    seconds = {"engine": 0.0, "global": 0.0}
    for seed in range(11, 11 + args.companies):
        panel = clean_company(seed)
        history = Panel(
            panel.periods[:-HELD_OUT], panel.frequency, panel.keys, panel.values[:, :-HELD_OUT]
        )
        positive = np.all(history.values > 0, axis=1)
        started = time.perf_counter()
        base = forecast_panel(history, horizon=HELD_OUT, jobs=1)
        seconds["engine"] += time.perf_counter() - started
        started = time.perf_counter()
        pooled = global_ridge(history.values[positive], HELD_OUT)
        seconds["global"] += time.perf_counter() - started
        for row, i in enumerate(np.flatnonzero(positive)):
            actual, past = panel.values[i, -HELD_OUT:], history.values[i]
            scale = float(np.mean(np.abs(past[12:] - past[:-12]))) or 1.0
            engine = base.series[i].forecast
            forecasts = {
                "engine": engine,
                "global": pooled[row],
                "mix 75/25": 0.75 * engine + 0.25 * pooled[row],
            }
            entry = {"level": panel.keys[i].level}
            for name, forecast in forecasts.items():
                entry[name] = float(np.mean(np.abs(actual - forecast))) / scale
            rows.append(entry)
    frame = pd.DataFrame(rows)
    print(f"{args.companies} generated companies, {len(frame)} positive series, MASE held out")
    print(frame.groupby("level", sort=False).mean().round(3).to_string())
    print(
        "all   " + "  ".join(f"{k} {v:.4f}" for k, v in frame.drop(columns="level").mean().items())
    )
    print(
        f"fit time: engine {seconds['engine']:.1f} s (one process), global {seconds['global']:.2f} s"
    )


if __name__ == "__main__":
    main()
