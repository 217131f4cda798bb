"""The few distribution tails the analytics need, in numpy (no SciPy in the packaged app).

Student's t two-sided p-values (correlation significance with a fractional effective sample
size) and chi-square tails (the multivariate anomaly check), through the regularised incomplete
beta and gamma functions evaluated by continued fractions (Lentz's method), accurate to ~1e-12.
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["betainc_regularized", "gammainc_upper_regularized", "student_t_sf", "chi2_sf"]

_EPS = 1e-15
_TINY = 1e-300
_MAX_ITER = 300


def _lbeta(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    lgamma = np.vectorize(math.lgamma, otypes=[float])
    return lgamma(a) + lgamma(b) - lgamma(a + b)


def _beta_fraction(a: np.ndarray, b: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Continued fraction for the incomplete beta (valid for x < (a + 1) / (a + b + 2))."""
    qab, qap, qam = a + b, a + 1.0, a - 1.0
    c = np.ones_like(x)
    d = 1.0 - qab * x / qap
    d = np.where(np.abs(d) < _TINY, _TINY, d)
    d = 1.0 / d
    h = d.copy()
    done = np.zeros(x.shape, dtype=bool)
    for m in range(1, _MAX_ITER + 1):
        m2 = 2 * m
        aa = m * (b - m) * x / ((qam + m2) * (a + m2))
        d = 1.0 + aa * d
        d = np.where(np.abs(d) < _TINY, _TINY, d)
        c = 1.0 + aa / c
        c = np.where(np.abs(c) < _TINY, _TINY, c)
        d = 1.0 / d
        h = np.where(done, h, h * d * c)
        aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2))
        d = 1.0 + aa * d
        d = np.where(np.abs(d) < _TINY, _TINY, d)
        c = 1.0 + aa / c
        c = np.where(np.abs(c) < _TINY, _TINY, c)
        d = 1.0 / d
        delta = d * c
        h = np.where(done, h, h * delta)
        done |= np.abs(delta - 1.0) < _EPS
        if done.all():
            break
    return h


def betainc_regularized(
    a: np.ndarray | float, b: np.ndarray | float, x: np.ndarray | float
) -> np.ndarray:
    """Give I_x(a, b), the regularised incomplete beta function (elementwise)."""
    a, b, x = np.broadcast_arrays(*(np.asarray(v, dtype=float) for v in (a, b, x)))
    out = np.where(x <= 0, 0.0, 1.0)
    inside = (x > 0) & (x < 1)
    if not inside.any():
        return out
    ai, bi, xi = a[inside], b[inside], x[inside]
    front = np.exp(ai * np.log(xi) + bi * np.log1p(-xi) - _lbeta(ai, bi))
    direct = xi < (ai + 1.0) / (ai + bi + 2.0)
    value = np.empty_like(xi)
    if direct.any():
        value[direct] = (
            front[direct] * _beta_fraction(ai[direct], bi[direct], xi[direct]) / ai[direct]
        )
    flip = ~direct
    if flip.any():
        value[flip] = (
            1.0 - front[flip] * _beta_fraction(bi[flip], ai[flip], 1.0 - xi[flip]) / bi[flip]
        )
    out = out.astype(float)
    out[inside] = value
    return out


def gammainc_upper_regularized(s: np.ndarray | float, x: np.ndarray | float) -> np.ndarray:
    """Give Q(s, x) = Γ(s, x) / Γ(s), the regularised upper incomplete gamma (elementwise)."""
    s, x = np.broadcast_arrays(np.asarray(s, dtype=float), np.asarray(x, dtype=float))
    out = np.ones(s.shape)
    pos = x > 0
    lgamma = np.vectorize(math.lgamma, otypes=[float])
    series = pos & (x < s + 1.0)
    if series.any():
        ss, xs = s[series], x[series]
        term = 1.0 / ss
        total = term.copy()
        for n in range(1, _MAX_ITER + 1):
            term = term * xs / (ss + n)
            total += term
            if (np.abs(term) < np.abs(total) * _EPS).all():
                break
        lower = total * np.exp(-xs + ss * np.log(xs) - lgamma(ss))
        out[series] = 1.0 - lower
    frac = pos & ~series
    if frac.any():
        sf, xf = s[frac], x[frac]
        b = xf + 1.0 - sf
        c = np.full_like(xf, 1.0 / _TINY)
        d = 1.0 / b
        h = d.copy()
        for i in range(1, _MAX_ITER + 1):
            an = -i * (i - sf)
            b = b + 2.0
            d = an * d + b
            d = np.where(np.abs(d) < _TINY, _TINY, d)
            c = b + an / c
            c = np.where(np.abs(c) < _TINY, _TINY, c)
            d = 1.0 / d
            delta = d * c
            h = h * delta
            if (np.abs(delta - 1.0) < _EPS).all():
                break
        out[frac] = np.exp(-xf + sf * np.log(xf) - lgamma(sf)) * h
    return np.clip(out, 0.0, 1.0)


def student_t_sf(t: np.ndarray | float, df: np.ndarray | float) -> np.ndarray:
    """Give P(T > t) for Student's t with ``df`` degrees of freedom (``df`` may be fractional)."""
    t, df = np.broadcast_arrays(np.asarray(t, dtype=float), np.asarray(df, dtype=float))
    tail = 0.5 * betainc_regularized(df / 2.0, 0.5, df / (df + t * t))
    return np.where(t >= 0, tail, 1.0 - tail)


def chi2_sf(x: np.ndarray | float, k: np.ndarray | float) -> np.ndarray:
    """Give P(X > x) for a chi-square variable with ``k`` degrees of freedom."""
    return gammainc_upper_regularized(
        np.asarray(k, dtype=float) / 2.0, np.asarray(x, dtype=float) / 2.0
    )
