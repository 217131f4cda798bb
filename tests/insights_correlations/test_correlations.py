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

    tests = module._scope_tests(total_panel(series), "total", "total", 12, 6, 1)
    raw = [p for *_, r, p, _n in tests if p < 0.05 and abs(r) >= 0.3]
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
