"""The executive summary: every number in it comes from the report's data."""

from __future__ import annotations

import json
import re

import numpy as np
import pandas as pd
import pytest

from cfodesk.analytics.anomalies import COLUMNS as ANOMALY_COLUMNS
from cfodesk.analytics.drivers import analyse_drivers
from cfodesk.analytics.forecast.results import TABLE_COLUMNS
from cfodesk.analytics.formatting import (
    format_money,
    format_months,
    format_percent,
    format_points,
)
from cfodesk.analytics.kpis import compute_kpis
from cfodesk.analytics.narrative import Narrative, build_narrative, lookup
from cfodesk.analytics.scenario import run_scenarios

MONTHS = pd.date_range("2023-01-01", periods=36, freq="MS")
FUTURE = pd.date_range("2026-01-01", periods=12, freq="MS")


def segment(scale: float, growth: float, margin_drift: float) -> pd.DataFrame:
    t = np.arange(36)
    revenue = scale * 1000.0 * (1 + growth) ** (t / 12) * (1 + 0.05 * np.sin(t))
    margin = 0.6 - margin_drift * t / 36
    return pd.DataFrame(
        {
            "revenue": revenue,
            "cogs": revenue * (1 - margin),
            "operating_expenses": scale * 150.0,
            "marketing_spend": scale * (60.0 + 2 * t),
            "payroll": scale * 200.0,
            "headcount": scale * 20.0,
            "cash_balance": scale * (6000.0 - 120.0 * t),
            "accounts_receivable": revenue * 1.4,
            "accounts_payable": revenue * 0.3,
        },
        index=MONTHS,
    )


@pytest.fixture
def report(make_panel):
    europe, asia = segment(0.6, 0.12, 0.08), segment(0.4, -0.03, 0.02)
    panel = make_panel(
        {("total", "total"): europe + asia, ("region", "Europe"): europe, ("region", "Asia"): asia}
    )
    rows = []
    for metric, point in (
        ("revenue", 1100.0),
        ("cogs", 500.0),
        ("operating_expenses", 150.0),
        ("marketing_spend", 130.0),
        ("payroll", 200.0),
        ("cash_balance", 1500.0),
    ):
        for t, date in enumerate(FUTURE):
            value = point - (100.0 * t if metric == "cash_balance" else 0.0)
            width = 0.05 * point * np.sqrt(t + 1)
            rows.append(
                (
                    "total",
                    "total",
                    metric,
                    date,
                    value,
                    value - width,
                    value + width,
                    value - 1.5 * width,
                    value + 1.5 * width,
                    "ets",
                )
            )
    forecast = pd.DataFrame(
        rows,
        columns=list(TABLE_COLUMNS),
    )
    anomalies = pd.DataFrame(
        [
            (
                "total",
                "total",
                "marketing_spend",
                MONTHS[30],
                250.0,
                110.0,
                90.0,
                130.0,
                9.1,
                "high",
                "Marketing spend in Jul 2025 was 2.3x the expected 110",
                "spike",
                "a1",
                None,
            ),
            (
                "region",
                "Asia",
                "marketing_spend",
                MONTHS[30],
                200.0,
                50.0,
                40.0,
                60.0,
                8.0,
                "high",
                "Marketing spend · Asia in Jul 2025 was 4.0x the expected 50",
                "spike",
                "a2",
                "a1",
            ),
            (
                "total",
                "total",
                "revenue",
                MONTHS[20],
                900.0,
                1000.0,
                950.0,
                1050.0,
                3.0,
                "medium",
                "Revenue in Sep 2024 was 10% below the expected 1,000",
                "dip",
                "a3",
                None,
            ),
        ],
        columns=list(ANOMALY_COLUMNS),
    )
    kpis = compute_kpis(panel)
    drivers = analyse_drivers(panel)
    scenarios = run_scenarios(panel, forecast, ["Push: revenue=+5%, marketing_spend=+20%"])
    narrative = build_narrative(
        panel,
        kpis=kpis,
        forecast=forecast,
        anomalies=anomalies,
        drivers=drivers,
        scenarios=scenarios,
    )
    data = {
        "kpis": kpis.to_json(),
        "drivers": drivers.to_json(),
        "scenarios": scenarios.to_json(),
        "anomalies": {
            "items": anomalies.assign(date=anomalies["date"].dt.strftime("%Y-%m-%d"))
            .astype(object)
            .where(anomalies.notna(), None)
            .to_dict(orient="records")
        },
        "narrative": narrative.to_json(),
    }
    data = json.loads(json.dumps(data, allow_nan=False))
    return narrative, data, forecast


def _formats(value: float) -> set[str]:
    signed = format_money(value)
    return {
        format_money(value),
        format_percent(value),
        format_percent(value, signed=True),
        format_points(value),
        format_months(value),
        signed if signed.startswith("-") else f"+{signed}",
    }


def test_every_fact_resolves_to_the_report_data(report) -> None:
    narrative, data, forecast = report
    facts = {f.name: f for f in narrative.facts}
    assert {"revenue_ttm", "operating_margin_ttm", "forecast_revenue_total", "cash_last"} <= set(
        facts
    )
    revenue = forecast[forecast.metric == "revenue"]
    for fact in narrative.facts:
        if fact.source.startswith("forecasts.csv"):
            column = fact.source.rsplit(".", 1)[1]
            if isinstance(fact.value, float):
                assert fact.value == pytest.approx(revenue[column].sum())
            continue
        found = lookup(data, fact.source)
        if fact.derivation is None:
            if isinstance(fact.value, float):
                assert fact.value == pytest.approx(found, rel=1e-6), fact
                assert fact.text in _formats(fact.value), fact
            else:
                assert isinstance(found, str), fact
    growth = facts["forecast_revenue_growth"]
    assert growth.value == pytest.approx(
        facts["forecast_revenue_total"].value / facts["revenue_ttm"].value - 1
    )


def test_no_number_in_the_text_is_missing_from_the_facts(report) -> None:
    narrative, _, _ = report
    text = narrative.to_text()
    for fact in sorted(narrative.facts, key=lambda f: -len(f.text)):
        text = text.replace(fact.text, "")
    assert not re.search(r"\d", text), text


def test_the_summary_tells_the_risks_and_drivers(report) -> None:
    narrative, data, _ = report
    text = narrative.to_text()
    assert narrative.headline.startswith("Revenue was ")
    risks = [b.text for b in narrative.bullets if b.kind == "risk"]
    assert "Marketing spend in Jul 2025 was 2.3x the expected 110." in risks
    assert not any("Asia in Jul 2025" in r for r in risks)  # linked to the company anomaly
    assert any(r.startswith("Gross margin is eroding") for r in risks)
    drivers = [b.text for b in narrative.bullets if b.kind == "driver"]
    assert data["drivers"]["bridges"][0]["sentence"] in drivers
    assert any("Europe" in d and "Asia" in d for d in drivers)
    assert "“Push”" in text
    assert Narrative.from_json(data["narrative"]) == narrative


def test_short_history_and_no_extras_still_give_a_summary(make_panel) -> None:
    frame = segment(1.0, 0.1, 0.0).iloc[:6]
    panel = make_panel({("total", "total"): frame})
    narrative = build_narrative(panel, kpis=compute_kpis(panel))
    assert narrative.headline == "Not enough history for a twelve-month summary."
    json.dumps(narrative.to_json(), allow_nan=False)
    empty = build_narrative(panel, kpis=None)
    assert empty.facts == () or all(f.source for f in empty.facts)


def test_short_runway_is_a_risk(make_panel) -> None:
    frame = segment(1.0, 0.1, 0.0)
    frame["cash_balance"] = 5000.0 - 120.0 * np.arange(36)  # 800 left, burning 120 a month
    panel = make_panel({("total", "total"): frame})
    narrative = build_narrative(panel, kpis=compute_kpis(panel))
    risks = [b.text for b in narrative.bullets if b.kind == "risk"]
    assert any(r.startswith("Cash runway is short: 6.7 months") for r in risks), risks
