"""pyqtgraph charts of the report: forecast with bands and anomalies, bars, heatmap, timeline.

Every chart has people's units on its axes (money as '1.2M', dates as 'Mar 2025'), and a
right-click menu to save it as PNG or SVG.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyqtgraph as pg
from pyqtgraph import exporters
from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QColor, QPainter, QPainterPath, QPen
from PySide6.QtWidgets import QFileDialog, QSizePolicy, QWidget

from ..analytics.formatting import format_money
from ..metrics import metric_info
from ..progress import STAGE_LABELS, format_duration
from . import fmt
from .theme import COLORS

__all__ = [
    "ValueAxis",
    "to_epoch",
    "make_plot",
    "add_save_actions",
    "save_plot",
    "ForecastChart",
    "Sparkline",
    "draw_bars",
    "draw_hbars",
    "draw_heatmap",
    "draw_timeline",
]


def to_epoch(dates: Any) -> np.ndarray:
    """Give dates as seconds since 1970 (what pyqtgraph's date axis reads)."""
    index = pd.DatetimeIndex(pd.to_datetime(dates))
    return ((index - pd.Timestamp("1970-01-01")) // pd.Timedelta(seconds=1)).to_numpy(float)


class ValueAxis(pg.AxisItem):
    """A value axis that labels ticks in a unit people read ('1.2M', '12%', '45 days')."""

    def __init__(self, unit: str = "money", **kwargs: Any) -> None:
        super().__init__(orientation=kwargs.pop("orientation", "left"), **kwargs)
        self.unit = unit
        self.enableAutoSIPrefix(False)

    def tickStrings(self, values: Sequence[float], scale: float, spacing: float) -> list[str]:
        if self.unit == "money":
            return money_ticks(values, spacing)
        if self.unit == "percent":
            return [fmt.percent(v, 0) for v in values]
        if self.unit == "fraction":
            return [f"{v * 100:.0f}%" for v in values]
        if self.unit == "seconds":
            return [f"{v:g} s" for v in values]
        return [fmt.number(v, 0 if spacing >= 1 else 2) for v in values]


def money_ticks(values: Sequence[float], spacing: float) -> list[str]:
    """Give money tick labels in one unit with enough digits that neighbours differ."""
    top = max((abs(v) for v in values), default=0.0)
    scale, divisor = next(
        (
            (s, d)
            for s, d, least in (("B", 1e9, 1e9), ("M", 1e6, 1e6), ("K", 1e3, 1e4))
            if top >= least
        ),
        ("", 1.0),
    )
    step = spacing / divisor if spacing > 0 else 1.0
    decimals = 0 if step >= 1 else min(3, int(np.ceil(-np.log10(step))))
    return [
        "0" if v == 0 else format_money(v, scale=scale, decimals=decimals)  # type: ignore[arg-type]
        for v in values
    ]


class LabelAxis(pg.AxisItem):
    """A category axis: tick i reads ``labels[i]``."""

    def __init__(self, orientation: str = "bottom") -> None:
        super().__init__(orientation=orientation)
        self.labels: list[str] = []

    def set_labels(self, labels: Sequence[str]) -> None:
        """Name the categories, one per integer position."""
        self.labels = list(labels)
        self.setTicks([[(i, text) for i, text in enumerate(self.labels)]])


def make_plot(
    unit: str = "money", dates: bool = False, categories: str | None = None
) -> pg.PlotWidget:
    """Give a themed plot with the right axes and Save-as actions."""
    axes: dict[str, pg.AxisItem] = {"left": ValueAxis(unit)}
    if dates:
        axes["bottom"] = pg.DateAxisItem(orientation="bottom")
    if categories:
        axes[categories] = LabelAxis(categories)
    plot = pg.PlotWidget(axisItems=axes)
    plot.setBackground("w")
    plot.showGrid(x=False, y=True, alpha=0.15)
    plot.setMinimumHeight(160)
    plot.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
    add_save_actions(plot)
    return plot


def add_save_actions(plot: pg.PlotWidget) -> None:
    """Put 'Save chart as PNG/SVG…' in the chart's right-click menu."""
    menu = plot.getPlotItem().getViewBox().menu
    menu.addSeparator()
    menu.addAction("Save chart as PNG…").triggered.connect(lambda: _ask_and_save(plot, "png"))
    menu.addAction("Save chart as SVG…").triggered.connect(lambda: _ask_and_save(plot, "svg"))


def _ask_and_save(plot: pg.PlotWidget, kind: str) -> None:
    path, _ = QFileDialog.getSaveFileName(
        plot, f"Save chart as {kind.upper()}", f"chart.{kind}", f"{kind.upper()} (*.{kind})"
    )
    if path:
        save_plot(plot, Path(path))


def save_plot(plot: pg.PlotWidget, path: Path) -> Path:
    """Write the chart to ``path`` (PNG or SVG by its suffix); give the path."""
    item = plot.getPlotItem()
    if path.suffix.lower() == ".svg":
        # pyqtgraph's SVGExporter cannot parse the paths Qt 6.11 writes; Qt's own generator can.
        from PySide6.QtSvg import QSvgGenerator

        generator = QSvgGenerator()
        generator.setFileName(str(path))
        generator.setSize(plot.size())
        generator.setViewBox(plot.rect())
        generator.setTitle("CFO Desk chart")
        painter = QPainter(generator)
        plot.render(painter)
        painter.end()
    else:
        exporter = exporters.ImageExporter(item)
        exporter.parameters()["width"] = max(800, int(plot.width() * 1.5))
        exporter.export(str(path))
    return path


class ForecastChart(QWidget):
    """History, forecast, 80/95 % bands and anomaly markers of one series, with a hover read-out."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        from PySide6.QtWidgets import QVBoxLayout

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


def draw_bars(
    plot: pg.PlotWidget,
    labels: Sequence[str],
    values: Sequence[float],
    unit: str = "money",
    color: str = COLORS["accent"],
) -> None:
    """Draw one bar per category with its value written above it."""
    plot.clear()
    axis = plot.getAxis("bottom")
    if isinstance(axis, LabelAxis):
        axis.set_labels(labels)
    left = plot.getAxis("left")
    if isinstance(left, ValueAxis):
        left.unit = unit
    x = np.arange(len(values), dtype=float)
    heights = np.nan_to_num(np.asarray(values, dtype=float))
    brushes = [pg.mkBrush(color if v >= 0 else COLORS["bad"]) for v in heights]
    plot.addItem(pg.BarGraphItem(x=x, height=heights, width=0.6, brushes=brushes, pen=None))
    for xi, v in zip(x, heights):
        text = _bar_text(v, unit)
        label = pg.TextItem(text, color=COLORS["ink"], anchor=(0.5, 1.0 if v >= 0 else 0.0))
        label.setPos(xi, v)
        plot.addItem(label)
    plot.setXRange(-0.6, len(values) - 0.4, padding=0)
    top = max(0.0, float(heights.max()) if len(heights) else 0.0)
    bottom = min(0.0, float(heights.min()) if len(heights) else 0.0)
    plot.setYRange(bottom * 1.15, top * 1.15 or 1.0, padding=0)
    plot.getPlotItem().getViewBox().setMouseEnabled(x=False, y=False)


def draw_hbars(
    plot: pg.PlotWidget,
    labels: Sequence[str],
    values: Sequence[float],
    unit: str = "seconds",
    color: str = COLORS["accent"],
) -> None:
    """Draw one horizontal bar per category (long names read on the left), value at its end."""
    plot.clear()
    axis = plot.getAxis("left")
    if isinstance(axis, LabelAxis):
        axis.set_labels(labels)
        axis.setWidth(215)
    n = len(values)
    widths = np.nan_to_num(np.asarray(values, dtype=float))
    plot.addItem(
        pg.BarGraphItem(
            x0=np.zeros(n),
            y=np.arange(n, dtype=float),
            width=widths,
            height=0.6,
            brush=pg.mkBrush(color),
            pen=None,
        )
    )
    for i, v in enumerate(widths):
        label = pg.TextItem(_bar_text(v, unit), color=COLORS["ink"], anchor=(0.0, 0.5))
        label.setPos(v, i)
        plot.addItem(label)
    item = plot.getPlotItem()
    item.invertY(True)
    item.getViewBox().setMouseEnabled(x=False, y=False)
    plot.setYRange(-0.6, n - 0.4, padding=0)
    plot.setXRange(0, (float(widths.max()) if n else 1.0) * 1.25 or 1.0, padding=0)
    plot.showGrid(x=True, y=False, alpha=0.15)


def _bar_text(value: float, unit: str) -> str:
    if unit == "money":
        return fmt.money(value)
    if unit == "percent":
        return fmt.percent(value)
    if unit == "seconds":
        return format_duration(value)
    return fmt.number(value)


def draw_heatmap(plot: pg.PlotWidget, labels: Sequence[str], matrix: np.ndarray) -> None:
    """Draw a correlation matrix (-1..1) as coloured cells with the value written in each."""
    plot.clear()
    n = len(labels)
    cmap = pg.ColorMap([0.0, 0.5, 1.0], [(192, 57, 43), (248, 249, 250), (36, 99, 235)])
    image = pg.ImageItem(np.nan_to_num(matrix.T, nan=0.0))
    image.setLookupTable(cmap.getLookupTable(0.0, 1.0, 256))
    image.setLevels((-1.0, 1.0))
    image.setRect(-0.5, -0.5, n, n)
    plot.addItem(image)
    for i in range(n):
        for j in range(n):
            value = matrix[i, j]
            if not np.isfinite(value):
                continue
            text = pg.TextItem(
                f"{value:+.2f}", color="w" if abs(value) > 0.6 else COLORS["ink"], anchor=(0.5, 0.5)
            )
            text.setPos(j, i)
            plot.addItem(text)
    # Names on the left, numbers along the bottom: long names side by side would overlap.
    left, bottom = plot.getAxis("left"), plot.getAxis("bottom")
    left.setTicks([[(k, f"{fmt.metric_label(name)}  {k + 1}") for k, name in enumerate(labels)]])
    bottom.setTicks([[(k, str(k + 1)) for k in range(n)]])
    left.setWidth(190)
    plot.getPlotItem().invertY(True)
    plot.getPlotItem().getViewBox().setMouseEnabled(x=False, y=False)
    plot.setXRange(-0.5, n - 0.5, padding=0.01)
    plot.setYRange(-0.5, n - 0.5, padding=0.01)


def draw_timeline(plot: pg.PlotWidget, points: Sequence[tuple[float, float, str]]) -> None:
    """Draw a run's progress: fraction done against seconds, one colour per stage."""
    plot.clear()
    if not points:
        return
    palette = [
        "#2463eb",
        "#1a7f37",
        "#b7791f",
        "#8e44ad",
        "#c0392b",
        "#16a085",
        "#d35400",
        "#34495e",
        "#7f8c8d",
    ]
    t = np.array([p[0] for p in points], dtype=float)
    f = np.array([p[1] for p in points], dtype=float)
    plot.plot(t, f, pen=pg.mkPen("#c5d0db", width=1))
    stages = list(dict.fromkeys(p[2] for p in points))
    # Progress climbs from bottom left to top right: the bottom-right corner stays free.
    legend = plot.getPlotItem().legend or plot.addLegend(offset=(-10, -30))
    legend.clear()
    for k, stage in enumerate(stages):
        mask = np.array([p[2] == stage for p in points])
        plot.plot(
            t[mask],
            f[mask],
            pen=None,
            symbol="o",
            symbolSize=5,
            symbolBrush=palette[k % len(palette)],
            symbolPen=None,
            name=STAGE_LABELS.get(stage, stage),
        )
    plot.setYRange(0, 1.02, padding=0)
    plot.setLabel("bottom", "seconds since start")
