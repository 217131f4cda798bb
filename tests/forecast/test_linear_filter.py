"""The numpy rational filter against scipy.signal.lfilter (scipy is a test-only dependency)."""

from __future__ import annotations

import numpy as np
import pytest

from cfodesk.analytics.forecast.arima_fit import polynomials as _polynomials
from cfodesk.analytics.forecast.linear_filter import (
    apply_response,
    inverse_response,
    linear_filter,
)

lfilter = pytest.importorskip("scipy.signal").lfilter


def _relative_error(got: np.ndarray, want: np.ndarray) -> float:
    return float(np.max(np.abs(got - want)) / max(np.max(np.abs(want)), 1e-300))


@pytest.mark.parametrize("m", [4, 12])
def test_filter_matches_scipy_on_seasonal_moving_average_denominators(m):
    rng = np.random.default_rng(m)
    worst = 0.0
    for trial in range(300):
        order = tuple(int(v) for v in rng.integers(0, 3, 4))
        order = (order[0], order[1], min(order[2], 1), min(order[3], 1))
        raw = rng.normal(0, 1.5, sum(order))
        ar, ma = _polynomials(raw, order, m)
        n = int(rng.integers(1, 320))
        x = rng.normal(0, 100, n) + 1e4 * (trial % 2)
        worst = max(worst, _relative_error(linear_filter(ar, ma, x), lfilter(ar, ma, x)))
    assert worst < 1e-10


def test_denominator_with_roots_near_the_unit_circle_and_zero_tail():
    a = np.array([1.0, 0.0, 0.0, 0.0, -0.97, 0.0, 0.0])  # 1 - 0.97 B^4, trailing zeros
    b = np.array([1.0, -1.9, 0.9])
    x = np.sin(np.arange(250) / 3.0) * 50 + 7
    assert _relative_error(linear_filter(b, a, x), lfilter(b, a, x)) < 1e-10


def test_impulse_response_is_the_power_series_of_the_reciprocal():
    a = np.array([1.0, 0.5])
    h = inverse_response(a, 6)
    np.testing.assert_allclose(h, (-0.5) ** np.arange(6), rtol=0, atol=1e-15)
    assert inverse_response(np.array([1.0]), 3).tolist() == [1.0, 0.0, 0.0]
    # a reused response filters any series of at most its length
    x = np.arange(1.0, 5.0)
    np.testing.assert_allclose(apply_response(h, x), lfilter([1.0], a, x), rtol=1e-14)


def test_empty_and_single_value_series():
    assert linear_filter(np.array([1.0]), np.array([1.0, 0.3]), np.array([])).shape == (0,)
    assert linear_filter(np.array([2.0]), np.array([1.0, 0.3]), np.array([5.0])).tolist() == [10.0]
