"""The Forecasts tab (metric and segment pickers over one chart) and the Segments tab (bars)."""

from __future__ import annotations

from typing import Any

import numpy as np
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QVBoxLayout,
    QWidget,
)

from ..metrics import metric_info
from . import fmt
from .charts import draw_bars, make_plot
from .forecast_chart import ForecastChart
from .report_data import ReportData, ttm_window

__all__ = ["ForecastView", "SegmentsView", "segment_choices"]

_LEVEL_NAMES = {
    "total": "Company",
    "region": "Region",
    "department": "Department",
    "region/department": "Region / department",
}


_SEP = "\x1f"


def _segment_key(level: str, segment: str) -> str:
    # Combo data must be a plain string: Qt cannot find a Python tuple again with findData().
    return f"{level}{_SEP}{segment}"


def segment_choices(data: ReportData) -> list[tuple[str, str, str]]:
    """Give (text, level, segment) for every segment, company first."""
    out = []
    for level in data.panel.levels:
        for segment in data.panel.segments(level):
            text = "Company" if level == "total" else f"{_LEVEL_NAMES[level]}: {segment}"
            out.append((text, level, segment))
    return out


class ForecastView(QWidget):
    """One series at a time: actuals, forecast, bands and anomalies, chosen with two pickers."""

    def __init__(self, data: ReportData, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.data = data
        self.metric_box = QComboBox()
        for metric in data.panel.metrics:
            self.metric_box.addItem(fmt.metric_label(metric), metric)
        self.segment_box = QComboBox()
        self.segment_box.setMinimumContentsLength(24)
        for text, level, segment in segment_choices(data):
            self.segment_box.addItem(text, _segment_key(level, segment))
        self.chart = ForecastChart()
        self.model_label = QLabel("")
        self.model_label.setObjectName("muted")
        self.model_label.setWordWrap(True)
        pickers = QHBoxLayout()
        pickers.addWidget(QLabel("Metric"))
        pickers.addWidget(self.metric_box)
        pickers.addSpacing(12)
        pickers.addWidget(QLabel("Segment"))
        pickers.addWidget(self.segment_box)
        pickers.addStretch(1)
        hint = QLabel("Drag to pan · wheel to zoom · right-click to save")
        hint.setObjectName("muted")
        pickers.addWidget(hint)
        layout = QVBoxLayout(self)
        layout.addLayout(pickers)
        layout.addWidget(self.chart, 1)
        layout.addWidget(self.model_label)
        self.metric_box.currentIndexChanged.connect(self.refresh)
        self.segment_box.currentIndexChanged.connect(self.refresh)
        self.refresh()

    def select(self, level: str, segment: str, metric: str) -> bool:
        """Show one series; give False when it is not in the report."""
        m = self.metric_box.findData(metric)
        s = self.segment_box.findData(_segment_key(level, segment))
        if m < 0 or s < 0:
            return False
        self.metric_box.blockSignals(True)
        self.metric_box.setCurrentIndex(m)
        self.metric_box.blockSignals(False)
        self.segment_box.setCurrentIndex(s) if s != self.segment_box.currentIndex() else None
        self.refresh()
        return True

    def refresh(self) -> None:
        """Redraw the chart for the picked metric and segment."""
        metric = self.metric_box.currentData()
        picked = self.segment_box.currentData()
        if metric is None or picked is None:
            return
        level, segment = str(picked).split(_SEP, 1)
        from ..model import SeriesKey

        key = SeriesKey(level, segment, metric)
        data = self.data
        if key not in data.panel:
            self.chart.plot.clear()
            self.model_label.setText(f"No {fmt.metric_label(metric)} for this segment.")
            return
        label = fmt.metric_label(metric)
        where = "Company" if level == "total" else segment
        self.chart.show_series(
            metric,
            data.panel.series(key),
            data.forecast_for(level, segment, metric),
            data.anomalies_for(level, segment, metric),
            data.frequency,
            title=f"{label} · {where}",
        )
        self.model_label.setText(_model_text(data.summary_for(level, segment, metric)))


def _model_text(summary: dict[str, Any] | None) -> str:
    if not summary:
        return ""
    parts = [f"Model: {summary.get('description') or summary.get('model', '?')}"]
    if not fmt.is_missing(summary.get("mase")):
        parts.append(f"backtest MASE {float(summary['mase']):.2f}")
    if not fmt.is_missing(summary.get("smape")):
        smape = float(summary["smape"])
        parts.append(f"sMAPE {fmt.percent(smape / 100)}")  # stored in percent points
    if not fmt.is_missing(summary.get("coverage_80")):
        parts.append(f"80% range held {fmt.percent(summary['coverage_80'], 0)} of the time")
    if summary.get("note"):
        parts.append(str(summary["note"]))
    return " · ".join(parts)


class SegmentsView(QWidget):
    """Regions and departments compared: last-12-months totals, one bar per segment."""

    def __init__(self, data: ReportData, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.data = data
        self._kpi_labels: dict[str, str] = {}
        self.metric_box = QComboBox()
        flows = [m for m in data.panel.metrics if metric_info(m).kind != "ratio"]
        for metric in flows:
            self.metric_box.addItem(fmt.metric_label(metric), metric)
        # Margins and other ratios come from the KPI section (last 12 months per segment).
        self.kpi_rows: dict[str, dict[tuple[str, str], float]] = {}
        for row in data.kpi_summary:
            if row.get("unit") == "percent" and row.get("level") in ("region", "department"):
                if not fmt.is_missing(row.get("ttm")):
                    by_segment = self.kpi_rows.setdefault(str(row["kpi"]), {})
                    by_segment[(str(row["level"]), str(row["segment"]))] = float(row["ttm"])
                    self._kpi_labels[str(row["kpi"])] = str(row.get("label") or row["kpi"])
        for kpi in self.kpi_rows:
            self.metric_box.addItem(self._kpi_labels[kpi], f"kpi:{kpi}")
        if "revenue" in flows:
            self.metric_box.setCurrentIndex(flows.index("revenue"))
        self.note = QLabel("")
        self.note.setObjectName("muted")
        top = QHBoxLayout()
        top.addWidget(QLabel("Metric"))
        top.addWidget(self.metric_box)
        top.addStretch(1)
        top.addWidget(self.note)
        self.plots: dict[str, Any] = {}
        charts = QHBoxLayout()
        for level in ("region", "department"):
            if level in data.panel.levels:
                plot = make_plot("money", categories="bottom")
                charts.addWidget(plot)
                self.plots[level] = plot
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        if not self.plots:
            layout.addWidget(QLabel("The data has no region or department column to compare."))
        layout.addLayout(charts, 1)
        self.metric_box.currentIndexChanged.connect(self.refresh)
        self.refresh()

    def values(self, level: str, metric: str) -> tuple[list[str], list[float]]:
        """Give each segment's last-12-months total (flows) or latest value (stocks)."""
        if metric.startswith("kpi:"):
            rows = self.kpi_rows.get(metric[4:], {})
            pairs = [(seg, v) for (lv, seg), v in rows.items() if lv == level]
            return [p[0] for p in pairs], [p[1] for p in pairs]
        window = ttm_window(self.data.frequency)
        labels, values = [], []
        panel = self.data.panel
        flow = metric_info(metric).kind == "flow"
        for segment in panel.segments(level):
            from ..model import SeriesKey

            key = SeriesKey(level, segment, metric)
            if key not in panel:
                continue
            series = panel.series(key).to_numpy(float)
            finite = series[np.isfinite(series)]
            if not len(finite):
                continue
            labels.append(segment)
            values.append(float(np.nansum(series[-window:])) if flow else float(finite[-1]))
        return labels, values

    def refresh(self) -> None:
        """Redraw the bars for the picked metric."""
        metric = self.metric_box.currentData()
        if metric is None:
            return
        if metric.startswith("kpi:"):
            label = self._kpi_labels[metric[4:]]
            self.note.setText("last 12 months")
            for level, plot in self.plots.items():
                labels, values = self.values(level, metric)
                draw_bars(plot, labels, values, unit="percent")
                plot.setTitle(f"{label} by {level} (last 12 months)", size="11pt")
            return
        flow = metric_info(metric).kind == "flow"
        self.note.setText("last 12 months" if flow else "latest period")
        unit = "money" if metric_info(metric).unit == "money" else "number"
        for level, plot in self.plots.items():
            labels, values = self.values(level, metric)
            draw_bars(plot, labels, values, unit=unit)
            what = "last 12 months" if flow else "latest"
            plot.setTitle(f"{fmt.metric_label(metric)} by {level} ({what})", size="11pt")
