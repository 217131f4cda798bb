"""The Overview tab: KPI cards (last value, change on the year before, sparkline) and the narrative."""

from __future__ import annotations

import html
from typing import Any

import numpy as np
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import (
    QFrame,
    QGridLayout,
    QLabel,
    QScrollArea,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from ..analytics.formatting import format_points
from ..metrics import metric_info
from . import fmt
from .forecast_chart import Sparkline
from .report_data import ReportData, ttm_window
from .theme import COLORS

__all__ = ["OverviewView", "kpi_cards", "KpiCard"]

MAX_CARDS = 8
COLUMNS = 4


def kpi_cards(data: ReportData) -> list[dict[str, Any]]:
    """Give the company-level KPI cards: label, value text, change text, trend values."""
    cards: list[dict[str, Any]] = []
    trends = _company_trends(data.kpi_table)
    for row in data.kpi_summary:
        if len(cards) >= MAX_CARDS:
            break
        if row.get("level", "total") != "total":
            continue
        kpi = str(row.get("kpi", ""))
        unit = str(row.get("unit") or metric_info(kpi).unit)
        trend = trends.get(kpi, np.array([]))
        if not len(trend) and kpi in data.panel.metrics:
            trend = data.panel.frame("total", "total")[kpi].to_numpy(float)
        cards.append(
            {
                "kpi": kpi,
                "label": str(row.get("label") or fmt.metric_label(kpi)),
                "value": fmt.metric_value(kpi, row.get("last"), unit=unit),
                "period": row.get("last_period"),
                "change": row.get("change_pct"),
                "ttm": row.get("ttm"),
                "prior_ttm": row.get("prior_ttm"),
                "unit": unit,
                "trend": trend[-24:],
            }
        )
    if not cards:
        cards = _cards_from_actuals(data)
    return cards[:MAX_CARDS]


def _company_trends(table: Any) -> dict[str, np.ndarray]:
    """Give each company KPI's values over time (one pass over the long KPI table)."""
    if table.empty or not {"kpi", "level", "value", "date"} <= set(table.columns):
        return {}
    company = table[table["level"].to_numpy() == "total"].sort_values("date")
    return {
        str(k): g["value"].to_numpy(float)
        for k, g in company.groupby("kpi", sort=False, observed=True)
    }


def _cards_from_actuals(data: ReportData) -> list[dict[str, Any]]:
    """Cards straight from the company's actuals when no KPI section is there."""
    frame = data.panel.frame("total", "total")
    window = ttm_window(data.frequency)
    cards = []
    for metric in frame.columns:
        values = frame[metric].to_numpy(float)
        finite = values[np.isfinite(values)]
        if not len(finite):
            continue
        change = None
        if len(values) >= 2 * window:
            info = metric_info(metric)
            if info.kind == "flow":
                now, before = np.nansum(values[-window:]), np.nansum(values[-2 * window : -window])
            else:
                now, before = values[-1], values[-1 - window]
            if np.isfinite(before) and before != 0 and info.kind != "ratio":
                change = now / before - 1
        cards.append(
            {
                "kpi": metric,
                "label": fmt.metric_label(metric),
                "value": fmt.metric_value(metric, finite[-1]),
                "change": change,
                "unit": metric_info(metric).unit,
                "trend": values[-24:],
            }
        )
    return cards


def change_line(card: dict[str, Any]) -> tuple[str, str]:
    """Give the card's comparison line and its colour: the last 12 months against the 12 before."""
    unit, ttm, prior = card.get("unit", "money"), card.get("ttm"), card.get("prior_ttm")
    change = card.get("change")
    if unit == "percent" and not fmt.is_missing(ttm) and not fmt.is_missing(prior):
        points = float(ttm) - float(prior)
        text = f"12 months {fmt.percent(ttm)} ({format_points(points)})"
        return text, COLORS["good"] if points >= 0 else COLORS["bad"]
    if fmt.is_missing(change):
        if not fmt.is_missing(ttm):
            return f"12 months {fmt.metric_value(card['kpi'], ttm, unit=unit)}", COLORS["muted"]
        return "no year-earlier figure to compare", COLORS["muted"]
    sign = COLORS["good"] if float(change) >= 0 else COLORS["bad"]
    if "burn" in str(card.get("kpi", "")):
        sign = COLORS["bad"] if float(change) >= 0 else COLORS["good"]
    total = (
        "" if fmt.is_missing(ttm) else f"12 months {fmt.metric_value(card['kpi'], ttm, unit=unit)} "
    )
    return f"{total}({fmt.percent(change, signed=True)})", sign


class KpiCard(QFrame):
    """One KPI: its name, last value, change on the year before and a sparkline."""

    def __init__(self, card: dict[str, Any], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("card")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 10, 12, 10)
        layout.setSpacing(2)
        period = card.get("period")
        title = QLabel(card["label"] + (f" · {fmt.period(period)}" if period else ""))
        title.setWordWrap(True)
        # Share the row equally whatever the label lengths: no card pushes the page sideways.
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.setMinimumWidth(180)
        title.setObjectName("cardTitle")
        self.value_label = QLabel(card["value"])
        self.value_label.setObjectName("cardValue")
        change_text, color = change_line(card)
        self.change_label = QLabel(change_text)
        self.change_label.setToolTip("Last 12 months against the 12 months before")
        self.change_label.setWordWrap(True)
        self.change_label.setStyleSheet(f"color: {color}; font-size: 9pt;")
        layout.addWidget(title)
        layout.addWidget(self.value_label)
        layout.addWidget(self.change_label)
        layout.addWidget(Sparkline(card.get("trend", [])))


class OverviewView(QScrollArea):
    """Headline, KPI cards and the narrative."""

    def __init__(self, data: ReportData, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWidgetResizable(True)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        body = QWidget()
        layout = QVBoxLayout(body)
        layout.setContentsMargins(16, 14, 16, 14)
        layout.setSpacing(10)
        narrative = data.narrative
        panel = data.panel
        span = ""
        if len(panel.periods):
            span = (
                f"{fmt.period(panel.periods[0], data.frequency)} – "
                f"{fmt.period(panel.periods[-1], data.frequency)}"
            )
        headline = (narrative or {}).get("headline") or (
            f"{len(panel.metrics)} metrics over {len(panel.periods)} periods ({span})"
        )
        self.headline = QLabel(headline)
        self.headline.setObjectName("headline")
        self.headline.setWordWrap(True)
        layout.addWidget(self.headline)
        sub = QLabel(f"Actuals {span} · {len(panel)} series · run {data.run_id}")
        sub.setObjectName("muted")
        layout.addWidget(sub)

        grid = QGridLayout()
        grid.setSpacing(10)
        self.cards = [KpiCard(card) for card in kpi_cards(data)]
        for i, card in enumerate(self.cards):
            grid.addWidget(card, i // COLUMNS, i % COLUMNS)
        layout.addLayout(grid)

        self.narrative_label = QLabel("")
        self.narrative_label.setWordWrap(True)
        self.narrative_label.setTextFormat(Qt.TextFormat.RichText)
        self.narrative_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.narrative_label)
        layout.addStretch(1)
        self.setWidget(body)
        # The narrative's rich text is the costliest thing to lay out: give it its own slice.
        self._narrative = _narrative_html(narrative, data.notes)
        QTimer.singleShot(0, self.show_narrative)

    def show_narrative(self) -> None:
        """Fill in the narrative text (done just after the cards appear)."""
        if self.narrative_label.text() != self._narrative:
            self.narrative_label.setText(self._narrative)


def _narrative_html(narrative: dict[str, Any] | None, notes: list[str]) -> str:
    parts = []
    if narrative:
        parts += [f"<p>{html.escape(str(p))}</p>" for p in narrative.get("paragraphs", [])]
        bullets = narrative.get("bullets", [])
        if bullets:
            parts.append(
                "<ul>" + "".join(f"<li>{html.escape(str(b))}</li>" for b in bullets) + "</ul>"
            )
    if notes:
        parts.append(
            "<p style='color:#616e7c'>" + "<br>".join(html.escape(n) for n in notes) + "</p>"
        )
    return "".join(parts)
