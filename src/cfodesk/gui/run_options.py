"""The run's options (forecast horizon, levels) and what the window remembers between sessions."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QCheckBox, QFormLayout, QGroupBox, QSpinBox, QVBoxLayout, QWidget

from ..config import ALL_LEVELS

__all__ = ["RunOptions", "recent_files", "remember_files", "saved_mapping", "save_mapping"]

MAX_RECENT = 8
LEVEL_TEXT = {
    "total": "Company",
    "region": "Regions",
    "department": "Departments",
    "region/department": "Region × department",
}


class RunOptions(QGroupBox):
    """Horizon and levels of the next run, kept as the user's defaults."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Options", parent)
        self.horizon = QSpinBox()
        self.horizon.setRange(1, 36)
        self.horizon.setValue(12)
        self.horizon.setSuffix(" periods")
        self.level_boxes: dict[str, QCheckBox] = {}
        levels = QVBoxLayout()
        for level in ALL_LEVELS:
            box = QCheckBox(LEVEL_TEXT[level])
            box.setChecked(True)
            if level == "total":
                box.setEnabled(False)  # the company total is always computed
            self.level_boxes[level] = box
            levels.addWidget(box)
        form = QFormLayout(self)
        form.addRow("Forecast horizon", self.horizon)
        form.addRow("Levels", levels)

    def levels(self) -> list[str]:
        """Give the ticked levels."""
        return [lv for lv, box in self.level_boxes.items() if box.isChecked()]

    def restore(self, settings: QSettings) -> None:
        """Take the user's saved defaults."""
        self.horizon.setValue(int(settings.value("defaults/horizon", 12)))
        stored = settings.value("defaults/levels")
        if stored:
            chosen = set(json.loads(str(stored)))
            for level, box in self.level_boxes.items():
                box.setChecked(level == "total" or level in chosen)

    def save(self, settings: QSettings) -> None:
        """Keep the current options as the defaults."""
        settings.setValue("defaults/horizon", self.horizon.value())
        settings.setValue("defaults/levels", json.dumps(self.levels()))


def recent_files(settings: QSettings) -> list[list[str]]:
    """Give the recently opened file sets, newest first."""
    raw = settings.value("recent/files", "[]")
    try:
        return [list(x) for x in json.loads(str(raw))]
    except (ValueError, TypeError):
        return []


def remember_files(settings: QSettings, paths: Sequence[Path]) -> None:
    """Put a file set first in the recent files."""
    entry = [str(p) for p in paths]
    recent = [r for r in recent_files(settings) if r != entry]
    recent.insert(0, entry)
    settings.setValue("recent/files", json.dumps(recent[:MAX_RECENT]))


def saved_mapping(settings: QSettings, signature: str) -> dict[str, str]:
    """Give the column choices made before for files with these headers."""
    raw = settings.value(f"mapping/{signature}")
    try:
        return dict(json.loads(str(raw))) if raw else {}
    except (ValueError, TypeError):
        return {}


def save_mapping(settings: QSettings, signature: str, overrides: dict[str, str]) -> None:
    """Remember the column choices for files with these headers."""
    settings.setValue(f"mapping/{signature}", json.dumps(overrides))
    settings.sync()
