"""Anomalies against synthetic panels with a known truth."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from anomaly_panels import panel_from_leaves, seasonal_series

from cfodesk.analytics.anomalies import CONTRACT_COLUMNS, AnomalyResult, detect_anomalies
from cfodesk.model import Panel, SeriesKey
from cfodesk.progress import Cancelled, CancelToken

REGIONS = ("Europe", "Americas")
DEPARTMENTS = ("Sales", "Operations")


def company(rng: np.random.Generator, metrics=("revenue", "marketing_spend")) -> dict:
    return {
        (r, d): {m: seasonal_series(rng, level=1000 if m == "revenue" else 200) for m in metrics}
        for r in REGIONS
        for d in DEPARTMENTS
    }


def single(values: np.ndarray, metric: str = "marketing_spend", frequency: str = "M") -> Panel:
    periods = pd.date_range(
        "2019-01-01", periods=len(values), freq="MS" if frequency == "M" else "QS"
    )
    return Panel(periods, frequency, (SeriesKey("total", "total", metric),), values[None, :])


def test_injected_spike_found_with_date_severity_and_reason(rng):
    values = seasonal_series(rng, level=40_000)
    values[74] *= 2.4  # Mar 2025
    table = detect_anomalies(single(values)).table
    assert list(table.columns[: len(CONTRACT_COLUMNS)]) == list(CONTRACT_COLUMNS)
    assert len(table) == 1
    row = table.iloc[0]
    assert row["date"] == pd.Timestamp("2025-03-01")
    assert row["kind"] == "spike" and row["severity"] == "high"
    assert row["value"] > row["upper"] and row["score"] > 0
    # The spike must not inflate its own expected value.
    assert abs(row["expected"] / (values[74] / 2.4) - 1) < 0.12
    assert row["reason"].startswith("Marketing spend in Mar 2025 was 2.")
    assert "x the expected" in row["reason"] and "the highest in 6 years" in row["reason"]


def test_dip_found_and_described_as_below(rng):
    values = seasonal_series(rng, level=1_200_000)
    values[66] *= 0.55  # Jul 2024
    table = detect_anomalies(single(values, "revenue")).table
    assert len(table) == 1
    row = table.iloc[0]
    assert row["kind"] == "dip" and row["date"] == pd.Timestamp("2024-07-01")
    assert row["score"] < 0 and row["value"] < row["lower"]
    assert row["severity"] in ("high", "medium")
    assert "% below the expected" in row["reason"] and "Jul 2024" in row["reason"]


def test_level_shift_reported_once_at_the_step(rng):
    t = np.arange(84)
    headcount = np.round(120 + 0.05 * t + rng.normal(0, 1.0, 84))
    headcount[48:] += 45  # Jan 2023
    table = detect_anomalies(single(headcount, "headcount")).table
    assert len(table) == 1, table[["date", "kind", "reason"]]
    row = table.iloc[0]
    assert row["kind"] == "level_shift" and row["date"] == pd.Timestamp("2023-01-01")
    assert row["reason"].startswith("Headcount stepped up from 12")
    assert "to 16" in row["reason"] and "in Jan 2023 and stayed there" in row["reason"]


def test_clean_seasonal_trending_series_have_no_anomaly(rng):
    panel = panel_from_leaves(company(rng, ("revenue", "cogs", "marketing_spend", "payroll")))
    result = detect_anomalies(panel)
    assert result.table.empty, result.table["reason"].tolist()


def test_quarterly_series_use_quarter_labels(rng):
    values = seasonal_series(rng, n=36, level=5000, period=4)
    values[25] *= 2.5  # 2019-01 + 25 quarters = Q2 2025
    table = detect_anomalies(single(values, "revenue", frequency="Q")).table
    assert len(table) == 1 and "Q2 2025" in table.iloc[0]["reason"]


def test_first_season_not_judged_with_short_history(rng):
    values = seasonal_series(rng, n=30, level=1000)
    values[3] *= 3.0
    assert detect_anomalies(single(values)).table.empty


def test_segment_spike_linked_to_the_total_it_drives(rng):
    leaves = company(rng)
    leaves[("Europe", "Sales")]["revenue"][62] *= 4.0  # Mar 2024
    result = detect_anomalies(panel_from_leaves(leaves))
    table = result.table
    revenue = table[(table["metric"] == "revenue") & (table["date"] == "2024-03-01")]
    total = revenue[revenue["level"] == "total"]
    leaf = revenue[revenue["segment"] == "Europe / Sales"]
    assert len(total) == 1 and len(leaf) == 1
    assert total.iloc[0]["linked_to"] is None
    assert "driven by Europe / Sales (+" in total.iloc[0]["reason"]
    # The leaf points up the tree (to its region, which points to the total): listed once.
    chain, current = [], leaf.iloc[0]
    while current["linked_to"] is not None:
        current = table[table["id"] == current["linked_to"]].iloc[0]
        chain.append(current["level"])
    assert chain[-1] == "total"
    assert len(result.independent[result.independent["metric"] == "revenue"]) == 1


def test_an_event_is_as_severe_as_its_most_severe_part(rng):
    leaves = company(rng)
    # A move that stands out strongly in one team and only mildly in the company's total.
    leaves[("Europe", "Sales")]["revenue"][62] *= 1.6
    result = detect_anomalies(panel_from_leaves(leaves))
    table = result.table
    moved = table[(table["metric"] == "revenue") & (table["date"] == "2024-03-01")]
    by_level = moved.set_index("level")
    assert by_level.loc["region/department", "severity"] == "high"
    assert by_level.loc["total", "linked_to"] is None
    # Listed once, at the top of its chain, and not as a low-severity footnote.
    assert by_level.loc["total", "severity"] == "high"
    assert "driven by Europe / Sales" in by_level.loc["total", "reason"]


def test_profit_not_equal_revenue_minus_costs_is_found(rng):
    leaves = company(rng, ("revenue", "cogs", "operating_expenses"))
    for series in leaves.values():
        series["cogs"] = series["revenue"] * 0.55
        series["operating_expenses"] = series["revenue"] * 0.25
        series["operating_profit"] = (
            series["revenue"] - series["cogs"] - series["operating_expenses"]
        )
    leaves[("Americas", "Operations")]["operating_profit"][40] += 150.0
    table = detect_anomalies(panel_from_leaves(leaves)).table
    accounting = table[table["kind"] == "accounting"]
    leaf = accounting[accounting["segment"] == "Americas / Operations"]
    assert len(leaf) == 1 and leaf.iloc[0]["metric"] == "operating_profit"
    assert leaf.iloc[0]["date"] == pd.Timestamp("2022-05-01")
    assert "revenue minus cost of goods sold and operating expenses" in leaf.iloc[0]["reason"]
    assert set(accounting["date"]) == {pd.Timestamp("2022-05-01")}


def test_balance_sheet_and_negative_balances(rng):
    n = 48
    assets = np.linspace(5e6, 6e6, n)
    liabilities = assets * 0.6
    equity = assets - liabilities
    equity[20] -= 200_000
    receivables = np.full(n, 3e5)
    receivables[30] = -1_000
    cash = np.linspace(2e5, -1e5, n)
    keys = tuple(
        SeriesKey("total", "total", m)
        for m in (
            "total_assets",
            "total_liabilities",
            "equity",
            "accounts_receivable",
            "cash_balance",
        )
    )
    panel = Panel(
        pd.date_range("2021-01-01", periods=n, freq="MS"),
        "M",
        keys,
        np.vstack([assets, liabilities, equity, receivables, cash]),
    )
    accounting = detect_anomalies(panel).table.query("kind == 'accounting'")
    reasons = " | ".join(accounting["reason"])
    assert "liabilities plus equity" in reasons
    assert "Accounts receivable was negative" in reasons
    cash_rows = accounting[accounting["metric"] == "cash_balance"]
    assert len(cash_rows) == 1 and "Negative cash (overdraft)" in cash_rows.iloc[0]["reason"]


def test_unusual_mix_of_metrics_is_flagged_as_multivariate(rng):
    n = 96
    base = seasonal_series(rng, n=n, level=1000, noise=0.02)
    drivers = rng.normal(0, 0.03, n)
    revenue = base * np.exp(drivers)
    cogs = 0.6 * base * np.exp(drivers + rng.normal(0, 0.004, n))
    revenue[70] *= 1.09  # each within its own range, but revenue up while cogs falls
    cogs[70] *= 0.91
    keys = (SeriesKey("total", "total", "revenue"), SeriesKey("total", "total", "cogs"))
    panel = Panel(
        pd.date_range("2017-01-01", periods=n, freq="MS"), "M", keys, np.vstack([revenue, cogs])
    )
    table = detect_anomalies(panel).table
    mix = table[table["kind"] == "multivariate"]
    assert len(mix) == 1 and mix.iloc[0]["date"] == pd.Timestamp("2022-11-01")
    assert "revenue" in mix.iloc[0]["reason"] and "cost of goods sold" in mix.iloc[0]["reason"]


def test_json_round_trip_has_no_nan(rng):
    leaves = company(rng)
    leaves[("Europe", "Sales")]["revenue"][62] *= 4.0
    leaves[("Americas", "Sales")]["marketing_spend"][12] = -5.0
    result = detect_anomalies(panel_from_leaves(leaves))
    data = result.to_json()
    text = json.dumps(data, allow_nan=False)
    assert data["by_severity"]["high"] >= 1 and data["count"] == len(result.table)
    back = AnomalyResult.from_json(json.loads(text))
    pd.testing.assert_frame_equal(back.table, result.table, check_dtype=False)


def test_progress_per_series_and_cancel(rng):
    panel = panel_from_leaves(company(rng))
    calls = []
    detect_anomalies(
        panel, on_progress=lambda d, t, item=None, message=None: calls.append((d, t, item, message))
    )
    assert calls[0][2] == panel.keys[0].label
    assert calls[-1][0] == calls[-1][1]
    assert any(m and m.startswith("Checking revenue · Europe / Sales (") for *_, m in calls)
    token = CancelToken()
    token.cancel()
    with pytest.raises(Cancelled):
        detect_anomalies(panel, cancel=token)


@pytest.mark.parametrize("months", [84, 400])  # 400 > the 256 months each tree is grown on
def test_isolation_forest_ranks_isolated_months_first_like_the_reference(months: int) -> None:
    from sklearn.ensemble import IsolationForest

    from cfodesk.analytics.anomaly_multivariate import isolation_scores

    rng = np.random.default_rng(5)
    features = rng.normal(size=(months, 6))
    features[10] += 6.0  # far from everything
    features[20, :2] = [3.5, -3.5]  # an unusual pair
    scores = isolation_scores(features, random_state=1)
    assert scores.shape == (months,) and np.all((scores > 0) & (scores <= 1))
    assert np.argmax(scores) == 10 and scores[10] > 0.7
    assert scores[20] > np.quantile(scores, 0.95)
    np.testing.assert_array_equal(scores, isolation_scores(features, random_state=1))
    forest = IsolationForest(n_estimators=200, random_state=0).fit(features)
    reference_scores = -forest.score_samples(features)
    assert np.corrcoef(scores, reference_scores)[0, 1] > 0.85
    assert abs(np.median(scores) - np.median(reference_scores)) < 0.03
