"""Conformal prediction intervals from rolling-origin backtest errors.

Each series contributes its backtest errors per horizon step, in units of its own MASE scale.
A series' own error spread per step sets the *shape* of its intervals (series with too few
origins borrow the median spread of their metric, then of the whole run); the *multiplier* that
turns spread into an 80 % or 95 % band is the conformal quantile of all series' normalised errors
pooled together, so a handful of origins per series still gives calibrated bands.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

__all__ = ["IntervalWidths", "conformal_widths", "coverage"]

#: Backtest errors a step needs before a series' own spread is trusted.
MIN_OWN = 4
LEVELS = (80, 95)
#: The chosen model is the one with the smallest backtest errors among a dozen candidates, so
#: its errors understate what comes next; bands are widened by this much. Set on synthetic
#: series of known form (seeds 11-13 of tests/forecast), not on the benchmark's real series.
SELECTION_ALLOWANCE = 1.07

IntervalWidths = dict[int, np.ndarray]  # level -> (series, horizon) half-widths


def _spread(errors: np.ndarray, scale: float, horizon: int) -> np.ndarray | None:
    """Give the mean absolute scaled error per step, extended to the horizon; None if too few."""
    if errors.size == 0:
        return None
    scaled = np.abs(errors) / scale
    counts = np.sum(np.isfinite(scaled), axis=0)
    steps = int(np.sum(counts >= MIN_OWN))
    if steps == 0:
        return None
    spread = np.nanmean(scaled[:, :steps], axis=0)
    spread = np.maximum.accumulate(np.maximum(spread, 1e-9))
    return _extend(spread, horizon)


def _extend(spread: np.ndarray, horizon: int) -> np.ndarray:
    steps = len(spread)
    if horizon <= steps:
        return spread[:horizon]
    # Beyond the backtested steps errors keep growing like a random walk's.
    extra = spread[-1] * np.sqrt(np.arange(steps + 1, horizon + 1) / steps)
    return np.r_[spread, extra]


def conformal_widths(
    errors: Sequence[np.ndarray],
    scales: Sequence[float],
    groups: Sequence[str],
    horizon: int,
    levels: Sequence[int] = LEVELS,
) -> IntervalWidths:
    """Give interval half-widths per level, series and step from backtest errors.

    ``errors[i]`` is (origins, steps) actual - forecast (NaN where unknown) for series i,
    ``scales[i]`` its MASE scale and ``groups[i]`` the pool it borrows from (the metric).
    """
    count = len(errors)
    spreads: list[np.ndarray | None] = [_spread(e, s, horizon) for e, s in zip(errors, scales)]
    by_group: dict[str, list[np.ndarray]] = {}
    for spread, group in zip(spreads, groups):
        if spread is not None:
            by_group.setdefault(group, []).append(spread)
    everyone = [s for s in spreads if s is not None]
    overall = np.median(everyone, axis=0) if everyone else np.sqrt(np.arange(1, horizon + 1))
    group_spread = {g: np.median(v, axis=0) for g, v in by_group.items()}
    shapes = np.array(
        [
            spread if spread is not None else group_spread.get(group, overall)
            for spread, group in zip(spreads, groups)
        ]
    ).reshape(count, horizon)
    normalised = []
    for i, e in enumerate(errors):
        if e.size == 0:
            continue
        steps = min(e.shape[1], horizon)
        ratio = _scores(np.abs(e[:, :steps]) / scales[i], shapes[i, :steps], spreads[i] is None)
        normalised.append(ratio[np.isfinite(ratio)])
    pooled = np.concatenate(normalised) if normalised else np.zeros(0)
    widths: IntervalWidths = {}
    for level in levels:
        q = _conformal_quantile(pooled, level / 100) * SELECTION_ALLOWANCE
        widths[level] = q * shapes * np.asarray(scales, dtype=float)[:, None]
    return widths


def _scores(scaled: np.ndarray, shape: np.ndarray, borrowed: bool) -> np.ndarray:
    """Give each backtest error divided by the spread estimated WITHOUT it (leave one out).

    A series' own spread comes from the same few errors it is scored on; dividing by it makes
    the scores too small (most with a handful of origins), and the bands under-cover on new
    data. Leaving each error out of its own spread removes that optimism.
    """
    if borrowed:
        return scaled / shape
    known = np.isfinite(scaled)
    counts = known.sum(axis=0)
    sums = np.where(known, scaled, 0.0).sum(axis=0)
    with np.errstate(all="ignore"):
        others = (sums[None, :] - scaled) / (counts[None, :] - 1)
    # Keep the monotone shape's growth: scale the leave-one-out spread by shape / own mean.
    own = np.where(counts > 0, sums / np.maximum(counts, 1), np.nan)
    with np.errstate(all="ignore"):
        spread = others * np.where(own > 0, shape / own, 1.0)[None, :]
        ratio = np.where((counts[None, :] >= MIN_OWN) & (spread > 0), scaled / spread, np.nan)
    fallback = scaled / shape[None, :]
    return np.where(np.isfinite(ratio), ratio, np.where(counts[None, :] < MIN_OWN, fallback, ratio))


_NORMAL_Z = {80: 1.2816, 90: 1.6449, 95: 1.96, 99: 2.5758}


def _conformal_quantile(values: np.ndarray, level: float) -> float:
    """Give the split-conformal quantile (finite-sample corrected) of absolute scores."""
    n = len(values)
    if n < 20:
        # Too few errors anywhere: the normal multiplier of a mean absolute error.
        return _NORMAL_Z.get(round(level * 100), 1.96) * np.sqrt(np.pi / 2)
    rank = min(int(np.ceil((n + 1) * level)), n)
    return float(np.partition(values, rank - 1)[rank - 1])


def coverage(errors: np.ndarray, width: np.ndarray) -> float:
    """Give the share of backtest errors inside +- width (NaN when there are none)."""
    if errors.size == 0:
        return float("nan")
    steps = min(errors.shape[1], len(width))
    inside = np.abs(errors[:, :steps]) <= width[None, :steps]
    known = np.isfinite(errors[:, :steps])
    if not known.any():
        return float("nan")
    return float(inside[known].mean())
