"""What the report views show, from a fresh :class:`~cfodesk.model.Report` or a re-opened folder.

A run just finished gives a ``Report`` with typed sections; a past run re-opened from history gives
the exported files (``load_report``). Both become one :class:`ReportData` of plain tables and
dicts, so each view is written once. Sections that are missing stay empty and their views say so.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from ..model import Panel, Report

__all__ = ["ReportData", "ttm_window"]


def _table(section: Any) -> pd.DataFrame:
    # Shared, not copied: report sections are never modified by the views.
    table = getattr(section, "table", None)
    return table if isinstance(table, pd.DataFrame) else pd.DataFrame()


def _as_dicts(rows: Any) -> list[dict[str, Any]]:
    if rows is None:
        return []
    if isinstance(rows, pd.DataFrame):
        return rows.to_dict("records")
    if isinstance(rows, Mapping):
        return [
            dict(v, key=k) if isinstance(v, Mapping) else {"key": k, "value": v}
            for k, v in rows.items()
        ]
    out = []
    for row in rows:
        if isinstance(row, Mapping):
            out.append(dict(row))
        elif hasattr(row, "to_json"):
            out.append(row.to_json())
        elif hasattr(row, "__dict__"):
            out.append(dict(vars(row)))
    return out


def _dates(frame: pd.DataFrame) -> pd.DataFrame:
    if (
        "date" in frame.columns
        and len(frame)
        and not pd.api.types.is_datetime64_any_dtype(frame["date"])
    ):
        frame = frame.assign(date=pd.to_datetime(frame["date"]))
    return frame


def _narrative(section: Any) -> dict[str, Any] | None:
    if section is None:
        return None
    if isinstance(section, Mapping):
        data = dict(section)
    else:
        data = {k: getattr(section, k, None) for k in ("headline", "paragraphs", "bullets")}
    if not any(data.get(k) for k in ("headline", "paragraphs", "bullets")):
        return None
    return {
        "headline": data.get("headline") or "",
        "paragraphs": [str(p) for p in data.get("paragraphs") or []],
        "bullets": [_text(b) for b in data.get("bullets") or []],
    }


def _text(item: Any) -> str:
    """The sentence of a narrative bullet (a dict, an object with ``text``, or a string)."""
    if isinstance(item, Mapping):
        return str(item.get("text", ""))
    return str(getattr(item, "text", item))


def ttm_window(frequency: str) -> int:
    """Give how many periods make twelve months (12 monthly, 4 quarterly)."""
    return 4 if frequency == "Q" else 12


@dataclass
class ReportData:
    """The tables and texts behind the report views."""

    run_id: str
    panel: Panel
    forecasts: pd.DataFrame = field(default_factory=pd.DataFrame)
    forecast_summary: list[Any] = field(default_factory=list)  # dicts or summary objects
    anomalies: pd.DataFrame = field(default_factory=pd.DataFrame)
    correlations: pd.DataFrame = field(default_factory=pd.DataFrame)
    kpi_summary: list[dict[str, Any]] = field(default_factory=list)
    kpi_table: pd.DataFrame = field(default_factory=pd.DataFrame)
    narrative: dict[str, Any] | None = None
    quality: list[dict[str, Any]] = field(default_factory=list)
    mapping: list[dict[str, Any]] = field(default_factory=list)
    stage_durations: dict[str, float] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    created_at: str = ""
    output_dir: str | None = None
    report: Report | None = None

    @property
    def frequency(self) -> str:
        """The data's period ('M' or 'Q')."""
        return self.panel.frequency

    @classmethod
    def from_report(cls, report: Report, output_dir: str | None = None) -> ReportData:
        """Give the view data of a run that just finished."""
        forecast = report.forecast
        return cls(
            run_id=report.run_id,
            panel=report.panel,
            forecasts=_dates(_table(forecast)),
            # Kept as they are (hundreds of series): converted one at a time when looked up.
            forecast_summary=list(getattr(forecast, "summary", None) or []),
            anomalies=_dates(_table(report.anomalies)),
            correlations=_table(report.correlations),
            kpi_summary=_as_dicts(getattr(report.kpis, "summary", None)),
            kpi_table=_dates(_table(report.kpis)),
            narrative=_narrative(report.narrative),
            quality=_as_dicts(report.dataset.quality),
            mapping=_as_dicts(report.dataset.mapping),
            stage_durations=dict(report.stage_durations),
            notes=list(report.notes),
            created_at=report.created_at,
            output_dir=output_dir,
            report=report,
        )

    @classmethod
    def from_loaded(cls, loaded: Any, output_dir: str | None = None) -> ReportData:
        """Give the view data of a past run re-opened with ``cfodesk.export.load_report``."""
        doc: Mapping[str, Any] = getattr(loaded, "data", None) or {}
        panel = getattr(loaded, "panel", None)
        if panel is None:
            panel = Panel.from_json(doc["actuals"])
        kpis = doc.get("kpis") or {}
        forecast_summary = doc.get("forecast_summary") or {}
        run = doc.get("run") or {}
        return cls(
            run_id=str(run.get("run_id", "")),
            panel=panel,
            forecasts=_dates(_frame(getattr(loaded, "forecasts", None))),
            forecast_summary=_as_dicts(
                forecast_summary.get("series")
                if isinstance(forecast_summary, Mapping)
                else forecast_summary
            ),
            anomalies=_dates(_frame(getattr(loaded, "anomalies", None))),
            correlations=_frame(getattr(loaded, "correlations", None)),
            kpi_summary=_as_dicts(kpis.get("summary") if isinstance(kpis, Mapping) else None),
            kpi_table=_dates(_frame(getattr(loaded, "kpis", None))),
            narrative=_narrative(doc.get("narrative")),
            quality=_as_dicts(doc.get("data_quality")),
            mapping=_as_dicts(doc.get("mapping")),
            stage_durations=dict(run.get("stage_durations") or {}),
            notes=list(doc.get("notes") or []),
            created_at=str(doc.get("created_at", "")),
            output_dir=output_dir,
        )

    # -- lookups the views share ----------------------------------------------------------
    def segments(self, level: str) -> tuple[str, ...]:
        """Segments of a level present in the actuals."""
        return self.panel.segments(level)

    def forecast_for(self, level: str, segment: str, metric: str) -> pd.DataFrame:
        """Give one series' forecast rows, by date."""
        f = self.forecasts
        if f.empty:
            return f
        mask = (f["level"] == level) & (f["segment"] == segment) & (f["metric"] == metric)
        return f[mask].sort_values("date")

    def anomalies_for(self, level: str, segment: str, metric: str) -> pd.DataFrame:
        """Give one series' anomalies."""
        a = self.anomalies
        if a.empty:
            return a
        mask = (a["level"] == level) & (a["segment"] == segment) & (a["metric"] == metric)
        return a[mask]

    def summary_for(self, level: str, segment: str, metric: str) -> dict[str, Any] | None:
        """Give the forecast summary (model, backtest scores) of one series, if known."""
        for row in self.forecast_summary:
            if (
                _field(row, "level") == level
                and _field(row, "segment") == segment
                and _field(row, "metric") == metric
            ):
                return row if isinstance(row, Mapping) else _as_dicts([row])[0]
        return None


def _field(row: Any, name: str) -> Any:
    return row.get(name) if isinstance(row, Mapping) else getattr(row, name, None)


def _frame(value: Any) -> pd.DataFrame:
    return value.copy() if isinstance(value, pd.DataFrame) else pd.DataFrame()
