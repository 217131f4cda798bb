"""The main window: open data, review its columns, run with live progress, read the report."""

from __future__ import annotations

import gc
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QByteArray, Qt, QThread, QTimer, Signal
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import (
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QMessageBox,
    QPushButton,
    QSplitter,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from ..errors import CfoDeskError
from ..paths import user_data_dir
from ..pipeline import planned_stages
from .open_data import DATA_FILTER, WINDOW_FORMATS, OpenDataMixin
from .progress_panel import ProgressPanel
from .report_data import ReportData
from .report_view import ReportView, empty_state, scenarios_available
from .run_options import RunOptions
from .theme import APP_TITLE, app_settings
from .window_menus import WindowMenusMixin
from .worker import BackgroundTask, ReportWorker, disconnect_task, start_in_thread

__all__ = ["MainWindow", "DATA_FILTER", "WINDOW_FORMATS"]


def _default_history() -> Any:
    from ..history import HistoryStore

    return HistoryStore()


def _new_run_id() -> str:
    from ..pipeline import new_run_id

    return new_run_id()


class MainWindow(OpenDataMixin, WindowMenusMixin, QMainWindow):
    """CFO Desk's window. ``run_fn`` and ``history_factory`` can be swapped for tests."""

    run_started = Signal(str)  # run id
    run_ended = Signal(str)  # done, failed or cancelled: the window is idle again
    progress_shown = Signal(object)  # each ProgressEvent, re-emitted on the GUI thread

    def __init__(
        self,
        run_fn: Callable[..., Any] | None = None,
        history_factory: Callable[[], Any] | None = _default_history,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(APP_TITLE)
        self.setAcceptDrops(True)
        self.settings = app_settings()
        self.run_fn = run_fn
        self.history_factory = history_factory
        self.sources: list[Path] = []
        self.mapping: dict[str, str] = {}
        self.worker: ReportWorker | None = None
        self.report_data: ReportData | None = None
        self.report_view: ReportView | None = None
        self.last_error: tuple[str, str] | None = None
        self.error_box: QMessageBox | None = None
        self.mapping_dialog: Any = None
        self._threads: list[tuple[QThread, BackgroundTask]] = []
        self._out_dir: Path | None = None
        self._pending_paths: list[Path] = []
        self._finished_report: Any = None
        self._finished_data: ReportData | None = None
        self._build()
        self._restore()
        self._warm_up()

    # -- layout -------------------------------------------------------------------------------
    def _build(self) -> None:
        self.files_label = QLabel("No data opened yet")
        self.files_label.setWordWrap(True)
        self.files_label.setObjectName("muted")
        open_button = QPushButton("Open files…")
        open_button.clicked.connect(self.choose_files)
        sample_button = QPushButton("Open sample data")
        sample_button.clicked.connect(self.open_sample)
        self.review_button = QPushButton("Review columns…")
        self.review_button.setEnabled(False)
        self.review_button.clicked.connect(lambda: self.open_files(self.sources, review=True))
        data_box = QGroupBox("Data")
        data_layout = QVBoxLayout(data_box)
        data_layout.addWidget(self.files_label)
        buttons = QHBoxLayout()
        buttons.addWidget(open_button)
        buttons.addWidget(sample_button)
        data_layout.addLayout(buttons)
        data_layout.addWidget(self.review_button)
        data_layout.addWidget(_hint("Tip: drop CSV or Excel files anywhere on the window."))

        options = RunOptions()
        self.options = options
        self.horizon, self.level_boxes = options.horizon, options.level_boxes

        self.run_button = QPushButton("Run report")
        self.run_button.setObjectName("primary")
        self.run_button.setToolTip("Run the report on the opened data (Ctrl+R)")
        self.run_button.setEnabled(False)
        self.run_button.clicked.connect(self.start_run)
        self.panel = ProgressPanel()
        self.panel.cancel_requested.connect(self.cancel_run)
        self.panel.percent_changed.connect(self._show_percent)

        side = QWidget()
        side.setMinimumWidth(300)
        side.setMaximumWidth(380)
        side_layout = QVBoxLayout(side)
        side_layout.setContentsMargins(8, 8, 4, 8)
        side_layout.addWidget(data_box)
        side_layout.addWidget(options)
        side_layout.addWidget(self.run_button)
        side_layout.addWidget(self.panel, 1)

        self.stack = QStackedWidget()
        self.placeholder = empty_state(
            "Open a CSV or Excel export (File ▸ Open, or drop it here),\n"
            "or use the sample data, then press Run report."
        )
        self.stack.addWidget(self.placeholder)
        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(side)
        split.addWidget(self.stack)
        split.setStretchFactor(1, 1)
        split.setSizes([320, 960])
        self.setCentralWidget(split)
        self._build_menus()
        self.statusBar().showMessage("Ready")

    def _warm_up(self) -> None:
        # Import now, before the window shows, what a run needs on the GUI thread later (the
        # run id, the Scenarios tab): not in the middle of a run or of showing its report.
        _new_run_id()
        scenarios_available()
        # Everything loaded so far (Qt, pyqtgraph, pandas) lives as long as the app: keep it out
        # of the collector's full passes, which otherwise pause the window for ~100 ms.
        gc.freeze()

    # -- settings -------------------------------------------------------------------------------
    def _restore(self) -> None:
        geometry = self.settings.value("window/geometry")
        if isinstance(geometry, QByteArray) and not geometry.isEmpty():
            self.restoreGeometry(geometry)
        else:
            self.resize(1280, 800)
        self.options.restore(self.settings)

    def _save(self) -> None:
        self.settings.setValue("window/geometry", self.saveGeometry())
        self.options.save(self.settings)
        self.settings.sync()

    # -- running ----------------------------------------------------------------------------------
    @property
    def running(self) -> bool:
        """True while a report run is going on."""
        return self.worker is not None

    def start_run(self) -> None:
        """Run the report on the opened data in the background."""
        if not self.sources:
            self.statusBar().showMessage("Open some data first (Ctrl+O)", 4000)
            return
        try:
            config = self.config()
        except CfoDeskError as exc:
            self.show_error(str(exc), "")
            return
        if self.worker is not None:  # replaced: its late signals must not reach this window
            disconnect_task(self.worker)
            self.worker.cancel()
        run_id = _new_run_id()
        reports = user_data_dir() / "reports"
        reports.mkdir(parents=True, exist_ok=True)
        self._out_dir = reports / run_id
        worker = ReportWorker(
            self.sources,
            config,
            out_dir=self._out_dir,
            run_id=run_id,
            run_fn=self.run_fn,
            history_factory=self.history_factory,
        )
        worker.progress.connect(self._on_progress)
        worker.finished.connect(self._on_finished)
        worker.failed.connect(self._on_failed)
        worker.cancelled.connect(self._on_cancelled)
        self.worker = worker
        self.panel.start(
            f"Starting on {', '.join(p.name for p in self.sources)}…",
            planned_stages(config, writes=True),
        )
        self._set_idle(False)
        self.statusBar().showMessage(f"Running report {run_id}")
        self._start_task(worker)
        self.run_started.emit(run_id)

    def _on_progress(self, event: Any) -> None:
        self.panel.on_event(event)
        self.progress_shown.emit(event)

    def cancel_run(self) -> None:
        """Ask the running report to stop (takes effect within half a second)."""
        if self.worker is None or self.worker.token.cancelled:
            return
        self.worker.cancel()
        self.panel.cancelling()
        self.cancel_action.setEnabled(False)

    def _start_task(self, task: BackgroundTask) -> None:
        thread = start_in_thread(task)
        self._threads.append((thread, task))
        thread.finished.connect(self._reap_threads)

    def _reap_threads(self) -> None:
        self._threads = [(t, task) for t, task in self._threads if not t.isFinished()]

    def _on_finished(self, report: Any) -> None:
        # Three short slices, each its own event, so the window never freezes on a big report.
        self.worker = None
        self.panel.stop("done", "Report ready · preparing the views…")
        self.panel.show_durations(dict(report.stage_durations))
        self._finished_report = report
        QTimer.singleShot(0, self._prepare_views)

    def _prepare_views(self) -> None:
        report = self._finished_report
        out_dir = str(self._out_dir) if self._out_dir and self._out_dir.exists() else None
        self._finished_data = ReportData.from_report(report, out_dir)
        QTimer.singleShot(0, self._show_finished)

    def _show_finished(self) -> None:
        report, data = self._finished_report, self._finished_data
        self._finished_report = self._finished_data = None
        self.show_report(data, self.panel.timeline.points)
        self.panel.stage_label.setText("Report ready")
        self._set_idle(True)
        self.statusBar().showMessage(f"Report ready · {len(report.panel)} series", 8000)
        self.run_ended.emit("done")

    def _on_failed(self, message: str, details: str) -> None:
        self.worker = None
        self.panel.stop("failed", "The run failed")
        self._set_idle(True)
        self.show_error(message, details)
        self.run_ended.emit("failed")

    def _on_cancelled(self) -> None:
        self.worker = None
        self.panel.stop("cancelled", "Cancelled · nothing was written")
        self._set_idle(True)
        self.statusBar().showMessage("Run cancelled", 5000)
        self.run_ended.emit("cancelled")

    def _set_idle(self, idle: bool) -> None:
        can_run = idle and bool(self.sources)
        self.run_button.setEnabled(can_run)
        self.run_action.setEnabled(can_run)
        self.cancel_action.setEnabled(not idle)
        self.export_action.setEnabled(
            idle and self.report_data is not None and self.report_data.report is not None
        )

    def _show_percent(self, percent: int) -> None:
        self.setWindowTitle(APP_TITLE if percent < 0 else f"{percent}% · {APP_TITLE}")

    def show_error(self, message: str, details: str) -> None:
        """Tell the user what went wrong (details expandable); the window stays usable."""
        self.last_error = (message, details)
        self.statusBar().showMessage(message.splitlines()[0] if message else "Error", 8000)
        box = QMessageBox(
            QMessageBox.Icon.Warning, "CFO Desk", message, QMessageBox.StandardButton.Ok, self
        )
        box.setInformativeText(
            "Fix the file or the options and run again."
            if not details
            else "This looks like a bug in CFO Desk."
        )
        if details:
            box.setDetailedText(details)
        self.error_box = box
        box.open()

    # -- the report -----------------------------------------------------------------------------
    def show_report(self, data: ReportData, timeline: list[tuple[float, float, str]]) -> None:
        """Show a report (from a run just done or re-opened from history)."""
        old = self.report_view
        self.report_data = data
        self.report_view = ReportView(data, timeline, build_now=False)
        self.stack.addWidget(self.report_view)
        self.stack.setCurrentWidget(self.report_view)
        if old is not None:
            self.stack.removeWidget(old)
            old.deleteLater()
        self._set_idle(self.worker is None)

    def export_report(self) -> None:
        """Write the shown report in other formats (Excel, HTML, PDF) to a folder."""
        from .export_dialog import ExportDialog

        if self.report_data is None or self.report_data.report is None:
            return
        dialog = ExportDialog(self.report_data.report, self._start_task, parent=self)
        dialog.open()

    def show_history(self) -> None:
        """Open the run history."""
        from .history_dialog import HistoryDialog

        if self.history_factory is None:
            return
        dialog = HistoryDialog(self.history_factory(), parent=self)
        dialog.report_opened.connect(self.show_report)
        self.history_dialog = dialog
        dialog.show()

    # -- closing ----------------------------------------------------------------------------------
    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt name
        self._save()
        if self.worker is not None:
            disconnect_task(self.worker)
            self.worker.cancel()
        for thread, task in list(self._threads):
            task.cancel()
            thread.quit()
            thread.wait(5000)
        super().closeEvent(event)


def _hint(text: str) -> QLabel:
    label = QLabel(text)
    label.setObjectName("muted")
    label.setWordWrap(True)
    return label
