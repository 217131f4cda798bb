"""A sortable table model over a DataFrame: raw values stay in the frame, people see formatted text."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QColor

__all__ = ["Column", "FrameTableModel"]

Index = QModelIndex | QPersistentModelIndex


@dataclass(frozen=True)
class Column:
    """One shown column: frame key, header, how to format a value, alignment."""

    key: str
    header: str
    format: Callable[[Any, pd.Series], str] | None = None
    numeric: bool = False
    tooltip_key: str | None = None


_SEVERITY_COLORS = {
    "high": "#fde2e1",
    "medium": "#fdf1d8",
    "warning": "#fdf1d8",
    "error": "#fde2e1",
}


class FrameTableModel(QAbstractTableModel):
    """Rows of a DataFrame shown through :class:`Column` s; sorting reorders the frame."""

    def __init__(
        self, frame: pd.DataFrame | None = None, columns: Sequence[Column] = (), parent: Any = None
    ) -> None:
        super().__init__(parent)
        self._columns = list(columns)
        self._frame = pd.DataFrame() if frame is None else frame.reset_index(drop=True)

    # -- data -------------------------------------------------------------------------------
    def set_frame(self, frame: pd.DataFrame) -> None:
        """Replace the rows."""
        self.beginResetModel()
        self._frame = frame.reset_index(drop=True)
        self.endResetModel()

    @property
    def frame(self) -> pd.DataFrame:
        """The rows in their shown order."""
        return self._frame

    def record(self, row: int) -> pd.Series:
        """Give the raw values of a shown row."""
        return self._frame.iloc[row]

    # -- Qt model ---------------------------------------------------------------------------
    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._frame)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._columns)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return self._columns[section].header
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        column = self._columns[index.column()]
        row = self._frame.iloc[index.row()]
        value = row.get(column.key)
        if role == Qt.ItemDataRole.DisplayRole:
            if column.format is not None:
                return column.format(value, row)
            if value is None or (isinstance(value, float) and np.isnan(value)):
                return ""
            return str(value)
        if role == Qt.ItemDataRole.TextAlignmentRole:
            horizontal = (
                Qt.AlignmentFlag.AlignRight if column.numeric else Qt.AlignmentFlag.AlignLeft
            )
            return int(horizontal | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.ToolTipRole:
            key = column.tooltip_key or column.key
            tip = row.get(key)
            return None if tip is None else str(tip)
        if role == Qt.ItemDataRole.BackgroundRole and "severity" in row.index:
            color = _SEVERITY_COLORS.get(str(row["severity"]).lower())
            return QColor(color) if color else None
        return None

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        if not 0 <= column < len(self._columns):
            return  # no sorted column (the rows keep the order they were given in)
        key = self._columns[column].key
        if key not in self._frame.columns:
            return
        self.layoutAboutToBeChanged.emit()
        self._frame = self._frame.sort_values(
            key,
            ascending=order == Qt.SortOrder.AscendingOrder,
            na_position="last",
            kind="stable",
            key=_sort_key,
        ).reset_index(drop=True)
        self.layoutChanged.emit()


def _sort_key(values: pd.Series) -> pd.Series:
    # Severity reads best in its own order, not alphabetically.
    if values.name == "severity":
        rank = {"high": 0, "error": 0, "medium": 1, "warning": 1, "low": 2, "info": 2}
        return values.astype(str).str.lower().map(rank).fillna(3)
    # A score reads as strength: a dip of -8 stands out more than a spike of +5.
    if values.name == "score" and values.dtype != object:
        return values.abs()
    if values.dtype == object:
        return values.astype(str).str.lower()
    return values
