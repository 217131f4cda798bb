"""The report views over a known report: pickers, hover, anomaly picking, saving, formatting."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from cfodesk.config import ReportConfig
from cfodesk.gui.charts import money_ticks, save_plot
from cfodesk.gui.report_data import ReportData
from cfodesk.gui.report_view import ReportView
from cfodesk.gui.theme import configure_charts
from cfodesk.gui.views_overview import kpi_cards

from .conftest import fake_report


@pytest.fixture
def view(qtbot: Any) -> ReportView:
    configure_charts()
    data = ReportData.from_report(fake_report(ReportConfig(), "run-1"))
    report_view = ReportView(
        data, [(0.1, 0.1, "load"), (0.4, 0.5, "forecast"), (0.9, 1.0, "write")]
    )
    qtbot.addWidget(report_view)
    report_view.resize(1100, 700)
    report_view.show()
    return report_view


def test_tabs_are_built_only_when_opened(view: ReportView) -> None:
    built = {name: view._slots[name].view is not None for name in view.tab_names}
    assert built["Overview"] and not built["Forecasts"] and not built["Correlations"]
    view.show_tab("Correlations")
    assert view._slots["Correlations"].view is not None


def test_picking_an_anomaly_shows_it_on_the_forecast_chart(qtbot: Any, view: ReportView) -> None:
    anomalies = view.show_tab("Anomalies")
    rows = anomalies.model.rowCount()
    assert rows == 9  # one revenue anomaly per series of the fake report
    anomalies.table.selectRow(rows - 1)
    record = anomalies.model.record(rows - 1)
    assert view.currentIndex() == view.tab_names.index("Forecasts")
    forecasts = view.view("Forecasts")
    assert forecasts.metric_box.currentData() == "revenue"
    assert forecasts.segment_box.currentText().endswith(
        "Company" if record["level"] == "total" else str(record["segment"])
    )
    assert forecasts.chart.highlight is not None


def test_anomaly_table_sorts_by_severity_and_value(view: ReportView) -> None:
    from PySide6.QtCore import Qt

    anomalies = view.show_tab("Anomalies")
    model = anomalies.model
    value_column = [c.key for c in model._columns].index("value")
    model.sort(value_column, Qt.SortOrder.DescendingOrder)
    values = list(model.frame["value"])
    assert values == sorted(values, reverse=True)
    shown = model.data(model.index(0, value_column))
    assert shown.endswith(("K", "M")) and "," not in shown[-4:]


def test_hover_reads_out_formatted_values(view: ReportView) -> None:
    forecasts = view.show_tab("Forecasts")
    chart = forecasts.chart
    first = chart.hover_at(chart._x[0])
    assert first.startswith("Jan 2022") and "Actual:" in first
    last = chart.hover_at(chart._x[-1])
    assert "Forecast:" in last and "80%:" in last


def test_charts_save_as_png_and_svg(view: ReportView, tmp_path: Path) -> None:
    forecasts = view.show_tab("Forecasts")
    png = save_plot(forecasts.chart.plot, tmp_path / "chart.png")
    svg = save_plot(forecasts.chart.plot, tmp_path / "chart.svg")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "<svg" in svg.read_text(encoding="utf-8")[:500]


def test_overview_cards_and_money_ticks(view: ReportView) -> None:
    cards = kpi_cards(view.data)
    assert [c["kpi"] for c in cards][:2] == ["revenue", "cogs"]  # no KPI section: actuals
    assert cards[0]["value"].endswith("K") and cards[0]["change"] is not None
    assert money_ticks([1.0e6, 1.05e6, 1.1e6], 5e4) == ["1.00M", "1.05M", "1.10M"]
    assert money_ticks([0, 2e5, 4e5], 2e5) == ["0", "200K", "400K"]


def test_segments_compare_last_twelve_months(view: ReportView) -> None:
    segments = view.show_tab("Segments")
    labels, values = segments.values("department", "revenue")
    assert sorted(labels) == ["Engineering", "Sales"]
    panel = view.data.panel
    from cfodesk.model import SeriesKey

    expected = panel.series(SeriesKey("department", "Sales", "revenue")).iloc[-12:].sum()
    assert values[labels.index("Sales")] == pytest.approx(expected)


def test_anomalies_show_independent_events_first_and_linked_ones_on_request(
    qtbot: Any, view: ReportView
) -> None:
    import pandas as pd

    from cfodesk.gui.views_tables import AnomaliesView

    base = view.data
    rows = [
        ("A0001", None, "region", "Europe", "revenue", -8.1, "medium"),
        ("A0002", "A0001", "region/department", "Europe / Sales", "revenue", -7.5, "medium"),
        ("A0003", "A0001", "region", "Europe", "accounts_receivable", -6.0, "low"),
        ("A0004", None, "total", "total", "revenue", 5.2, "low"),
    ]
    frame = pd.DataFrame(
        [
            {
                "id": i,
                "linked_to": link,
                "level": level,
                "segment": segment,
                "metric": metric,
                "date": pd.Timestamp("2024-01-01" if i == "A0004" else "2022-08-01"),
                "value": 1.0,
                "expected": 2.0,
                "score": score,
                "severity": severity,
                "reason": "moved",
            }
            for i, link, level, segment, metric, score, severity in rows
        ]
    )
    data = ReportData(run_id="r", panel=base.panel, anomalies=frame)
    anomalies = AnomaliesView(data)
    qtbot.addWidget(anomalies)
    # The report's order (not by period), independent events only: the dip, then the spike.
    assert list(anomalies.model.frame["id"]) == ["A0001", "A0004"]
    part_of = [c.key for c in anomalies.model._columns].index("linked_to")
    assert anomalies.table.isColumnHidden(part_of)  # nothing to say for independent events
    anomalies.show_linked.setChecked(True)
    assert not anomalies.table.isColumnHidden(part_of)
    assert list(anomalies.model.frame["id"]) == ["A0001", "A0002", "A0003", "A0004"]
    assert anomalies.model.data(anomalies.model.index(2, part_of)) == ("Revenue · Europe, Aug 2022")
    # Sorting by score ranks by strength, a large dip before a smaller spike.
    from PySide6.QtCore import Qt

    score = [c.key for c in anomalies.model._columns].index("score")
    anomalies.table.sortByColumn(score, Qt.SortOrder.DescendingOrder)
    assert list(anomalies.model.frame["id"]) == ["A0001", "A0002", "A0003", "A0004"]
