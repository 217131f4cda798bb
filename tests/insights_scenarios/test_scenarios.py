"""What-if scenarios on a hand-built forecast table."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from cfodesk.analytics.forecast.results import TABLE_COLUMNS
from cfodesk.analytics.scenario import (
    BANDS,
    ScenarioSet,
    apply_scenario,
    parse_scenario,
    prepare_base,
    run_scenarios,
)
from cfodesk.errors import ConfigError

HISTORY = pd.date_range("2023-01-01", periods=24, freq="MS")
FUTURE = pd.date_range("2025-01-01", periods=12, freq="MS")
POINTS = {
    "revenue": (100.0, 10.0),
    "cogs": (40.0, 4.0),
    "operating_expenses": (20.0, 2.0),
    "marketing_spend": (10.0, 1.0),
    "payroll": (15.0, 1.0),
    "headcount": (5.0, 0.5),
    "accounts_receivable": (100.0, 5.0),
    "accounts_payable": (30.0, 3.0),
}


def forecast_table(with_cash: bool = True) -> pd.DataFrame:
    rows = []
    for t, date in enumerate(FUTURE):
        points = dict(POINTS)
        if with_cash:
            points["cash_balance"] = (1000.0 - 50.0 * (t + 1), 20.0 + 5 * t)
        for metric, (point, width) in points.items():
            rows.append(
                (
                    "total",
                    "total",
                    metric,
                    date,
                    point,
                    point - width,
                    point + width,
                    point - 1.5 * width,
                    point + 1.5 * width,
                    "ets",
                )
            )
    rows.append(("region", "Europe", "revenue", FUTURE[0], 1.0, 0, 2, 0, 3, "ets"))
    return pd.DataFrame(
        rows,
        columns=list(TABLE_COLUMNS),
    )


@pytest.fixture
def actuals(make_panel):
    frame = pd.DataFrame({m: p for m, (p, _) in POINTS.items()}, index=HISTORY)
    frame["cash_balance"] = 1000.0
    return make_panel({("total", "total"): frame})


def test_a_zero_scenario_equals_the_base_forecast_exactly(actuals) -> None:
    table = forecast_table()
    zero = parse_scenario("Zero: revenue=+0%, marketing_spend=-0%, dso=+0d, dpo=+0d, headcount=+0")
    result = run_scenarios(actuals, table, [zero])
    base, same = result.base, result.get("Zero")
    assert base.name == "Base" and same is not None
    assert set(same.series) == set(base.series)
    for metric, bands in base.series.items():
        for band, values in bands.items():
            assert np.array_equal(values, same.series[metric][band], equal_nan=True), (metric, band)
    assert same.totals == base.totals and same.runway == base.runway
    # and the base is the forecast itself
    revenue = table[(table.metric == "revenue") & (table.level == "total")]
    assert np.array_equal(base.series["revenue"]["upper_95"], revenue["upper_95"].to_numpy())


def test_revenue_up_ten_percent_moves_revenue_cogs_and_profit(actuals) -> None:
    base = prepare_base(forecast_table(), actuals)
    plain = apply_scenario(base, actuals, parse_scenario("Base: revenue=+0%"))
    up = apply_scenario(base, actuals, parse_scenario("Up: revenue=+10%"))
    for band in BANDS:
        assert np.allclose(up.series["revenue"][band], plain.series["revenue"][band] * 1.1)
    # cogs moves with revenue: profit gains 10 % of gross profit (0.1 * (100 - 40)) a month
    profit_gain = (
        up.series["operating_profit"]["forecast"] - plain.series["operating_profit"]["forecast"]
    )
    assert np.allclose(profit_gain, 6.0)
    assert up.totals["revenue"]["forecast"] == pytest.approx(1.1 * 1200)
    assert up.totals["operating_profit"]["forecast"] == pytest.approx(12 * (15 + 6))
    low, high = up.series["operating_profit"]["lower_80"], up.series["operating_profit"]["upper_80"]
    assert np.all(low < up.series["operating_profit"]["forecast"]) and np.all(high > low)


def test_more_days_sales_outstanding_lowers_cash_but_not_profit(actuals) -> None:
    result = run_scenarios(actuals, forecast_table(), ["Slow payers: dso=+5d"])
    base, slow = result.base, result.get("Slow payers")
    days = np.asarray(FUTURE.days_in_month, float)
    cash_drop = base.series["cash_balance"]["forecast"] - slow.series["cash_balance"]["forecast"]
    assert np.allclose(cash_drop, 5 * 100 / days)
    assert np.array_equal(
        slow.series["operating_profit"]["forecast"], base.series["operating_profit"]["forecast"]
    )
    assert np.allclose(
        base.series["cash_balance"]["lower_80"] - slow.series["cash_balance"]["lower_80"], cash_drop
    )


def test_headcount_and_one_off_flow_through_profit_and_cash(actuals) -> None:
    result = run_scenarios(
        actuals, forecast_table(), ["Hire: headcount=+10, one_off=-250k@2025-03"]
    )
    base, hire = result.base, result.get("Hire")
    profit_change = (
        hire.series["operating_profit"]["forecast"] - base.series["operating_profit"]["forecast"]
    )
    expected = np.full(12, -10 * 15 / 5)
    expected[2] -= 250_000
    assert np.allclose(profit_change, expected)
    cash_change = hire.series["cash_balance"]["forecast"] - base.series["cash_balance"]["forecast"]
    assert np.allclose(cash_change, np.cumsum(expected))
    assert hire.runway["months"] < base.runway["months"]
    assert np.allclose(hire.series["headcount"]["forecast"], 15.0)


def test_runway_counts_months_until_cash_runs_out(actuals) -> None:
    base = run_scenarios(actuals, forecast_table()).base
    # cash falls 50 a month from 1000: it lasts 20 months
    assert base.runway["months"] == pytest.approx(20.0)
    assert base.runway["not_burning"] is False
    assert base.runway["low"] < base.runway["months"] < base.runway["high"]


def test_without_cash_the_cash_part_is_skipped_with_a_note(actuals) -> None:
    outcome = run_scenarios(actuals, forecast_table(with_cash=False), ["Up: revenue=+5%"]).get("Up")
    assert "cash_balance" not in outcome.series and outcome.runway["months"] is None
    assert any("cash" in note for note in outcome.notes)


def test_parse_reads_every_accepted_form() -> None:
    scenario = parse_scenario(
        "Plan B: revenue=+5%, marketing_spend=-10%@2025-06, dso=+5d, headcount=+10, "
        "one_off=-250000@2026-03"
    )
    assert scenario.name == "Plan B"
    got = [(a.kind, a.target, a.amount, a.start) for a in scenario.adjustments]
    assert got == [
        ("percent", "revenue", pytest.approx(0.05), None),
        ("percent", "marketing_spend", pytest.approx(-0.10), "2025-06-01"),
        ("days", "dso", 5.0, None),
        ("headcount", "headcount", 10.0, None),
        ("one_off", "one_off", -250000.0, "2026-03-01"),
    ]


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("Bad: revenue=+5", "revenue takes a value like +5%"),
        ("Bad: dso=+5%", "dso takes a value like +5d"),
        ("Bad: rent=+5%", "'rent' is not a driver"),
        ("Bad: one_off=-100", "one_off takes a value like -250000@2026-03"),
        ("Bad: one_off=-100@someday", "'someday' is not a date"),
        ("Bad: revenue", "name=value"),
        ("Bad: revenue=-120%", "100 %"),
        ("Empty:", "no changes"),
    ],
)
def test_parse_errors_name_the_part_and_the_accepted_forms(text: str, words: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_scenario(text)
    message = str(caught.value)
    assert words in message
    assert "revenue=+5%" in message  # the accepted forms are shown


def test_scenario_set_round_trips_through_strict_json(actuals) -> None:
    result = run_scenarios(actuals, forecast_table(), ["Up: revenue=+5%", "Down: revenue=-5%"])
    data = json.loads(json.dumps(result.to_json(), allow_nan=False))
    assert [s["name"] for s in data["scenarios"]] == ["Base", "Up", "Down"]
    back = ScenarioSet.from_json(data)
    assert back.get("Up").totals["revenue"]["forecast"] == pytest.approx(1.05 * 1200)
    assert np.allclose(back.get("Down").series["revenue"]["forecast"], 95.0)


def test_no_forecast_gives_an_empty_set_with_a_note(actuals) -> None:
    result = run_scenarios(actuals, None, ["Up: revenue=+5%"])
    assert [o.name for o in result.outcomes] == ["Base", "Up"]
    assert len(result.dates) == 0 and result.notes
    json.dumps(result.to_json(), allow_nan=False)


def test_default_scenarios_need_their_drivers() -> None:
    from cfodesk.analytics.scenario import default_scenarios

    names = [s.name for s in default_scenarios(["revenue", "cogs"])]
    assert names == ["Revenue 10% lower", "Revenue 10% higher"]
    full = default_scenarios(
        ["revenue", "operating_expenses", "marketing_spend", "accounts_receivable", "cash_balance"]
    )
    assert len(full) == 4 and full[-1].adjustments[0].kind == "days"
