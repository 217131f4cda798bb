"""The simple, Theta and ARIMA forecasters, each giving backtest rows and a final forecast.

Every function takes the clean history ``y``, the season length ``m``, the first backtest origin
``n0`` (parameters are estimated on ``y[:n0]`` for the backtest), the backtest ``steps`` and the
report ``horizon``, and gives ``(backtest, forecast, description, aicc)`` where ``backtest`` is
(origins n0..n-1, steps). Plain numpy so worker processes start fast.
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "ModelRun",
    "naive",
    "seasonal_naive",
    "drift",
    "theta",
    "croston_sba",
    "seasonality_test",
    "seasonal_indices",
    "seasonal_strength",
]

ModelRun = tuple[np.ndarray, np.ndarray, str, float]


def _origin_steps(n0: int, n: int, steps: int) -> tuple[np.ndarray, np.ndarray]:
    origins = np.arange(n0, n)
    return origins, np.arange(1, steps + 1)


def naive(y: np.ndarray, m: int, n0: int, steps: int, horizon: int) -> ModelRun:
    """Give the last value carried forward."""
    origins, _ = _origin_steps(n0, len(y), steps)
    back = np.repeat(y[origins - 1][:, None], steps, axis=1)
    return back, np.full(horizon, y[-1]), "Last value carried forward", np.inf


def seasonal_naive(y: np.ndarray, m: int, n0: int, steps: int, horizon: int) -> ModelRun:
    """Give the value of the same period one season earlier."""
    origins, h = _origin_steps(n0, len(y), steps)
    back = y[origins[:, None] - m + (h[None, :] - 1) % m]
    fc = y[len(y) - m + (np.arange(horizon) % m)]
    return back, fc, f"Same period last {'year' if m in (4, 12) else 'season'}", np.inf


def drift(y: np.ndarray, m: int, n0: int, steps: int, horizon: int) -> ModelRun:
    """Give the last value plus the average change so far."""
    origins, h = _origin_steps(n0, len(y), steps)
    slope = (y[origins - 1] - y[0]) / np.maximum(origins - 1, 1)
    back = y[origins - 1][:, None] + slope[:, None] * h[None, :]
    s = (y[-1] - y[0]) / max(len(y) - 1, 1)
    fc = y[-1] + s * np.arange(1, horizon + 1)
    return back, fc, f"Last value plus average change ({s:,.4g} a period)", np.inf


def _acf(y: np.ndarray, lags: int) -> np.ndarray:
    x = y - y.mean()
    denom = float(x @ x)
    if denom <= 0:
        return np.zeros(lags)
    return np.array([float(x[k:] @ x[:-k]) / denom for k in range(1, lags + 1)])


def seasonality_test(y: np.ndarray, m: int) -> bool:
    """True when the autocorrelation at lag m is significant at 90 % (the Theta method's test)."""
    n = len(y)
    if m < 2 or n < 3 * m:
        return False
    r = _acf(y, m)
    limit = 1.645 * np.sqrt((1 + 2 * np.sum(r[:-1] ** 2)) / n)
    return bool(abs(r[-1]) > limit)


def seasonal_indices(y: np.ndarray, m: int, multiplicative: bool) -> np.ndarray:
    """Give classical-decomposition seasonal indices by position t % m."""
    n = len(y)
    kernel = np.r_[0.5, np.ones(m - 1), 0.5] / m if m % 2 == 0 else np.ones(m) / m
    trend = np.convolve(y, kernel, mode="valid")
    offset = (len(kernel) - 1) // 2
    idx = np.arange(offset, offset + len(trend))
    with np.errstate(all="ignore"):
        detr = y[idx] / trend if multiplicative else y[idx] - trend
    out = np.array(
        [np.nanmean(detr[(idx % m) == j]) if np.any(idx % m == j) else np.nan for j in range(m)]
    )
    if not np.all(np.isfinite(out)) or n < 2 * m:
        return np.ones(m) if multiplicative else np.zeros(m)
    return out / out.mean() if multiplicative else out - out.mean()


def seasonal_strength(y: np.ndarray, m: int) -> float:
    """Give the share of detrended variance that the season explains (0..1, Wang-Smith-Hyndman).

    Classical decomposition: a centred moving average is the trend, per-position means of what
    is left the season. Above 0.64 the season is strong enough for seasonal differencing.
    """
    n = len(y)
    if m < 2 or n < 2 * m + 1:
        return 0.0
    kernel = np.r_[0.5, np.ones(m - 1), 0.5] / m if m % 2 == 0 else np.ones(m) / m
    trend = np.convolve(y, kernel, mode="valid")
    offset = (len(kernel) - 1) // 2
    idx = np.arange(offset, offset + len(trend))
    detrended = y[idx] - trend
    pos = idx % m
    means = np.array([detrended[pos == j].mean() for j in range(m)])
    season = means[pos] - means.mean()
    remainder = detrended - season
    total = float(np.var(detrended))
    if total <= 0:
        return 0.0
    return float(max(0.0, 1.0 - np.var(remainder) / total))


def _ses_levels(x: np.ndarray, alphas: np.ndarray, n0: int) -> tuple[np.ndarray, ...]:
    """Run SES for many alphas: give SSE on [0, n0), SSE on all, and levels after each point."""
    level = np.full(len(alphas), x[0])
    sse0 = np.zeros(len(alphas))
    sse = np.zeros(len(alphas))
    levels = np.empty((len(x) + 1, len(alphas)))
    levels[0] = level
    for t in range(len(x)):
        if t == n0:
            sse0 = sse.copy()
        err = x[t] - level
        if t > 0:
            sse += err * err
        level = level + alphas * err
        levels[t + 1] = level
    if n0 >= len(x):
        sse0 = sse.copy()
    return sse0, sse, levels


#: Shares of the linear drift the Theta method may add (theta 2, and the whole line);
#: with only the standard half, forecasts of growing series lagged (dev sets: bias +0.5 MASE).
THETA_WEIGHTS = (0.5, 1.0)

_ALPHAS = np.r_[np.linspace(0.02, 0.3, 15), np.linspace(0.34, 0.98, 17)]


def theta(
    y: np.ndarray,
    m: int,
    n0: int,
    steps: int,
    horizon: int,
    seasonal: bool,
    weights: tuple[float, ...] = THETA_WEIGHTS,
) -> ModelRun:
    """Give the Theta method (SES plus a share of the linear drift), seasonally adjusted.

    The share of the drift is the standard half (theta 2) or the whole line (theta large),
    whichever forecast better from the backtest origins.
    """
    n = len(y)
    multiplicative = bool(np.all(y > 0))
    if seasonal:
        idx0 = seasonal_indices(y[:n0], m, multiplicative)
        idx1 = seasonal_indices(y, m, multiplicative)
    else:
        idx0 = idx1 = np.ones(m) if multiplicative else np.zeros(m)
    pos = np.arange(n) % m

    def adjust(idx):
        return y / idx[pos] if multiplicative else y - idx[pos]

    def reseason(values, positions, idx):
        return values * idx[positions] if multiplicative else values + idx[positions]

    x0, x1 = adjust(idx0), adjust(idx1)
    sse0, _, levels0 = _ses_levels(x0, _ALPHAS, n0)
    a0 = int(np.argmin(sse0))
    _, sse1, levels1 = _ses_levels(x1, _ALPHAS, n0)
    a1 = int(np.argmin(sse1))
    # Drift from the OLS slope of the adjusted history up to each origin (cumulative sums).
    t = np.arange(n, dtype=float)
    ct, cx, ctt, ctx = (np.cumsum(v) for v in (t, x0, t * t, t * x0))
    origins = np.arange(n0, n)
    k = origins.astype(float)
    st, sx, stt, stx = ct[origins - 1], cx[origins - 1], ctt[origins - 1], ctx[origins - 1]
    slope = (k * stx - st * sx) / np.maximum(k * stt - st * st, 1e-12)
    alpha = _ALPHAS[a0]
    h = np.arange(1, steps + 1)
    extra = (h[None, :] - 1) + 1 / alpha - ((1 - alpha) ** k)[:, None] / alpha
    positions = (origins[:, None] + h[None, :] - 1) % m
    target = origins[:, None] + h[None, :] - 1
    actual = np.where(target < n, y[np.minimum(target, n - 1)], np.nan)
    rows = [
        reseason(levels0[origins, a0][:, None] + w * slope[:, None] * extra, positions, idx0)
        for w in weights
    ]
    errors = [float(np.nanmean(np.abs(actual - r))) for r in rows]
    best = int(np.argmin(errors)) if np.all(np.isfinite(errors)) else 0
    back, weight = rows[best], weights[best]
    alpha = _ALPHAS[a1]
    slope_full = np.polyfit(t, x1, 1)[0] if n > 1 else 0.0
    hf = np.arange(1, horizon + 1)
    fc_adj = levels1[n, a1] + weight * slope_full * (
        (hf - 1) + 1 / alpha - (1 - alpha) ** n / alpha
    )
    fc = reseason(fc_adj, (n + hf - 1) % m, idx1)
    sigma2 = sse1[a1] / max(n - 1, 1)
    aicc = n * np.log(max(sigma2, 1e-300)) + 2 * 3
    season = " on seasonally adjusted values" if seasonal else ""
    share = {0.5: "half the trend", 1.0: "the whole trend"}.get(weight, f"{weight:g} x the trend")
    desc = (
        f"Theta method: smoothing with {share}{season} (alpha {alpha:.2f}, drift {slope_full:,.4g})"
    )
    return back, fc, desc, float(aicc)


def croston_sba(y: np.ndarray, m: int, n0: int, steps: int, horizon: int) -> ModelRun:
    """Give Croston's method with the Syntetos-Boylan correction for intermittent demand."""
    alpha = 0.1

    def rate(x: np.ndarray) -> float:
        nz = np.flatnonzero(x)
        if len(nz) == 0:
            return 0.0
        size = float(x[nz[0]])
        gaps = np.diff(np.r_[-1, nz])
        interval = float(gaps[0])
        for i in range(1, len(nz)):
            size += alpha * (x[nz[i]] - size)
            interval += alpha * (gaps[i] - interval)
        return (1 - alpha / 2) * size / max(interval, 1.0)

    origins = np.arange(n0, len(y))
    back = np.array([[rate(y[:o])] * steps for o in origins]).reshape(len(origins), steps)
    level = rate(y)
    return back, np.full(horizon, level), f"Croston (SBA) average demand rate {level:,.4g}", np.inf
