"""Static report charts (PNG) drawn with matplotlib's Agg canvas, one reused figure.

The "charts" stage: a forecast chart for every metric of the company (history, forecast, 80 %
and 95 % bands, anomaly markers), a region comparison, the margin trend, a correlation heatmap
and a scenario comparison when those sections exist. No pyplot: a plain ``Figure`` on a
``FigureCanvasAgg`` keeps this thread-safe and free of any GUI backend.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from io import BytesIO
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from ..metrics import metric_label
from ..model import Report, SeriesKey
from ..progress import CancelToken, StepCallback, no_step
from .atomic import atomic_write_bytes
from .chart_data import (
    correlation_matrix,
    forecast_frame,
    margin_trends,
    region_history,
    scenario_lines,
    total_anomalies,
)

__all__ = ["render_charts", "chart_file_name", "CHART_DPI"]

CHART_DPI = 110
_SIZE = (8.0, 4.0)
_INK = "#1f2937"
_MUTED = "#6b7280"
_ACTUAL = "#1d4ed8"
_FORECAST = "#ea580c"
_PALETTE = ("#1d4ed8", "#ea580c", "#059669", "#7c3aed", "#dc2626", "#0891b2", "#ca8a04", "#db2777")


def chart_file_name(kind: str, name: str = "") -> str:
    """Give a safe PNG file name such as 'forecast_revenue.png' for any metric name."""
    slug = re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")[:60]
    return f"{kind}_{slug}.png" if slug else f"{kind}.png"


def _plain(label: str) -> str:
    # A '$' in a name from the data would switch matplotlib into math mode.
    return str(label).replace("$", r"\$")


def _money_axis(value: float, _pos: object) -> str:
    size = abs(value)
    if size >= 1e9:
        return f"{value / 1e9:,.1f}bn"
    if size >= 1e6:
        return f"{value / 1e6:,.1f}m"
    if size >= 1e4:
        return f"{value / 1e3:,.0f}k"
    if size >= 10 or value == 0:
        return f"{value:,.0f}"
    return f"{value:,.2f}"


class _Canvas:
    """One figure reused for every chart (much faster than a figure per chart)."""

    def __init__(self) -> None:
        self.figure = Figure(figsize=_SIZE, dpi=CHART_DPI)
        self.canvas = FigureCanvasAgg(self.figure)

    def axes(self):  # type: ignore[no-untyped-def]
        self.figure.clear()
        ax = self.figure.add_subplot(1, 1, 1)
        for side in ("top", "right"):
            ax.spines[side].set_visible(False)
        ax.tick_params(colors=_MUTED, labelsize=8)
        ax.grid(axis="y", color="#e5e7eb", linewidth=0.8)
        ax.set_axisbelow(True)
        return ax

    def save(self, path: Path, *, fit: bool = False) -> Path:
        # Fixed margins cost nothing; tight_layout (an extra draw) only where labels vary.
        if fit:
            self.figure.tight_layout()
        else:
            self.figure.subplots_adjust(left=0.09, right=0.98, top=0.9, bottom=0.2)
        buffer = BytesIO()
        self.canvas.print_png(buffer, pil_kwargs={"compress_level": 3})
        return atomic_write_bytes(path, buffer.getvalue())


def _title(ax, title: str) -> None:  # type: ignore[no-untyped-def]
    ax.set_title(_plain(title), loc="left", fontsize=11, color=_INK, fontweight="bold")


def _legend(ax, columns: int = 5) -> None:  # type: ignore[no-untyped-def]
    # Below the plot, so it never hides data.
    ax.legend(fontsize=7, frameon=False, loc="upper center", bbox_to_anchor=(0.5, -0.09),
              ncol=columns)  # fmt: skip


def _draw_forecast(canvas: _Canvas, report: Report, metric: str, path: Path) -> Path:
    ax = canvas.axes()
    history = report.panel.series(SeriesKey("total", "total", metric))
    ax.plot(history.index, history.to_numpy(), color=_ACTUAL, linewidth=1.6, label="Actual")
    future = forecast_frame(report, metric)
    if not future.empty:
        dates = future["date"]
        ax.fill_between(dates, future["lower_95"], future["upper_95"], color=_FORECAST,
                        alpha=0.12, linewidth=0, label="95 % range")  # fmt: skip
        ax.fill_between(dates, future["lower_80"], future["upper_80"], color=_FORECAST,
                        alpha=0.25, linewidth=0, label="80 % range")  # fmt: skip
        last = history.dropna()
        if not last.empty:  # join the forecast line to the last actual
            dates = pd.DatetimeIndex([last.index[-1], *dates])
            values = np.concatenate([[last.iloc[-1]], future["forecast"].to_numpy()])
        else:
            values = future["forecast"].to_numpy()
        model = str(future["model"].iloc[0]) if "model" in future else ""
        label = f"Forecast ({model})" if model else "Forecast"
        ax.plot(dates, values, color=_FORECAST, linewidth=1.6, linestyle="--", label=_plain(label))
    flagged = total_anomalies(report, metric)
    if not flagged.empty:
        ax.scatter(flagged["date"], flagged["value"], s=36, facecolors="none",
                   edgecolors="#dc2626", linewidths=1.5, zorder=5, label="Anomaly")  # fmt: skip
    ax.yaxis.set_major_formatter(FuncFormatter(_money_axis))
    _title(ax, f"{metric_label(metric)} — company")
    _legend(ax)
    return canvas.save(path)


def _draw_regions(canvas: _Canvas, report: Report, metric: str, path: Path) -> Path:
    ax = canvas.axes()
    frame = region_history(report, metric)
    for i, region in enumerate(frame.columns):
        ax.plot(frame.index, frame[region].to_numpy(), linewidth=1.4,
                color=_PALETTE[i % len(_PALETTE)], label=_plain(region))  # fmt: skip
    ax.yaxis.set_major_formatter(FuncFormatter(_money_axis))
    _title(ax, f"{metric_label(metric)} by region")
    _legend(ax, 4)
    return canvas.save(path)


def _draw_margins(canvas: _Canvas, report: Report, path: Path) -> Path:
    ax = canvas.axes()
    trends = margin_trends(report)
    for i, (label, series) in enumerate(trends.items()):
        ax.plot(series.index, series.to_numpy() * 100, linewidth=1.5,
                color=_PALETTE[i % len(_PALETTE)], label=_plain(label))  # fmt: skip
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _p: f"{v:.0f} %"))
    _title(ax, "Margins — company")
    _legend(ax, 4)
    return canvas.save(path)


def _draw_heatmap(canvas: _Canvas, report: Report, path: Path) -> Path:
    ax = canvas.axes()
    ax.grid(False)
    matrix = correlation_matrix(report)
    labels = [_plain(metric_label(m)) for m in matrix.index]
    image = ax.imshow(matrix.to_numpy(), cmap="RdBu_r", vmin=-1, vmax=1, aspect="auto")
    ax.set_xticks(range(len(labels)), labels, rotation=35, ha="right", fontsize=7)
    ax.set_yticks(range(len(labels)), labels, fontsize=7)
    for (row, col), value in np.ndenumerate(matrix.to_numpy()):
        if np.isfinite(value):
            ax.text(col, row, f"{value:.2f}", ha="center", va="center", fontsize=6,
                    color="white" if abs(value) > 0.6 else _INK)  # fmt: skip
    self_colorbar = canvas.figure.colorbar(image, ax=ax, shrink=0.8)
    self_colorbar.ax.tick_params(labelsize=7)
    _title(ax, "Correlations — company (strongest lag)")
    return canvas.save(path, fit=True)


def _draw_scenarios(canvas: _Canvas, report: Report, path: Path) -> Path:
    ax = canvas.axes()
    metric, lines = scenario_lines(report)
    for i, (name, series) in enumerate(lines.items()):
        ax.plot(series.index, series.to_numpy(), linewidth=1.5,
                linestyle="-" if i == 0 else "--", color=_PALETTE[i % len(_PALETTE)],
                label=_plain(name))  # fmt: skip
    ax.yaxis.set_major_formatter(FuncFormatter(_money_axis))
    _title(ax, f"Scenarios — {metric_label(metric)}")
    _legend(ax, 4)
    return canvas.save(path)


def _chart_plan(report: Report, folder: Path) -> list[tuple[str, Callable[[_Canvas], Path]]]:
    plan: list[tuple[str, Callable[[_Canvas], Path]]] = []
    for metric in report.panel.metrics:
        if SeriesKey("total", "total", metric) not in report.panel:
            continue
        path = folder / chart_file_name("forecast", metric)
        plan.append((path.name, lambda c, m=metric, p=path: _draw_forecast(c, report, m, p)))
    if "region" in report.panel.levels:
        metric = "revenue" if "revenue" in report.panel.metrics else report.panel.metrics[0]
        path = folder / chart_file_name("regions", metric)
        plan.append((path.name, lambda c, m=metric, p=path: _draw_regions(c, report, m, p)))
    if margin_trends(report):
        path = folder / "kpi_margins.png"
        plan.append((path.name, lambda c, p=path: _draw_margins(c, report, p)))
    if len(correlation_matrix(report)) >= 2:
        path = folder / "correlation_heatmap.png"
        plan.append((path.name, lambda c, p=path: _draw_heatmap(c, report, p)))
    if len(scenario_lines(report)[1]) >= 1:
        path = folder / "scenarios.png"
        plan.append((path.name, lambda c, p=path: _draw_scenarios(c, report, p)))
    return plan


def render_charts(
    report: Report,
    dest: Path,
    *,
    on_progress: StepCallback = no_step,
    cancel: CancelToken | None = None,
) -> list[Path]:
    """Give the PNG charts written to ``dest/charts`` (one per chart, in report order)."""
    folder = Path(dest) / "charts"
    folder.mkdir(parents=True, exist_ok=True)
    plan = _chart_plan(report, folder)
    canvas = _Canvas()
    written: list[Path] = []
    total = len(plan)
    on_progress(0, total, None, f"Drawing {total} charts")
    for done, (name, draw) in enumerate(plan):
        if cancel is not None:
            cancel.raise_if_cancelled()
        on_progress(done, total, name, f"Drawing {name} ({done + 1} of {total})")
        written.append(draw(canvas))
    on_progress(total, total, None, f"Drew {total} charts")
    return written
