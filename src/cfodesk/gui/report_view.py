"""The report, tab by tab. Each tab is built the first time it is shown, so a finished run
costs the GUI thread only the Overview; the other tabs appear when the user opens them."""

from __future__ import annotations

import functools
from collections.abc import Callable

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QLabel, QTabWidget, QVBoxLayout, QWidget

from .report_data import ReportData
from .views_forecast import ForecastView, SegmentsView
from .views_overview import OverviewView
from .views_tables import AnomaliesView, CorrelationsView, QualityView, RunView

__all__ = ["ReportView", "TAB_NAMES", "scenarios_available"]

TAB_NAMES = (
    "Overview",
    "Forecasts",
    "Segments",
    "Anomalies",
    "Correlations",
    "Scenarios",
    "Data quality",
    "This run",
)


@functools.cache
def scenarios_available() -> bool:
    """True when the scenario engine is installed (the Scenarios tab needs it)."""
    try:
        from ..analytics import scenario  # noqa: F401
        from .views_scenario import ScenarioView  # noqa: F401
    except ImportError:
        return False
    return True


class _Slot(QWidget):
    """A tab's place-holder until its view is built."""

    def __init__(self, build: Callable[[], QWidget]) -> None:
        super().__init__()
        self.build = build
        self.view: QWidget | None = None
        self._layout = QVBoxLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)

    def ensure(self) -> QWidget:
        if self.view is None:
            self.view = self.build()
            self._layout.addWidget(self.view)
        return self.view


class ReportView(QTabWidget):
    """All report tabs over one :class:`ReportData`, built lazily."""

    def __init__(
        self,
        data: ReportData,
        timeline: list[tuple[float, float, str]] | None = None,
        parent: QWidget | None = None,
        build_now: bool = True,
    ) -> None:
        super().__init__(parent)
        self.data = data
        self.timeline = list(timeline or [])
        self.setDocumentMode(False)
        self._slots: dict[str, _Slot] = {}
        builders: dict[str, Callable[[], QWidget]] = {
            "Overview": lambda: OverviewView(data),
            "Forecasts": lambda: ForecastView(data),
            "Segments": lambda: SegmentsView(data),
            "Anomalies": self._build_anomalies,
            "Correlations": lambda: CorrelationsView(data),
            "Data quality": lambda: QualityView(data),
            "This run": lambda: RunView(self.timeline, data.stage_durations),
        }
        if data.report is not None and scenarios_available():
            from .views_scenario import ScenarioView

            builders["Scenarios"] = lambda: ScenarioView(data)
        for name in TAB_NAMES:
            if name in builders:
                slot = _Slot(builders[name])
                self._slots[name] = slot
                self.addTab(slot, name)
        self.currentChanged.connect(self._on_tab)
        if build_now:
            self._on_tab(self.currentIndex())
        else:  # the first tab is built in its own event-loop slice
            QTimer.singleShot(0, self._build_current)

    @property
    def tab_names(self) -> list[str]:
        """The tabs this report has, in order."""
        return list(self._slots)

    def view(self, name: str) -> QWidget:
        """Give a tab's view, building it now if needed."""
        return self._slots[name].ensure()

    def show_tab(self, name: str) -> QWidget:
        """Bring a tab forward and give its view."""
        self.setCurrentWidget(self._slots[name])
        return self.view(name)

    def _build_current(self) -> None:
        self._on_tab(self.currentIndex())

    def _on_tab(self, index: int) -> None:
        widget = self.widget(index)
        if isinstance(widget, _Slot):
            widget.ensure()

    def _build_anomalies(self) -> QWidget:
        view = AnomaliesView(self.data)
        view.series_picked.connect(self._show_anomaly)
        return view

    def _show_anomaly(self, level: str, segment: str, metric: str, record: object) -> None:
        forecasts = self.view("Forecasts")
        assert isinstance(forecasts, ForecastView)
        if forecasts.select(level, segment, metric):
            forecasts.chart.mark(record["date"], float(record["value"]))  # type: ignore[index]
            self.setCurrentWidget(self._slots["Forecasts"])


def empty_state(text: str) -> QWidget:
    """Give a calm centred message for a window with no report yet."""
    label = QLabel(text)
    label.setAlignment(Qt.AlignmentFlag.AlignCenter)
    label.setObjectName("muted")
    label.setWordWrap(True)
    return label
