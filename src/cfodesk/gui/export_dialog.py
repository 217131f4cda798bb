"""Export the shown report to a folder in the formats people share (Excel, HTML, PDF...)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ..config import ALL_FORMATS
from ..model import Report
from .worker import BackgroundTask, FunctionTask

__all__ = ["ExportDialog"]

_FORMAT_TEXT = {
    "json": "report.json (data)",
    "csv": "CSV tables",
    "xlsx": "Excel workbook",
    "html": "HTML page",
    "pdf": "PDF document",
}


class ExportDialog(QDialog):
    """Pick a folder and formats; the export runs in the background with its own bar."""

    def __init__(
        self,
        report: Report,
        start_task: Callable[[BackgroundTask], None],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Export report")
        self.report = report
        self._start_task = start_task
        self.task: FunctionTask | None = None
        self.folder = QLineEdit(str(Path.home() / f"cfodesk-report-{report.run_id}"))
        browse = QPushButton("Choose…")
        browse.clicked.connect(self._browse)
        row = QHBoxLayout()
        row.addWidget(self.folder, 1)
        row.addWidget(browse)
        self.boxes = {f: QCheckBox(_FORMAT_TEXT[f]) for f in ALL_FORMATS}
        for fmt_id, box in self.boxes.items():
            box.setChecked(fmt_id in ("xlsx", "html", "pdf"))
        self.bar = QProgressBar()
        self.bar.setRange(0, 1000)
        self.bar.hide()
        self.status = QLabel("")
        self.status.setWordWrap(True)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.export_button = self.buttons.addButton(
            "Export", QDialogButtonBox.ButtonRole.AcceptRole
        )
        self.buttons.accepted.connect(self.start)
        self.buttons.rejected.connect(self._cancel)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel("Folder (created whole, or not at all)"))
        layout.addLayout(row)
        for box in self.boxes.values():
            layout.addWidget(box)
        layout.addWidget(self.bar)
        layout.addWidget(self.status)
        layout.addWidget(self.buttons)

    def _browse(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Export into", self.folder.text())
        if folder:
            self.folder.setText(str(Path(folder) / f"cfodesk-report-{self.report.run_id}"))

    def formats(self) -> tuple[str, ...]:
        """Give the ticked formats."""
        return tuple(f for f, box in self.boxes.items() if box.isChecked())

    def start(self) -> None:
        """Write the report in the background."""
        from ..export import export_report

        formats, out_dir, report = self.formats(), Path(self.folder.text()), self.report
        if not formats:
            self.status.setText("Tick at least one format.")
            return

        def work(token: Any) -> Path:
            return export_report(report, out_dir, formats=formats, on_progress=step, cancel=token)

        task = FunctionTask(work)

        def step(
            done: int, total: int, item: str | None = None, message: str | None = None
        ) -> None:
            task.progress.emit((done, total, item or message or ""))

        task.progress.connect(self._on_step)
        task.finished.connect(self._on_done)
        task.failed.connect(self._on_failed)
        task.cancelled.connect(self.reject)
        self.task = task
        self.export_button.setEnabled(False)
        self.bar.show()
        self.status.setText("Exporting…")
        self._start_task(task)

    def _on_step(self, step: tuple[int, int, str]) -> None:
        done, total, text = step
        self.bar.setValue(int(1000 * done / total) if total else 0)
        self.status.setText(text)

    def _on_done(self, folder: Path) -> None:
        self.bar.setValue(1000)
        self.status.setText(f"Written to {folder}")
        self.task = None
        self.buttons.clear()
        self.buttons.addButton(QDialogButtonBox.StandardButton.Close).clicked.connect(self.accept)

    def _on_failed(self, message: str, details: str) -> None:
        self.task = None
        self.export_button.setEnabled(True)
        self.bar.hide()
        self.status.setText(message + (f"\n\n{details}" if details else ""))

    def _cancel(self) -> None:
        if self.task is not None:
            self.task.cancel()
            self.status.setText("Cancelling…")
        else:
            self.reject()
