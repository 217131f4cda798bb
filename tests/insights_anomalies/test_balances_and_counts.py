"""Balances judged by their change, headcounts in whole people, payroll per person."""

from __future__ import annotations

import numpy as np
import pandas as pd
from anomaly_panels import seasonal_series

from cfodesk.analytics.anomalies import detect_anomalies
from cfodesk.model import Panel, SeriesKey


def panel_of(series: dict[str, np.ndarray], start: str = "2019-01-01") -> Panel:
    n = len(next(iter(series.values())))
    keys = tuple(SeriesKey("total", "total", m) for m in series)
    periods = pd.date_range(start, periods=n, freq="MS")
    return Panel(periods, "M", keys, np.vstack([np.asarray(v, float) for v in series.values()]))


def cash_from_profit(rng: np.random.Generator, n: int = 84) -> np.ndarray:
    """A cumulative, strongly growing balance: opening cash plus every month's net cash flow."""
    profit = seasonal_series(rng, n=n, level=250_000, noise=0.08)
    return 1_500_000 + np.cumsum(profit)


def test_smooth_growing_cash_balance_has_no_anomaly(rng):
    cash = cash_from_profit(rng)
    assert cash[-1] > 10 * cash[0]  # convex, strongly growing: a trend line cannot follow it
    table = detect_anomalies(panel_of({"cash_balance": cash})).table
    assert table.empty, table["reason"].tolist()


def test_one_off_cash_outflow_is_one_anomaly_at_its_date(rng):
    cash = cash_from_profit(rng)
    cash[74:] -= 3_200_000  # a one-off payment in Mar 2025: the balance steps down and stays
    table = detect_anomalies(panel_of({"cash_balance": cash})).table
    assert len(table) == 1, table[["date", "kind", "reason"]]
    row = table.iloc[0]
    assert row["date"] == pd.Timestamp("2025-03-01") and row["kind"] == "level_shift"
    assert row["value"] < row["lower"] < row["expected"] < row["upper"]
    # Expected = last month's balance plus the usual monthly change, in balance terms.
    assert cash[73] < row["expected"] < cash[73] + 0.6e6
    assert row["reason"].startswith("Cash balance fell 2.")
    assert "in Mar 2025, where it usually rises about" in row["reason"]


def test_receivables_up_for_one_month_is_a_spike_not_two_steps(rng):
    revenue = seasonal_series(rng, level=1_000_000, noise=0.03)
    receivable = revenue / 30 * 45
    receivable[50] *= 1.8  # Mar 2023: collections slipped, then caught up
    table = detect_anomalies(panel_of({"accounts_receivable": receivable})).table
    assert len(table) == 1, table[["date", "kind", "reason"]]
    row = table.iloc[0]
    assert row["kind"] == "spike" and row["date"] == pd.Timestamp("2023-03-01")
    assert row["reason"].startswith("Accounts receivable in Mar 2023 was 1.")


def test_cash_out_for_one_month_only_is_one_dip_not_two_steps(rng):
    cash = cash_from_profit(rng)
    cash[60] -= 2_500_000  # Jan 2024: paid out and refunded the next month
    table = detect_anomalies(panel_of({"cash_balance": cash})).table
    assert len(table) == 1, table[["date", "kind", "reason"]]
    row = table.iloc[0]
    assert row["kind"] == "dip" and row["date"] == pd.Timestamp("2024-01-01")
    assert "came back the next month" in row["reason"]


def test_one_more_person_in_a_small_team_is_not_an_anomaly(rng):
    heads = np.full(84, 3.0)
    heads[30:] = 4.0  # 3 -> 4 people
    heads[55:57] = 3.0  # someone leaves and is replaced
    heads[70:] = 5.0
    salary = 6_000 * 1.04 ** (np.arange(84) // 12) * rng.normal(1, 0.01, 84)
    table = detect_anomalies(panel_of({"headcount": heads, "payroll": heads * salary})).table
    assert table.empty, table["reason"].tolist()


def test_acquisition_is_one_level_shift_and_payroll_follows_without_a_row(rng):
    t = np.arange(84)
    heads = 120.0 + np.round(0.1 * t)
    for i in rng.choice(84, size=20, replace=False):
        heads[i:] += rng.choice([-1.0, 1.0])  # hires and leavers one at a time
    heads[48:] += 45  # an acquisition in Jan 2023: 120 -> 165
    salary = 6_500 * 1.035 ** (t // 12) * rng.normal(1, 0.01, 84)
    table = detect_anomalies(panel_of({"headcount": heads, "payroll": heads * salary})).table
    assert len(table) == 1, table[["metric", "date", "kind", "reason"]]
    row = table.iloc[0]
    assert row["metric"] == "headcount" and row["kind"] == "level_shift"
    assert row["date"] == pd.Timestamp("2023-01-01")
    assert "stepped up from 1" in row["reason"] and "and stayed there (+3" in row["reason"]


def test_bonus_month_in_payroll_is_found_per_person(rng):
    t = np.arange(84)
    heads = np.round(40 + 0.2 * t)
    payroll = heads * 6_000 * rng.normal(1, 0.01, 84)
    payroll[65] *= 1.6  # Jun 2024: a bonus run with the same people
    table = detect_anomalies(panel_of({"headcount": heads, "payroll": payroll})).table
    assert len(table) == 1 and table.iloc[0]["metric"] == "payroll"
    row = table.iloc[0]
    assert row["kind"] == "spike" and row["date"] == pd.Timestamp("2024-06-01")
    assert abs(row["expected"] / (payroll[65] / 1.6) - 1) < 0.05


def test_a_run_of_flags_at_the_start_is_the_fit_warming_up_not_data():
    from cfodesk.analytics.anomaly_scan import warm_up_run

    judged = np.array([False, True, True, True, True, True, True])
    flagged = np.array([False, True, True, True, False, True, False])
    score = np.array([np.nan, -6.0, -5.5, -5.0, -1.0, 7.0, 0.0])
    np.testing.assert_array_equal(warm_up_run(flagged, score, judged), [0, 1, 1, 1, 0, 0, 0])
    # One flag at the start, or a run that changes side, is left to be judged.
    single = np.array([False, True, False, False, False, True, False])
    assert not warm_up_run(single, score, judged).any()
    score[2] = 5.5
    assert not warm_up_run(flagged, score, judged).any()


def test_balances_that_echo_a_revenue_dip_point_to_it_as_one_event(rng):
    revenue = seasonal_series(rng, level=1_000_000, noise=0.03)
    costs = 0.8 * seasonal_series(rng, level=1_000_000, noise=0.03)
    revenue[55] *= 0.4  # Aug 2023: a large order slipped
    receivable = revenue / 30 * 45  # days of revenue: dips with it
    cash = 2_000_000 + np.cumsum(revenue - costs)  # the missing inflow stays missing
    result = detect_anomalies(
        panel_of({"revenue": revenue, "accounts_receivable": receivable, "cash_balance": cash})
    )
    table = result.table.set_index("metric")
    dip = table.loc["revenue"]
    assert dip["kind"] == "dip" and dip["date"] == pd.Timestamp("2023-08-01")
    assert "knock-on: accounts receivable, cash balance" in dip["reason"]
    for echo in ("accounts_receivable", "cash_balance"):
        row = table.loc[echo]
        assert row["date"] == pd.Timestamp("2023-08-01") and row["linked_to"] == dip["id"]
        assert "follows the dip in revenue the same month" in row["reason"]
    # One event to read first, not three.
    assert list(result.independent["metric"]) == ["revenue"]


def test_a_balance_moving_against_the_books_is_not_called_an_echo(rng):
    revenue = seasonal_series(rng, level=1_000_000, noise=0.03)
    revenue[55] *= 0.4
    receivable = revenue / 30 * 45
    receivable[55] = receivable[54] * 2.2  # receivables jumped while revenue fell: its own story
    table = detect_anomalies(
        panel_of({"revenue": revenue, "accounts_receivable": receivable})
    ).table.set_index("metric")
    assert table.loc["accounts_receivable", "linked_to"] is None
    assert "knock-on" not in table.loc["revenue", "reason"]
