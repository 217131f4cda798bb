"""The slices of a report that charts and documents show, read defensively from its sections.

Each function gives an empty result when its section is missing, so a report without (say)
correlations still exports; nothing here draws or writes.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ..metrics import metric_label
from ..model import Report
from .tables import section_table

__all__ = [
    "forecast_frame",
    "total_anomalies",
    "region_history",
    "margin_trends",
    "correlation_matrix",
    "scenario_lines",
    "kpi_labels",
    "key_metrics",
]

_KEY_ORDER = (
    "revenue", "gross_profit", "operating_profit", "operating_expenses", "cash_balance",
    "net_income", "cogs", "payroll", "headcount",
)  # fmt: skip


def key_metrics(report: Report, limit: int = 4) -> list[str]:
    """Give the company metrics a reader looks at first (revenue, profit, cash...), at most ``limit``."""
    metrics = list(report.panel.metrics)
    ordered = [m for m in _KEY_ORDER if m in metrics] + [m for m in metrics if m not in _KEY_ORDER]
    return ordered[:limit]


def forecast_frame(report: Report, metric: str, level: str = "total", segment: str = "total"
                   ) -> pd.DataFrame:  # fmt: skip
    """Give one series' forecast rows (date as Timestamp, forecast, bands, model), by date."""
    table = section_table(report.forecast)
    if table is None or table.empty:
        return pd.DataFrame(columns=["date", "forecast", "lower_80", "upper_80", "lower_95",
                                     "upper_95", "model"])  # fmt: skip
    rows = table[(table["level"] == level) & (table["segment"] == segment)
                 & (table["metric"] == metric)].copy()  # fmt: skip
    rows["date"] = pd.to_datetime(rows["date"])
    for column in ("lower_80", "upper_80", "lower_95", "upper_95"):
        if column not in rows:
            rows[column] = np.nan
    return rows.sort_values("date").reset_index(drop=True)


def total_anomalies(report: Report, metric: str | None = None) -> pd.DataFrame:
    """Give the company-level anomalies (optionally of one metric), dates as Timestamps."""
    table = section_table(report.anomalies)
    if table is None or table.empty:
        return pd.DataFrame(columns=["date", "value", "metric"])
    rows = table[table["level"] == "total"]
    if metric is not None:
        rows = rows[rows["metric"] == metric]
    rows = rows.copy()
    rows["date"] = pd.to_datetime(rows["date"], errors="coerce")
    rows["value"] = pd.to_numeric(rows["value"], errors="coerce")
    return rows.dropna(subset=["date", "value"])


def region_history(report: Report, metric: str) -> pd.DataFrame:
    """Give a period x region frame of one metric's actuals."""
    panel = report.panel
    keys = [k for k in panel.select(metric=metric, level="region")]
    return pd.DataFrame(
        {k.segment: panel.values[panel.index_of(k)] for k in keys}, index=panel.periods
    )


def kpi_labels(report: Report) -> dict[str, str]:
    """Give kpi id -> label people read, from the KPI summary (falls back to the metric label)."""
    labels: dict[str, str] = {}
    for row in getattr(report.kpis, "summary", None) or ():
        kpi = _get(row, "kpi")
        if kpi is not None:
            labels.setdefault(str(kpi), str(_get(row, "label") or metric_label(str(kpi))))
    return labels


def margin_trends(report: Report) -> dict[str, pd.Series]:
    """Give label -> company margin series (fractions) for every KPI named '*margin*'."""
    table = section_table(report.kpis)
    if table is None or table.empty or "kpi" not in table:
        return {}
    rows = table[(table["level"] == "total") & table["kpi"].astype(str).str.contains("margin")]
    labels = kpi_labels(report)
    trends: dict[str, pd.Series] = {}
    for kpi, group in rows.groupby("kpi", sort=False, observed=True):
        series = pd.Series(pd.to_numeric(group["value"], errors="coerce").to_numpy(),
                           index=pd.to_datetime(group["date"])).sort_index()  # fmt: skip
        if series.notna().sum() >= 2:
            trends[labels.get(str(kpi), metric_label(str(kpi)))] = series
    return trends


def correlation_matrix(report: Report) -> pd.DataFrame:
    """Give a symmetric metric x metric matrix of company correlations (strongest lag per pair)."""
    table = section_table(report.correlations)
    if table is None or table.empty:
        return pd.DataFrame()
    rows = table[table["level"] == "total"] if "level" in table else table
    if rows.empty:
        return pd.DataFrame()
    metrics = list(dict.fromkeys([*rows["metric_a"].astype(str), *rows["metric_b"].astype(str)]))
    matrix = pd.DataFrame(np.nan, index=metrics, columns=metrics)
    for a, b, value in zip(rows["metric_a"].astype(str), rows["metric_b"].astype(str),
                           pd.to_numeric(rows["correlation"], errors="coerce")):  # fmt: skip
        if not np.isfinite(value):
            continue
        current = matrix.at[a, b]
        if np.isnan(current) or abs(value) > abs(current):
            matrix.at[a, b] = matrix.at[b, a] = value
    for metric in metrics:
        matrix.at[metric, metric] = 1.0
    return matrix


def _get(row: Any, name: str) -> Any:
    if isinstance(row, dict):
        return row.get(name)
    return getattr(row, name, None)


_SCENARIO_METRICS = ("cash_balance", "operating_profit", "revenue")


def scenario_lines(report: Report) -> tuple[str, dict[str, pd.Series]]:
    """Give (metric, scenario name -> company forecast) for the scenario comparison chart.

    Reads a ``ScenarioSet`` (``dates`` + ``outcomes`` with ``series[metric]["forecast"]``); a
    long ``.table`` (scenario, metric, date, value) is accepted too.
    """
    scenarios = report.scenarios
    outcomes = getattr(scenarios, "outcomes", None)
    if outcomes:
        dates = pd.DatetimeIndex(getattr(scenarios, "dates", []))
        present = [m for o in outcomes for m in getattr(o, "series", {})]
        metric = next((m for m in _SCENARIO_METRICS if m in present), present[0] if present else "")
        lines: dict[str, pd.Series] = {}
        for outcome in outcomes:
            bands = outcome.series.get(metric)
            if bands is not None and "forecast" in bands and len(bands["forecast"]) == len(dates):
                lines[str(outcome.name)] = pd.Series(np.asarray(bands["forecast"], float), dates)
        return metric, lines
    table = section_table(scenarios)
    if table is None or table.empty or not {"scenario", "metric", "date"} <= set(table.columns):
        return "", {}
    value_column = next((c for c in ("value", "forecast") if c in table.columns), None)
    if value_column is None:
        return "", {}
    if "level" in table:
        table = table[table["level"] == "total"]
    present = list(dict.fromkeys(table["metric"].astype(str)))
    metric = next((m for m in _SCENARIO_METRICS if m in present), present[0] if present else "")
    lines = {}
    for name, group in table[table["metric"] == metric].groupby("scenario", sort=False):
        lines[str(name)] = pd.Series(
            pd.to_numeric(group[value_column], errors="coerce").to_numpy(),
            index=pd.to_datetime(group["date"]),
        ).sort_index()
    return metric, lines
