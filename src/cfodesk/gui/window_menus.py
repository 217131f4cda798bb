"""The window's menu bar: the File, Report and View actions with their shortcuts, and the
Open recent submenu fed by the file sets the window remembers. Mixed into
:class:`~cfodesk.gui.main_window.MainWindow`.

The seam: the menus own no state of their own beyond the actions they make; they only name the
window's slots (open, run, cancel, export, history). The recent-files list lives here because it
is the one part of the menu bar that changes while the window is open.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QWidget

from .run_options import recent_files, remember_files

__all__ = ["WindowMenusMixin"]


class WindowMenusMixin:
    """The window's menu bar and recent files (needs MainWindow's attributes and slots)."""

    sources: list[Path]

    def _build_menus(self) -> None:
        bar = self.menuBar()
        file_menu = bar.addMenu("&File")
        self.open_action = _action(self, "&Open…", self.choose_files, QKeySequence.StandardKey.Open)
        file_menu.addAction(self.open_action)
        file_menu.addAction(_action(self, "Open &sample data", self.open_sample))
        self.recent_menu = file_menu.addMenu("Open &recent")
        file_menu.addSeparator()
        self.export_action = _action(
            self, "&Export report…", self.export_report, QKeySequence("Ctrl+E")
        )
        self.export_action.setEnabled(False)
        file_menu.addAction(self.export_action)
        file_menu.addSeparator()
        file_menu.addAction(_action(self, "&Quit", self.close, QKeySequence.StandardKey.Quit))
        report_menu = bar.addMenu("&Report")
        self.run_action = _action(self, "&Run", self.start_run, QKeySequence("Ctrl+R"))
        self.cancel_action = _action(
            self, "&Cancel run", self.cancel_run, QKeySequence(Qt.Key.Key_Escape)
        )
        self.cancel_action.setEnabled(False)
        report_menu.addAction(self.run_action)
        report_menu.addAction(self.cancel_action)
        report_menu.addAction(
            _action(self, "Review &columns…", lambda: self.open_files(self.sources, review=True))
        )
        view_menu = bar.addMenu("&View")
        self.history_action = _action(
            self, "Run &history…", self.show_history, QKeySequence("Ctrl+H")
        )
        view_menu.addAction(self.history_action)
        self._refresh_recent()

    # -- recent files ---------------------------------------------------------------------------
    def recent_files(self) -> list[list[str]]:
        """Give the recently opened file sets, newest first."""
        return recent_files(self.settings)

    def _remember(self, paths: Sequence[Path]) -> None:
        remember_files(self.settings, paths)
        self._refresh_recent()

    def _refresh_recent(self) -> None:
        self.recent_menu.clear()
        recent = self.recent_files()
        for entry in recent:
            names = ", ".join(Path(p).name for p in entry)
            action = self.recent_menu.addAction(names)
            action.setToolTip("\n".join(entry))
            action.triggered.connect(
                lambda _=False, e=entry: self.open_files([Path(p) for p in e], review=True)
            )
        self.recent_menu.setEnabled(bool(recent))


def _action(
    parent: QWidget,
    text: str,
    slot: Callable[[], Any],
    shortcut: QKeySequence | QKeySequence.StandardKey | None = None,
) -> QAction:
    action = QAction(text, parent)
    if shortcut is not None:
        action.setShortcut(shortcut)
    action.triggered.connect(lambda _=False: slot())
    return action
