"""Known answers: simple series whose right forecast is obvious."""

from __future__ import annotations

import numpy as np
from forecast_panels import single_panel

from cfodesk.analytics.forecast.engine import forecast_panel
from cfodesk.analytics.forecast.hierarchy import reconcile


def run(values, metric="revenue", frequency="M", horizon=12):
    panel = single_panel(values, metric, frequency)
    result = reconcile(panel, forecast_panel(panel, horizon=horizon))
    return result, result.series("total", "total", metric)


def test_pure_season_repeats_itself():
    season = np.array([10, 12, 15, 20, 26, 30, 31, 28, 22, 17, 13, 11], dtype=float)
    result, frame = run(np.tile(season, 6))
    assert np.allclose(frame["forecast"].to_numpy(), season, rtol=0.03)
    assert (frame["lower_95"] <= frame["forecast"]).all()
    assert (frame["forecast"] <= frame["upper_95"]).all()


def test_linear_trend_continues():
    values = 100 + 5.0 * np.arange(48)
    _, frame = run(values, horizon=6)
    expected = 100 + 5.0 * np.arange(48, 54)
    assert np.allclose(frame["forecast"].to_numpy(), expected, rtol=0.01)


def test_constant_stays_constant_with_a_note():
    result, frame = run(np.full(36, 250.0))
    assert np.allclose(frame["forecast"], 250.0)
    assert "Constant" in result.summary[0].note


def test_zero_series_stays_zero():
    result, frame = run(np.zeros(30))
    assert np.all(frame.to_numpy() == 0.0)
    assert "zero" in result.summary[0].note


def test_seven_points_get_a_forecast_and_a_note():
    result, frame = run([5, 7, 6, 8, 9, 8, 10], horizon=4)
    assert len(frame) == 4
    assert np.all(np.isfinite(frame.to_numpy()))
    assert np.allclose(frame["forecast"], 10.0)
    assert (frame["upper_80"] > frame["forecast"]).all()
    assert "Only 7 data points" in result.summary[0].note


def test_gaps_are_interpolated_and_noted():
    values = 100 + 2.0 * np.arange(40)
    values[[10, 11, 25]] = np.nan
    result, frame = run(values, horizon=3)
    assert "interpolation" in result.summary[0].note
    assert np.allclose(frame["forecast"], 100 + 2.0 * np.arange(40, 43), rtol=0.02)


def test_intermittent_series_gets_a_rate_and_a_note():
    rng = np.random.default_rng(3)
    values = np.where(rng.random(48) < 0.5, 0.0, rng.uniform(5, 15, 48))
    result, frame = run(values)
    assert "Intermittent" in result.summary[0].note
    assert (frame["forecast"] >= 0).all() and (frame["forecast"] < values.max()).all()


def test_quarterly_data_is_forecast_in_quarters():
    season = np.array([100, 130, 90, 150.0])
    result, frame = run(np.tile(season, 8) + np.arange(32), frequency="Q", horizon=8)
    dates = frame.index
    assert len(dates) == 8 and all(d.month in (1, 4, 7, 10) and d.day == 1 for d in dates)
    assert dates[0].year == 2026 and dates[0].month == 1
    assert np.argmax(frame["forecast"].to_numpy()[:4]) == 3


def test_nonnegative_metric_never_goes_below_zero():
    values = np.maximum(200 - 9.0 * np.arange(24), 1.0)  # falling fast toward zero
    _, frame = run(values, horizon=12)
    assert (frame.to_numpy() >= 0).all()


def test_metric_that_can_go_negative_keeps_its_sign():
    values = -50 - 3.0 * np.arange(36)
    _, frame = run(values, metric="net_income", horizon=6)
    assert (frame["forecast"] < -150).all()
