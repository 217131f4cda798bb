"""A small, realistic report for the export tests (imported by conftest and the tests).

Until the analytics sections are all in the repo, the sections are tiny stand-ins with the agreed
interfaces (``.table``, ``.summary``, ``to_json()``); the panel and dataset are the real types.
Hostile names (formula and script text) sit in the data on purpose.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from cfodesk.config import ReportConfig
from cfodesk.model import Dataset, InputInfo, Panel, QualityIssue, Report, SeriesKey

HOSTILE_SEGMENT = '=HYPERLINK("http://x")'
HOSTILE_METRIC = "<script>alert(1)</script>"
REGIONS = ("Europe", HOSTILE_SEGMENT, "+cmd")
METRICS = ("revenue", "cogs", "operating_expenses", "cash_balance", HOSTILE_METRIC)


@dataclass(frozen=True)
class FakeSection:
    table: pd.DataFrame
    summary: Any = ()
    extra: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "rows": self.table.to_dict(orient="records"),
            "summary": [s if isinstance(s, dict) else vars(s) for s in self.summary],
            **self.extra,
        }


@dataclass(frozen=True)
class FakeNarrative:
    headline: str
    paragraphs: tuple[str, ...]
    bullets: tuple[str, ...]

    def to_text(self) -> str:
        return "\n\n".join([self.headline, *self.paragraphs, *("- " + b for b in self.bullets)])

    def to_json(self) -> dict[str, Any]:
        return {"headline": self.headline, "paragraphs": list(self.paragraphs),
                "bullets": list(self.bullets)}  # fmt: skip


def _panel(periods: pd.DatetimeIndex, rng: np.random.Generator) -> Panel:
    keys: list[SeriesKey] = []
    rows: list[np.ndarray] = []
    t = np.arange(len(periods))
    season = 1 + 0.1 * np.sin(2 * np.pi * t / 12)
    bases = {"revenue": 10000.0, "cogs": 4000.0, "operating_expenses": 3000.0,
             "cash_balance": 50000.0, HOSTILE_METRIC: 100.0}  # fmt: skip
    for metric in METRICS:
        base = bases[metric]
        region_rows = []
        for region_index, region in enumerate(REGIONS):
            level = base * (1 + region_index) * (1 + 0.01 * t) * season
            values = level * (1 + 0.03 * rng.standard_normal(len(t)))
            region_rows.append(values)
            keys.append(SeriesKey("region", region, metric))
            rows.append(values)
        keys.append(SeriesKey("total", "total", metric))
        rows.append(np.sum(region_rows, axis=0))
    values = np.vstack(rows)
    values[0, 3] = np.nan  # a missing month
    return Panel(periods=periods, frequency="M", keys=tuple(keys), values=values)


def _forecast(panel: Panel, horizon: int) -> FakeSection:
    future = pd.date_range(panel.periods[-1] + pd.offsets.MonthBegin(), periods=horizon, freq="MS")
    frames = []
    summary = []
    for key in panel.keys:
        last = np.nanmean(panel.values[panel.index_of(key)][-6:])
        step = np.arange(1, horizon + 1)
        point = last * (1 + 0.005 * step)
        frames.append(pd.DataFrame({
            "level": key.level, "segment": key.segment, "metric": key.metric, "date": future,
            "forecast": point, "lower_80": point * 0.92, "upper_80": point * 1.08,
            "lower_95": point * 0.88, "upper_95": point * 1.12, "model": "ETS(A,Ad,A)",
        }))  # fmt: skip
        summary.append({"level": key.level, "segment": key.segment, "metric": key.metric,
                        "model": "ETS(A,Ad,A)", "description": "damped trend, additive season",
                        "mase": 0.71, "smape": 4.2, "coverage_80": 0.81, "coverage_95": 0.94,
                        "note": "", "fallback": False})  # fmt: skip
    return FakeSection(pd.concat(frames, ignore_index=True), tuple(summary))


def _kpis(panel: Panel) -> FakeSection:
    revenue = panel.series(SeriesKey("total", "total", "revenue"))
    cogs = panel.series(SeriesKey("total", "total", "cogs"))
    margin = (revenue - cogs) / revenue
    table = pd.DataFrame({"level": "total", "segment": "total", "kpi": "gross_margin",
                          "date": panel.periods, "value": margin.to_numpy()})  # fmt: skip
    summary = [
        {"level": "total", "segment": "total", "kpi": "revenue", "label": "Revenue",
         "unit": "money", "last_period": "2024-12-01", "last": float(revenue.iloc[-1]),
         "ttm": float(revenue.iloc[-12:].sum()), "prior_ttm": float(revenue.iloc[-24:-12].sum()),
         "change_pct": 0.12},
        {"level": "total", "segment": "total", "kpi": "gross_margin", "label": "Gross margin",
         "unit": "percent", "last_period": "2024-12-01", "last": float(margin.iloc[-1]),
         "ttm": float(margin.iloc[-12:].mean()), "prior_ttm": float("nan"), "change_pct": None},
        {"level": "region", "segment": HOSTILE_SEGMENT, "kpi": "revenue", "label": "Revenue",
         "unit": "money", "last_period": "2024-12-01", "last": np.float64(1234.5),
         "ttm": 15000.0, "prior_ttm": 14000.0, "change_pct": float("inf")},
    ]  # fmt: skip
    return FakeSection(
        table, tuple(summary), {"definitions": {"gross_margin": "(revenue - cogs) / revenue"}}
    )


def _anomalies(panel: Panel) -> FakeSection:
    rows = [
        ("total", "total", "revenue", panel.periods[20], 9000.0, 6000.0, 5000.0, 7000.0, 6.1,
         "high", "Revenue in Sep 2022 was 1.5x the expected 6,000"),
        ("region", HOSTILE_SEGMENT, "cogs", panel.periods[30], 100.0, 500.0, 400.0, 600.0, 4.2,
         "medium", "@SUM(A1) fell to 100"),
        ("total", "total", HOSTILE_METRIC, panel.periods[10], 1.0, 2.0, 1.5, 2.5, 3.5,
         "low", "<script>alert('reason')</script>"),
    ]  # fmt: skip
    table = pd.DataFrame(rows, columns=["level", "segment", "metric", "date", "value", "expected",
                                        "lower", "upper", "score", "severity", "reason"])  # fmt: skip
    table["kind"] = "point"
    return FakeSection(table)


def _correlations() -> FakeSection:
    rows = [
        ("revenue", "cogs", "total", "total", 0.91234567, 0, "spearman on growth"),
        ("revenue", "operating_expenses", "total", "total", 0.42, 2, "spearman on growth"),
        ("cogs", HOSTILE_METRIC, "total", "total", -0.3, 1, "spearman on growth"),
        ("revenue", "cash_balance", "region", HOSTILE_SEGMENT, 0.5, 0, "+cmd"),
    ]  # fmt: skip
    table = pd.DataFrame(rows, columns=["metric_a", "metric_b", "level", "segment",
                                        "correlation", "lag", "method"])  # fmt: skip
    table["p_value"] = 0.01
    return FakeSection(table)


def _scenarios(forecast: FakeSection) -> FakeSection:
    base = forecast.table[(forecast.table["level"] == "total")
                          & (forecast.table["metric"] == "cash_balance")]  # fmt: skip
    frames = []
    for name, factor in (("Base", 1.0), ("Growth +5%", 1.05), ("=cut costs", 0.9)):
        frames.append(pd.DataFrame({"scenario": name, "level": "total", "segment": "total",
                                    "metric": "cash_balance", "date": base["date"],
                                    "value": base["forecast"] * factor}))  # fmt: skip
    return FakeSection(pd.concat(frames, ignore_index=True))


def make_report(*, page_size: str = "A4", months: int = 36, sections: bool = True) -> Report:
    """Give a small report with every section filled (or none, with ``sections=False``)."""
    rng = np.random.default_rng(7)
    periods = pd.date_range("2022-01-01", periods=months, freq="MS")
    panel = _panel(periods, rng)
    config = ReportConfig(horizon=6, levels=("total", "region"), page_size=page_size, jobs=1)
    records = pd.DataFrame({"date": periods, "region": "Europe", "revenue": 1.0})
    dataset = Dataset(
        records=records, frequency="M", dimensions=("region",), metrics=METRICS,
        quality=(
            QualityIssue("warning", "gap", "1 month with no data was left empty", "data.csv",
                         "revenue", (4,), 1),
            QualityIssue("info", "hostile", "=1+1 in a header", "data.csv", HOSTILE_METRIC),
        ),
        inputs=(InputInfo("data.csv", "ab" * 32, 108),),
    )  # fmt: skip
    if not sections:
        return Report("run-empty", "2025-01-05T10:00:00", "0.1.0", config, dataset, panel)
    forecast = _forecast(panel, config.horizon)
    return Report(
        run_id="run-test", created_at="2025-01-05T10:00:00", app_version="0.1.0", config=config,
        dataset=dataset, panel=panel, kpis=_kpis(panel), forecast=forecast,
        anomalies=_anomalies(panel), correlations=_correlations(), scenarios=_scenarios(forecast),
        narrative=FakeNarrative(
            "Revenue grew 12 % year on year; cash covers 14 months",
            ("Revenue reached 1.2 m in the last twelve months.", HOSTILE_METRIC + " & more"),
            ("Top risk: " + HOSTILE_SEGMENT, "Margin held at 41 %"),
        ),
        stage_durations={"load": 0.1, "forecast": np.float64(1.5)},
    )  # fmt: skip
