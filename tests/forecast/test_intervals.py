"""Interval honesty: held-out values fall inside the bands about as often as promised."""

from __future__ import annotations

import numpy as np
import pandas as pd

from cfodesk.analytics.forecast.engine import forecast_panel
from cfodesk.analytics.forecast.hierarchy import reconcile
from cfodesk.analytics.forecast.intervals import (
    _conformal_quantile,
    conformal_widths,
    coverage,
    step_multipliers,
)
from cfodesk.model import Panel, SeriesKey


def synthetic_set(count: int, length: int, seed: int) -> np.ndarray:
    """Give series of known form: level, trend, yearly season, AR(1) noise, some random walks."""
    rng = np.random.default_rng(seed)
    t = np.arange(length)
    rows = []
    for i in range(count):
        level = rng.uniform(100, 1000)
        season = level * rng.uniform(0, 0.2) * np.sin(2 * np.pi * t / 12 + rng.uniform(0, 6))
        trend = level * rng.uniform(-0.003, 0.01) * t
        noise = np.zeros(length)
        shocks = rng.normal(0, level * rng.uniform(0.02, 0.08), length)
        phi = 1.0 if i % 4 == 0 else rng.uniform(0, 0.7)
        for k in range(1, length):
            noise[k] = phi * noise[k - 1] + shocks[k]
        rows.append(level + season + trend + noise)
    return np.array(rows)


def test_holdout_coverage_is_near_nominal():
    data = synthetic_set(60, 84, seed=11)
    history, future = data[:, :-12], data[:, -12:]
    periods = pd.date_range("2017-01-01", periods=history.shape[1], freq="MS")
    keys = tuple(SeriesKey("region", f"S{i}", "revenue") for i in range(len(data)))
    panel = Panel(periods, "M", keys, history)
    result = reconcile(panel, forecast_panel(panel, horizon=12))
    inside80, inside95 = [], []
    for i, key in enumerate(keys):
        frame = result.series(key.level, key.segment, key.metric)
        inside80.append((future[i] >= frame["lower_80"]) & (future[i] <= frame["upper_80"]))
        inside95.append((future[i] >= frame["lower_95"]) & (future[i] <= frame["upper_95"]))
    cover80, cover95 = np.mean(inside80), np.mean(inside95)
    # 720 held-out points but only 60 independent series: allow sampling noise.
    assert 0.70 <= cover80 <= 0.90, cover80
    assert 0.89 <= cover95 <= 0.99, cover95


def test_widths_grow_with_the_horizon_and_with_the_level():
    rng = np.random.default_rng(0)
    errors = [rng.normal(0, 1, (20, 6)) * np.sqrt(np.arange(1, 7)) for _ in range(5)]
    widths = conformal_widths(errors, [1.0] * 5, horizon=12)
    assert widths[80].shape == (5, 12)
    assert np.all(np.diff(widths[95], axis=1) >= 0)
    assert np.all(widths[95] > widths[80])
    assert 0.7 <= coverage(errors[0], widths[80][0]) <= 0.9


def test_series_without_backtest_get_the_pooled_multiplier_times_their_scale():
    rng = np.random.default_rng(1)
    errors = [rng.normal(0, 2, (20, 4)) for _ in range(3)] + [np.zeros((0, 1))]
    widths = conformal_widths(errors, [1.0, 1.0, 1.0, 3.0], horizon=4)
    assert np.all(widths[80][3] > 2 * widths[80][0].mean())


def test_scores_are_scale_free_at_each_origin():
    # The same relative errors on a series that grew tenfold give the same multiplier.
    rng = np.random.default_rng(2)
    base = [rng.normal(0, 1, (24, 6)) for _ in range(4)]
    grown = [e * np.linspace(1, 10, 24)[:, None] for e in base]
    plain = conformal_widths(base, [1.0] * 4, horizon=6)
    scaled = conformal_widths(
        grown, [1.0] * 4, horizon=6, origin_scales=[np.linspace(1, 10, 24)] * 4
    )
    assert np.allclose(plain[95], scaled[95])


def test_steps_beyond_the_backtest_follow_the_measured_growth():
    # Errors that grow linearly with the step are extended linearly, not like sqrt(h).
    pools = [np.abs(np.random.default_rng(h).normal(0, h, 400)) for h in range(1, 7)]
    q = step_multipliers(pools, 12, 0.8)
    assert q.shape == (12,) and np.all(np.diff(q) >= 0)
    assert 1.7 < q[11] / q[5] < 2.3


def test_conformal_quantile_uses_the_finite_sample_rank():
    values = np.arange(1.0, 41.0)  # 40 scores: rank ceil(41 * 0.8) = 33
    assert _conformal_quantile(values, 0.8) == 33.0


def test_exact_backtests_give_finite_zero_width_bands():
    errors = [np.zeros((10, 4)), np.zeros((8, 4))]
    widths = conformal_widths(errors, [1.0, 2.0], horizon=6)
    for level in (80, 95):
        assert np.all(np.isfinite(widths[level])) and np.allclose(widths[level], 0.0)


def test_each_origin_is_scaled_by_the_error_level_known_before_it():
    # Same errors, opposite order: a series whose misses grew lately must get wider bands than
    # one whose misses shrank, because each backtest row is judged by the level known then.
    rng = np.random.default_rng(3)
    base = np.abs(rng.normal(0, 1, (24, 6)))
    ramp = np.linspace(0.5, 3.0, 24)[:, None]
    calm = [rng.normal(0, 1, (24, 6)) for _ in range(4)]
    rising = conformal_widths([base * ramp, *calm], [1.0] * 5, horizon=6)
    falling = conformal_widths([base[::-1] * ramp[::-1], *calm], [1.0] * 5, horizon=6)
    assert np.all(rising[80][0] >= falling[80][0])
    assert rising[95][0, -1] > 1.1 * falling[95][0, -1]
    positions = [np.arange(24) + 10] * 5
    shifted = conformal_widths(
        [base * ramp, *calm], [1.0] * 5, horizon=6, origin_positions=positions
    )
    np.testing.assert_allclose(shifted[95], rising[95])


def _group_errors(rng, shape: str, count: int) -> list[np.ndarray]:
    """Give backtest errors (24 origins, 6 steps) whose size is alike but whose shape is not."""
    out = []
    for _ in range(count):
        if shape == "steady":  # every error about the same size
            size = rng.uniform(0.9, 1.1, (24, 6))
        else:  # mostly small, now and then large, same mean size
            size = rng.exponential(1.0, (24, 6)) ** 2 / 2
        out.append(size * rng.choice([-1.0, 1.0], (24, 6)))
    return out


def test_each_group_is_covered_as_promised_not_only_on_average():
    rng = np.random.default_rng(4)
    errors = _group_errors(rng, "steady", 20) + _group_errors(rng, "bursty", 20)
    groups = ["total"] * 20 + ["leaf"] * 20
    scales = [1.0] * 40

    def covered(widths, level, rows):
        return np.mean([coverage(errors[i], widths[level][i]) for i in rows])

    pooled = conformal_widths(errors, scales, 6)
    by_group = conformal_widths(errors, scales, 6, groups=groups)
    steady, bursty = range(20), range(20, 40)
    # One pool: the steady group's 95 % bands hold everything, the bursty group's far less.
    assert covered(pooled, 95, steady) > 0.99 and covered(pooled, 95, bursty) < 0.93
    for rows in (steady, bursty):
        assert abs(covered(by_group, 80, rows) - 0.80) < 0.04
        assert abs(covered(by_group, 95, rows) - 0.95) < 0.03


def test_a_series_error_level_is_shrunk_toward_its_own_group():
    rng = np.random.default_rng(5)
    # Smooth aggregates and noisy leaves; each series has only a few known errors.
    errors = [rng.normal(0, 1.0, (4, 3)) for _ in range(10)]
    errors += [rng.normal(0, 10.0, (4, 3)) for _ in range(10)]
    groups = ["total"] * 10 + ["leaf"] * 10
    pooled = conformal_widths(errors, [1.0] * 20, 3)
    by_group = conformal_widths(errors, [1.0] * 20, 3, groups=groups)
    # Shrinking toward the whole pool widened the smooth series' bands by the noisy ones.
    assert np.median(by_group[80][:10, 0]) < 0.5 * np.median(pooled[80][:10, 0])
    assert np.median(by_group[80][:10, 0]) < 3.0  # about the 80 % point of N(0, 1): 1.28
