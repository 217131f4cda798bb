"""Conformal prediction intervals calibrated on the whole forecasting procedure's backtest.

Each series contributes the errors of what the procedure would really have forecast at each
backtest origin (model choice included, see :mod:`.choice`), divided by the series' MASE scale
*at that origin* (the in-sample seasonal-naive error of the history then known), so scores are
scale-free. Scores are pooled per horizon step across the series of a group (a hierarchy level:
totals, regions, departments, cells; Mondrian conformal prediction), and the finite-sample
conformal quantile ``ceil((n + 1)(1 - alpha)) / n`` of each step's pool is that step's
multiplier; a series' band is the multiplier times its current scale. One pool for all levels
covered on average only: in ``bench/interval_levels.py`` (generated companies' held-out year)
the 80 % bands of totals, regions, departments and region/department cells held 91.4, 85.9,
86.3 and 76.8 %; by level 79.0, 81.1, 81.6 and 79.6 %. Steps with too few scores,
and steps beyond the backtested ones, follow a power law in the step fitted to the calibrated
steps (errors grow like h**b with b measured, not assumed to be 1/2).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

__all__ = ["IntervalWidths", "conformal_widths", "coverage", "step_multipliers"]

LEVELS = (80, 95)
#: Scores a horizon step needs for its own conformal quantile.
MIN_POOL = 30
#: Scores needed in all for any conformal quantile; fewer falls back to a normal multiplier.
MIN_SCORES = 20
#: Bounds on the fitted growth exponent of errors with the horizon step.
EXPONENT_RANGE = (0.0, 1.5)

IntervalWidths = dict[int, np.ndarray]  # level -> (series, horizon) half-widths


def _scaled_scores(
    errors: Sequence[np.ndarray], scales: Sequence[float], origin_scales: Sequence | None
) -> list[np.ndarray]:
    out = []
    for i, e in enumerate(errors):
        if e.size == 0:
            continue
        own = None if origin_scales is None else np.asarray(origin_scales[i], dtype=float)
        if own is None or own.shape != (e.shape[0],) or not np.all(own > 0):
            own = np.full(e.shape[0], float(scales[i]) if scales[i] > 0 else 1.0)
        out.append(np.abs(e) / own[:, None])
    return out


def _power_fit(steps: np.ndarray, values: np.ndarray, weights: np.ndarray) -> float:
    """Give b in values ~ c * steps**b by weighted least squares in logs, within the bounds."""
    keep = (values > 0) & np.isfinite(values)
    if keep.sum() < 2:
        return 0.5
    x, v, w = np.log(steps[keep]), np.log(values[keep]), weights[keep]
    xm, vm = np.average(x, weights=w), np.average(v, weights=w)
    denom = float(np.sum(w * (x - xm) ** 2))
    b = float(np.sum(w * (x - xm) * (v - vm)) / denom) if denom > 0 else 0.5
    return float(np.clip(b, *EXPONENT_RANGE))


def step_multipliers(pools: Sequence[np.ndarray], horizon: int, level: float) -> np.ndarray:
    """Give the conformal multiplier per horizon step (1..horizon) from per-step score pools.

    ``pools[h]`` holds the scale-free absolute errors of step h + 1 from every series.
    """
    counts = np.array([len(p) for p in pools], dtype=float)
    steps = np.arange(1, len(pools) + 1, dtype=float)
    if counts.sum() < MIN_SCORES:
        z = _NORMAL_Z.get(round(level * 100), 1.96) * np.sqrt(np.pi / 2)
        return z * np.sqrt(np.arange(1, horizon + 1))
    means = np.array([p.mean() if len(p) else np.nan for p in pools])
    growth = _power_fit(steps, means, counts)
    normalised = np.concatenate([p / s**growth for p, s in zip(pools, steps)])
    overall = _conformal_quantile(normalised, level)
    own = counts >= MIN_POOL
    q = np.array(
        [
            _conformal_quantile(p, level) if ok else overall * s**growth
            for p, ok, s in zip(pools, own, steps)
        ]
    )
    q = np.maximum.accumulate(np.maximum(q, 1e-12))
    if horizon <= len(q):
        return q[:horizon]
    # Beyond the backtested steps, grow like the calibrated steps do.
    if own.sum() >= 3:
        growth = _power_fit(steps[own], q[own], counts[own])
    last = len(q)
    extra = q[-1] * (np.arange(last + 1, horizon + 1) / last) ** growth
    return np.r_[q, extra]


def _difficulty(
    scored: list[np.ndarray], positions: list[np.ndarray], groups: list | None = None
) -> tuple[list[np.ndarray], np.ndarray]:
    """Give each series' scores divided by its own error level, and that level per series.

    A series' level is its mean score (errors growing with the step divided out), shrunk toward
    its group's mean (its hierarchy level's; the run's without groups) by :data:`SHRINK`
    pseudo-errors per own error. Each backtest row is divided by
    the level known *before its origin* (only cells whose target period came earlier), as the
    current level is known now: the row is calibrated the way the future will be. Leaving out
    just the row itself still let the overlapping neighbouring rows (which share most of their
    target periods) vouch for it, so the spread looked steadier than it is on new data (dev sets
    covered 79.0 / 91.6 % that way, 80.2 / 94.0 % with the level known before each origin).
    """
    depth = max((s.shape[1] for s in scored), default=0)
    steps = np.arange(1, depth + 1, dtype=float)
    pools = [np.concatenate([s[:, h] for s in scored if s.shape[1] > h]) for h in range(depth)]
    means = np.array([np.nanmean(p) if np.isfinite(p).any() else np.nan for p in pools])
    counts = np.array([np.isfinite(p).sum() for p in pools], dtype=float)
    growth = _power_fit(steps, means, counts)
    flat = [s / steps[: s.shape[1]] ** growth for s in scored]
    known = [np.isfinite(f) for f in flat]
    total = sum(float(np.nansum(f)) for f in flat)
    count = sum(int(k.sum()) for k in known)
    mu = total / count if count else 1.0
    if not mu > 0:  # every backtest forecast was exact: no spread to compare series by
        return scored, np.ones(len(scored))
    groups = list(groups) if groups is not None else [None] * len(flat)
    group_mean = {}
    for g in dict.fromkeys(groups):
        members = [i for i, h in enumerate(groups) if h == g]
        g_total = sum(float(np.nansum(flat[i])) for i in members)
        g_count = sum(int(known[i].sum()) for i in members)
        group_mean[g] = g_total / g_count if g_count and g_total > 0 else mu
    out, levels = [], []
    for f, k, s, pos, g in zip(flat, known, scored, positions, groups):
        pseudo = SHRINK * max(int(k.sum()), 1)
        prior_mean = group_mean[g]
        own = (np.nansum(f) + pseudo * prior_mean) / (k.sum() + pseudo) / mu
        # Sum and count of the known cells whose target period lies before each origin.
        target = (pos[:, None] + np.arange(f.shape[1])[None, :])[k]
        order = np.argsort(target, kind="stable")
        cum = np.r_[0.0, np.cumsum(f[k][order])]
        before = np.searchsorted(target[order], pos, side="left")
        sums, seen = cum[before], before.astype(float)
        prior = SHRINK * np.maximum(seen, 1.0)
        past = (sums + prior * prior_mean) / (seen + prior) / mu
        out.append(s / past[:, None])
        levels.append(own)
    return out, np.array(levels)


#: Pseudo-errors at the run's mean level added to each series' own, as a share of its own count
#: (shrinkage toward the pool). A series' backtest cells are strongly correlated, so they say
#: less about its future spread than their number suggests: with 4 pseudo-errors in all, smooth
#: series got bands too narrow for their next year (dev real sets covered 73/90).
SHRINK = 1.0


def conformal_widths(
    errors: Sequence[np.ndarray],
    scales: Sequence[float],
    horizon: int,
    levels: Sequence[int] = LEVELS,
    origin_scales: Sequence[np.ndarray] | None = None,
    origin_positions: Sequence[np.ndarray] | None = None,
    groups: Sequence | None = None,
) -> IntervalWidths:
    """Give interval half-widths per level, series and step from the procedure's backtest errors.

    ``errors[i]`` is (origins, steps) actual - forecast (NaN where unknown) for series i,
    ``scales[i]`` its MASE scale now and ``origin_scales[i]`` (origins,) its MASE scale at each
    origin (the current scale when not given), ``origin_positions[i]`` (origins,) the period
    of each origin's first forecast (consecutive origins when not given), ``groups[i]`` the
    group of series alike in difficulty that series i is calibrated with (one group when not
    given).
    """
    scored = _scaled_scores(errors, scales, origin_scales)
    own_level = np.ones(len(errors))
    with_errors = [i for i, e in enumerate(errors) if e.size]
    if scored:
        positions = []
        for i in with_errors:
            pos = None if origin_positions is None else np.asarray(origin_positions[i])
            if pos is None or pos.shape != (errors[i].shape[0],):
                pos = np.arange(errors[i].shape[0])
            positions.append(pos.astype(float))
        alike = None if groups is None else [groups[i] for i in with_errors]
        scored, found = _difficulty(scored, positions, alike)
        own_level[with_errors] = found
    scale = (np.asarray(scales, dtype=float) * own_level)[:, None]
    everyone = _step_pools(scored)
    widths = {
        level: np.repeat(step_multipliers(everyone, horizon, level / 100)[None, :], len(errors), 0)
        for level in levels
    }
    # Mondrian conformal: each group (a hierarchy level) with scores enough of its own gets its
    # own quantiles, so that totals and leaves are each covered as promised, not only on average.
    for group in dict.fromkeys(groups or []):
        pools = _step_pools([s for s, i in zip(scored, with_errors) if groups[i] == group])
        if sum(len(p) for p in pools) < MIN_GROUP_SCORES:
            continue
        members = [i for i in range(len(errors)) if groups[i] == group]
        for level in levels:
            widths[level][members] = step_multipliers(pools, horizon, level / 100)[None, :]
    return {level: widths[level] * scale for level in levels}


#: Scores a group (hierarchy level) needs for quantiles of its own; fewer use the whole pool's.
MIN_GROUP_SCORES = 200


def _step_pools(scored: list[np.ndarray]) -> list[np.ndarray]:
    """Give the finite scores of each horizon step, pooled over the given series."""
    depth = max((s.shape[1] for s in scored), default=0)
    pools = []
    for h in range(depth):
        column = np.concatenate([s[:, h] for s in scored if s.shape[1] > h])
        column = column[np.isfinite(column)]
        if len(column) == 0:
            break
        pools.append(column)
    return pools


_NORMAL_Z = {80: 1.2816, 90: 1.6449, 95: 1.96, 99: 2.5758}


def _conformal_quantile(values: np.ndarray, level: float) -> float:
    """Give the split-conformal quantile (finite-sample corrected) of absolute scores."""
    n = len(values)
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
