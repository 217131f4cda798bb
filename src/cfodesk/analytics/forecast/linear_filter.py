"""Rational lag filters b(B)/a(B) on short series in plain numpy (no signal-processing library).

The filter y = b(B)/a(B) x (a[0] = 1, zero initial state) is the convolution of x with the
numerator and with the impulse response h of 1/a(B), both truncated to the length of x. ``h``
is built by doubling: if h_k is 1/a(B) to k terms, then 1 - a(B) h_k(B) = B^k r(B) with r of
the degree of a, and h_2k = h_k + B^k (r h_k mod B^k). With a short ``a`` each doubling costs
two small convolutions, and callers that filter several series by the same denominator build
``h`` once and reuse it.
"""

from __future__ import annotations

import numpy as np

__all__ = ["inverse_response", "apply_response", "linear_filter"]


def inverse_response(a: np.ndarray, n: int) -> np.ndarray:
    """Give the first ``n`` coefficients of the power series 1/a(B) (requires a[0] == 1)."""
    a = np.asarray(a, dtype=float)
    last = len(a) - 1
    while last > 0 and a[last] == 0.0:
        last -= 1
    a = a[: last + 1]
    h = np.empty(max(n, 1))
    h[0] = 1.0
    k = 1
    if last == 0:
        h[1:] = 0.0
        return h[:n]
    while k < n:
        # Remainder r with 1 - a h_k = B^k r: only h's last `last` terms reach past B^k.
        tail = h[max(k - last, 0) : k]
        r = -np.convolve(a[1:], tail)[len(tail) - 1 :]  # coefficients of B^k .. B^(k+last-1)
        step = min(k, n - k)
        h[k : k + step] = np.convolve(r, h[:step])[:step]
        k += step
    return h[:n]


def apply_response(h: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Give x filtered by the impulse response h (the first len(x) terms of h * x)."""
    n = len(x)
    return np.convolve(x, h[:n])[:n]


def linear_filter(b: np.ndarray, a: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Give b(B)/a(B) x with zero initial state (as a direct-form IIR filter does) for a[0] = 1."""
    x = np.asarray(x, dtype=float)
    n = len(x)
    if n == 0:
        return x.copy()
    return apply_response(inverse_response(a, n), np.convolve(x, b)[:n])
