"""Profit bridges on panels with a known truth."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest

from cfodesk.analytics.drivers import DriverResult, analyse_drivers, profit_bridge

MONTHS = pd.date_range("2023-01-01", periods=24, freq="MS")
FIRST_YEAR = MONTHS.year == 2023


def pnl(revenue_2023: float, growth: float, margin_2024: float = 0.6, scale: float = 1.0):
    """Monthly P&L: revenue grows by ``growth`` in 2024, fixed costs unless told."""
    revenue = np.where(FIRST_YEAR, revenue_2023, revenue_2023 * (1 + growth))
    margin = np.where(FIRST_YEAR, 0.6, margin_2024)
    return pd.DataFrame(
        {
            "revenue": revenue,
            "cogs": revenue * (1 - margin),
            "operating_expenses": 20.0 * scale,
            "marketing_spend": np.where(FIRST_YEAR, 10.0, 12.0) * scale,
            "payroll": 15.0 * scale,
        },
        index=MONTHS,
    )


def test_revenue_growth_at_constant_margin_is_all_volume(make_panel) -> None:
    frame = pnl(100.0, 0.10)
    frame["marketing_spend"] = 10.0
    bridge = profit_bridge(make_panel({("total", "total"): frame}))
    assert bridge is not None
    steps = {s.name: s.value for s in bridge.steps}
    assert steps["revenue"] == pytest.approx(1200 * 0.10 * 0.6)
    assert steps["gross_margin"] == pytest.approx(0.0, abs=1e-9)
    assert steps["marketing_spend"] == pytest.approx(0.0)
    assert bridge.change == pytest.approx(72.0)


def test_steps_add_up_to_the_change_in_operating_profit(make_panel) -> None:
    rng = np.random.default_rng(3)
    frame = pnl(100.0, 0.07, margin_2024=0.55) * rng.uniform(0.9, 1.1, (24, 5))
    panel = make_panel({("total", "total"): frame})
    for window in ("ttm", "quarter"):
        bridge = profit_bridge(panel, window=window)
        assert bridge is not None
        total = math.fsum(s.value for s in bridge.steps)
        assert total == pytest.approx(bridge.change, rel=1e-12, abs=1e-9)
        assert bridge.current_value - bridge.prior_value == pytest.approx(bridge.change)


def test_lower_margin_and_higher_marketing_are_attributed_and_told(make_panel) -> None:
    bridge = profit_bridge(make_panel({("total", "total"): pnl(100.0, 0.10, margin_2024=0.5)}))
    assert bridge is not None
    steps = {s.name: s.value for s in bridge.steps}
    assert steps["revenue"] == pytest.approx(120 * 0.6)
    assert steps["gross_margin"] == pytest.approx(1320 * (0.5 - 0.6))
    assert steps["marketing_spend"] == pytest.approx(-24.0)
    assert bridge.change == pytest.approx(72 - 132 - 24)
    assert bridge.sentence.startswith("Operating profit fell 84")
    assert "a lower gross margin took away 132" in bridge.sentence
    assert "higher marketing spend took away 24" in bridge.sentence


def test_quarter_bridge_compares_the_same_quarter_a_year_before(make_panel) -> None:
    bridge = profit_bridge(make_panel({("total", "total"): pnl(100.0, 0.1)}), window="quarter")
    assert bridge is not None
    assert (bridge.current_label, bridge.prior_label) == ("Q4 2024", "Q4 2023")
    assert bridge.change == pytest.approx(3 * (110 * 0.6 - 60) - 3 * 2)


def test_segment_contributions_add_up_to_the_company_change(make_panel) -> None:
    europe, asia = pnl(60.0, 0.2, scale=0.5), pnl(40.0, -0.05, margin_2024=0.58, scale=0.5)
    frames = {
        ("total", "total"): europe + asia,
        ("region", "Europe"): europe,
        ("region", "Asia"): asia,
        ("department", "Sales"): europe * 0.3 + asia * 0.3,
        ("department", "Ops"): europe * 0.7 + asia * 0.7,
    }
    result = analyse_drivers(make_panel(frames))
    bridge = result.get("ttm")
    assert bridge is not None
    back = DriverResult.from_json(json.loads(json.dumps(result.to_json(), allow_nan=False)))
    assert back == result
    for level in ("region", "department"):
        parts = [c for c in bridge.contributions if c.level == level]
        assert len(parts) == 2
        assert math.fsum(c.change for c in parts) == pytest.approx(bridge.change)
        assert math.fsum(c.share for c in parts) == pytest.approx(1.0)
    europe_part = next(c for c in bridge.contributions if c.segment == "Europe")
    assert europe_part.change > 0


def test_too_little_history_gives_a_note_not_a_bridge(make_panel) -> None:
    frame = pnl(100.0, 0.1).iloc[:16]  # Jan 2023 - Apr 2024
    result = analyse_drivers(make_panel({("total", "total"): frame}))
    assert result.get("ttm") is None
    assert any("last 12 months" in note for note in result.notes)
    quarter = result.get("quarter")
    assert quarter is not None and (quarter.current_label, quarter.prior_label) == (
        "Q1 2024",
        "Q1 2023",
    )


def test_quarterly_data_bridges_last_four_quarters_and_the_last_quarter(make_panel) -> None:
    quarters = pd.date_range("2023-01-01", periods=8, freq="QS")
    revenue = np.array([300.0] * 4 + [330.0] * 4)
    frame = pd.DataFrame(
        {"revenue": revenue, "cogs": 0.4 * revenue, "payroll": 45.0}, index=quarters
    )
    result = analyse_drivers(make_panel({("total", "total"): frame}, frequency="Q"))
    ttm, quarter = result.get("ttm"), result.get("quarter")
    assert ttm is not None and ttm.change == pytest.approx(120 * 0.6)
    assert ttm.current_label == "Q1 2024 – Q4 2024"
    assert quarter is not None and quarter.change == pytest.approx(30 * 0.6)
    assert (quarter.current_label, quarter.prior_label) == ("Q4 2024", "Q4 2023")
