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
    "arima",
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


_ALPHAS = np.r_[np.linspace(0.02, 0.3, 15), np.linspace(0.34, 0.98, 17)]


def theta(y: np.ndarray, m: int, n0: int, steps: int, horizon: int, seasonal: bool) -> ModelRun:
    """Give the standard Theta method (SES with half the linear drift), seasonally adjusted."""
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
    back_adj = levels0[origins, a0][:, None] + 0.5 * slope[:, None] * extra
    back = reseason(back_adj, (origins[:, None] + h[None, :] - 1) % m, idx0)
    alpha = _ALPHAS[a1]
    slope_full = np.polyfit(t, x1, 1)[0] if n > 1 else 0.0
    hf = np.arange(1, horizon + 1)
    fc_adj = levels1[n, a1] + 0.5 * slope_full * ((hf - 1) + 1 / alpha - (1 - alpha) ** n / alpha)
    fc = reseason(fc_adj, (n + hf - 1) % m, idx1)
    sigma2 = sse1[a1] / max(n - 1, 1)
    aicc = n * np.log(max(sigma2, 1e-300)) + 2 * 3
    season = " on seasonally adjusted values" if seasonal else ""
    desc = f"Theta method: smoothing with half the trend{season} (alpha {alpha:.2f}, drift {slope_full:,.4g})"
    return back, fc, desc, float(aicc)


def _kpss_stationary(x: np.ndarray) -> bool:
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


def _diff_poly(d: int, big_d: int, m: int) -> np.ndarray:
    poly = np.array([1.0])
    for _ in range(d):
        poly = np.convolve(poly, [1.0, -1.0])
    for _ in range(big_d):
        seasonal = np.zeros(m + 1)
        seasonal[0], seasonal[m] = 1.0, -1.0
        poly = np.convolve(poly, seasonal)
    return poly


def arima(y: np.ndarray, m: int, n0: int, steps: int, horizon: int, seasonal: bool) -> ModelRun:
    """Give an ARIMA(p,d,0)(P,D,0) chosen by AICc, fitted by least squares on differences."""
    n = len(y)
    big_d = 1 if seasonal and n0 >= 3 * m else 0
    poly_sd = _diff_poly(0, big_d, m)
    w_sd = np.convolve(y[:n0], poly_sd, mode="valid")
    d = 0 if _kpss_stationary(w_sd) else 1
    poly = _diff_poly(d, big_d, m)
    lag_sets = [[]] + [list(range(1, p + 1)) for p in (1, 2, 3)]
    if seasonal and n0 >= 3 * m + 4:
        lag_sets += [lags + [m] for lags in lag_sets[:3]]
    intercept = d + big_d <= 1

    def fit(series: np.ndarray, lags: list[int]):
        w = np.convolve(series, poly, mode="valid")
        start = max(lags, default=0)
        rows = len(w) - start
        if rows < len(lags) + 3:
            return None
        cols = [w[start - lag : len(w) - lag] for lag in lags]
        if intercept:
            cols.append(np.ones(rows))
        target = w[start:]
        if not cols:
            resid = target
            coef = np.zeros(0)
        else:
            design = np.column_stack(cols)
            coef = np.linalg.lstsq(design, target, rcond=None)[0]
            resid = target - design @ coef
        k = len(coef) + 1
        sigma2 = max(float(resid @ resid) / rows, 1e-300)
        aicc = rows * np.log(sigma2) + 2 * k + 2 * k * (k + 1) / max(rows - k - 1, 1)
        return aicc, coef

    def best(series: np.ndarray):
        found = [(r[0], lags, r[1]) for lags in lag_sets if (r := fit(series, lags))]
        return min(found, key=lambda item: item[0])

    _, lags0, coef0 = best(y[:n0])
    aicc1, lags1, coef1 = best(y)

    def project(history: np.ndarray, lags: list[int], coef: np.ndarray, count: int) -> np.ndarray:
        """Forecast rows of ``history`` (rows, L) forward ``count`` steps."""
        buf = np.concatenate([history, np.zeros((len(history), count))], axis=1)
        width = history.shape[1]
        order = len(poly) - 1
        for step in range(count):
            col = width + step
            w_new = np.full(len(buf), coef[-1] if intercept else 0.0)
            for i, lag in enumerate(lags):
                past = buf[:, col - lag - order : col - lag + 1] @ poly[::-1]
                w_new = w_new + coef[i] * past
            buf[:, col] = w_new - buf[:, col - order : col] @ poly[1:][::-1]
        return buf[:, width:]

    need = len(poly) - 1 + max(lags0 + lags1, default=0) + 1
    origins = np.arange(n0, n)
    hist = np.stack(
        [np.r_[np.full(max(need - o, 0), y[0]), y[max(o - need, 0) : o]] for o in origins]
    )
    back = project(hist, lags0, coef0, steps)
    fc = project(
        np.r_[np.full(max(need - n, 0), y[0]), y[max(n - need, 0) :]][None, :],
        lags1,
        coef1,
        horizon,
    )[0]
    p = len([lag for lag in lags1 if lag != m or not seasonal])
    big_p = int(seasonal and m in lags1)
    desc = f"ARIMA({p},{d},0)"
    if big_d or big_p:
        desc += f"({big_p},{big_d},0)[{m}]"
    if intercept:
        desc += " with drift" if d + big_d == 1 else " with mean"
    ar = ", ".join(f"{c:.2f}" for c in coef1[: len(lags1)])
    if ar:
        desc += f" (AR coefficients {ar})"
    return back, fc, desc, float(aicc1)


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
