"""Seasonal ARIMA with moving-average terms, fitted by conditional least squares (CSS).

A small, fixed menu of orders (the ones that win most often on business data, the "airline"
model among them) is fitted on the whole history and compared by AICc; the winner keeps its
mean (drift after one difference) only if the AICc says so, as auto.arima decides, and is
refitted on the data before the first backtest origin for the backtest. A fit is a handful of
Levenberg-Marquardt steps (about a millisecond, see :mod:`.arima_fit`); each order starts from
the nested orders already fitted, and the menu is screened with loose fits before the
contenders are finished.
"""

from __future__ import annotations

import numpy as np

from cfodesk.analytics.forecast.arima_fit import (
    SCREEN_MARGIN,
    SCREEN_TOLERANCE,
    ArimaFit,
    ArimaOrder,
    fit_order,
    warm_start,
)
from cfodesk.analytics.forecast.linear_filter import linear_filter

__all__ = ["ArimaOrder", "arima", "kpss_stationary", "difference_polynomial"]

_PLAIN_ORDERS: tuple[ArimaOrder, ...] = (
    (0, 0, 0, 0),
    (1, 0, 0, 0),
    (0, 1, 0, 0),
    (1, 1, 0, 0),
    (2, 0, 0, 0),
    (0, 2, 0, 0),
    (2, 1, 0, 0),
)
_SEASONAL_ORDERS: tuple[ArimaOrder, ...] = (
    (0, 1, 0, 1),
    (1, 0, 0, 1),
    (1, 1, 0, 1),
    (2, 0, 0, 1),
    (0, 1, 1, 0),
    (1, 0, 1, 0),
)


def kpss_stationary(x: np.ndarray) -> bool:
    """True when a KPSS level-stationarity test does not reject at 5 %."""
    n = len(x)
    if n < 8:
        return True
    e = x - x.mean()
    s = np.cumsum(e)
    lags = int(np.floor(4 * (n / 100) ** 0.25))
    var = float(e @ e) / n
    for k in range(1, lags + 1):
        var += 2 * (1 - k / (lags + 1)) * float(e[k:] @ e[:-k]) / n
    if var <= 0:
        return True
    return bool(float(s @ s) / (n * n * var) < 0.463)


def difference_polynomial(d: int, big_d: int, m: int) -> np.ndarray:
    """Give the coefficients of (1 - B)^d (1 - B^m)^D."""
    poly = np.array([1.0])
    for _ in range(d):
        poly = np.convolve(poly, [1.0, -1.0])
    for _ in range(big_d):
        seasonal = np.zeros(m + 1)
        seasonal[0], seasonal[m] = 1.0, -1.0
        poly = np.convolve(poly, seasonal)
    return poly


#: A lag-one regression slope above this is treated as a unit root even when KPSS is silent
#: (short, slowly wandering series): a stationary AR fit would pull the forecast to the mean.
NEAR_UNIT_ROOT = 0.9


def _lag_one(x: np.ndarray) -> float:
    """Give the least-squares slope of x[t] on x[t-1] (both centred)."""
    if len(x) < 3:
        return 0.0
    a, b = x[:-1] - x[:-1].mean(), x[1:] - x[1:].mean()
    denom = float(a @ a)
    return float(a @ b) / denom if denom > 0 else 0.0


def _project(y: np.ndarray, origins: np.ndarray, fit: ArimaFit, poly: np.ndarray, steps: int):
    """Give (origins, steps) forecasts of y from each origin with a fitted model."""
    order = len(poly) - 1
    w = np.convolve(y, poly, mode="valid") - fit.mean  # w[j] belongs to y[j + order]
    innovations = linear_filter(fit.ar, fit.ma, w)
    la, lb = len(fit.ar) - 1, len(fit.ma) - 1
    width = max(la, lb, 1)
    count = len(origins)
    # Past values of z = w - mean and of the innovations, right-aligned before each origin.
    z_hist = np.zeros((count, width + steps))
    e_hist = np.zeros((count, width + steps))
    y_hist = np.zeros((count, order + steps))
    for r, origin in enumerate(origins):
        end = origin - order  # w index of the first forecast period
        take = min(width, max(end, 0))
        if take:
            z_hist[r, width - take : width] = w[end - take : end]
            e_hist[r, width - take : width] = innovations[end - take : end]
        if order:
            y_hist[r, :order] = y[origin - order : origin]
    ar_lags = -fit.ar[1:]
    ma_lags = fit.ma[1:]
    out = np.empty((count, steps))
    for step in range(steps):
        col = width + step
        z_new = np.zeros(count)
        if la:
            z_new += z_hist[:, col - la : col][:, ::-1] @ ar_lags
        if lb:
            z_new += e_hist[:, col - lb : col][:, ::-1] @ ma_lags
        z_hist[:, col] = z_new
        w_new = z_new + fit.mean
        ycol = order + step
        if order:
            w_new = w_new - y_hist[:, ycol - order : ycol][:, ::-1] @ poly[1:]
        y_hist[:, ycol] = w_new
        out[:, step] = w_new
    return out


def _describe(fit: ArimaFit, d: int, big_d: int, m: int) -> str:
    p, q, big_p, big_q = fit.order
    text = f"ARIMA({p},{d},{q})"
    if big_d or big_p or big_q:
        text += f"({big_p},{big_d},{big_q})[{m}]"
    if fit.mean:
        text += " with drift" if d + big_d == 1 else " with mean"
    return text


def _order_menu(seasonal_terms: bool, d: int) -> tuple[ArimaOrder, ...]:
    if seasonal_terms:
        return _SEASONAL_ORDERS
    return _PLAIN_ORDERS if d < 2 else _PLAIN_ORDERS[:4]


def arima(
    y: np.ndarray, m: int, n0: int, steps: int, horizon: int, seasonal: bool
) -> tuple[np.ndarray, np.ndarray, str, float]:
    """Give ARIMA backtest rows, final forecast, description and AICc (see the module note)."""
    n = len(y)
    # Orders are chosen on the whole history (the backtest refits the same orders): the data
    # before the first origin is often too short for a unit-root test to say anything.
    big_d = 1 if seasonal and n >= 2 * m + 4 else 0
    w_sd = np.convolve(y, difference_polynomial(0, big_d, m), mode="valid")
    d = 0 if kpss_stationary(w_sd) and _lag_one(w_sd) < NEAR_UNIT_ROOT else 1
    if d == 1 and not big_d and not kpss_stationary(np.diff(w_sd)):
        d = 2
    poly = difference_polynomial(d, big_d, m)
    with_mean = d + big_d <= 1
    seasonal_terms = bool(big_d) and n - len(poly) >= m + 8
    w_full = np.convolve(y, poly, mode="valid")
    fits: list[ArimaFit] = []
    for order in _order_menu(seasonal_terms, d):
        start = warm_start(order, fits, with_mean)
        fit = fit_order(w_full, order, m, with_mean, start, SCREEN_TOLERANCE)
        if fit is not None:
            fits.append(fit)
    if not fits:
        raise ValueError("no ARIMA order could be fitted")
    # Screened fits are close to converged; the contenders are finished from where they stopped.
    lowest = min(f.aicc for f in fits)
    finished = [
        fit_order(w_full, f.order, m, with_mean, f.x) or f
        if f.aicc <= lowest + SCREEN_MARGIN
        else f
        for f in fits
    ]
    best = min(finished, key=lambda f: f.aicc)
    if with_mean:
        # A drift is a claim that the series keeps growing at its past average rate; rates and
        # ratios wander without one (dev windows of the real series: MASE -1 % in each of three).
        plain = fit_order(w_full, best.order, m, False, best.x[: sum(best.order)])
        if plain is not None and plain.aicc < best.aicc:
            best = plain
    has_mean = len(best.x) > sum(best.order)
    early = (
        fit_order(np.convolve(y[:n0], poly, mode="valid"), best.order, m, has_mean, best.x) or best
    )
    back = _project(y, np.arange(n0, n), early, poly, steps)
    forecast = _project(y, np.array([n]), best, poly, horizon)[0]
    return back, forecast, _describe(best, d, big_d, m), best.aicc
