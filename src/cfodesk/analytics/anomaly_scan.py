"""Robust trend + season fit of one series, and the points and steps that break it.

The fit is built from medians only, so one bad month cannot drag its own expected value:

1. Work on the log scale for strictly positive series (a x2 spike and a x0.5 dip are the same
   size there and seasonality is multiplicative), else on the series divided by its typical size.
2. Remove one robust slope (median of seasonal differences), take a seasonal profile from the
   median of each calendar position, and look for level shifts: a persistent step where the
   median of the next year differs from the median of the past year and the jump is sharp.
3. With the steps taken out, the expected value of each period is a leave-one-out fit: the median
   of its neighbours' seasonally adjusted values (itself excluded) plus the median of the same
   calendar position in the *other* years.
4. Scores are residuals over a robust scale (1.4826 x MAD, floored at 1 % of the series' size so a
   near-constant series does not explode), inflated where fewer neighbours were available.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

__all__ = [
    "THRESHOLD",
    "MIN_RELATIVE_SIZE",
    "LevelShift",
    "SeriesScan",
    "WorkingFit",
    "fit_working_series",
    "scan_series",
    "warm_up_run",
]

#: Robust z beyond which a single period is an anomaly (tuned with bench/anomaly_recall.py).
THRESHOLD = 4.5
#: A flagged period must also be at least this far from the expected value (5 %).
MIN_RELATIVE_SIZE = 0.05
#: Noise floor, in working units (1 % of the series' size).
SCALE_FLOOR = 0.01
#: A level shift must be at least this large (working units, ~10 %) ...
SHIFT_MIN_SIZE = 0.10
#: ... this many noise scales ...
SHIFT_MIN_SIGMAS = 3.5
#: ... and this many standard errors of the difference of medians.
SHIFT_MIN_Z = 7.0
MIN_POINTS = 8
_MAD_TO_SIGMA = 1.4826
_MEDIAN_VARIANCE = np.pi / 2  # variance of a median relative to a mean, for Gaussian noise


@dataclass(frozen=True)
class LevelShift:
    """A persistent step at ``index``: the level ``before`` became ``after`` (original units)."""

    index: int
    before: float
    after: float
    lower: float
    upper: float
    score: float
    relative: float


@dataclass(frozen=True, eq=False)
class SeriesScan:
    """The fit of one series, period by period (NaN where a period was not judged).

    ``expected``/``lower``/``upper`` are in the series' own units; ``score`` is the signed robust
    z of the residual; ``relative`` the size of the residual relative to the expected value;
    ``flagged`` marks single-period anomalies; ``shifts`` lists level shifts. A balance is judged
    by its period change (:mod:`.anomaly_stock`); its scan also gives ``usual_change``, the
    typical size of a period's change, in units (None for scans of levels).
    """

    expected: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    score: np.ndarray
    relative: np.ndarray
    flagged: np.ndarray
    shifts: tuple[LevelShift, ...]
    usual_change: np.ndarray | None = None

    @classmethod
    def empty(cls, n: int) -> SeriesScan:
        """Give the scan of a series too short to judge."""
        nan = np.full(n, np.nan)
        return cls(nan, nan.copy(), nan.copy(), nan.copy(), nan.copy(), np.zeros(n, bool), ())


def scan_series(values: np.ndarray, period: int, threshold: float = THRESHOLD) -> SeriesScan:
    """Give the robust fit, scores, flagged periods and level shifts of one series.

    Parameters
    ----------
    values
        The series on the panel's period grid (NaN = missing).
    period
        Periods per year (12 monthly, 4 quarterly).
    threshold
        Robust z beyond which a period is flagged; the interval is expected +- threshold scales.
    """
    y_all = np.asarray(values, dtype=float)
    n_all = y_all.size
    finite = np.flatnonzero(np.isfinite(y_all))
    if finite.size < MIN_POINTS:
        return SeriesScan.empty(n_all)
    start, stop = int(finite[0]), int(finite[-1]) + 1
    y = y_all[start:stop]
    n = y.size
    positive = bool(np.nanmin(y) > 0)
    if positive:
        work = np.log(y)
        size = 1.0
    else:
        size = float(_nanmedian(np.abs(y))) or float(np.nanmax(np.abs(y))) or 1.0
        work = y / size

    position = (np.arange(n) + start) % period
    fit = fit_working_series(work, position, period, threshold)
    base, scale, score, shift_points = fit.base, fit.scale, fit.score, fit.shift_points
    m = period

    def to_units(v: np.ndarray) -> np.ndarray:
        return np.exp(v) if positive else v * size

    expected = to_units(base)
    lower = to_units(base - threshold * scale)
    upper = to_units(base + threshold * scale)
    if positive:
        relative = y / expected - 1.0
    else:
        relative = work - base  # already relative to the series' typical size
    judged = np.isfinite(y) & np.isfinite(score)
    if n < 3 * m:
        judged[:m] = False  # too little history to judge the first season
    flagged = judged & (np.abs(score) >= threshold) & (np.abs(relative) >= MIN_RELATIVE_SIZE)
    flagged &= ~warm_up_run(flagged, score, judged)

    shifts = []
    for index, step, z in shift_points:
        level_before = base[index] - step
        shifts.append(
            LevelShift(
                index=index + start,
                before=float(to_units(np.array([level_before]))[0]),
                after=float(to_units(np.array([base[index]]))[0]),
                lower=float(to_units(np.array([level_before - threshold * scale[index]]))[0]),
                upper=float(to_units(np.array([level_before + threshold * scale[index]]))[0]),
                score=float(z),
                relative=float(np.expm1(step)) if positive else float(step),
            )
        )

    def full(part: np.ndarray, fill: float | bool = np.nan) -> np.ndarray:
        out = np.full(n_all, fill, dtype=part.dtype)
        out[start:stop] = part
        return out

    return SeriesScan(
        expected=full(expected),
        lower=full(lower),
        upper=full(upper),
        score=full(np.where(judged, score, np.nan)),
        relative=full(np.where(judged, relative, np.nan)),
        flagged=full(flagged, False),
        shifts=tuple(shifts),
    )


@dataclass(frozen=True, eq=False)
class WorkingFit:
    """The robust fit of a series in working units (log or scaled), period by period.

    ``base`` is the expected value (trend + season + level shifts), ``scale`` the per-period
    robust noise scale, ``score`` the residual over the scale, ``shift_points`` the
    (index, step, z) of level shifts found.
    """

    base: np.ndarray
    scale: np.ndarray
    score: np.ndarray
    shift_points: tuple[tuple[int, float, float], ...]


def fit_working_series(
    work: np.ndarray,
    position: np.ndarray,
    period: int,
    threshold: float = THRESHOLD,
    *,
    scale_floor: float = SCALE_FLOOR,
    find_level_shifts: bool = True,
) -> WorkingFit:
    """Give the robust trend + season fit of a series already in working units.

    Parameters
    ----------
    work
        The series (log scale or divided by its typical size; NaN = missing).
    position
        Calendar position (0 .. period - 1) of each value.
    period
        Periods per year.
    threshold
        Robust z beyond which a value counts as an outlier for the refit.
    scale_floor
        Lowest noise scale, in working units.
    find_level_shifts
        Look for persistent steps and take them out before the fit.
    """
    n = work.size
    m = period
    seasonal = m > 1 and np.isfinite(work).sum() >= 2 * m + 2
    t = np.arange(n, dtype=float)
    slope = _robust_slope(work, m if seasonal else 1)
    flat = work - slope * t
    half = m // 2 if seasonal else 3
    shift_points: list[tuple[int, float, float]] = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        if find_level_shifts:
            # Pass 1: a rough season, then level shifts on the seasonally adjusted series.
            season0 = (
                _seasonal_profile(flat - _rolling_median(flat, half), position, m)
                if seasonal
                else np.zeros(n)
            )
            adjusted0 = flat - season0
            sigma0 = max(_robust_scale(adjusted0 - _rolling_median(adjusted0, 2)), scale_floor)
            shift_points = _find_shifts(adjusted0, sigma0, m if seasonal else 6)
        steps = np.zeros(n)
        for index, step, _ in shift_points:
            steps[index:] += step
        flat_adj = flat - steps

        # Pass 2: the leave-one-out fit; pass 3 refits without the outliers it found, so one
        # bad month cannot shift the seasonal estimate of the same month in other years.
        fit, scale = _loo_fit(flat_adj, position, m, seasonal, half, scale_floor)
        outliers = np.abs(flat_adj - fit) >= threshold * scale
        if outliers.any():
            fit, scale = _loo_fit(
                np.where(outliers, np.nan, flat_adj), position, m, seasonal, half, scale_floor
            )
        score = (flat_adj - fit) / scale
    return WorkingFit(fit + steps + slope * t, scale, score, tuple(shift_points))


def warm_up_run(flagged: np.ndarray, score: np.ndarray, judged: np.ndarray) -> np.ndarray:
    """Give the mask of a same-sign run of flags at the series start (the fit warming up).

    Two or more consecutive flagged periods from the first judged one, all on the same side of
    the fit, say more about the trend estimate having no history to lean on than about the data.
    """
    out = np.zeros(flagged.size, dtype=bool)
    judged_at = np.flatnonzero(judged)
    if judged_at.size < 2:
        return out
    first = int(judged_at[0])
    sign = np.sign(score[first])
    stop = first
    while stop < flagged.size and flagged[stop] and np.sign(score[stop]) == sign:
        stop += 1
    if stop - first >= 2:
        out[first:stop] = True
    return out


def _nanmedian(a: np.ndarray, axis: int = -1) -> np.ndarray:
    """Give the median along ``axis`` ignoring NaN (NaN when a row has none); fast for small rows."""
    a = np.moveaxis(np.asarray(a, dtype=float), axis, -1)
    ordered = np.sort(a, axis=-1)  # NaN sorts last
    count = np.isfinite(ordered).sum(axis=-1)
    low = np.maximum((count - 1) // 2, 0)[..., None]
    high = np.maximum(count // 2, 0)[..., None]
    high = np.minimum(high, max(a.shape[-1] - 1, 0))
    median = (
        0.5
        * (np.take_along_axis(ordered, low, axis=-1) + np.take_along_axis(ordered, high, axis=-1))[
            ..., 0
        ]
    )
    return np.where(count > 0, median, np.nan)


def _loo_fit(
    flat: np.ndarray, position: np.ndarray, m: int, seasonal: bool, half: int, floor: float
) -> tuple[np.ndarray, np.ndarray]:
    """Give the leave-one-out trend + season fit and the per-period robust scale."""
    n = flat.size
    if seasonal:
        season, cycles = _seasonal_profile_loo(flat - _rolling_median(flat, half), position, m)
    else:
        season, cycles = np.zeros(n), np.full(n, np.inf)
    trend, neighbours = _rolling_median_loo(flat - season, max(half, 3))
    fit = trend + season
    sigma = max(_robust_scale(flat - fit), floor)
    inflation = np.sqrt(1 + _MEDIAN_VARIANCE / neighbours + _MEDIAN_VARIANCE / cycles)
    inflation = inflation / _nanmedian(inflation)
    return fit, sigma * np.maximum(inflation, 1.0)


def _robust_slope(work: np.ndarray, lag: int) -> float:
    diffs = work[lag:] - work[:-lag]
    diffs = diffs[np.isfinite(diffs)]
    return float(np.median(diffs)) / lag if diffs.size else 0.0


def _robust_scale(x: np.ndarray) -> float:
    x = x[np.isfinite(x)]
    if x.size == 0:
        return 0.0
    return _MAD_TO_SIGMA * float(np.median(np.abs(x - np.median(x))))


def _windows(x: np.ndarray, half: int) -> np.ndarray:
    pad = np.full(half, np.nan)
    return sliding_window_view(np.concatenate([pad, x, pad]), 2 * half + 1)


def _rolling_median(x: np.ndarray, half: int) -> np.ndarray:
    return _nanmedian(_windows(x, half), axis=1)


def _rolling_median_loo(x: np.ndarray, half: int) -> tuple[np.ndarray, np.ndarray]:
    windows = _windows(x, half).copy()
    windows[:, half] = np.nan
    count = np.isfinite(windows).sum(axis=1).astype(float)
    return _nanmedian(windows, axis=1), np.where(count > 0, count, np.nan)


def _by_cycle(x: np.ndarray, position: np.ndarray, m: int) -> tuple[np.ndarray, int]:
    offset = int(position[0])
    total = offset + x.size
    cycles = -(-total // m)
    grid = np.full(cycles * m, np.nan)
    grid[offset:total] = x
    return grid.reshape(cycles, m), offset


def _seasonal_profile(detrended: np.ndarray, position: np.ndarray, m: int) -> np.ndarray:
    grid, _ = _by_cycle(detrended, position, m)
    profile = np.nan_to_num(_nanmedian(grid, axis=0))
    return profile[position]


def _seasonal_profile_loo(
    detrended: np.ndarray, position: np.ndarray, m: int
) -> tuple[np.ndarray, np.ndarray]:
    """Give each period's seasonal effect from the other years only, and how many years that was."""
    grid, offset = _by_cycle(detrended, position, m)
    cycles = grid.shape[0]
    others = np.broadcast_to(grid, (cycles, cycles, m)).copy()
    others[np.arange(cycles), np.arange(cycles), :] = np.nan
    profile = _nanmedian(others, axis=1)  # (cycles, m): row c from every year but c
    count = np.isfinite(others).sum(axis=1).astype(float)
    flat_profile = np.nan_to_num(profile.reshape(-1)[offset : offset + detrended.size])
    flat_count = count.reshape(-1)[offset : offset + detrended.size]
    return flat_profile, np.where(flat_count > 0, flat_count, np.nan)


def _find_shifts(adjusted: np.ndarray, sigma: float, k: int) -> list[tuple[int, float, float]]:
    """Give (index, step, z) of persistent, sharp steps, one per shift, strongest first."""
    n = adjusted.size
    min_side = max(3, k // 2)
    if n < 2 * min_side:
        return []
    pad = np.full(k, np.nan)
    windows = sliding_window_view(np.concatenate([pad, adjusted, pad]), k)
    before, after = windows[:n], windows[k : k + n]
    n_before = np.isfinite(before).sum(axis=1)
    n_after = np.isfinite(after).sum(axis=1)
    step = _nanmedian(after, axis=1) - _nanmedian(before, axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        se = sigma * np.sqrt(_MEDIAN_VARIANCE * (1 / n_before + 1 / n_after))
        z = step / se
    pad3 = np.full(3, np.nan)
    short = sliding_window_view(np.concatenate([pad3, adjusted, pad3]), 3)
    jump = _nanmedian(short[3 : 3 + n], axis=1) - _nanmedian(short[:n], axis=1)
    candidate = (
        (n_before >= min_side)
        & (n_after >= min_side)
        & (np.abs(step) >= SHIFT_MIN_SIZE)
        & (np.abs(step) >= SHIFT_MIN_SIGMAS * sigma)
        & (np.abs(z) >= SHIFT_MIN_Z)
        & (np.sign(jump) == np.sign(step))
        & (np.abs(jump) >= 0.6 * np.abs(step))
    )
    found: list[tuple[int, float, float]] = []
    for index in np.flatnonzero(candidate)[np.argsort(-np.abs(z[candidate]))]:
        index = _sharpest(adjusted, int(index), float(np.sign(step[index])))
        if all(abs(index - f[0]) > k for f in found):
            found.append((index, float(step[index]), float(z[index])))
    return found


def _sharpest(adjusted: np.ndarray, index: int, sign: float) -> int:
    """Give the period within two of ``index`` where the two-period jump is largest."""
    best, best_jump = index, -np.inf
    for i in range(max(index - 2, 2), min(index + 3, adjusted.size - 1)):
        jump = sign * (np.nanmean(adjusted[i : i + 2]) - np.nanmean(adjusted[i - 2 : i]))
        if np.isfinite(jump) and jump > best_jump:
            best, best_jump = i, float(jump)
    return best
