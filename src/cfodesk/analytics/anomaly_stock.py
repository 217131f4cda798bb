"""Balances and counts judged by their period change, the way a controller reads them.

A balance (cash, receivables, total assets) is the running sum of what flowed in and out, so its
level against a trend line says little: a smooth, strongly growing cash balance is perfectly
normal, while a one-off outflow is a step that the level fit spreads over many months. What is
unusual is the *change* of a period: the flow into the balance. The first difference of the
balance gets the same robust trend + season fit as any flow (:func:`.anomaly_scan.fit_working_series`),
on a scale that follows the typical size of a change over time. A period whose change is far from
the usual one is then read two ways:

- the balance came back the next period (receivables up one month, down the next): a spike or
  dip of that period's level;
- it stayed: a step in the balance, reported once as a level shift ("Cash balance fell 3.2M in
  Mar 2025, 4.1x the usual monthly change").

Counts (headcount, customers) move in whole units: in a team of three, one hire is a third more
people and entirely normal. Their changes are measured in people, with the noise scale floored at
one person (or 1 % of the level, whichever is larger), so 3 -> 4 is not an anomaly while an
acquisition (120 -> 165) is a level shift.

Expected values stay in level terms: expected = previous balance + typical change; the interval is
that +- threshold scales of the change.
"""

from __future__ import annotations

import warnings

import numpy as np

from .anomaly_scan import (
    MIN_POINTS,
    MIN_RELATIVE_SIZE,
    THRESHOLD,
    LevelShift,
    SeriesScan,
    _nanmedian,
    _rolling_median,
    fit_working_series,
    scan_series,
    warm_up_run,
)

__all__ = ["COUNT_RELATIVE_FLOOR", "CHANGE_SCALE_FLOOR", "read_balance", "scan_changes"]

#: A count's noise scale is at least one unit or this share of its level, whichever is larger.
COUNT_RELATIVE_FLOOR = 0.01
#: A count must move by at least this share of its level (one of ten people) to be reported.
COUNT_MIN_RELATIVE = 0.10
#: A balance's noise scale is at least this share of its typical change.
CHANGE_SCALE_FLOOR = 0.05
#: A change returned by at least this share the next period makes the move a spike or dip.
REVERT_SHARE = 0.5
#: A balance is judged by its level when that predicts it this much better than its change.
LEVEL_PREFERENCE = 0.75
#: Periods each side whose median gives a count's level before and after a step.
STEP_SIDE = 3


def read_balance(values: np.ndarray, period: int, threshold: float = THRESHOLD) -> SeriesScan:
    """Give the scan of a money balance by change or by level, whichever predicts it better.

    A running sum (cash: last balance + net cash flow) is predicted far better from its last
    value plus the usual change than from a trend line, and is judged by its change. A balance
    that tracks a flow (receivables as days of revenue, payables as days of costs) wanders
    around a seasonal trend: there the change doubles the noise (two periods' errors in each
    difference) and the level is the better judge. The level is chosen when its typical error
    relative to the balance is smaller (pure level noise gives sqrt(1/2) of the change's; a
    running sum gives several times the change's).
    """
    by_change = scan_changes(values, period, threshold=threshold)
    by_level = scan_series(values, period, threshold)
    if _relative_error(by_level) < LEVEL_PREFERENCE * _relative_error(by_change):
        return by_level
    return by_change


def _relative_error(scan: SeriesScan) -> float:
    """Give the typical noise scale of a scan relative to the expected balance."""
    with np.errstate(divide="ignore", invalid="ignore"):
        error = (scan.upper - scan.lower) / (2.0 * np.abs(scan.expected))
    error = error[np.isfinite(error)]
    return float(np.median(error)) if error.size else np.inf


def scan_changes(
    values: np.ndarray, period: int, *, count: bool = False, threshold: float = THRESHOLD
) -> SeriesScan:
    """Give the scan of a balance or count judged by its period changes, in level terms.

    Parameters
    ----------
    values
        The balance on the panel's period grid (NaN = missing).
    period
        Periods per year (12 monthly, 4 quarterly).
    count
        True for whole units (people, customers): the noise scale is floored at one unit.
    threshold
        Robust z of the change beyond which a period is flagged.
    """
    y_all = np.asarray(values, dtype=float)
    n_all = y_all.size
    finite = np.flatnonzero(np.isfinite(y_all))
    if finite.size < MIN_POINTS + 1:
        return SeriesScan.empty(n_all)
    start, stop = int(finite[0]), int(finite[-1]) + 1
    y = y_all[start:stop]
    n = y.size
    change = np.full(n, np.nan)
    change[1:] = np.diff(y)
    previous = np.full(n, np.nan)
    previous[1:] = y[:-1]

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        if count:
            unit = np.maximum(1.0, COUNT_RELATIVE_FLOOR * np.abs(previous))
            floor = 1.0
        else:
            # A scale that follows the typical size of a change as the business grows.
            size = np.abs(change)
            overall = float(_nanmedian(size))
            level = float(_nanmedian(np.abs(y)))
            local = _rolling_median(size, period)
            unit = np.fmax(local, max(0.25 * overall, 1e-4 * level, 1e-9))
            floor = CHANGE_SCALE_FLOOR
        unit = np.where(np.isfinite(unit), unit, np.nanmedian(unit))
        position = (np.arange(n) + start) % period
        fit = fit_working_series(
            change / unit, position, period, threshold, scale_floor=floor, find_level_shifts=False
        )
        expected_change = fit.base * unit
        spread = threshold * fit.scale * unit
        expected = previous + expected_change
        gap = y - expected
        denominator = np.fmax(np.abs(expected), 1e-9)
        relative = gap / denominator
        score = fit.score.copy()

    judged = np.isfinite(score) & np.isfinite(change)
    if n < 3 * period:
        judged[: period + 1] = False  # too little history to judge the first season
    material = np.abs(relative) >= (COUNT_MIN_RELATIVE if count else MIN_RELATIVE_SIZE)
    flagged = judged & (np.abs(score) >= threshold) & material
    flagged &= ~warm_up_run(flagged, score, judged)

    # A level out of line for one period shows as two opposite changes: judge the pair together
    # (sqrt 2 stronger than either change alone), so the way back is not taken for a step.
    pair = np.full(n, np.nan)
    pair[:-1] = (score[:-1] - score[1:]) / np.sqrt(2.0 * (1.0 - _lag_one_correlation(score)))
    back = np.full(n, np.nan)
    back[:-1] = change[1:] - expected_change[1:]
    returned = -back * np.sign(gap) >= REVERT_SHARE * np.abs(gap)
    excursion = judged & np.isfinite(pair) & returned & (np.abs(pair) >= threshold) & material
    excursion &= ~warm_up_run(excursion, pair, judged)
    points = np.zeros(n, dtype=bool)
    shifts: list[LevelShift] = []
    taken = np.zeros(n, dtype=bool)
    for i in np.flatnonzero(excursion):
        if not taken[i]:
            points[i] = True
            taken[i : i + 2] = True
            score[i] = pair[i]
    # A move that came back but not far enough for the pair to count is no step either.
    for i in np.flatnonzero(flagged & ~taken & ~returned):
        if i == n - 1:
            points[i] = True  # the last period: no telling yet whether it stays
            continue
        if count:
            before = float(np.nanmedian(y[max(i - STEP_SIDE, 0) : i]))
            after = float(np.nanmedian(y[i : i + STEP_SIDE]))
        else:
            before, after = float(expected[i]), float(y[i])
        shifts.append(
            LevelShift(
                index=int(i) + start,
                before=before,
                after=after,
                lower=float(expected[i] - spread[i]),
                upper=float(expected[i] + spread[i]),
                score=float(score[i]),
                relative=float(after / before - 1.0) if before > 0 else float(relative[i]),
            )
        )

    def full(part: np.ndarray, fill: float | bool = np.nan) -> np.ndarray:
        out = np.full(n_all, fill, dtype=part.dtype)
        out[start:stop] = part
        return out

    return SeriesScan(
        expected=full(expected),
        lower=full(expected - spread),
        upper=full(expected + spread),
        score=full(np.where(judged, score, np.nan)),
        relative=full(np.where(judged, relative, np.nan)),
        flagged=full(points, False),
        shifts=tuple(shifts),
        usual_change=full(unit if not count else np.abs(expected_change)),
    )


def _lag_one_correlation(score: np.ndarray) -> float:
    """Give the correlation of consecutive change scores, between -0.5 and 0.

    Noise around a level makes consecutive changes move opposite ways (-0.5 for pure level
    noise), so a one-period excursion's two changes are less surprising together than two
    independent ones; a running sum's changes are independent (0).
    """
    clipped = np.clip(score, -3.0, 3.0)
    pairs = np.isfinite(clipped[:-1]) & np.isfinite(clipped[1:])
    if pairs.sum() < 12:
        return 0.0
    first, second = clipped[:-1][pairs], clipped[1:][pairs]
    spread = first.std() * second.std()
    if spread <= 0:
        return 0.0
    correlation = float(np.mean((first - first.mean()) * (second - second.mean())) / spread)
    return float(np.clip(correlation, -0.5, 0.0))
