"""The live progress display: bar, step, current item, elapsed and time left, stage list, Cancel.

Each :class:`~cfodesk.progress.ProgressEvent` only sets a few labels (events are already throttled
at the source to about ten a second), so the GUI thread stays free. The panel also keeps the run's
timeline (elapsed, fraction, stage) for the "This run" view.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from PySide6.QtCore import QElapsedTimer, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ..progress import STAGE_IDS, STAGE_LABELS, ProgressEvent, format_duration

__all__ = ["ProgressPanel", "RunTimeline"]

_PENDING, _ACTIVE, _DONE, _STOPPED = "○", "▶", "✓", "■"


@dataclass
class RunTimeline:
    """What a run did over time: (elapsed s, fraction, stage) points and stage durations."""

    points: list[tuple[float, float, str]] = field(default_factory=list)
    stage_durations: dict[str, float] = field(default_factory=dict)
    state: str = "running"

    def add(self, event: ProgressEvent) -> None:
        """Record one event."""
        self.points.append((float(event.elapsed_s), float(event.fraction), event.stage))
        self.state = event.state


class ProgressPanel(QWidget):
    """Shows one run's progress; emits ``cancel_requested`` when the user presses Cancel."""

    cancel_requested = Signal()
    percent_changed = Signal(int)  # -1 when no run is going on

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.stage_label = QLabel("Ready")
        self.stage_label.setObjectName("stageLabel")
        self.bar = QProgressBar()
        self.bar.setRange(0, 1000)
        self.bar.setFormat("%p%")
        self.bar.setValue(0)
        self.item_label = QLabel("")
        self.item_label.setObjectName("muted")
        self.item_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.time_label = QLabel("")
        self.time_label.setObjectName("muted")
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setToolTip("Stop this run (Esc)")
        self.cancel_button.setEnabled(False)
        self.cancel_button.clicked.connect(self.cancel_requested)
        self.stage_list = QListWidget()
        self.stage_list.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.stage_list.setSelectionMode(QListWidget.SelectionMode.NoSelection)
        self.stage_list.setWordWrap(True)
        self.stage_list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)

        self.stage_label.setWordWrap(True)
        self.item_label.setWordWrap(True)
        row = QHBoxLayout()
        row.addWidget(self.bar, 1)
        row.addWidget(self.cancel_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 8)
        layout.addWidget(self.stage_label)
        layout.addLayout(row)
        layout.addWidget(self.time_label)
        layout.addWidget(self.item_label)
        layout.addWidget(self.stage_list, 1)

        self.timeline = RunTimeline()
        self._items: dict[str, QListWidgetItem] = {}
        self._stage_started: dict[str, float] = {}
        self._current_stage: str | None = None
        self._last_percent = -1
        self.running = False
        self._reset_stages(STAGE_IDS)
        # Keeps "elapsed" moving between events (and before the first, while the run starts).
        self._clock = QElapsedTimer()
        self._last_event_ms = 0
        self._last_eta: float | None = None
        self._ticker = QTimer(self)
        self._ticker.setInterval(250)
        self._ticker.timeout.connect(self._tick)

    # -- run lifecycle ----------------------------------------------------------------------
    def start(self, message: str = "Starting…", stages: Sequence[str] = STAGE_IDS) -> None:
        """Prepare for a new run that will go through ``stages``."""
        self.running = True
        self.timeline = RunTimeline()
        self._stage_started.clear()
        self._current_stage = None
        self._reset_stages(stages)
        self.bar.setValue(0)
        self.stage_label.setText(message)
        self.item_label.setText("")
        self.time_label.setText("")
        self.cancel_button.setEnabled(True)
        self.cancel_button.setText("Cancel")
        self._set_percent(0)
        self._clock.start()
        self._last_event_ms = 0
        self._last_eta = None
        self._ticker.start()

    def cancelling(self) -> None:
        """Show that a cancel was asked for and is taking effect."""
        self.cancel_button.setEnabled(False)
        self.cancel_button.setText("Cancelling…")
        self.stage_label.setText("Cancelling…")

    def stop(self, state: str, message: str = "") -> None:
        """Show the end of a run (done, failed or cancelled) and go back to idle."""
        self.running = False
        self._ticker.stop()
        self.timeline.state = state
        self.cancel_button.setEnabled(False)
        self.cancel_button.setText("Cancel")
        if state == "done":
            self.bar.setValue(1000)
            if self._current_stage:
                self._finish_stage(self._current_stage, self._last_elapsed())
            for stage, item in self._items.items():
                if stage not in self.timeline.stage_durations:  # too quick to be seen
                    item.setText(f"{_DONE}  {STAGE_LABELS.get(stage, stage)}")
                    item.setForeground(Qt.GlobalColor.darkGreen)
        elif self._current_stage and self._current_stage in self._items:
            item = self._items[self._current_stage]
            item.setText(f"{_STOPPED}  {STAGE_LABELS.get(self._current_stage, '')} — {state}")
        self.stage_label.setText(message or state.capitalize())
        self.item_label.setText("")
        elapsed = format_duration(self._last_elapsed())
        self.time_label.setText(f"in {elapsed}" if state == "done" else f"after {elapsed}")
        self._set_percent(-1)

    def show_durations(self, durations: dict[str, float]) -> None:
        """Tick off every stage with the duration the run itself measured."""
        for stage, seconds in durations.items():
            item = self._items.get(stage)
            if item is None:
                continue
            self.timeline.stage_durations[stage] = float(seconds)
            item.setText(f"{_DONE}  {STAGE_LABELS.get(stage, stage)} — {format_duration(seconds)}")
            font = item.font()
            font.setBold(False)
            item.setFont(font)
            item.setForeground(Qt.GlobalColor.darkGreen)

    # -- events -----------------------------------------------------------------------------
    def on_event(self, event: ProgressEvent) -> None:
        """Show one progress event (a few label updates, nothing more)."""
        if not self.running:
            return
        self.timeline.add(event)
        if event.state != "running":
            return  # the worker's outcome signal closes the run
        if event.stage != self._current_stage:
            if self._current_stage is not None:
                self._finish_stage(self._current_stage, event.elapsed_s)
            # A stage quicker than the event throttle may never be seen: it is over all the same.
            for stage in list(self._items)[: max(0, event.stage_index - 1)]:
                if stage not in self._stage_started and stage != event.stage:
                    self._stage_started[stage] = event.elapsed_s
                    self._finish_stage(stage, event.elapsed_s)
            self._begin_stage(event.stage, event.elapsed_s)
        self.bar.setValue(int(round(event.fraction * 1000)))
        self.stage_label.setText(
            f"Step {event.stage_index} of {event.stage_count} · {event.stage_label}"
        )
        self.item_label.setText(_item_text(event))
        self._last_eta = event.eta_s
        self._last_event_ms = self._clock.elapsed()
        self._show_time(event.elapsed_s)
        self._set_percent(int(event.fraction * 100))

    def _show_time(self, elapsed: float, since_event: float = 0.0) -> None:
        eta = self._last_eta
        left = (
            "" if eta is None else f" · about {format_duration(max(0.0, eta - since_event))} left"
        )
        self.time_label.setText(f"{format_duration(elapsed)} elapsed{left}")

    def _tick(self) -> None:
        if not self.running:
            return
        since_event = (self._clock.elapsed() - self._last_event_ms) / 1000
        if not self.timeline.points:
            self._show_time(self._clock.elapsed() / 1000)
        elif since_event > 0.3:
            self._show_time(self.timeline.points[-1][0] + since_event, since_event)

    # -- internals --------------------------------------------------------------------------
    def _reset_stages(self, stages: tuple[str, ...]) -> None:
        self.stage_list.clear()
        self._items.clear()
        for stage in stages:
            self._add_stage(stage)

    def _add_stage(self, stage: str) -> QListWidgetItem:
        item = QListWidgetItem(f"{_PENDING}  {STAGE_LABELS.get(stage, stage)}")
        item.setForeground(Qt.GlobalColor.gray)
        self.stage_list.addItem(item)
        self._items[stage] = item
        return item

    def _begin_stage(self, stage: str, elapsed: float) -> None:
        self._current_stage = stage
        self._stage_started[stage] = elapsed
        item = self._items.get(stage) or self._add_stage(stage)
        item.setText(f"{_ACTIVE}  {STAGE_LABELS.get(stage, stage)}…")
        item.setForeground(Qt.GlobalColor.black)
        font = item.font()
        font.setBold(True)
        item.setFont(font)

    def _finish_stage(self, stage: str, elapsed: float) -> None:
        seconds = max(0.0, elapsed - self._stage_started.get(stage, elapsed))
        self.timeline.stage_durations[stage] = seconds
        item = self._items.get(stage)
        if item is None:
            return
        item.setText(f"{_DONE}  {STAGE_LABELS.get(stage, stage)} — {format_duration(seconds)}")
        font = item.font()
        font.setBold(False)
        item.setFont(font)
        item.setForeground(Qt.GlobalColor.darkGreen)

    def _last_elapsed(self) -> float:
        return self.timeline.points[-1][0] if self.timeline.points else 0.0

    def _set_percent(self, percent: int) -> None:
        if percent != self._last_percent:
            self._last_percent = percent
            self.percent_changed.emit(percent)


def _item_text(event: ProgressEvent) -> str:
    """'revenue · Europe / Sales — 57 of 140', or the stage's message."""
    if event.item and event.total:
        return f"{event.item} — {event.done:,} of {event.total:,}"
    if event.item:
        return event.item
    if event.total:
        return f"{event.message} — {event.done:,} of {event.total:,}"
    return event.message
