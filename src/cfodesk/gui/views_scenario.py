"""The Scenarios tab: driver controls that move the company forecast and the cash runway live.

The base forecast is prepared once (:func:`prepare_base`); each control change re-applies a
scenario written in the same words the CLI accepts ("What-if: revenue=+5%, dso=+5d"), which is
array arithmetic well under a millisecond, so the sliders follow the hand.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import (
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSlider,
    QVBoxLayout,
    QWidget,
)

from ..analytics.scenario import ScenarioBase, apply_scenario, parse_scenario, prepare_base
from ..errors import CfoDeskError
from . import fmt
from .charts import make_plot, to_epoch
from .report_data import ReportData
from .theme import COLORS

__all__ = ["ScenarioView", "scenario_text"]

#: (driver, label, minimum, maximum, how the value is written in a scenario)
DRIVERS: tuple[tuple[str, str, int, int, str], ...] = (
    ("revenue", "Revenue", -30, 30, "{:+d}%"),
    ("operating_expenses", "Operating expenses", -30, 30, "{:+d}%"),
    ("headcount", "Headcount (people)", -50, 50, "{:+d}"),
    ("dso", "Days sales outstanding", -30, 30, "{:+d}d"),
)


def scenario_text(values: dict[str, int]) -> str:
    """Give the scenario for the controls' values ('What-if: revenue=+5%, dso=+5d')."""
    parts = [
        f"{driver}={form.format(values[driver])}"
        for driver, _label, _lo, _hi, form in DRIVERS
        if values.get(driver)
    ]
    return "What-if: " + ", ".join(parts) if parts else ""


class ScenarioView(QWidget):
    """Sliders for the drivers; the operating profit and cash charts follow them."""

    def __init__(self, data: ReportData, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        report = data.report
        assert report is not None and report.forecast is not None
        self.data = data
        self.base: ScenarioBase = prepare_base(report.forecast, report.panel)
        self.sliders: dict[str, QSlider] = {}
        self.value_labels: dict[str, QLabel] = {}
        controls = QGroupBox("Drivers")
        form = QFormLayout(controls)
        for driver, label, low, high, form_text in DRIVERS:
            slider = QSlider(Qt.Orientation.Horizontal)
            slider.setRange(low, high)
            slider.setValue(0)
            slider.setMinimumWidth(160)
            shown = QLabel(form_text.format(0))
            shown.setMinimumWidth(48)
            row = QHBoxLayout()
            row.addWidget(slider, 1)
            row.addWidget(shown)
            form.addRow(QLabel(label))
            form.addRow(row)
            self.sliders[driver] = slider
            self.value_labels[driver] = shown
            slider.valueChanged.connect(self._schedule)
        reset = QPushButton("Back to the base case")
        reset.clicked.connect(self.reset)
        form.addRow(reset)
        self.summary = QLabel("")
        self.summary.setWordWrap(True)
        self.summary.setTextFormat(Qt.TextFormat.RichText)
        side = QVBoxLayout()
        side.addWidget(controls)
        side.addWidget(self.summary)
        side.addStretch(1)
        side_widget = QWidget()
        side_widget.setLayout(side)
        side_widget.setMaximumWidth(380)
        side_widget.setMinimumWidth(300)
        self.profit_plot = make_plot("money", dates=True)
        self.profit_plot.setTitle("Operating profit per period", size="10pt")
        self.profit_plot.addLegend(offset=(10, 10))
        self.cash_plot = make_plot("money", dates=True)
        self.cash_plot.setTitle("Cash balance", size="10pt")
        charts = QVBoxLayout()
        charts.addWidget(self.profit_plot, 1)
        charts.addWidget(self.cash_plot, 1)
        layout = QHBoxLayout(self)
        layout.addWidget(side_widget)
        layout.addLayout(charts, 1)
        # Coalesce a fast slider drag into one update per frame.
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(15)
        self._timer.timeout.connect(self.update_outcome)
        self.base_outcome = apply_scenario(
            self.base, report.panel, parse_scenario("Base: revenue=+0%")
        )
        self.outcome = self.base_outcome
        self.update_outcome()

    def values(self) -> dict[str, int]:
        """Give the controls' values by driver."""
        return {driver: slider.value() for driver, slider in self.sliders.items()}

    def set_values(self, **values: int) -> None:
        """Move the controls (and update at once)."""
        for driver, value in values.items():
            self.sliders[driver].setValue(int(value))
        self.update_outcome()

    def reset(self) -> None:
        """Put every driver back to no change."""
        self.set_values(**{d: 0 for d in self.sliders})

    def _schedule(self) -> None:
        for driver, _label, _lo, _hi, form_text in DRIVERS:
            self.value_labels[driver].setText(form_text.format(self.sliders[driver].value()))
        self._timer.start()

    def update_outcome(self) -> None:
        """Re-apply the scenario for the current controls and redraw."""
        text = scenario_text(self.values())
        try:
            scenario = parse_scenario(text) if text else parse_scenario("Base: revenue=+0%")
        except CfoDeskError as exc:
            self.summary.setText(str(exc))
            return
        self.outcome = apply_scenario(self.base, self.data.panel, scenario)
        self._draw()

    def _draw(self) -> None:
        base, what_if = self.base_outcome, self.outcome
        x = to_epoch(what_if.dates)
        for plot, metric in (
            (self.profit_plot, "operating_profit"),
            (self.cash_plot, "cash_balance"),
        ):
            plot.clear()
            legend = plot.getPlotItem().legend
            if legend is not None:
                legend.clear()
            if metric not in what_if.series:
                plot.setTitle(f"{fmt.metric_label(metric)}: not in this data", size="10pt")
                continue
            bands = what_if.series[metric]
            if "lower_80" in bands:
                lower = pg.PlotDataItem(x, bands["lower_80"])
                upper = pg.PlotDataItem(x, bands["upper_80"])
                plot.addItem(pg.FillBetweenItem(lower, upper, brush=pg.mkBrush(COLORS["band80"])))
            plot.plot(
                x,
                base.series[metric]["forecast"],
                name="Base case",
                pen=pg.mkPen("#9aa5b1", width=2, style=Qt.PenStyle.DashLine),
            )
            plot.plot(
                x, bands["forecast"], name="Scenario", pen=pg.mkPen(COLORS["accent"], width=2)
            )
        self.summary.setText(self._summary_html())

    def _summary_html(self) -> str:
        base, what_if = self.base_outcome, self.outcome
        rows = []
        for metric, label in (
            ("revenue", "Revenue"),
            ("operating_profit", "Operating profit"),
            ("cash_balance_end", "Cash at the end"),
        ):
            now = (what_if.totals.get(metric) or {}).get("forecast")
            before = (base.totals.get(metric) or {}).get("forecast")
            if now is None:
                continue
            delta = "" if before is None else f" ({fmt.money(now - before)} vs base)"
            rows.append(f"<b>{label}</b>: {fmt.money(now)}{delta}")
        rows.append(f"<b>Runway</b>: {_runway_text(what_if.runway)}")
        span = ""
        if len(what_if.dates):
            span = (
                f"{fmt.period(what_if.dates[0], self.data.frequency)} – "
                f"{fmt.period(what_if.dates[-1], self.data.frequency)}"
            )
        notes = "".join(f"<br><i>{n}</i>" for n in what_if.notes)
        text = scenario_text(self.values()) or "Base case (no change)"
        return f"<p style='color:#616e7c'>{text}<br>Forecast {span}</p>" + "<br>".join(rows) + notes


def _runway_text(runway: Any) -> str:
    months = runway.get("months") if runway else None
    if runway and runway.get("not_burning"):
        return "cash is not being burned"
    if months is None or not np.isfinite(months):
        return "–"
    low, high = runway.get("low"), runway.get("high")
    rng = ""
    if low is not None and high is not None:
        rng = f" (80% range {float(low):.0f}–{float(high):.0f})"
    return f"{float(months):.1f} months{rng}"
