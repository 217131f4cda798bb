"""The table-led tabs: Anomalies, Correlations (heatmap + sentences), Data quality, This run."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from PySide6.QtCore import QItemSelection, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from ..progress import STAGE_LABELS, format_duration
from . import fmt
from .charts import ValueAxis, draw_hbars, draw_heatmap, draw_timeline, make_plot
from .report_data import ReportData
from .table_model import Column, FrameTableModel

__all__ = ["AnomaliesView", "CorrelationsView", "QualityView", "RunView", "make_table"]


def make_table(model: FrameTableModel) -> QTableView:
    """Give a sortable, read-only, row-selecting table over ``model``."""
    view = QTableView()
    view.setModel(model)
    view.setSortingEnabled(True)
    view.setAlternatingRowColors(True)
    view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    view.verticalHeader().setVisible(False)
    view.horizontalHeader().setStretchLastSection(True)
    view.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
    return view


def _value(value: Any, row: pd.Series) -> str:
    return fmt.metric_value(str(row.get("metric", "")), value)


def _segment(value: Any, row: pd.Series) -> str:
    return "Company" if value == "total" else str(value)


def _linked_mask(frame: pd.DataFrame) -> pd.Series:
    """Give True for the anomalies that point to another one."""
    if "linked_to" not in frame.columns:
        return pd.Series(False, index=frame.index)
    return frame["linked_to"].notna() & (frame["linked_to"].astype(str) != "")


def _owners(frame: pd.DataFrame, frequency: str) -> dict[str, str]:
    """Give {anomaly id: 'Revenue · Latin America, Aug 2022'} for the 'Part of' column."""
    if "id" not in frame.columns:
        return {}
    return {
        str(row["id"]): f"{fmt.metric_label(str(row['metric']))} · "
        f"{_segment(row['segment'], row)}, {fmt.period(row['date'], frequency)}"
        for _, row in frame.iterrows()
    }


class AnomaliesView(QWidget):
    """Every anomaly, sortable; picking one emits ``series_picked(level, segment, metric, row)``.

    Rows come in the report's order (severity, then the broadest level, then the largest move).
    Anomalies that are part of another (a segment's share of its parent's, or a balance echoing
    a flow) are hidden until asked for, with a column saying what they belong to.
    """

    series_picked = Signal(str, str, str, object)

    def __init__(self, data: ReportData, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._all = data.anomalies.reset_index(drop=True)
        linked = _linked_mask(self._all)
        self._independent = self._all[~linked]
        columns = [
            Column("date", "Period", lambda v, r: fmt.period(v, data.frequency)),
            Column("metric", "Metric", lambda v, r: fmt.metric_label(str(v))),
            Column("segment", "Segment", _segment),
            Column("value", "Actual", _value, numeric=True),
            Column("expected", "Expected", _value, numeric=True),
            Column("severity", "Severity"),
            Column("score", "Score", lambda v, r: fmt.number(v, 1), numeric=True),
            Column("reason", "Why it stands out", tooltip_key="reason"),
        ]
        if linked.any():
            owners = _owners(self._all, data.frequency)
            columns.insert(-1, Column("linked_to", "Part of", lambda v, r: owners.get(v, "")))
        if not self._all.empty:
            columns = [c for c in columns if c.key in self._all.columns]
        self.model = FrameTableModel(self._independent, columns)
        self.table = make_table(self.model)
        # Keep the report's order until the reader sorts (no column is sorted yet).
        self.table.horizontalHeader().setSortIndicator(-1, Qt.SortOrder.AscendingOrder)
        self.model.set_frame(self._independent)
        widths = {
            "date": 84,
            "metric": 130,
            "segment": 190,
            "value": 80,
            "expected": 80,
            "severity": 70,
            "score": 56,
            "linked_to": 190,
        }
        for i, column in enumerate(columns):
            if column.key in widths:
                self.table.setColumnWidth(i, widths[column.key])
        keys = [c.key for c in columns]
        self._part_of = keys.index("linked_to") if "linked_to" in keys else None
        if self._part_of is not None:  # empty for independent events: shown with the linked
            self.table.setColumnHidden(self._part_of, True)
        self.table.selectionModel().selectionChanged.connect(self._on_selection)
        total, own = len(self._all), len(self._independent)
        if not total:
            text = "No anomaly stands out in this data."
        elif own == total:
            text = f"{total} anomalies found. Select one to see it on the Forecasts chart."
        else:
            text = (
                f"{total} anomalies found: {own} independent events, shown first. "
                "Select one to see it on the Forecasts chart."
            )
        summary = QLabel(text)
        summary.setObjectName("muted")
        self.show_linked = QCheckBox(
            f"Also show the {total - own} that are part of another (a segment's share, "
            "a balance echoing a flow)"
        )
        self.show_linked.setVisible(own < total)
        self.show_linked.toggled.connect(self._on_show_linked)
        layout = QVBoxLayout(self)
        layout.addWidget(summary)
        layout.addWidget(self.show_linked)
        layout.addWidget(self.table, 1)

    def _on_show_linked(self, shown: bool) -> None:
        self.model.set_frame(self._all if shown else self._independent)
        if self._part_of is not None:
            self.table.setColumnHidden(self._part_of, not shown)
        header = self.table.horizontalHeader()
        if header.sortIndicatorSection() >= 0:
            self.model.sort(header.sortIndicatorSection(), header.sortIndicatorOrder())

    def _on_selection(self, selected: QItemSelection, _deselected: QItemSelection) -> None:
        rows = {i.row() for i in selected.indexes()}
        if not rows:
            return
        record = self.model.record(min(rows))
        self.series_picked.emit(
            str(record["level"]), str(record["segment"]), str(record["metric"]), record
        )


class CorrelationsView(QWidget):
    """How metrics move together: a heatmap per segment and the plain-language findings."""

    def __init__(self, data: ReportData, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.data = data
        frame = data.correlations
        self.segment_box = QComboBox()
        if not frame.empty:
            pairs = frame[["level", "segment"]].drop_duplicates().itertuples(index=False)
            for level, segment in pairs:
                self.segment_box.addItem(
                    "Company" if level == "total" else str(segment), f"{level}\x1f{segment}"
                )
        self.plot = make_plot("number", categories="left")
        self.plot.setMinimumHeight(320)
        columns = [
            Column("metric_a", "Metric", lambda v, r: fmt.metric_label(str(v))),
            Column("metric_b", "With", lambda v, r: fmt.metric_label(str(v))),
            Column("segment", "Segment", _segment),
            Column("correlation", "Correlation", lambda v, r: f"{float(v):+.2f}", numeric=True),
            Column("lag", "Lag (periods)", lambda v, r: fmt.number(v), numeric=True),
            Column("sentence", "What it means", tooltip_key="sentence"),
        ]
        if not frame.empty:
            columns = [c for c in columns if c.key in frame.columns]
        self.model = FrameTableModel(frame, columns)
        self.table = make_table(self.model)
        top = QHBoxLayout()
        top.addWidget(QLabel("Segment"))
        top.addWidget(self.segment_box)
        top.addStretch(1)
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(self.plot)
        split.addWidget(self.table)
        split.setSizes([400, 220])
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        if frame.empty:
            layout.addWidget(QLabel("No correlations were computed for this data."))
        layout.addWidget(split, 1)
        self.segment_box.currentIndexChanged.connect(self.refresh)
        self.refresh()

    def matrix(self, level: str, segment: str) -> tuple[list[str], np.ndarray]:
        """Give the metric names and their same-period correlation matrix for one segment."""
        frame = self.data.correlations
        rows = frame[(frame["level"] == level) & (frame["segment"] == segment)]
        if "lag" in rows.columns and (rows["lag"] == 0).any():
            rows = rows[rows["lag"] == 0]
        names = list(dict.fromkeys([*rows["metric_a"], *rows["metric_b"]]))
        index = {n: i for i, n in enumerate(names)}
        matrix = np.full((len(names), len(names)), np.nan)
        np.fill_diagonal(matrix, 1.0)
        for a, b, r in zip(rows["metric_a"], rows["metric_b"], rows["correlation"]):
            matrix[index[a], index[b]] = matrix[index[b], index[a]] = float(r)
        return names, matrix

    def refresh(self) -> None:
        """Redraw the heatmap and filter the findings to the picked segment."""
        picked = self.segment_box.currentData()
        if picked is None:
            return
        picked = tuple(str(picked).split("\x1f", 1))
        names, matrix = self.matrix(*picked)
        draw_heatmap(self.plot, names, matrix)
        self.plot.setTitle(
            "Correlation of period values · blue: move together, red: opposite, blank: no clear link",
            size="10pt",
        )
        frame = self.data.correlations
        shown = frame[(frame["level"] == picked[0]) & (frame["segment"] == picked[1])]
        if "correlation" in shown:
            shown = shown.reindex(shown["correlation"].abs().sort_values(ascending=False).index)
        self.model.set_frame(shown)


class QualityView(QWidget):
    """Every repair and warning from reading and cleaning the data."""

    def __init__(self, data: ReportData, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        frame = pd.DataFrame(data.quality)
        if not frame.empty and "rows" in frame:
            frame["rows"] = frame["rows"].map(_rows_text)
        columns = [
            Column("severity", "Severity"),
            Column("message", "What was found or repaired", tooltip_key="message"),
            Column("file", "File", lambda v, r: "" if fmt.is_missing(v) else str(v).split("/")[-1]),
            Column("column", "Column"),
            Column("count", "How many", lambda v, r: fmt.number(v), numeric=True),
            Column("rows", "Rows"),
        ]
        if not frame.empty:
            columns = [c for c in columns if c.key in frame.columns]
        self.model = FrameTableModel(frame, columns)
        self.table = make_table(self.model)
        keys = [c.key for c in columns]
        if "message" in keys:
            self.table.setColumnWidth(keys.index("message"), 460)
        label = QLabel(
            f"{len(frame)} notes from reading and cleaning the data."
            if len(frame)
            else "The data needed no repair."
        )
        label.setObjectName("muted")
        layout = QVBoxLayout(self)
        layout.addWidget(label)
        layout.addWidget(self.table, 1)


def _rows_text(rows: Any) -> str:
    if rows is None or (isinstance(rows, float) and np.isnan(rows)):
        return ""
    items = list(rows)
    text = ", ".join(str(r) for r in items[:8])
    return text + (" …" if len(items) > 8 else "")


class RunView(QWidget):
    """How the run went: progress against time and how long each stage took."""

    def __init__(
        self,
        points: list[tuple[float, float, str]],
        durations: dict[str, float],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.timeline = make_plot("fraction")
        self.timeline.setTitle("Progress over time", size="11pt")
        draw_timeline(self.timeline, points)
        self.stages = make_plot("seconds", categories="left")
        self.stages.getPlotItem().setAxisItems(
            {"bottom": ValueAxis("seconds", orientation="bottom")}
        )
        self.stages.setTitle("Time per stage", size="11pt")
        stage_ids = [s for s, d in durations.items() if d is not None]
        labels = [STAGE_LABELS.get(s, s) for s in stage_ids]
        draw_hbars(self.stages, labels, [durations[s] for s in stage_ids], unit="seconds")
        total = sum(durations.values())
        text = ", ".join(
            f"{STAGE_LABELS.get(s, s)} {format_duration(durations[s])}" for s in stage_ids
        )
        summary = QLabel(
            f"Total {format_duration(total)} · {text}"
            if durations
            else "No stage timings were recorded for this run."
        )
        summary.setWordWrap(True)
        summary.setObjectName("muted")
        layout = QVBoxLayout(self)
        row = QHBoxLayout()
        row.addWidget(self.timeline, 3)
        row.addWidget(self.stages, 2)
        layout.addLayout(row, 1)
        layout.addWidget(summary)
