"""``report.xlsx``: a sheet per section, native Excel line charts for the key forecasts.

Every text cell goes through :func:`~cfodesk.export.safe.neutralise_cell` (openpyxl would
otherwise store a string starting with ``=`` as a formula) and loses control characters that
Excel refuses.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Sequence
from io import BytesIO
from pathlib import Path
from typing import Any

import pandas as pd
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.chart import LineChart, Reference
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from ..metrics import metric_label
from ..model import Report, SeriesKey
from .atomic import atomic_write_bytes
from .chart_data import forecast_frame, key_metrics
from .fmt import kpi_unit
from .report_text import (
    forecast_summary_rows,
    kpi_rows,
    narrative_lines,
    quality_rows,
    report_facts,
    scenario_table,
)
from .safe import neutralise_cell
from .tables import anomaly_table, correlation_table, forecast_table, section_table

__all__ = ["write_xlsx", "xlsx_bytes", "SHEETS"]

SHEETS: tuple[str, ...] = (
    "Summary", "KPIs", "Forecasts", "Forecast charts", "Forecast models", "Anomalies", "Correlations", "Scenarios",
    "Data quality",
)  # fmt: skip
MONEY = "#,##0;[Red]-#,##0"
DECIMAL = "#,##0.00;[Red]-#,##0.00"
PERCENT = "0.0%"
DATE = "yyyy-mm-dd"
_HEADER_FILL = PatternFill("solid", fgColor="1F2937")
_HEADER_FONT = Font(bold=True, color="FFFFFF")
_TITLE_FONT = Font(bold=True, size=16, color="1F2937")
_SEVERITY_FILL = {
    "high": PatternFill("solid", fgColor="FECACA"),
    "medium": PatternFill("solid", fgColor="FED7AA"),
    "low": PatternFill("solid", fgColor="FEF3C7"),
}
_CHART_HISTORY = 36  # periods of actuals shown before the forecast in the native charts


def _cell_value(value: Any) -> Any:
    """Give a value openpyxl can store safely (no formulas, no control characters, no NaN)."""
    if value is None:
        return None
    if isinstance(value, str):
        return neutralise_cell(ILLEGAL_CHARACTERS_RE.sub("", value))
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)):
        number = float(value)
        return value if math.isfinite(number) else None
    if isinstance(value, pd.Timestamp):
        return None if pd.isna(value) else value.to_pydatetime()
    if isinstance(value, (dt.date, dt.datetime)):
        return value
    if hasattr(value, "item"):  # numpy scalars
        return _cell_value(value.item())
    if pd.isna(value) if not isinstance(value, (list, tuple, dict)) else False:
        return None
    return _cell_value(str(value))


def _write_table(
    ws: Worksheet,
    headers: Sequence[str],
    rows: Iterable[Sequence[Any]],
    *,
    start_row: int = 1,
    formats: dict[str, str] | None = None,
    widths: dict[str, int] | None = None,
) -> int:
    """Write a header and rows; give the last row written. Freezes the header when it is row 1."""
    formats = formats or {}
    widths = widths or {}
    for col, header in enumerate(headers, start=1):
        cell = ws.cell(row=start_row, column=col, value=_cell_value(header))
        cell.fill = _HEADER_FILL
        cell.font = _HEADER_FONT
        width = widths.get(header, max(10, min(40, len(header) + 4)))
        ws.column_dimensions[get_column_letter(col)].width = width
    column_formats = [formats.get(h) for h in headers]
    row_index = start_row
    for row_index, row in enumerate(rows, start=start_row + 1):
        for col, value in enumerate(row, start=1):
            cell = ws.cell(row=row_index, column=col, value=_cell_value(value))
            number_format = column_formats[col - 1]
            if number_format:
                cell.number_format = number_format
    if start_row == 1:
        ws.freeze_panes = "A2"
    return row_index


def _frame_rows(frame: pd.DataFrame) -> Iterable[list[Any]]:
    columns = list(frame.columns)
    date_columns = {c for c in columns if c == "date"}
    for record in frame.itertuples(index=False, name=None):
        row = list(record)
        for i, column in enumerate(columns):
            if column in date_columns and isinstance(row[i], str) and row[i]:
                row[i] = dt.datetime.strptime(row[i], "%Y-%m-%d")
        yield row


def _summary_sheet(ws: Worksheet, report: Report) -> None:
    ws["A1"] = "CFO Desk report"
    ws["A1"].font = _TITLE_FONT
    ws.column_dimensions["A"].width = 28
    ws.column_dimensions["B"].width = 90
    row = 3
    for label, value in report_facts(report):
        ws.cell(row=row, column=1, value=_cell_value(label)).font = Font(bold=True)
        ws.cell(row=row, column=2, value=_cell_value(value))
        row += 1
    lines = narrative_lines(report)
    if lines:
        row += 1
        ws.cell(row=row, column=1, value="Summary").font = Font(bold=True, size=12)
        for kind, line in lines:
            row += 1
            cell = ws.cell(
                row=row, column=2, value=_cell_value(("• " if kind == "bullet" else "") + line)
            )
            cell.alignment = Alignment(wrap_text=True, vertical="top")
            if kind == "headline":
                cell.font = Font(bold=True)


_KPI_HEADERS = ("Level", "Segment", "KPI", "Unit", "Last period", "Last", "TTM", "Prior TTM",
                "Change", "Change %")  # fmt: skip


def _kpi_sheet(ws: Worksheet, report: Report) -> None:
    rows = kpi_rows(report)
    _write_table(ws, _KPI_HEADERS, [], widths={"Segment": 24, "KPI": 28})
    for r, item in enumerate(rows, start=2):
        values = (item["level"], item["segment"], item["label"], item["unit"],
                  item["last_period"], item["last"], item["ttm"], item["prior_ttm"],
                  item["change"], item["change_pct"])  # fmt: skip
        number_format = PERCENT if kpi_unit(item["unit"]) == "percent" else (
            DECIMAL if kpi_unit(item["unit"]) in ("days", "months") else MONEY)  # fmt: skip
        for c, value in enumerate(values, start=1):
            cell = ws.cell(row=r, column=c, value=_cell_value(value))
            if c in (6, 7, 8, 9):
                cell.number_format = number_format
            elif c == 10:
                cell.number_format = PERCENT


def _forecast_chart_sheet(ws: Worksheet, report: Report) -> None:
    """One block of chart data and one native line chart per key company metric."""
    ws["A1"] = "Key forecasts — company (actuals, forecast, 80 % and 95 % ranges)"
    ws["A1"].font = Font(bold=True, size=12)
    headers = ("Date", "Actual", "Forecast", "Lower 95 %", "Lower 80 %", "Upper 80 %",
               "Upper 95 %")  # fmt: skip
    top = 3
    for metric in key_metrics(report, limit=4):
        future = forecast_frame(report, metric)
        history = report.panel.series(SeriesKey("total", "total", metric)).iloc[-_CHART_HISTORY:]
        if future.empty:
            continue
        ws.cell(row=top, column=1, value=_cell_value(metric_label(metric))).font = Font(bold=True)
        rows: list[list[Any]] = [[d, v, None, None, None, None, None] for d, v in history.items()]
        if rows:  # the forecast line starts at the last actual so the chart has no gap
            rows[-1][2] = rows[-1][1]
        for rec in future.itertuples(index=False):
            rows.append([rec.date, None, rec.forecast, rec.lower_95, rec.lower_80, rec.upper_80,
                         rec.upper_95])  # fmt: skip
        header_row = top + 1
        last = _write_table(ws, headers, rows, start_row=header_row,
                            formats={"Date": DATE, **{h: MONEY for h in headers[1:]}},
                            widths={"Date": 12})  # fmt: skip
        chart = LineChart()
        chart.title = _cell_value(f"{metric_label(metric)} — forecast")
        chart.height, chart.width = 7.5, 16
        chart.y_axis.number_format = "#,##0"
        chart.y_axis.title = None
        chart.x_axis.number_format = "mmm yy"
        chart.x_axis.majorTimeUnit = "months"
        data = Reference(ws, min_col=2, max_col=7, min_row=header_row, max_row=last)
        chart.add_data(data, titles_from_data=True)
        chart.set_categories(Reference(ws, min_col=1, min_row=header_row + 1, max_row=last))
        styles = {0: ("1D4ED8", None), 1: ("EA580C", "dash"), 2: ("FDBA74", "sysDot"),
                  3: ("F97316", "sysDash"), 4: ("F97316", "sysDash"), 5: ("FDBA74", "sysDot")}  # fmt: skip
        for index, series in enumerate(chart.series):
            color, dash = styles[index]
            series.graphicalProperties.line.solidFill = color
            series.graphicalProperties.line.width = 22000 if index < 2 else 12000
            if dash:
                series.graphicalProperties.line.dashStyle = dash
            series.smooth = False
        ws.add_chart(chart, f"I{top}")
        top = max(last, top + 16) + 3


def _frame_sheet(ws: Worksheet, frame: pd.DataFrame, formats: dict[str, str],
                 widths: dict[str, int] | None = None) -> None:  # fmt: skip
    _write_table(ws, list(frame.columns), _frame_rows(frame), formats=formats, widths=widths)


def _anomaly_sheet(ws: Worksheet, report: Report) -> None:
    frame = anomaly_table(report)
    numbers = {c: DECIMAL for c in ("value", "expected", "lower", "upper", "score")}
    _frame_sheet(ws, frame, {"date": DATE, **numbers}, {"segment": 24, "metric": 20, "reason": 80})
    severity_col = list(frame.columns).index("severity") + 1
    for row in range(2, len(frame) + 2):
        fill = _SEVERITY_FILL.get(str(ws.cell(row=row, column=severity_col).value))
        if fill is not None:
            ws.cell(row=row, column=severity_col).fill = fill


def _correlation_sheet(ws: Worksheet, report: Report) -> None:
    frame = correlation_table(report)
    table = section_table(report.correlations)
    extra = [c for c in ("p_value", "q_value", "n", "sentence") if table is not None and c in table]
    for column in extra:
        frame[column] = table[column].reset_index(drop=True)
    _frame_sheet(ws, frame, {"correlation": "0.000", "p_value": "0.0000", "q_value": "0.0000"},
                 {"segment": 24, "metric_a": 20, "metric_b": 20, "method": 24, "sentence": 80})  # fmt: skip


def _generic_sheet(ws: Worksheet, headers: Sequence[str], rows: Sequence[Sequence[Any]],
                   empty_message: str) -> None:  # fmt: skip
    if not rows:
        ws["A1"] = empty_message
        return
    formats = {
        h: PERCENT if "margin" in h.lower() or "coverage" in h.lower() else MONEY
        for h, v in zip(headers, rows[0])
        if isinstance(v, float)
    }
    _write_table(ws, headers, rows, formats=formats, widths={h: 18 for h in headers})


def xlsx_bytes(report: Report) -> bytes:
    """Give the workbook's bytes (sheets in :data:`SHEETS` order)."""
    wb = Workbook()
    wb.remove(wb.active)
    sheets = {name: wb.create_sheet(name) for name in SHEETS}
    _summary_sheet(sheets["Summary"], report)
    _kpi_sheet(sheets["KPIs"], report)
    forecasts = forecast_table(report)
    numbers = {c: MONEY for c in ("forecast", "lower_80", "upper_80", "lower_95", "upper_95")}
    _frame_sheet(sheets["Forecasts"], forecasts, {"date": DATE, **numbers},
                 {"segment": 24, "metric": 20, "model": 22})  # fmt: skip
    models = forecast_summary_rows(report)
    _generic_sheet(sheets["Forecast models"], list(models[0]) if models else [],
                   [list(m.values()) for m in models], "No forecasts in this run.")  # fmt: skip
    _forecast_chart_sheet(sheets["Forecast charts"], report)
    _anomaly_sheet(sheets["Anomalies"], report)
    _correlation_sheet(sheets["Correlations"], report)
    headers, rows = scenario_table(report)
    _generic_sheet(sheets["Scenarios"], headers, rows, "No scenarios were asked for in this run.")
    headers, rows = quality_rows(report)
    _generic_sheet(
        sheets["Data quality"], headers, rows, "No repairs or warnings: the data was clean."
    )
    buffer = BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def write_xlsx(report: Report, dest: Path) -> Path:
    """Give the path of ``dest/report.xlsx`` after writing it atomically."""
    return atomic_write_bytes(Path(dest) / "report.xlsx", xlsx_bytes(report))
