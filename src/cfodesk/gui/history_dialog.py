"""The run history: past runs, the replay of a run's progress, and re-opening its report."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ..progress import format_duration
from .charts import draw_timeline, make_plot
from .report_data import ReportData

__all__ = ["HistoryDialog", "STATE_TEXT"]

STATE_TEXT = {
    "done": "✓ Done",
    "failed": "✗ Failed",
    "cancelled": "■ Cancelled",
    "interrupted": "⚠ Interrupted",
    "running": "▶ Running",
}


def _when(iso: str | None) -> str:
    if not iso:
        return ""
    try:
        return datetime.fromisoformat(iso).strftime("%d %b %Y %H:%M")
    except ValueError:
        return iso


class HistoryDialog(QDialog):
    """Lists past runs; emits ``report_opened(ReportData, timeline)`` to show one in the window."""

    report_opened = Signal(object, object)

    def __init__(self, store: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Run history")
        self.resize(1000, 620)
        self.store = store
        self.runs: list[Any] = []
        self.table = QTableWidget(0, 5)
        self.table.setHorizontalHeaderLabels(["Started", "Files", "State", "Duration", "Note"])
        self.table.verticalHeader().setVisible(False)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.itemSelectionChanged.connect(self._on_select)
        self.table.itemDoubleClicked.connect(lambda _item: self.open_selected())
        self.plot = make_plot("fraction")
        self.plot.setTitle("Progress replay of the selected run", size="10pt")
        self.detail = QLabel("Select a run to replay its progress.")
        self.detail.setObjectName("muted")
        self.detail.setWordWrap(True)
        self.open_button = QPushButton("Open report")
        self.open_button.setObjectName("primary")
        self.open_button.setEnabled(False)
        self.open_button.clicked.connect(self.open_selected)
        self.delete_button = QPushButton("Delete from history")
        self.delete_button.setEnabled(False)
        self.delete_button.clicked.connect(self.delete_selected)
        close = QPushButton("Close")
        close.clicked.connect(self.close)
        buttons = QHBoxLayout()
        buttons.addWidget(self.delete_button)
        buttons.addStretch(1)
        buttons.addWidget(self.open_button)
        buttons.addWidget(close)
        lower = QWidget()
        lower_layout = QVBoxLayout(lower)
        lower_layout.setContentsMargins(0, 0, 0, 0)
        lower_layout.addWidget(self.plot, 1)
        lower_layout.addWidget(self.detail)
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(self.table)
        split.addWidget(lower)
        split.setSizes([300, 300])
        layout = QVBoxLayout(self)
        layout.addWidget(split, 1)
        layout.addLayout(buttons)
        self.refresh()

    def refresh(self) -> None:
        """Reload the list of runs, newest first."""
        self.runs = list(self.store.list_runs(limit=200))
        self.table.setRowCount(len(self.runs))
        for row, run in enumerate(self.runs):
            files = ", ".join(Path(p).name for p in run.inputs)
            cells = [
                _when(run.started_at),
                files,
                STATE_TEXT.get(run.state, run.state),
                format_duration(run.duration_s) if run.duration_s is not None else "",
                run.error or "",
            ]
            for col, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if col == 1:
                    item.setToolTip("\n".join(run.inputs))
                if col == 4 and run.error:
                    item.setToolTip(run.error)
                self.table.setItem(row, col, item)

    def selected(self) -> Any | None:
        """Give the selected run record."""
        rows = {i.row() for i in self.table.selectedIndexes()}
        return self.runs[min(rows)] if rows else None

    def _on_select(self) -> None:
        run = self.selected()
        self.delete_button.setEnabled(run is not None)
        can_open = run is not None and bool(run.output_dir) and Path(run.output_dir).exists()
        self.open_button.setEnabled(can_open)
        if run is None:
            return
        points = self.timeline(run.run_id)
        draw_timeline(self.plot, points)
        stages = ", ".join(
            f"{s} {format_duration(d)}" for s, d in (run.stage_durations or {}).items()
        )
        where = run.output_dir or "no report folder (the run did not finish)"
        self.detail.setText(
            f"Run {run.run_id} · {len(points)} progress events · {where}"
            + (f"\n{stages}" if stages else "")
        )

    def timeline(self, run_id: str) -> list[tuple[float, float, str]]:
        """Give a past run's progress as (seconds, fraction, stage) points."""
        return [(float(e.t), float(e.fraction), str(e.stage)) for e in self.store.events(run_id)]

    def open_selected(self) -> None:
        """Re-open the selected run's report from its folder."""
        run = self.selected()
        if run is None or not run.output_dir:
            return
        from ..export import load_report

        try:
            loaded = load_report(run.output_dir)
            data = ReportData.from_loaded(loaded, run.output_dir)
        except Exception as exc:  # noqa: BLE001 - a folder moved or edited by hand
            self.detail.setText(f"This report cannot be opened: {exc}")
            return
        if not data.stage_durations and run.stage_durations:
            data.stage_durations = dict(run.stage_durations)
        self.report_opened.emit(data, self.timeline(run.run_id))
        self.close()

    def delete_selected(self) -> None:
        """Remove the selected run from the history (its report folder stays)."""
        run = self.selected()
        if run is None:
            return
        self.store.delete_run(run.run_id)
        self.refresh()
