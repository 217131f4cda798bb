"""The column review: how each column was understood, and the user's corrections before a run."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ..metrics import KNOWN_METRICS
from ..model import ColumnMapping
from ..progress import CancelToken
from . import fmt

__all__ = ["MappingDialog", "propose_columns", "target_of", "ROLE_TEXT"]

ROLE_TEXT = {
    "date": "Date",
    "region": "Dimension",
    "department": "Dimension",
    "metric": "Metric",
    "metric_name": "Names the metric",
    "value": "Values",
    "period": "Period",
    "ignored": "Not used",
}
_ROLE_CHOICES = [
    ("date", "Date"),
    ("region", "Region (dimension)"),
    ("department", "Department (dimension)"),
    ("ignore", "Ignore this column"),
]


def propose_columns(paths: Sequence[Path], token: CancelToken) -> tuple[list[ColumnMapping], str]:
    """Give how each column of the files would be understood, and the files' header signature."""
    from ..data.mapping import headers_signature
    from ..data.read import read_sources

    tables = read_sources(list(paths), cancel=token)
    try:
        from ..data import propose_mapping

        proposals = list(propose_mapping(tables))
    except ImportError:
        from ..data.layout import plan_table

        proposals = [m for t in tables for m in plan_table(t.cells, t.name, strict=False).mappings]
    signature = headers_signature([[str(c) for c in t.cells.columns] for t in tables])
    return proposals, signature


def target_of(mapping: ColumnMapping) -> str:
    """Give the override target that says the same as a proposal (metric name or role)."""
    if mapping.role in ("date", "region", "department"):
        return mapping.role
    if mapping.role == "ignored":
        return "ignore"
    return str(mapping.target or mapping.column)


class MappingDialog(QDialog):
    """A table of columns with a 'meaning' picker each; :meth:`overrides` gives the changes."""

    def __init__(
        self,
        proposals: Sequence[ColumnMapping],
        remembered: Mapping[str, str] | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Review columns")
        self.resize(860, 520)
        # Period columns of a statement and account rows are not choices a user makes here.
        self.proposals = [p for p in proposals if p.role not in ("period",)]
        self.remembered = dict(remembered or {})
        intro = QLabel(
            "This is how CFO Desk understood your columns. Change a meaning if it is wrong; "
            "your choice is remembered for files with the same headers."
        )
        intro.setWordWrap(True)
        self.table = QTableWidget(len(self.proposals), 5)
        self.table.setHorizontalHeaderLabels(["File", "Column", "Meaning", "Used as", "Confidence"])
        self.table.verticalHeader().setVisible(False)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        self.pickers: list[QComboBox] = []
        for row, proposal in enumerate(self.proposals):
            self._fill_row(row, proposal)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.run_button = buttons.addButton(
            "Use these and run", QDialogButtonBox.ButtonRole.AcceptRole
        )
        self.run_button.setObjectName("primary")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.table, 1)
        layout.addWidget(buttons)

    def _fill_row(self, row: int, proposal: ColumnMapping) -> None:
        def cell(text: str) -> QTableWidgetItem:
            item = QTableWidgetItem(text)
            item.setFlags(Qt.ItemFlag.ItemIsEnabled)
            return item

        self.table.setItem(row, 0, cell(Path(proposal.file).name))
        self.table.setItem(row, 1, cell(proposal.column))
        picker = QComboBox()
        proposed = target_of(proposal)
        current = self.remembered.get(proposal.column, proposed)
        for key, text in _ROLE_CHOICES:
            picker.addItem(text, key)
        picker.insertSeparator(picker.count())
        names = list(KNOWN_METRICS)
        for extra in (proposed, current):
            if extra not in names and extra not in dict(_ROLE_CHOICES):
                names.append(extra)
        for name in names:
            picker.addItem(f"Metric: {fmt.metric_label(name)}", name)
        picker.setCurrentIndex(max(0, picker.findData(current)))
        picker.setProperty("proposed", proposed)
        picker.currentIndexChanged.connect(lambda _i, r=row: self._mark(r))
        self.table.setCellWidget(row, 2, picker)
        self.pickers.append(picker)
        self.table.setItem(row, 3, cell(ROLE_TEXT.get(proposal.role, proposal.role)))
        confidence = cell(f"{proposal.confidence:.0%} · {proposal.method}")
        if proposal.confidence < 0.7:
            confidence.setForeground(QColor("#b7791f"))
            confidence.setToolTip("Not sure: please check this one")
        self.table.setItem(row, 4, confidence)
        self._mark(row)

    def _mark(self, row: int) -> None:
        picker = self.pickers[row] if row < len(self.pickers) else None
        if picker is None:
            return
        changed = picker.currentData() != picker.property("proposed")
        font = picker.font()
        font.setBold(changed)
        picker.setFont(font)

    def set_target(self, column: str, target: str) -> None:
        """Choose a meaning for a column (a metric name, 'date', 'region', ... or 'ignore')."""
        for proposal, picker in zip(self.proposals, self.pickers):
            if proposal.column == column:
                index = picker.findData(target)
                if index < 0:
                    picker.addItem(f"Metric: {fmt.metric_label(target)}", target)
                    index = picker.count() - 1
                picker.setCurrentIndex(index)
                return
        raise KeyError(column)

    def overrides(self) -> dict[str, str]:
        """Give {source header: target} for every column whose meaning differs from the proposal."""
        out: dict[str, str] = {}
        for proposal, picker in zip(self.proposals, self.pickers):
            target: Any = picker.currentData()
            if target is not None and target != picker.property("proposed"):
                out[proposal.column] = str(target)
        return out
