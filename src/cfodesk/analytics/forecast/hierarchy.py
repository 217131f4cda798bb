"""The reconcile stage: make segment forecasts add up, then put calibrated bands around them.

For each additive metric the series at every level present (total, region, department,
region/department) are tied by aggregation constraints ``C y = 0``. Base forecasts are projected
onto that coherent space with MinT: ``y~ = y^ - W C' (C W C')^+ C y^``, where ``W`` is the
shrunk covariance of one-step backtest errors (MinT-shrink) or, when the backtests do not line
up, their variances alone (WLS). The same projection is applied to every backtest origin, which
gives base-versus-reconciled accuracy and the errors the conformal bands are calibrated on.
"""

from __future__ import annotations

from collections import defaultdict

import numpy as np
import pandas as pd

from ...model import Panel, SeriesKey
from ...progress import CancelToken, StepCallback, no_step
from .engine import BaseForecasts
from .intervals import conformal_widths, coverage
from .results import TABLE_COLUMNS, ForecastResult, SeriesSummary

__all__ = ["reconcile", "constraint_matrix", "mint_projection"]

#: Aligned one-step errors needed before the full (shrunk) covariance is used.
MIN_COMMON_ORIGINS = 8


def constraint_matrix(keys: list[SeriesKey]) -> np.ndarray:
    """Give C (constraints x series) with C y = 0 when parents equal the sum of their children."""
    index = {k: i for i, k in enumerate(keys)}
    by_level: dict[str, list[SeriesKey]] = defaultdict(list)
    for k in keys:
        by_level[k.level].append(k)
    rows: list[np.ndarray] = []

    def add(parent: SeriesKey, children: list[SeriesKey]) -> None:
        if not children:
            return
        row = np.zeros(len(keys))
        row[index[parent]] = 1.0
        for child in children:
            row[index[child]] -= 1.0
        rows.append(row)

    totals = by_level.get("total", [])
    cells = by_level.get("region/department", [])
    for total in totals:
        for level in ("region", "department"):
            add(total, by_level.get(level, []))
        if not by_level.get("region") and not by_level.get("department"):
            add(total, cells)
    for position, level in ((0, "region"), (1, "department")):
        for parent in by_level.get(level, []):
            add(parent, [c for c in cells if c.parent_parts[position] == parent.segment])
    return np.array(rows).reshape(len(rows), len(keys))


def _shrunk_covariance(errors: np.ndarray) -> np.ndarray:
    """Give the Schäfer-Strimmer shrinkage of the error covariance toward its diagonal."""
    count = errors.shape[0]
    centred = errors - errors.mean(axis=0)
    cov = centred.T @ centred / count
    sd = np.sqrt(np.maximum(np.diag(cov), 1e-12))
    std = centred / sd
    corr = std.T @ std / count
    w = std[:, :, None] * std[:, None, :]
    var_corr = count / (count - 1) ** 3 * np.sum((w - w.mean(axis=0)) ** 2, axis=0)
    off = ~np.eye(len(sd), dtype=bool)
    denom = float(np.sum(corr[off] ** 2))
    lam = 1.0 if denom <= 0 else float(np.clip(np.sum(var_corr[off]) / denom, 0.0, 1.0))
    shrunk = lam * np.diag(np.diag(cov)) + (1 - lam) * cov
    return shrunk + np.eye(len(sd)) * 1e-9 * max(float(np.mean(np.diag(cov))), 1e-12)


def mint_projection(constraints: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Give P with y~ = P y^ (MinT/WLS with error covariance ``weights``)."""
    size = constraints.shape[1]
    if constraints.shape[0] == 0:
        return np.eye(size)
    wc = weights @ constraints.T
    return np.eye(size) - wc @ np.linalg.pinv(constraints @ wc) @ constraints


def _one_step_errors(series, rows, positions):
    out = np.full((len(positions), len(rows)), np.nan)
    lookup = {p: j for j, p in enumerate(positions)}
    for col, i in enumerate(rows):
        s = series[i]
        for pos, err in zip(s.origin_positions, s.errors[:, 0] if s.errors.size else []):
            j = lookup.get(int(pos))
            if j is not None:
                out[j, col] = err
    return out


def _common_origins(series, rows) -> list[int]:
    common: set[int] | None = None
    for i in rows:
        positions = {int(p) for p in series[i].origin_positions}
        common = positions if common is None else common & positions
    return sorted(common or ())


def _stack(series, rows, positions, steps, attribute):
    out = np.full((len(positions), steps, len(rows)), np.nan)
    for col, i in enumerate(rows):
        s = series[i]
        lookup = {int(p): j for j, p in enumerate(s.origin_positions)}
        values = getattr(s, attribute)
        for r, pos in enumerate(positions):
            out[r, :, col] = values[lookup[pos], :steps]
    return out


def _at_positions(series, positions: list[int]) -> np.ndarray:
    """Give a series' per-origin MASE scales at the given panel positions."""
    if len(series.origin_scales) != len(series.origin_positions):
        return np.full(len(positions), series.scale)
    lookup = {int(p): float(v) for p, v in zip(series.origin_positions, series.origin_scales)}
    return np.array([lookup[p] for p in positions])


def reconcile(
    panel: Panel,
    base: BaseForecasts,
    *,
    on_progress: StepCallback = no_step,
    cancel: CancelToken | None = None,
) -> ForecastResult:
    """Give the reconciled forecasts with 80/95 % bands, per-series summaries and accuracy."""
    series = base.series
    keys = list(base.keys)
    forecasts = base.forecast_matrix().copy()
    errors = [s.errors for s in series]
    origin_scales = [s.origin_scales for s in series]
    origin_positions = [s.origin_positions for s in series]
    base_mase: list[float | None] = [None] * len(keys)
    rec_mase: list[float | None] = [None] * len(keys)
    methods: set[str] = set()
    metrics = list(dict.fromkeys(k.metric for k in keys))
    for done, metric in enumerate(metrics, start=1):
        if cancel is not None:
            cancel.raise_if_cancelled()
        on_progress(done - 1, len(metrics), item=metric, message=f"Reconciling {metric}")
        rows = [i for i, k in enumerate(keys) if k.metric == metric]
        if not panel.additive(metric) or len(rows) < 2:
            continue
        subset = [keys[i] for i in rows]
        constraints = constraint_matrix(subset)
        if constraints.shape[0] == 0:
            continue
        with_backtest = all(series[i].errors.size for i in rows)
        positions = _common_origins(series, rows) if with_backtest else []
        scales = np.array([series[i].scale for i in rows])
        if len(positions) >= MIN_COMMON_ORIGINS:
            one_step = _one_step_errors(series, rows, positions)
            one_step = one_step[np.all(np.isfinite(one_step), axis=1)]
        else:
            one_step = np.zeros((0, len(rows)))
        if len(one_step) >= MIN_COMMON_ORIGINS:
            weights = _shrunk_covariance(one_step)
            methods.add("MinT (shrinkage)")
        else:
            weights = np.diag(scales**2)
            methods.add("WLS (scale)")
        projection = mint_projection(constraints, weights)
        forecasts[rows] = projection @ forecasts[rows]
        nonneg = base.nonnegative[rows[0]]
        if nonneg:
            forecasts[rows] = _clip_coherently(forecasts[rows], subset)
        if positions:
            steps = min(series[i].backtest.shape[1] for i in rows)
            back = _stack(series, rows, positions, steps, "backtest")
            actual = _stack(series, rows, positions, steps, "actuals")
            rec = np.einsum("ij,ohj->ohi", projection, back)
            if nonneg:
                rec = np.maximum(rec, 0.0)
            for col, i in enumerate(rows):
                base_mase[i] = float(
                    np.nanmean(np.abs(actual[:, :, col] - back[:, :, col])) / scales[col]
                )
                rec_mase[i] = float(
                    np.nanmean(np.abs(actual[:, :, col] - rec[:, :, col])) / scales[col]
                )
                errors[i] = actual[:, :, col] - rec[:, :, col]
                origin_scales[i] = _at_positions(series[i], positions)
                origin_positions[i] = np.asarray(positions)
    on_progress(len(metrics), len(metrics), message="Calibrating forecast intervals")
    widths = conformal_widths(
        errors,
        [s.scale for s in series],
        base.horizon,
        origin_scales=origin_scales,
        origin_positions=origin_positions,
        groups=[k.level for k in keys],
    )
    return _assemble(panel, base, forecasts, widths, errors, base_mase, rec_mase, methods)


def _clip_coherently(values: np.ndarray, keys: list[SeriesKey]) -> np.ndarray:
    """Clip at zero; when one finest level exists, rebuild its parents from it so sums hold."""
    levels = {k.level for k in keys}
    clipped = np.maximum(values, 0.0)
    finest = "region/department" if "region/department" in levels else None
    if finest is None and len(levels - {"total"}) == 1:
        finest = next(iter(levels - {"total"}))
    if finest is None:
        return clipped
    cells = [j for j, k in enumerate(keys) if k.level == finest]
    for j, k in enumerate(keys):
        if k.level == finest:
            continue
        if k.level == "total":
            members = cells
        else:
            position = 0 if k.level == "region" else 1
            members = [c for c in cells if keys[c].parent_parts[position] == k.segment]
        if members:
            clipped[j] = clipped[members].sum(axis=0)
    return clipped


def _assemble(panel, base, forecasts, widths, errors, base_mase, rec_mase, methods):
    keys = list(base.keys)
    horizon = base.horizon
    lower = {lv: forecasts - w for lv, w in widths.items()}
    upper = {lv: forecasts + w for lv, w in widths.items()}
    for i in range(len(keys)):
        if base.nonnegative[i]:
            for lv in lower:
                lower[lv][i] = np.maximum(lower[lv][i], 0.0)
    count = len(keys)
    table = pd.DataFrame(
        {
            "level": np.repeat([k.level for k in keys], horizon),
            "segment": np.repeat([k.segment for k in keys], horizon),
            "metric": np.repeat([k.metric for k in keys], horizon),
            "date": np.tile(base.future.values, count),
            "forecast": forecasts.ravel(),
            "lower_80": lower[80].ravel(),
            "upper_80": upper[80].ravel(),
            "lower_95": lower[95].ravel(),
            "upper_95": upper[95].ravel(),
            "model": np.repeat([s.model for s in base.series], horizon),
        },
        columns=list(TABLE_COLUMNS),
    )
    summaries = []
    cov80, cov95 = [], []
    for i, (key, s) in enumerate(zip(keys, base.series)):
        c80 = coverage(errors[i], widths[80][i])
        c95 = coverage(errors[i], widths[95][i])
        if np.isfinite(c80):
            cov80.append(c80)
            cov95.append(c95)
        summaries.append(
            SeriesSummary(
                level=key.level,
                segment=key.segment,
                metric=key.metric,
                model=s.model,
                description=s.description,
                mase=s.mase,
                smape=s.smape,
                coverage_80=c80,
                coverage_95=c95,
                base_mase=base_mase[i],
                reconciled_mase=rec_mase[i],
                note="; ".join(s.notes),
                fallback=s.fallback,
                observations=s.observations,
            )
        )
    accuracy: dict[str, object] = {"by_level": {}}
    for level in panel.levels:
        pairs = [
            (b, r)
            for k, b, r in zip(keys, base_mase, rec_mase)
            if k.level == level and b is not None
        ]
        if pairs:
            accuracy["by_level"][level] = {
                "series": len(pairs),
                "base_mase": float(np.mean([b for b, _ in pairs])),
                "reconciled_mase": float(np.mean([r for _, r in pairs])),
            }
    accuracy["coverage_80"] = float(np.mean(cov80)) if cov80 else None
    accuracy["coverage_95"] = float(np.mean(cov95)) if cov95 else None
    accuracy["fallbacks"] = sum(s.fallback for s in base.series)
    accuracy["seconds_forecast"] = base.seconds
    return ForecastResult(
        table=table,
        summary=tuple(summaries),
        accuracy=accuracy,
        horizon=horizon,
        frequency=base.frequency,
        method=", ".join(sorted(methods)) or "none needed",
    )
