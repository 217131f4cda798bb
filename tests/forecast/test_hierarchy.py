"""Reconciliation: segments add up, signs are respected, the result round-trips."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
from forecast_panels import hierarchy_panel

from cfodesk.analytics.forecast.engine import forecast_panel
from cfodesk.analytics.forecast.hierarchy import constraint_matrix, reconcile
from cfodesk.analytics.forecast.results import TABLE_COLUMNS, ForecastResult
from cfodesk.model import Panel, SeriesKey


def _result(panel: Panel, horizon: int = 12) -> ForecastResult:
    return reconcile(panel, forecast_panel(panel, horizon=horizon))


def _pivot(result: ForecastResult, column: str, metric: str) -> pd.DataFrame:
    rows = result.table[result.table["metric"] == metric]
    return rows.pivot_table(index="date", columns=["level", "segment"], values=column)


def test_children_sum_to_parents_at_every_level_and_horizon():
    panel = hierarchy_panel()
    result = _result(panel, horizon=9)
    for metric in ("revenue", "other_income"):
        f = _pivot(result, "forecast", metric)
        total = f[("total", "total")]
        regions = f["region"]
        departments = f["department"]
        cells = f["region/department"]
        assert np.allclose(regions.sum(axis=1), total, rtol=1e-8)
        assert np.allclose(departments.sum(axis=1), total, rtol=1e-8)
        for region in regions.columns:
            members = [c for c in cells.columns if c.startswith(f"{region} / ")]
            assert np.allclose(cells[members].sum(axis=1), regions[region], rtol=1e-8)
        for dept in departments.columns:
            members = [c for c in cells.columns if c.endswith(f" / {dept}")]
            assert np.allclose(cells[members].sum(axis=1), departments[dept], rtol=1e-8)


def test_reconciliation_reports_base_and_reconciled_accuracy():
    result = _result(hierarchy_panel())
    by_level = result.accuracy["by_level"]
    assert set(by_level) == {"total", "region", "department", "region/department"}
    for level in by_level.values():
        assert level["base_mase"] > 0 and level["reconciled_mase"] > 0
    assert "MinT" in result.method


def test_nonnegative_metrics_never_get_negative_values_and_still_add_up():
    panel = hierarchy_panel(metrics=("revenue",), seed=4)
    # Make one cell collapse toward zero so its forecast would dip below it.
    values = panel.values.copy()
    cell = panel.index_of(SeriesKey("region/department", "Europe / Sales", "revenue"))
    drop = np.maximum(60 - 3.0 * np.arange(panel.values.shape[1]), 0.5)
    delta = drop - values[cell]
    for key in panel.keys:
        if key.level == "total" or key.segment in ("Europe", "Sales", "Europe / Sales"):
            values[panel.index_of(key)] += delta
    panel = Panel(panel.periods, "M", panel.keys, values)
    result = _result(panel)
    numbers = result.table[["forecast", "lower_80", "upper_80", "lower_95", "upper_95"]]
    assert (numbers.to_numpy() >= 0).all()
    f = _pivot(result, "forecast", "revenue")
    assert np.allclose(f["region/department"].sum(axis=1), f[("total", "total")], rtol=1e-8)


def test_metrics_that_can_be_negative_keep_negative_forecasts():
    result = _result(hierarchy_panel(metrics=("other_income",)))
    assert (result.table["forecast"] < 0).any()


def test_ratio_metrics_are_forecast_but_not_summed():
    panel = hierarchy_panel(metrics=("revenue",))
    rng = np.random.default_rng(1)
    ratio = 0.3 + 0.02 * rng.standard_normal((len(panel.keys), panel.values.shape[1]))
    keys = panel.keys + tuple(SeriesKey(k.level, k.segment, "gross_margin_pct") for k in panel.keys)
    both = Panel(panel.periods, "M", keys, np.vstack([panel.values, ratio]))
    result = _result(both)
    margins = result.table[result.table["metric"] == "gross_margin_pct"]
    assert len(margins) == len(panel.keys) * 12
    assert margins["forecast"].between(0.2, 0.4).all()


def test_constraints_cover_each_parent_child_link():
    keys = [
        SeriesKey("total", "total", "revenue"),
        SeriesKey("region", "EU", "revenue"),
        SeriesKey("region/department", "EU / Sales", "revenue"),
        SeriesKey("region/department", "EU / Ops", "revenue"),
    ]
    c = constraint_matrix(keys)
    coherent = np.array([10.0, 10.0, 4.0, 6.0])
    assert c.shape[0] == 2
    assert np.allclose(c @ coherent, 0)
    assert not np.allclose(c @ np.array([10.0, 9.0, 4.0, 6.0]), 0)


def test_table_contract_and_json_round_trip():
    panel = hierarchy_panel(metrics=("revenue",), periods=40)
    result = _result(panel, horizon=6)
    assert tuple(result.table.columns) == TABLE_COLUMNS
    assert len(result.table) == len(panel.keys) * 6
    assert result.table["date"].iloc[0] == pd.Timestamp("2022-05-01")
    data = json.loads(json.dumps(result.to_json(), allow_nan=False))
    assert len(data["series"]) == len(panel.keys)
    first = data["series"][0]
    for key in ("model", "description", "mase", "smape", "coverage_80", "coverage_95", "fallback"):
        assert key in first
    again = ForecastResult.from_json(data, result.table)
    assert [s.to_json() for s in again.summary] == data["series"]
    frame = again.series("region", "Europe", "revenue")
    assert list(frame.columns) == ["forecast", "lower_80", "upper_80", "lower_95", "upper_95"]
    assert (frame["lower_95"] <= frame["lower_80"]).all()
    assert (frame["upper_80"] <= frame["upper_95"]).all()
