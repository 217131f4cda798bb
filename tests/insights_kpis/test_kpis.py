"""KPIs on small hand-built panels whose answers are worked out by hand."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from cfodesk.analytics import kpis as kpis_module
from cfodesk.analytics.kpis import KpiResult, compute_kpis, derive_kpis, forecast_kpis
from cfodesk.progress import Cancelled, CancelToken

MONTHS = pd.date_range("2023-01-01", periods=24, freq="MS")


def company(cash_step: float = -10.0) -> pd.DataFrame:
    """2023: revenue 100 a month; 2024: 110. Costs fixed except cogs (40 % of revenue)."""
    revenue = np.where(MONTHS.year == 2023, 100.0, 110.0)
    return pd.DataFrame(
        {
            "revenue": revenue,
            "cogs": 0.4 * revenue,
            "operating_expenses": 20.0,
            "marketing_spend": 10.0,
            "payroll": 15.0,
            "headcount": 5.0,
            "cash_balance": 1000.0 + cash_step * np.arange(24),
            "accounts_receivable": 100.0,
            "accounts_payable": 30.0,
            "total_assets": 2000.0,
            "total_liabilities": 500.0,
        },
        index=MONTHS,
    )


@pytest.fixture
def kpis(make_panel) -> KpiResult:
    growing = company(cash_step=+5.0)
    return compute_kpis(
        make_panel(
            {
                ("total", "total"): company(),
                ("region", "Europe"): company(),
                ("region", "Asia"): growing,
            }
        )
    )


def test_margins_and_operating_profit_follow_the_cost_structure(kpis: KpiResult) -> None:
    margin = kpis.series("gross_margin")
    assert np.allclose(margin, 0.6)
    operating = kpis.series("operating_profit")
    assert operating.iloc[-1] == pytest.approx(110 - 44 - 20 - 10 - 15)
    assert kpis.series("operating_margin").iloc[-1] == pytest.approx(21 / 110)
    assert kpis.series("total_expenses").iloc[0] == pytest.approx(40 + 20 + 10 + 15)
    assert kpis.series("expense_ratio").iloc[0] == pytest.approx(85 / 100)


def test_dso_and_dpo_use_calendar_days_of_each_month(kpis: KpiResult) -> None:
    dso = kpis.series("dso")
    assert dso[pd.Timestamp("2024-01-01")] == pytest.approx(100 / 110 * 31)
    assert dso[pd.Timestamp("2024-02-01")] == pytest.approx(100 / 110 * 29)  # leap year
    dpo = kpis.series("dpo")
    assert dpo[pd.Timestamp("2023-04-01")] == pytest.approx(30 / (40 + 20 + 10) * 30)


def test_runway_is_cash_over_average_burn_of_last_three_months(kpis: KpiResult) -> None:
    assert kpis.series("net_burn").iloc[-1] == pytest.approx(10.0)
    last_cash = 1000 - 10 * 23
    assert kpis.series("cash_runway").iloc[-1] == pytest.approx(last_cash / 10)
    summary = kpis.get("cash_runway")
    assert summary is not None and summary["last"] == pytest.approx(77.0)
    assert summary["not_burning"] is False


def test_growing_cash_is_not_burning(kpis: KpiResult) -> None:
    runway = kpis.series("cash_runway", "region", "Asia")
    assert np.isposinf(runway.iloc[-1])
    summary = kpis.get("cash_runway", "region", "Asia")
    assert summary is not None and summary["not_burning"] is True and summary["last"] is None
    assert kpis.get("net_burn", "region", "Asia")["last"] == pytest.approx(-5.0)


def test_year_on_year_growth_and_ttm_summary(kpis: KpiResult) -> None:
    yoy = kpis.series("revenue_growth_yoy")
    assert yoy.iloc[-1] == pytest.approx(0.1)
    assert len(yoy) == 12 and yoy.index[0] == pd.Timestamp("2024-01-01")  # none before a year
    mom = kpis.series("revenue_growth_mom")
    assert mom[pd.Timestamp("2024-01-01")] == pytest.approx(0.1)
    revenue = kpis.get("revenue")
    assert revenue["ttm"] == pytest.approx(1320) and revenue["prior_ttm"] == pytest.approx(1200)
    assert revenue["change"] == pytest.approx(120) and revenue["change_pct"] == pytest.approx(0.1)
    assert revenue["last_quarter"] == pytest.approx(330)
    assert revenue["last_quarter_label"] == "Q4 2024"
    assert revenue["ytd"] == pytest.approx(1320) and revenue["ytd_prior"] == pytest.approx(1200)


def test_window_ratios_are_recomputed_from_window_sums(kpis: KpiResult) -> None:
    dso = kpis.get("dso")
    assert dso["ttm"] == pytest.approx(100 / 1320 * 366)
    margin = kpis.get("operating_margin")
    assert margin["ttm"] == pytest.approx(21 * 12 / 1320)
    assert margin["prior_ttm"] == pytest.approx(15 * 12 / 1200)
    assert margin["change_pct"] is None  # a ratio changes in points, not percent
    per_head = kpis.get("revenue_per_head")
    assert per_head["ttm"] == pytest.approx(1320 / 5)


def test_every_segment_gets_its_kpis_and_progress_names_them(make_panel, monkeypatch) -> None:
    steps: list[tuple[int, int, str | None]] = []
    panel = make_panel({("total", "total"): company(), ("region", "Europe"): company()})
    result = compute_kpis(
        panel, on_progress=lambda d, t, item=None, message=None: steps.append((d, t, item))
    )
    assert steps == [(2, 2, "Europe")]  # both segments in one chunk
    steps.clear()
    monkeypatch.setattr(kpis_module, "CHUNK_SEGMENTS", 1)
    compute_kpis(
        panel, on_progress=lambda d, t, item=None, message=None: steps.append((d, t, item))
    )
    assert steps == [(1, 2, "Company"), (2, 2, "Europe")]
    assert result.get("gross_margin", "region", "Europe") is not None
    assert set(result.table["segment"]) == {"total", "Europe"}


def test_missing_inputs_skip_their_kpis_with_a_note(make_panel) -> None:
    frame = company()[["revenue", "cogs"]]
    result = compute_kpis(make_panel({("total", "total"): frame}))
    kpis = set(result.table["kpi"])
    assert {"gross_profit", "gross_margin", "revenue_growth_yoy"} <= kpis
    assert not kpis & {"operating_profit", "dso", "dpo", "cash_runway", "debt_ratio"}
    assert any("cash runway" in note for note in result.notes)
    json.dumps(result.to_json(), allow_nan=False)


def test_quarterly_data_uses_quarter_days_and_quarter_on_quarter_growth(make_panel) -> None:
    quarters = pd.date_range("2023-01-01", periods=8, freq="QS")
    frame = pd.DataFrame(
        {"revenue": [300.0] * 4 + [330.0] * 4, "accounts_receivable": 100.0}, index=quarters
    )
    result = compute_kpis(make_panel({("total", "total"): frame}, frequency="Q"))
    dso = result.series("dso")
    assert dso.iloc[0] == pytest.approx(100 / 300 * 90)  # Q1 2023: 31 + 28 + 31 days
    assert result.series("revenue_growth_qoq")[pd.Timestamp("2024-01-01")] == pytest.approx(0.1)
    assert result.series("revenue_growth_yoy").iloc[-1] == pytest.approx(0.1)
    assert result.get("revenue")["ttm"] == pytest.approx(1320)


def test_json_round_trip_is_strict_json(kpis: KpiResult) -> None:
    data = kpis.to_json()
    text = json.dumps(data, allow_nan=False)
    back = KpiResult.from_json(json.loads(text))
    assert back.get("revenue")["ttm"] == pytest.approx(1320)
    assert back.series("gross_margin").iloc[-1] == pytest.approx(0.6)
    assert set(data["definitions"]) >= {"dso", "cash_runway", "gross_margin"}
    assert all(isinstance(v, str) and v for v in data["definitions"].values())


def test_cancel_stops_the_computation(make_panel) -> None:
    token = CancelToken()
    token.cancel()
    with pytest.raises(Cancelled):
        compute_kpis(make_panel({("total", "total"): company()}), cancel=token)


def test_derive_kpis_on_a_frame_and_forecast_kpis_from_point_forecasts(make_panel) -> None:
    derived = derive_kpis(company().iloc[:3])
    assert derived["gross_margin"].tolist() == pytest.approx([0.6] * 3)
    assert "revenue_growth_yoy" not in derived.columns
    future = pd.date_range("2025-01-01", periods=3, freq="MS")
    rows = [
        ("total", "total", metric, date, value, "ets")
        for date in future
        for metric, value in {
            "revenue": 120.0,
            "cogs": 48.0,
            "operating_expenses": 20.0,
            "marketing_spend": 10.0,
            "payroll": 15.0,
            "cash_balance": 700.0,
            "accounts_receivable": 120.0,
        }.items()
    ]
    table = pd.DataFrame(rows, columns=["level", "segment", "metric", "date", "forecast", "model"])
    out = forecast_kpis(table, actuals=make_panel({("total", "total"): company()}))
    assert out["operating_margin"].tolist() == pytest.approx([27 / 120] * 3)
    assert out["dso"].iloc[0] == pytest.approx(120 / 120 * 31)
    # The first forecast month's burn comes from the last actual cash balance (770 -> 700).
    assert out["net_burn"].iloc[0] == pytest.approx(70.0)


def _varied_segments() -> dict[tuple[str, str], pd.DataFrame]:
    """Segments with different inputs, gaps and signs, so rows cannot borrow from each other."""
    rng = np.random.default_rng(3)
    frames: dict[tuple[str, str], pd.DataFrame] = {("total", "total"): company()}
    for n, name in enumerate(("Europe", "Asia", "Africa", "Americas", "Oceania")):
        frame = company(cash_step=float(rng.normal(0, 20))) * rng.uniform(0.5, 2.0)
        frame["revenue"] *= rng.uniform(0.8, 1.2, size=len(frame))
        if n == 1:
            frame["cash_balance"] = np.nan  # burn falls back to the operating loss
        if n == 2:
            frame[["cogs", "accounts_payable"]] = np.nan
        if n == 3:
            frame.iloc[:5] = np.nan  # a segment that starts late
        frames[("region", name)] = frame
    return frames


def test_chunked_kpis_equal_each_segment_computed_alone(make_panel, monkeypatch) -> None:
    frames = _varied_segments()
    monkeypatch.setattr(kpis_module, "CHUNK_SEGMENTS", 2)
    together = compute_kpis(make_panel(frames))
    for (level, segment), frame in frames.items():
        alone = compute_kpis(make_panel({(level, segment): frame}))
        rows = [s for s in together.summary if (s["level"], s["segment"]) == (level, segment)]
        assert rows == list(alone.summary)
        assert rows, segment
        for row in rows:
            kpi = row["kpi"]
            assert together.get(kpi, level, segment) == row
            pd.testing.assert_series_equal(
                together.series(kpi, level, segment), alone.series(kpi, level, segment)
            )
    assert together.get("net_burn", "region", "Asia")["last"] is not None  # from the loss
    assert together.get("cash_runway", "region", "Asia") is None  # no cash to run down
    assert together.get("gross_margin", "region", "Africa") is None


def test_long_table_is_categorical_and_matches_the_series(make_panel) -> None:
    result = compute_kpis(make_panel(_varied_segments()))
    table = result.table
    for column in ("level", "segment", "kpi"):
        assert isinstance(table[column].dtype, pd.CategoricalDtype)
    assert not table["value"].isna().any()
    rows = table[(table["segment"] == "Americas") & (table["kpi"] == "gross_profit")]
    expected = result.series("gross_profit", "region", "Americas")
    assert len(rows) == 19  # the five empty months are left out
    assert rows["value"].tolist() == expected.tolist()
    assert pd.DatetimeIndex(rows["date"]).equals(expected.index)
    assert len(table) == sum(len(result.series(s["kpi"], s["level"], s["segment"])) for s in
                             result.summary)  # fmt: skip


def test_result_survives_pickling_without_its_built_views(make_panel) -> None:
    import pickle

    result = compute_kpis(make_panel(_varied_segments()))
    summary = list(result.summary)
    table = result.table
    back = pickle.loads(pickle.dumps(result))
    assert back._table is None  # rebuilt on demand, not shipped
    pd.testing.assert_frame_equal(back.table, table)
    assert back.summary == tuple(summary)
    assert back.to_json() == result.to_json()
