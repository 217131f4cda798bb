"""Opening data in the window: the file dialog, the sample, recent files, drag and drop, and the
column review before a run. Mixed into :class:`~cfodesk.gui.main_window.MainWindow`."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QFileDialog

from ..config import ReportConfig
from ..paths import sample_data_path
from .run_options import save_mapping, saved_mapping
from .worker import FunctionTask

__all__ = ["OpenDataMixin", "DATA_FILTER", "DATA_SUFFIXES", "WINDOW_FORMATS"]

DATA_FILTER = "Finance data (*.csv *.txt *.tsv *.xlsx *.xlsm *.xls);;All files (*)"
DATA_SUFFIXES = {".csv", ".txt", ".tsv", ".xlsx", ".xlsm", ".xls"}
#: What each window run writes, so History can re-open it; Export writes the rest.
WINDOW_FORMATS = ("json", "csv")


class OpenDataMixin:
    """The window's ways to choose the data of the next run (needs MainWindow's attributes)."""

    sources: list[Path]
    mapping: dict[str, str]

    # -- opening data ---------------------------------------------------------------------------
    def levels(self) -> list[str]:
        """Give the levels ticked in Options."""
        return self.options.levels()

    def config(self) -> ReportConfig:
        """Give the options of the next run."""
        return ReportConfig(
            horizon=self.horizon.value(),
            levels=tuple(self.levels()),
            formats=WINDOW_FORMATS,
            mapping=dict(self.mapping),
        )

    def choose_files(self) -> None:
        """Ask for data files and open them."""
        start = self.recent_files()[0][0] if self.recent_files() else str(Path.home())
        names, _ = QFileDialog.getOpenFileNames(
            self, "Open finance data", str(Path(start).parent), DATA_FILTER
        )
        if names:
            self.open_files([Path(n) for n in names], review=True)

    def open_sample(self) -> None:
        """Open the bundled sample and run it (its columns need no review)."""
        self.set_sources([sample_data_path()], {})
        self.start_run()

    def set_sources(self, paths: Sequence[Path], mapping: dict[str, str]) -> None:
        """Make ``paths`` the data of the next run, with the user's column choices."""
        self.sources = [Path(p) for p in paths]
        self.mapping = dict(mapping)
        names = ", ".join(p.name for p in self.sources)
        extra = f" · {len(self.mapping)} column choices" if self.mapping else ""
        self.files_label.setText(f"{names}{extra}")
        self.files_label.setToolTip("\n".join(str(p) for p in self.sources))
        self.review_button.setEnabled(bool(self.sources))
        self._set_idle(True)

    def open_files(self, paths: Sequence[Path], review: bool = True) -> None:
        """Open data files: read their headers, let the user review the columns, then run."""
        paths = [Path(p) for p in paths]
        if not paths:
            return
        if not review:
            self.set_sources(paths, self.mapping)
            self.start_run()
            return
        self.statusBar().showMessage("Reading column headers…")

        from .mapping_dialog import propose_columns

        def propose(token: Any) -> tuple[Any, str]:
            return propose_columns(paths, token)

        task = FunctionTask(propose)
        self._pending_paths = paths
        # Bound methods of the window, never lambdas: Qt then runs them on the GUI thread.
        task.finished.connect(self._review)
        task.failed.connect(self.show_error)
        self._start_task(task)

    def _review(self, result: tuple[Any, str]) -> None:
        from .mapping_dialog import MappingDialog

        paths = self._pending_paths
        proposals, signature = result

        self.statusBar().showMessage("Review how the columns were understood", 4000)
        remembered = saved_mapping(self.settings, signature)
        dialog = MappingDialog(proposals, remembered, parent=self)
        self.mapping_dialog = dialog

        def accepted() -> None:
            overrides = dialog.overrides()
            save_mapping(self.settings, signature, overrides)
            self._remember(paths)
            self.set_sources(paths, overrides)
            self.start_run()

        dialog.accepted.connect(accepted)
        dialog.open()

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802 - Qt name
        if _dropped_files(event):
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802 - Qt name
        files = _dropped_files(event)
        if files:
            event.acceptProposedAction()
            self.open_files(files, review=True)


def _dropped_files(event: QDragEnterEvent | QDropEvent) -> list[Path]:
    mime = event.mimeData()
    if not mime.hasUrls():
        return []
    paths = [Path(u.toLocalFile()) for u in mime.urls() if u.isLocalFile()]
    return [p for p in paths if p.suffix.lower() in DATA_SUFFIXES]
