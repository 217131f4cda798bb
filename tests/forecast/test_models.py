"""Model pieces: ARIMA, Theta's trend share, ETS starts, seasonal flags, the nested choice."""

from __future__ import annotations

import numpy as np

from cfodesk.analytics.forecast.arima import arima
from cfodesk.analytics.forecast.arima_fit import residuals_and_jacobian as _residuals_and_jacobian
from cfodesk.analytics.forecast.choice import (
    combination_weights,
    combine,
    members,
    nested_backtest,
)
from cfodesk.analytics.forecast.ets import (
    EtsSpec,
    _initial_states,
    _one_step_errors,
    _refine_start,
    fit_ets_family,
)
from cfodesk.analytics.forecast.models import theta
from cfodesk.analytics.forecast.select import season_flags


def _ma_one(theta: float, n: int, seed: int) -> np.ndarray:
    shocks = np.random.default_rng(seed).normal(0, 1, n + 1)
    return np.cumsum(shocks[1:] + theta * shocks[:-1]) + 100


def test_arima_finds_a_random_walk_with_moving_average_noise():
    y = _ma_one(0.6, 200, seed=5)
    back, forecast, description, aicc = arima(y, 12, 150, 6, 6, seasonal=False)
    assert description.startswith("ARIMA(0,1,1)") or description.startswith("ARIMA(1,1,1)")
    assert back.shape == (50, 6) and np.isfinite(aicc)
    # An IMA(1,1) forecast (with drift) is a straight line from the corrected last level.
    assert np.allclose(np.diff(forecast, 2), 0.0, atol=1e-8)
    assert abs(forecast[0] - y[-1]) < 3 * np.std(np.diff(y))


def test_arima_keeps_a_drift_only_where_the_history_has_one():
    shocks = np.random.default_rng(11).normal(0, 1, 120)
    wandering = 100 + np.cumsum(shocks - shocks.mean())  # a walk whose average step is zero
    growing = 100 + np.cumsum(shocks - shocks.mean() + 0.8)
    _, flat, words, _ = arima(wandering, 12, 96, 6, 6, seasonal=False)
    assert "drift" not in words
    assert np.ptp(flat) < 0.5  # no invented growth
    _, rising, words, _ = arima(growing, 12, 96, 6, 6, seasonal=False)
    assert "with drift" in words
    assert np.all(np.diff(rising) > 0.4)


def test_arima_repeats_a_strong_season_with_seasonal_differencing():
    season = np.array([10, 12, 15, 20, 26, 30, 31, 28, 22, 17, 13, 11], dtype=float)
    noise = np.random.default_rng(2).normal(0, 0.3, 72)
    y = np.tile(season, 6) + noise
    _, forecast, description, _ = arima(y, 12, 48, 12, 12, seasonal=True)
    assert "[12]" in description
    assert np.allclose(forecast, season, atol=1.5)


def test_season_flags_separate_real_seasons_from_wandering_series():
    t = np.arange(72)
    seasonal = 100 + 20 * np.sin(2 * np.pi * t / 12) + np.random.default_rng(1).normal(0, 2, 72)
    flags = season_flags(seasonal, 12)
    assert flags == {"ets": True, "theta": True, "arima": True}
    wandering = np.cumsum(np.random.default_rng(3).normal(0, 1, 72)) + 50
    assert not season_flags(wandering, 12)["arima"]
    assert season_flags(np.arange(20.0), 12) == {"ets": False, "theta": False, "arima": False}


def test_nested_backtest_chooses_only_from_errors_known_at_each_origin():
    origins = np.arange(20, 32)
    steps = 3
    actuals = np.full((12, steps), 10.0)
    actuals[-1, 1:] = np.nan
    exact = (np.full((12, steps), 10.0), np.zeros(3), "exact", np.inf)
    runs = {
        "naive": exact,
        "ETS(A,N,N)": (np.full((12, steps), 14.0), np.zeros(3), "ets", 5.0),
        "theta": (np.full((12, steps), 6.0), np.zeros(3), "theta", 6.0),
        "arima": (np.full((12, steps), 13.0), np.zeros(3), "ARIMA(0,1,1)", 7.0),
    }
    back, chosen = nested_backtest(runs, {"ETS(A,N,N)": 5.0}, actuals, origins, clip=False)
    # Nothing is known at the first origins: the procedure forecasts with the combination.
    assert chosen[0] == "combination" and np.allclose(back[0], (14 + 6 + 13) / 3)
    # Once enough errors are known the decisively better model takes over, from then on only.
    later = chosen.index("naive")
    assert later >= 3 and all(c == "naive" for c in chosen[later:])
    assert np.allclose(back[later:], 10.0)


def test_theta_follows_a_clean_line_with_the_whole_trend():
    t = np.arange(60)
    y = 100 + 2 * t + np.random.default_rng(0).normal(0, 1, 60)
    line = 100 + 2 * np.arange(60, 72)
    _, forecast, description, _ = theta(y, 12, 36, 12, 12, seasonal=False)
    assert "the whole trend" in description
    assert np.max(np.abs(forecast - line)) < 2
    # The standard half trend alone lags the line by several periods' growth.
    _, half, _, _ = theta(y, 12, 36, 12, 12, seasonal=False, weights=(0.5,))
    assert np.max(np.abs(half - line)) > 8


def test_multiplicative_season_starts_are_refined_to_a_near_exact_fit():
    t = np.arange(60)
    y = (200 + 3 * t) * (1 + 0.3 * np.sin(2 * np.pi * t / 12))
    spec = EtsSpec("M", "Ad", "M")
    params = np.array([0.3, 0.05, 0.1, 0.98])

    def loss(start):
        level, trend, ring = start
        errors = _one_step_errors(
            y, 12, spec, params, np.array([level]), np.array([trend]), ring[:, None].copy()
        )
        return float(errors[:, 0] @ errors[:, 0])

    heuristic = _initial_states(y, 12, spec)
    refined = _refine_start(y, 12, spec, params, heuristic, rounds=3)
    assert loss(refined) < 0.05 * loss(heuristic)
    assert np.isclose(refined[2].mean(), 1.0)
    (fit,) = fit_ets_family(y, 12, [spec], 36, 12, 12)
    truth = (200 + 3 * np.arange(60, 72)) * (1 + 0.3 * np.sin(2 * np.pi * np.arange(60, 72) / 12))
    assert np.max(np.abs(fit.forecast / truth - 1)) < 0.04


def test_combination_says_on_logarithms_once():
    back, fc = np.zeros((2, 3)), np.zeros(3)
    runs = {
        "ETS(A,N,N)": (back, fc, "No trend", 1.0),
        "theta": (back, fc, "Theta method on logarithms (alpha 0.3)", 1.0),
        "arima": (back, fc, "ARIMA(0,1,1) with drift on logarithms", 1.0),
    }
    words = combine(runs, "ETS(A,N,N)")[2]
    assert words.count("on logarithms") == 1
    assert words.startswith("Mean of ETS(A,N,N), Theta and ARIMA(0,1,1) with drift,")
    runs["arima"] = (back, fc, "ARIMA(1,1,0)", 1.0)
    assert "logarithms" not in combine(runs, "ETS(A,N,N)")[2]


def test_combination_weighs_members_by_the_inverse_square_of_their_backtest_error():
    back = np.zeros((4, 3))
    runs = {
        "ETS(M,Ad,M)": (back + 1, np.full(3, 100.0), "ets", 1.0),
        "ETS(A,Ad,N)": (back + 2, np.full(3, 80.0), "damped", 1.0),
        "theta": (back + 3, np.full(3, 120.0), "Theta method (alpha 0.3)", 1.0),
        "arima": (back + 4, np.full(3, 90.0), "ARIMA(0,1,1)", 1.0),
    }
    errors = {"ETS(M,Ad,M)": 1.0, "ETS(A,Ad,N)": 2.0, "theta": 1.0, "arima": 4.0, "naive": 0.1}
    weights = combination_weights(members(runs, "ETS(M,Ad,M)"), errors)
    assert np.allclose(weights, np.array([1, 1 / 4, 1, 1 / 16]) / (2 + 1 / 4 + 1 / 16))
    _, fc, words, _ = combine(runs, "ETS(M,Ad,M)", errors)
    assert np.allclose(fc, weights @ np.array([100.0, 80.0, 120.0, 90.0]))
    assert words.startswith("Weighted mean of ETS(M,Ad,M) 43%, damped trend 11%, Theta 43%")
    # Errors not known yet: the three classic members share equally, damped trend sits out.
    _, plain, words, _ = combine(runs, "ETS(M,Ad,M)")
    assert np.allclose(plain, (100 + 120 + 90) / 3) and "damped" not in words
    # The best ETS form already is damped trend: it is not counted twice.
    assert members(runs, "ETS(A,Ad,N)") == ["ETS(A,Ad,N)", "theta", "arima"]
    # A member whose weight rounds to 0 % is not named.
    errors["ETS(A,Ad,N)"] = 100.0
    assert "damped" not in combine(runs, "ETS(M,Ad,M)", errors)[2]
    # An exact backtest takes all the weight, and the words say so.
    exact = combination_weights(["ETS(M,Ad,M)", "theta", "arima"], {**errors, "theta": 0.0})
    assert exact[1] > 0.999
    words = combine(runs, "ETS(M,Ad,M)", {**errors, "theta": 0.0})[2]
    assert words == "Weighted mean of Theta 100%"


def test_nested_combination_weights_use_only_errors_known_at_each_origin():
    origins = np.arange(30, 54)
    steps = 2
    actuals = np.full((24, steps), 10.0)
    # Theta is right until origin 42 and far off after; ARIMA the reverse.
    theta_rows = np.where(origins[:, None] < 42, 10.0, 20.0) + np.zeros((1, steps))
    arima_rows = np.where(origins[:, None] < 42, 20.0, 10.0) + np.zeros((1, steps))
    runs = {
        "ETS(A,N,N)": (np.full((24, steps), 12.0), np.zeros(3), "ets", 5.0),
        "theta": (theta_rows, np.zeros(3), "theta", 6.0),
        "arima": (arima_rows, np.zeros(3), "ARIMA(0,1,1)", 7.0),
    }
    back, chosen = nested_backtest(runs, {"ETS(A,N,N)": 5.0}, actuals, origins, clip=False)
    assert all(c == "combination" for c in chosen)
    # Before any error is known: the plain mean.
    assert np.allclose(back[0], (12 + 10 + 20) / 3)
    # Just before the switch, Theta's past is perfect: the combination follows it closely...
    assert np.all(np.abs(back[11] - 10.0) < 0.1)
    # ...and just after, still leans on Theta (errors after the switch are not known yet).
    assert np.all(back[12] > 19.0)


def test_arima_jacobian_matches_finite_differences():
    rng = np.random.default_rng(1)
    w = rng.normal(size=80).cumsum() * 0.1 + rng.normal(size=80)
    for order in [(1, 1, 0, 1), (2, 1, 1, 0), (0, 2, 0, 0)]:
        for with_mean in (True, False):
            x = rng.normal(size=sum(order) + with_mean) * 0.5
            skip = order[0] + 12 * order[2]

            def resid(free, order=order, with_mean=with_mean, skip=skip):
                return _residuals_and_jacobian(free, w, order, 12, with_mean, 1.3, skip)

            exact = resid(x)[1]()
            numeric = np.empty_like(exact)
            for i in range(len(x)):
                up, down = x.copy(), x.copy()
                up[i] += 1e-6
                down[i] -= 1e-6
                numeric[:, i] = (resid(up)[0] - resid(down)[0]) / 2e-6
            assert np.max(np.abs(exact - numeric)) < 1e-5


def test_every_ets_form_of_the_family_fits_and_forecasts_its_own_kind_of_series():
    t = np.arange(72)
    line = 200 + 3.0 * t
    season = 1 + 0.2 * np.sin(2 * np.pi * t / 12)
    noise = np.random.default_rng(7).normal(0, 0.5, 72)
    future = np.arange(72, 84)
    cases = {
        ("A", "A", "N"): (line + noise, 200 + 3.0 * future),
        ("A", "A", "A"): (
            line + 40 * (season - 1) + noise,
            200 + 3.0 * future + 40 * (season[:12] - 1),
        ),
        ("M", "A", "M"): (line * season + noise, (200 + 3.0 * future) * season[:12]),
        ("M", "N", "A"): (500 + 40 * (season - 1) + noise, 500 + 40 * (season[:12] - 1)),
    }
    for (error, trend, kind), (y, truth) in cases.items():
        (fit,) = fit_ets_family(y, 12, [EtsSpec(error, trend, kind)], 48, 12, 12)
        assert fit.backtest.shape == (24, 12) and np.all(np.isfinite(fit.forecast))
        assert np.max(np.abs(fit.forecast / truth - 1)) < 0.03, (error, trend, kind)
