"""The people-facing rows every document shows (facts, narrative, KPIs, models, data quality).

One place reads the sections' summaries so the workbook, the HTML page and the PDF say the
same thing; each function tolerates a missing section by giving nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from ..metrics import metric_label
from ..model import Report
from .fmt import text
from .tables import section_table

__all__ = [
    "report_facts",
    "narrative_lines",
    "kpi_rows",
    "forecast_summary_rows",
    "quality_rows",
    "scenario_table",
    "top_anomalies",
    "get_field",
]

_FREQUENCY = {"M": "monthly", "Q": "quarterly"}


def get_field(record: Any, name: str, default: Any = None) -> Any:
    """Give ``record[name]`` for a mapping, else ``record.name`` (summaries come as either)."""
    if isinstance(record, Mapping):
        return record.get(name, default)
    return getattr(record, name, default)


def _number(value: Any) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if np.isfinite(number) else None


def report_facts(report: Report) -> list[tuple[str, str]]:
    """Give (label, value) lines describing the run: when, inputs, periods, series, horizon."""
    panel = report.panel
    inputs = "; ".join(f"{i.path} ({i.rows:,} rows)" for i in report.dataset.inputs) or "–"
    periods = "–"
    if len(panel.periods):
        periods = (f"{panel.periods[0]:%b %Y} – {panel.periods[-1]:%b %Y} "
                   f"({len(panel.periods)} {_FREQUENCY.get(panel.frequency, '')} periods)")  # fmt: skip
    return [
        ("Created", report.created_at.replace("T", " ")[:19]),
        ("Run", report.run_id),
        ("App version", f"CFO Desk {report.app_version}"),
        ("Inputs", inputs),
        ("Periods", periods),
        ("Metrics", ", ".join(metric_label(m) for m in panel.metrics)),
        ("Series analysed", f"{len(panel):,} across {', '.join(panel.levels)}"),
        ("Forecast horizon", f"{report.config.horizon} periods"),
    ]


def narrative_lines(report: Report) -> list[tuple[str, str]]:
    """Give ('headline'|'paragraph'|'bullet', text) lines of the executive summary."""
    narrative = report.narrative
    if narrative is None:
        return []
    lines: list[tuple[str, str]] = []
    headline = getattr(narrative, "headline", None)
    if headline:
        lines.append(("headline", str(headline)))
    lines += [("paragraph", str(p)) for p in getattr(narrative, "paragraphs", ()) or () if p]
    bullets = getattr(narrative, "bullets", ()) or ()
    lines += [("bullet", str(getattr(b, "text", b))) for b in bullets if b]
    if not lines and hasattr(narrative, "to_text"):
        lines = [("paragraph", p) for p in str(narrative.to_text()).split("\n\n") if p.strip()]
    return lines


def change_fraction(value: Any) -> float | None:
    """Give a KPI's change as a fraction (0.12 for +12 %) from the summary's ``change_pct``."""
    return _number(value)


def kpi_rows(report: Report, level: str | None = None) -> list[dict[str, Any]]:
    """Give the KPI summary rows (label, unit, last, TTM, prior TTM, change), optionally one level."""
    rows = []
    for record in getattr(report.kpis, "summary", None) or ():
        row_level = text(get_field(record, "level", "total"))
        if level is not None and row_level != level:
            continue
        kpi = text(get_field(record, "kpi"))
        rows.append({
            "level": row_level,
            "segment": text(get_field(record, "segment", "total")),
            "kpi": kpi,
            "label": text(get_field(record, "label")) or metric_label(kpi),
            "unit": text(get_field(record, "unit", "number")) or "number",
            "last_period": text(get_field(record, "last_period"))[:10],
            "last": _number(get_field(record, "last")),
            "ttm": _number(get_field(record, "ttm")),
            "prior_ttm": _number(get_field(record, "prior_ttm")),
            "change": _number(get_field(record, "change")),
            "change_pct": change_fraction(get_field(record, "change_pct")),
        })  # fmt: skip
    return rows


def forecast_summary_rows(report: Report, level: str | None = None) -> list[dict[str, Any]]:
    """Give per-series forecast quality rows: model, MASE, sMAPE, 80/95 % coverage, note."""
    rows = []
    for record in getattr(report.forecast, "summary", None) or ():
        row_level = text(get_field(record, "level"))
        if level is not None and row_level != level:
            continue
        rows.append({
            "level": row_level,
            "segment": text(get_field(record, "segment")),
            "metric": text(get_field(record, "metric")),
            "model": text(get_field(record, "model")),
            "mase": _number(get_field(record, "mase")),
            "smape": _number(get_field(record, "smape")),
            "coverage_80": _number(get_field(record, "coverage_80")),
            "coverage_95": _number(get_field(record, "coverage_95")),
            "fallback": bool(get_field(record, "fallback", False)),
            "note": text(get_field(record, "note")),
        })  # fmt: skip
    return rows


def quality_rows(report: Report) -> tuple[list[str], list[list[Any]]]:
    """Give headers and rows of the data-quality log (every repair and warning)."""
    headers = ["Severity", "Code", "What", "File", "Column", "Rows", "Count"]
    rows = []
    for issue in report.dataset.quality:
        shown = ", ".join(str(r) for r in issue.rows[:10])
        if len(issue.rows) > 10:
            shown += f", … ({len(issue.rows) - 10} more)"
        rows.append([issue.severity, issue.code, issue.message, text(issue.file),
                     text(issue.column), shown, issue.count])  # fmt: skip
    return headers, rows


_SCENARIO_TOTALS = (
    ("revenue", "forecast", "Revenue over the horizon"),
    ("operating_profit", "forecast", "Operating profit over the horizon"),
    ("operating_profit", "lower_80", "Operating profit, low (80 %)"),
    ("operating_profit", "upper_80", "Operating profit, high (80 %)"),
    ("operating_margin", "forecast", "Operating margin"),
    ("cash_balance_end", "forecast", "Cash at the end"),
    ("cash_balance_end", "lower_80", "Cash at the end, low (80 %)"),
)


def scenario_table(report: Report) -> tuple[list[str], list[list[Any]]]:
    """Give headers and rows of the scenarios side by side (empty when there are none).

    A ``ScenarioSet`` gives one row per scenario: its changes, horizon totals and runway; a
    section with a ``.table`` gives that table.
    """
    scenarios = report.scenarios
    if scenarios is None:
        return [], []
    outcomes = getattr(scenarios, "outcomes", None)
    if outcomes:
        present = [(m, b, label) for m, b, label in _SCENARIO_TOTALS
                   if any(get_field(o.totals.get(m, {}), b) is not None for o in outcomes)]  # fmt: skip
        headers = ["Scenario", "Changes", *(label for _m, _b, label in present),
                   "Runway (months)"]  # fmt: skip
        rows = []
        for outcome in outcomes:
            runway = outcome.runway or {}
            months = "not burning" if runway.get("not_burning") else _number(runway.get("months"))
            changes = text(getattr(outcome.scenario, "text", "")) or "base forecast"
            rows.append([outcome.name, changes,
                         *(_number(outcome.totals.get(m, {}).get(b)) for m, b, _l in present),
                         months])  # fmt: skip
        return headers, rows
    table = section_table(scenarios)
    if table is not None:
        frame = table.copy()
        for column in frame.columns:
            if pd.api.types.is_datetime64_any_dtype(frame[column]):
                frame[column] = frame[column].dt.strftime("%Y-%m-%d")
        return [str(c) for c in frame.columns], frame.astype(object).values.tolist()
    return [], []


def top_anomalies(report: Report, limit: int = 25) -> pd.DataFrame:
    """Give the most severe anomalies first, at most ``limit``: independent events before the
    anomalies that are part of another (a segment's share, a balance echoing a flow), then high,
    medium, low, then by the size of the score."""
    table = section_table(report.anomalies)
    if table is None or table.empty:
        return pd.DataFrame()
    order = {"high": 0, "medium": 1, "low": 2}
    linked = table["linked_to"].notna() if "linked_to" in table.columns else False
    ranked = table.assign(
        _linked=linked,
        _rank=table["severity"].map(order).fillna(3),
        _score=-pd.to_numeric(table.get("score"), errors="coerce").abs(),
    )
    columns = ["_linked", "_rank", "_score"]
    return ranked.sort_values(columns, kind="stable").drop(columns=columns).head(limit)
