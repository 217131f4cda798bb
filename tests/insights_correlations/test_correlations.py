"""Correlations on growth rates: known lags found, trends and chance findings not."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from cfodesk.analytics.correlations import (
    CONTRACT_COLUMNS,
    CorrelationResult,
    analyse_correlations,
    benjamini_hochberg,
)
from cfodesk.model import Panel, SeriesKey
from cfodesk.progress import Cancelled, CancelToken


def total_panel(series: dict[str, np.ndarray], frequency: str = "M") -> Panel:
    n = len(next(iter(series.values())))
    periods = pd.date_range("2018-01-01", periods=n, freq="MS" if frequency == "M" else "QS")
    keys = tuple(SeriesKey("total", "total", m) for m in series)
    return Panel(periods, frequency, keys, np.vstack(list(series.values())))


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(7)


def test_known_lead_is_found_with_lag_and_sign(rng):
    n = 84
    t = np.arange(n)
    season = 1 + 0.2 * np.sin(2 * np.pi * t / 12)
    marketing_growth = rng.normal(0, 0.05, n)
    marketing = 40_000 * np.exp(0.01 * t + np.cumsum(marketing_growth)) * season
    revenue_growth = np.zeros(n)
    revenue_growth[2:] = 0.8 * marketing_growth[:-2]
    revenue = 1e6 * np.exp(0.005 * t + np.cumsum(revenue_growth + rng.normal(0, 0.02, n))) * season
    payroll_growth = rng.normal(0, 0.03, n)
    payroll = 3e5 * np.exp(np.cumsum(-0.7 * marketing_growth + payroll_growth))
    result = analyse_correlations(
        total_panel({"revenue": revenue, "marketing_spend": marketing, "payroll": payroll})
    )
    table = result.table
    assert list(table.columns[: len(CONTRACT_COLUMNS)]) == list(CONTRACT_COLUMNS)
    lead = table[(table["metric_a"] == "marketing_spend") & (table["metric_b"] == "revenue")]
    assert len(lead) == 1
    row = lead.iloc[0]
    assert row["lag"] == 2 and row["correlation"] > 0.5 and row["q_value"] < 0.05
    assert row["sentence"].startswith("Marketing spend leads revenue by 2 months (r = 0.")
    pair = table.apply(lambda r: {r["metric_a"], r["metric_b"]}, axis=1)
    together = table[(pair == {"marketing_spend", "payroll"}) & (table["lag"] == 0)]
    assert len(together) == 1 and together.iloc[0]["correlation"] < -0.4
    assert together.iloc[0]["direction"] == "negative"
    assert "opposite directions" in together.iloc[0]["sentence"]


def test_independent_trending_random_walks_do_not_correlate(rng):
    n = 84
    t = np.arange(n)
    series = {
        f"metric_{i}": 1000 * np.exp(0.02 * t + np.cumsum(rng.normal(0, 0.03, n))) for i in range(6)
    }
    # On raw levels these share a trend and correlate strongly ...
    levels = np.corrcoef(np.vstack(list(series.values())))
    assert np.abs(levels[np.triu_indices(6, 1)]).min() > 0.8
    # ... on growth rates nothing is left.
    assert analyse_correlations(total_panel(series)).table.empty


def test_benjamini_hochberg_removes_chance_findings(rng):
    n = 60
    series = {f"metric_{i}": 1000 * np.exp(np.cumsum(rng.normal(0, 0.03, n))) for i in range(25)}
    result = analyse_correlations(total_panel(series))
    assert result.tests > 3000
    assert result.table.empty
    # Without the correction there would have been "findings": the test can fail.
    from cfodesk.analytics import correlations as module

    panel = total_panel(series)
    ranks = module._growth_ranks(module.growth_matrix(panel.values, 12))
    tests = module._scope_tests(ranks, list(series), 6)
    raw = tests[(tests["p"] < 0.05) & (tests["r"].abs() >= 0.3)]
    assert len(raw) > 10


def test_benjamini_hochberg_values():
    q = benjamini_hochberg(np.array([0.01, 0.04, 0.03, 0.5]))
    np.testing.assert_allclose(q, [0.04, 0.04 * 4 / 3, 0.04 * 4 / 3, 0.5])


def test_quarterly_lag_sentence_and_json(rng):
    n = 48
    x_growth = rng.normal(0, 0.05, n)
    y_growth = np.zeros(n)
    y_growth[1:] = x_growth[:-1]
    x = 100 * np.exp(np.cumsum(x_growth))
    y = 500 * np.exp(np.cumsum(y_growth + rng.normal(0, 0.01, n)))
    result = analyse_correlations(total_panel({"revenue": y, "customers": x}, frequency="Q"))
    row = result.table.iloc[0]
    assert row["lag"] == 1 and row["metric_a"] == "customers"
    assert "leads revenue by 1 quarter (" in row["sentence"]
    data = json.loads(json.dumps(result.to_json(), allow_nan=False))
    back = CorrelationResult.from_json(data)
    pd.testing.assert_frame_equal(back.table, result.table, check_dtype=False)


def test_segments_progress_and_cancel(rng):
    n = 72
    keys, rows = [], []
    for level, segment in (("total", "total"), ("region", "Europe"), ("region", "Asia")):
        for metric in ("revenue", "cogs"):
            keys.append(SeriesKey(level, segment, metric))
            rows.append(1000 * np.exp(np.cumsum(rng.normal(0, 0.03, n))))
    panel = Panel(
        pd.date_range("2019-01-01", periods=n, freq="MS"), "M", tuple(keys), np.vstack(rows)
    )
    calls = []
    analyse_correlations(
        panel, on_progress=lambda d, t, item=None, message=None: calls.append(message)
    )
    assert "Correlating metrics · Europe (2 of 3)" in calls
    token = CancelToken()
    token.cancel()
    with pytest.raises(Cancelled):
        analyse_correlations(panel, cancel=token)


def _reference_pair(x: np.ndarray, y: np.ndarray, lag: int) -> tuple[float, int] | None:
    """One pair at one lag the slow way: overlap, then np.corrcoef of the ranks."""
    xs, ys = (x[: x.size - lag], y[lag:]) if lag >= 0 else (x[-lag:], y[: y.size + lag])
    both = np.isfinite(xs) & np.isfinite(ys)
    if both.sum() < 12 or xs[both].std() == 0 or ys[both].std() == 0:
        return None
    return float(np.corrcoef(xs[both], ys[both])[0, 1]), int(both.sum())


def test_matrix_growth_and_lagged_correlations_equal_the_series_by_series_reference(rng):
    from scipy.stats import rankdata

    from cfodesk.analytics.correlations import (
        _growth_ranks,
        _scope_tests,
        growth_matrix,
        growth_rates,
    )

    n = 60
    levels = np.exp(np.cumsum(rng.normal(0.01, 0.05, size=(5, n)), axis=1)) * 100
    levels[1, :7] = np.nan  # starts late
    levels[2, 30] = np.nan  # a gap
    levels[3] -= 120  # crosses zero: growth relative to the typical size
    levels[4] = np.round(levels[4] / 40) * 40  # many ties
    growth = growth_matrix(levels, 12)
    for row, series in zip(growth, levels):
        np.testing.assert_allclose(row, growth_rates(series, 12), equal_nan=True)
        np.testing.assert_allclose(row, _one_series_growth(series, 12), equal_nan=True)
    ranks = _growth_ranks(growth)
    for row, g in zip(ranks, growth):
        valid = np.isfinite(g)
        np.testing.assert_array_equal(row[valid], rankdata(g[valid]))
    names = ["revenue", "cogs", "payroll", "cash_balance", "headcount"]
    tests = _scope_tests(ranks, names, 6)
    expected = 0
    for i in range(5):
        for j in range(i + 1, 5):
            for lag in range(-6, 7):
                reference = _reference_pair(ranks[i], ranks[j], lag)
                found = tests[(tests["a"] == names[i]) & (tests["b"] == names[j])]
                found = found[found["lag"] == lag]
                if reference is None:
                    assert found.empty
                    continue
                expected += 1
                assert found["r"].item() == pytest.approx(reference[0], abs=1e-12)
                assert found["n"].item() == reference[1]
    assert len(tests) == expected > 100


def _one_series_growth(values: np.ndarray, period: int) -> np.ndarray:
    """The original one-series growth transform, kept here as the reference."""
    y = np.asarray(values, dtype=float)
    growth = np.full(y.size, np.nan)
    finite = y[np.isfinite(y)]
    if finite.min() > 0:
        growth[1:] = np.diff(np.log(y))
    else:
        growth[1:] = np.diff(y) / (float(np.median(np.abs(finite))) or 1.0)
    if np.isfinite(growth).sum() >= 2 * period + 1:
        position = np.arange(y.size) % period
        for p in range(period):
            at = position == p
            if np.isfinite(growth[at]).sum() >= 2:
                growth[at] -= np.nanmedian(growth[at])
    return growth
