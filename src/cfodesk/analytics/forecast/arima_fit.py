"""Conditional-least-squares fitting of one ARMA order to a differenced series.

The order search in :mod:`.arima` calls :func:`fit_order` a dozen times per series, so the fit
is the hot path: parameters are free numbers mapped onto the stationary and invertible regions (the
optimiser cannot leave them), residuals come from one rational-filter pass and their exact
Jacobian from a few more, and Levenberg-Marquardt needs a handful of steps from a warm start.
"""

from __future__ import annotations

import numpy as np

from cfodesk.analytics.forecast.linear_filter import (
    apply_response,
    inverse_response,
    linear_filter,
)

__all__ = [
    "ArimaOrder",
    "ArimaFit",
    "SCREEN_TOLERANCE",
    "SCREEN_MARGIN",
    "fit_order",
    "polynomials",
    "residuals_and_jacobian",
    "warm_start",
]

#: (p, q, P, Q): non-seasonal AR and MA orders, seasonal AR and MA orders.
ArimaOrder = tuple[int, int, int, int]


def _constrained(raw: np.ndarray) -> np.ndarray:
    """Map free numbers to AR coefficients of a stationary polynomial (Jones' PACF transform)."""
    partial = 0.98 * np.tanh(raw)
    coef = np.zeros(len(partial))
    for k, value in enumerate(partial):
        if k:
            coef[:k] = coef[:k] - value * coef[k - 1 :: -1]
        coef[k] = value
    return coef


def polynomials(raw: np.ndarray, order: ArimaOrder, m: int) -> tuple[np.ndarray, np.ndarray]:
    """Give the AR polynomial a(B) = 1 - ... and the MA polynomial b(B) = 1 + ...

    Parameters are free numbers mapped onto the stationary (AR) and invertible (MA) regions,
    so the optimiser can never leave them.
    """
    p, q, big_p, big_q = order
    phi = _constrained(raw[:p])
    theta = -_constrained(raw[p : p + q])
    sphi = _constrained(raw[p + q : p + q + big_p])
    stheta = -_constrained(raw[p + q + big_p : p + q + big_p + big_q])
    ar = np.concatenate(([1.0], -phi))
    ma = np.concatenate(([1.0], theta))
    if big_p:
        seasonal = np.zeros(m * big_p + 1)
        seasonal[0] = 1.0
        seasonal[m::m] = -sphi
        ar = np.convolve(ar, seasonal)
    if big_q:
        seasonal = np.zeros(m * big_q + 1)
        seasonal[0] = 1.0
        seasonal[m::m] = stheta
        ma = np.convolve(ma, seasonal)
    return ar, ma


class ArimaFit:
    __slots__ = ("order", "ar", "ma", "mean", "aicc", "sigma2", "x")

    def __init__(self, order, ar, ma, mean, aicc, sigma2, x):
        self.order, self.ar, self.ma, self.mean = order, ar, ma, mean
        self.aicc, self.sigma2, self.x = aicc, sigma2, x


def _shifted(x: np.ndarray, lag: int) -> np.ndarray:
    """Give x delayed by ``lag`` periods with zeros before the start (B**lag x)."""
    out = np.zeros_like(x)
    out[lag:] = x[: len(x) - lag]
    return out


def _coefficient_jacobian(raw: np.ndarray) -> np.ndarray:
    """Give d coefficients / d free numbers of one block of :func:`_constrained` (forward steps)."""
    size = len(raw)
    if size == 1:
        return np.array([[0.98 * (1.0 - np.tanh(raw[0]) ** 2)]])
    out = np.empty((size, size))
    base = _constrained(raw)
    for i in range(size):
        bumped = raw.copy()
        bumped[i] += 1e-7
        out[:, i] = (_constrained(bumped) - base) / 1e-7
    return out


def residuals_and_jacobian(x, w, order, m, with_mean, spread, skip):
    """Give scaled CSS residuals and a function giving their exact Jacobian in the free numbers.

    With a(B) = n(B) s(B) and b(B) = u(B) v(B) (non-seasonal times seasonal factors), the
    residuals are e = a(B)/b(B) z; a coefficient of n moves e by -B^i s(B)/b(B) z, one of u by
    -B^j v(B)/b(B) e (and likewise for the seasonal factors), so four filter passes give them
    all; the free-number Jacobian follows through the stationarity map by the chain rule.
    """
    p, q, big_p, big_q = order
    count = p + q + big_p + big_q
    blocks = (x[:p], x[p : p + q], x[p + q : p + q + big_p], x[p + q + big_p : count])
    phi, theta, sphi, stheta = (_constrained(b) for b in blocks)
    nar = np.concatenate(([1.0], -phi))
    nma = np.concatenate(([1.0], -theta))
    sar = np.zeros(m * big_p + 1)
    sar[0] = 1.0
    sar[m::m] = -sphi
    sma = np.zeros(m * big_q + 1)
    sma[0] = 1.0
    sma[m::m] = -stheta
    ar, ma = np.convolve(nar, sar), np.convolve(nma, sma)
    mu = x[count] * spread if with_mean else 0.0
    z = (w - mu) / spread
    n = len(z)
    # Every filter here divides by b(B): its impulse response is built once and reused.
    response = inverse_response(ma, n)
    z_over_ma = apply_response(response, z)
    e = np.convolve(z_over_ma, ar)[:n]

    def jacobian() -> np.ndarray:
        columns = []
        e_over_ma = apply_response(response, e) if q or big_q else e
        if p:
            u = np.convolve(z_over_ma, sar)[:n]
            columns.append(np.stack([-_shifted(u, i) for i in range(1, p + 1)], axis=1))
        if q:
            u = np.convolve(e_over_ma, sma)[:n]
            columns.append(np.stack([_shifted(u, j) for j in range(1, q + 1)], axis=1))
        if big_p:
            u = np.convolve(z_over_ma, nar)[:n]
            columns.append(np.stack([-_shifted(u, m * k) for k in range(1, big_p + 1)], axis=1))
        if big_q:
            u = np.convolve(e_over_ma, nma)[:n]
            columns.append(np.stack([_shifted(u, m * k) for k in range(1, big_q + 1)], axis=1))
        # d coefficient / d free number per block; the MA coefficients enter as
        # -constrained(raw), which the sign of the MA columns above already carries.
        used = [b for b in blocks if len(b)]
        jac = [c @ _coefficient_jacobian(b) for c, b in zip(columns, used)]
        if with_mean:
            # a(B)/b(B) applied to a constant series: the running sum of its impulse response.
            jac.append(-np.cumsum(np.convolve(response, ar)[:n])[:, None])
        return np.concatenate(jac, axis=1)[skip:]

    return e[skip:], jacobian


#: Levenberg-Marquardt iterations per fit (each one or two filter passes).
MAX_STEPS = 40
#: Relative fall of the sum of squares below which a fit has converged (a tighter 1e-8 took a
#: third more iterations and changed sample forecasts by at most 5e-5 relative).
TOLERANCE = 1e-6
#: Looser convergence for screening the order menu; orders whose screened AICc is within
#: :data:`SCREEN_MARGIN` of the best are then fitted to :data:`TOLERANCE` from there.
SCREEN_TOLERANCE = 1e-3
SCREEN_MARGIN = 4.0


def _least_squares(x, evaluate, max_iter: int, tolerance: float):
    """Give x after Levenberg-Marquardt steps on ``evaluate(x) -> (residuals, jacobian())``."""
    resid, jac_of = evaluate(x)
    jac = jac_of()
    cost = float(resid @ resid)
    damping = 1e-3
    for _ in range(max_iter):
        if not np.isfinite(cost):
            break
        normal = jac.T @ jac
        gradient = jac.T @ resid
        diagonal = np.diag(normal).copy() + 1e-12
        improved = False
        for _ in range(8):
            try:
                step = np.linalg.solve(normal + damping * np.diag(diagonal), -gradient)
            except np.linalg.LinAlgError:
                damping *= 10
                continue
            trial = x + step
            t_resid, t_jac_of = evaluate(trial)
            t_cost = float(t_resid @ t_resid)
            if np.isfinite(t_cost) and t_cost < cost:
                improved = True
                break
            damping *= 10
        if not improved:
            break
        gain = cost - t_cost
        x, resid, cost = trial, t_resid, t_cost
        damping = max(damping / 10, 1e-9)
        if gain <= tolerance * max(cost, 1e-300) or float(np.max(np.abs(step))) < 1e-8:
            break
        jac = t_jac_of()
    return x


def fit_order(
    w: np.ndarray,
    order: ArimaOrder,
    m: int,
    with_mean: bool,
    start: np.ndarray | None = None,
    tolerance: float = TOLERANCE,
) -> ArimaFit | None:
    """Give the CSS fit of an ARMA order to the differenced series w, or None if unusable.

    ``start`` (free numbers, as in ``ArimaFit.x``) warm-starts the search, e.g. a refit of the
    same order on a shorter history.
    """
    p, q, big_p, big_q = order
    count = p + q + big_p + big_q
    skip = p + m * big_p
    rows = len(w) - skip
    k = count + int(with_mean) + 1
    if rows < k + 4:
        return None
    level = float(w.mean()) if with_mean else 0.0
    spread = float(np.std(w)) or 1.0
    x = np.zeros(count + int(with_mean))
    if with_mean:
        x[count] = level / spread
    if start is not None and len(start) == len(x):
        x[:count] = start[:count]  # the mean starts from this history's own

    def evaluate(free):
        return residuals_and_jacobian(free, w, order, m, with_mean, spread, skip)

    if count:
        with np.errstate(all="ignore"):
            x = _least_squares(x, evaluate, MAX_STEPS, tolerance)
    ar, ma = polynomials(x, order, m)
    mean = x[count] * spread if with_mean else 0.0
    resid = linear_filter(ar, ma, w - mean)[skip:]
    sse = float(resid @ resid)
    if not np.isfinite(sse):
        return None
    sigma2 = max(sse / rows, 1e-300)
    aicc = rows * np.log(sigma2) + 2 * k + 2 * k * (k + 1) / max(rows - k - 1, 1)
    return ArimaFit(order, ar, ma, mean, float(aicc), sigma2, x)


def warm_start(order: ArimaOrder, fits: list[ArimaFit], with_mean: bool) -> np.ndarray | None:
    """Give a start for ``order`` from the fitted orders nested in it, or None if there is none.

    Each block of free numbers (AR, MA, seasonal AR, seasonal MA) comes from the nested fit with
    the longest such block (lowest AICc among equals), padded with zeros: the free numbers are
    partial autocorrelations, so the padded start is exactly the nested model, and the search
    only goes down from its sum of squares.
    """
    nested = [f for f in fits if all(a <= b for a, b in zip(f.order, order))]
    if not nested:
        return None
    x = np.zeros(sum(order) + int(with_mean))
    offset = 0
    for block, size in enumerate(order):
        donors = [f for f in nested if f.order[block]]
        if size and donors:
            longest = max(f.order[block] for f in donors)
            donor = min((f for f in donors if f.order[block] == longest), key=lambda f: f.aicc)
            at = sum(donor.order[:block])
            x[offset : offset + longest] = donor.x[at : at + longest]
        offset += size
    return x
