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
from PySide6.QtGui import QPainter
from PySide6.QtWidgets import QFileDialog, QSizePolicy

from ..analytics.formatting import format_money
from ..progress import STAGE_LABELS, format_duration
from . import fmt
from .theme import COLORS

__all__ = [
    "ValueAxis",
    "to_epoch",
    "make_plot",
    "add_save_actions",
    "save_plot",
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
