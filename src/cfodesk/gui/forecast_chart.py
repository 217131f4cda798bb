"""The Forecasts tab's chart (actuals, forecast, bands, anomalies, hover read-out) and the
sparkline the KPI cards carry."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
import pyqtgraph as pg
from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QColor, QPainter, QPainterPath, QPen
from PySide6.QtWidgets import QSizePolicy, QVBoxLayout, QWidget

from ..metrics import metric_info
from . import fmt
from .charts import ValueAxis, make_plot, to_epoch
from .theme import COLORS

__all__ = ["ForecastChart", "Sparkline"]


class ForecastChart(QWidget):
    """History, forecast, 80/95 % bands and anomaly markers of one series, with a hover read-out."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.plot = make_plot("money", dates=True)
        self.plot.addLegend(offset=(10, 10))
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.plot)
        self._vline = pg.InfiniteLine(angle=90, movable=False, pen=pg.mkPen("#9aa5b1", width=1))
        self._readout = pg.TextItem(
            color=COLORS["ink"],
            anchor=(0, 1),
            fill=(255, 255, 255, 220),
            border=pg.mkPen("#c5d0db"),
        )
        self._points: list[tuple[float, str]] = []
        self._x = np.array([])
        # Not "metric": QPaintDevice.metric() is a virtual Qt calls while painting.
        self.metric_name = ""
        self.period_freq = "M"
        self.highlight: pg.ScatterPlotItem | None = None
        self._proxy = pg.SignalProxy(
            self.plot.scene().sigMouseMoved, rateLimit=30, slot=self._on_mouse_moved
        )

    @property
    def item_count(self) -> int:
        """How many data items are drawn (for checks that the chart is not empty)."""
        return len(self.plot.getPlotItem().listDataItems())

    def show_series(
        self,
        metric: str,
        history: pd.Series,
        forecast: pd.DataFrame,
        anomalies: pd.DataFrame,
        frequency: str = "M",
        title: str = "",
    ) -> None:
        """Draw one series: actuals, forecast line, bands and anomaly markers."""
        plot = self.plot
        plot.clear()
        legend = plot.getPlotItem().legend
        if legend is not None:
            legend.clear()
        self.metric_name, self.period_freq = metric, frequency
        unit = metric_info(metric).unit
        axis = plot.getAxis("left")
        if isinstance(axis, ValueAxis):
            axis.unit = unit if unit in ("money", "percent") else "number"
        plot.setTitle(title, color=COLORS["ink"], size="11pt")
        hist = history.dropna()
        hx = to_epoch(hist.index)
        plot.plot(hx, hist.to_numpy(float), pen=pg.mkPen(COLORS["history"], width=2), name="Actual")
        points: list[tuple[float, str]] = [
            (x, f"{fmt.period(d, frequency)}\nActual: {fmt.metric_value(metric, v)}")
            for x, d, v in zip(hx, hist.index, hist.to_numpy(float))
        ]
        if not forecast.empty:
            fx = to_epoch(forecast["date"])
            # Join the forecast to the last actual so the line does not start in mid-air.
            join_x = np.concatenate([hx[-1:], fx]) if len(hx) else fx
            for level, color in ((95, COLORS["band95"]), (80, COLORS["band80"])):
                lo, hi = f"lower_{level}", f"upper_{level}"
                if lo in forecast and hi in forecast:
                    lower = pg.PlotDataItem(fx, forecast[lo].to_numpy(float))
                    upper = pg.PlotDataItem(fx, forecast[hi].to_numpy(float))
                    band = pg.FillBetweenItem(lower, upper, brush=pg.mkBrush(color))
                    band.setZValue(-10)
                    plot.addItem(band)
                    if legend is not None:
                        # The legend cannot draw a fill item: show a thick stroke of its colour.
                        swatch = pg.PlotDataItem([0, 1], [0, 0], pen=pg.mkPen(color, width=10))
                        legend.addItem(swatch, f"{level}% range")
            fy = forecast["forecast"].to_numpy(float)
            join_y = np.concatenate([hist.to_numpy(float)[-1:], fy]) if len(hx) else fy
            plot.plot(
                join_x,
                join_y,
                pen=pg.mkPen(COLORS["forecast"], width=2, style=Qt.PenStyle.DashLine),
                name="Forecast",
            )
            for x, (_, row) in zip(fx, forecast.iterrows()):
                text = f"{fmt.period(row['date'], frequency)}\nForecast: " + fmt.metric_value(
                    metric, row["forecast"]
                )
                if "lower_80" in row and "upper_80" in row:
                    text += (
                        f"\n80%: {fmt.metric_value(metric, row['lower_80'])} – "
                        f"{fmt.metric_value(metric, row['upper_80'])}"
                    )
                points.append((x, text))
        if not anomalies.empty:
            ax = to_epoch(anomalies["date"])
            ay = anomalies["value"].to_numpy(float)
            marks = pg.ScatterPlotItem(
                ax,
                ay,
                size=11,
                symbol="o",
                pen=pg.mkPen("w", width=1.5),
                brush=pg.mkBrush(COLORS["anomaly"]),
                name="Anomaly",
            )
            plot.addItem(marks)
            reasons = dict(zip(ax, anomalies.get("reason", pd.Series([""] * len(ax)))))
            points = [
                (x, t + (f"\n⚠ {reasons[x]}" if x in reasons and reasons[x] else ""))
                for x, t in points
            ]
        self.highlight = None
        points.sort(key=lambda p: p[0])
        self._points = points
        self._x = np.array([p[0] for p in points])
        plot.addItem(self._vline, ignoreBounds=True)
        plot.addItem(self._readout, ignoreBounds=True)
        self._vline.hide()
        self._readout.hide()
        plot.enableAutoRange()

    def mark(self, when: Any, value: float) -> None:
        """Ring one point (an anomaly picked in the table) so the eye finds it."""
        if self.highlight is not None:
            self.plot.removeItem(self.highlight)
        x = float(to_epoch([when])[0])
        self.highlight = pg.ScatterPlotItem(
            [x],
            [value],
            size=24,
            symbol="o",
            pen=pg.mkPen(COLORS["anomaly"], width=3),
            brush=pg.mkBrush(0, 0, 0, 0),
        )
        self.plot.addItem(self.highlight)

    def hover_at(self, x: float) -> str:
        """Give the read-out text nearest to ``x`` (epoch seconds) and show it there."""
        if not len(self._x):
            return ""
        i = int(np.argmin(np.abs(self._x - x)))
        px, text = self._points[i]
        self._vline.setPos(px)
        self._vline.show()
        (_, _), (y0, y1) = self.plot.getPlotItem().getViewBox().viewRange()
        self._readout.setText(text)
        self._readout.setPos(px, y1 - (y1 - y0) * 0.02)
        x0, x1 = self.plot.getPlotItem().getViewBox().viewRange()[0]
        self._readout.setAnchor((1, 0) if px > (x0 + x1) / 2 else (0, 0))
        self._readout.show()
        return text

    def _on_mouse_moved(self, args: tuple[QPointF]) -> None:
        pos = args[0]
        vb = self.plot.getPlotItem().getViewBox()
        if not self.plot.sceneBoundingRect().contains(pos):
            return
        if not vb.sceneBoundingRect().contains(pos):
            self._vline.hide()
            self._readout.hide()
            return
        self.hover_at(vb.mapSceneToView(pos).x())


class Sparkline(QWidget):
    """A tiny trend line painted directly (cheap: KPI cards carry many of them)."""

    def __init__(self, values: Sequence[float], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        arr = np.asarray(values, dtype=float)
        self.values = arr[np.isfinite(arr)]
        self.setMinimumSize(120, 34)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)

    def paintEvent(self, event: Any) -> None:  # noqa: N802 - Qt name
        if len(self.values) < 2:
            return
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        w, h, pad = self.width(), self.height(), 3
        lo, hi = float(self.values.min()), float(self.values.max())
        span = hi - lo or 1.0
        n = len(self.values)
        path = QPainterPath()
        for i, v in enumerate(self.values):
            pt = QPointF(
                pad + i * (w - 2 * pad) / (n - 1), h - pad - (v - lo) / span * (h - 2 * pad)
            )
            path.moveTo(pt) if i == 0 else path.lineTo(pt)
        painter.setPen(QPen(QColor(COLORS["accent"]), 1.6))
        painter.drawPath(path)
        painter.setBrush(QColor(COLORS["accent"]))
        painter.drawEllipse(path.currentPosition(), 2.5, 2.5)
        painter.end()
