"""The numpy distribution tails agree with SciPy's to many digits."""

from __future__ import annotations

import numpy as np
import pytest

scipy_stats = pytest.importorskip("scipy.stats")

from cfodesk.analytics.stats import chi2_sf, student_t_sf  # noqa: E402


def test_student_t_tail_matches_scipy() -> None:
    rng = np.random.default_rng(0)
    t = np.concatenate([rng.normal(0, 3, 400), [0.0, 1e-9, 50.0, -50.0]])
    df = np.concatenate([rng.uniform(1.2, 120, 400), [3.0, 7.5, 4.0, 4.0]])
    np.testing.assert_allclose(student_t_sf(t, df), scipy_stats.t.sf(t, df), rtol=1e-8, atol=1e-14)


def test_chi2_tail_matches_scipy() -> None:
    rng = np.random.default_rng(1)
    x = np.concatenate([rng.uniform(0, 60, 400), [0.0, 1e-8, 200.0]])
    k = np.concatenate([rng.integers(1, 15, 400), [3, 2, 8]]).astype(float)
    np.testing.assert_allclose(chi2_sf(x, k), scipy_stats.chi2.sf(x, k), rtol=1e-8, atol=1e-14)
