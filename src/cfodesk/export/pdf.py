"""``report.pdf`` with reportlab platypus: title page, summary, KPIs, charts, anomalies, quality.

Pages are numbered "Page 3 of 12" (a second pass knows the total). Text is set in DejaVu Sans
(shipped with matplotlib) so any segment name prints, and every string from the data is escaped
before it reaches reportlab's paragraph markup.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape
from io import BytesIO
from pathlib import Path
from typing import Any

from reportlab.lib import colors
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.pagesizes import A4, LETTER
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    Image,
    KeepTogether,
    PageBreak,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from ..metrics import metric_label
from ..model import Report
from .atomic import atomic_write_bytes
from .fmt import format_change, format_number, format_percent, format_value, text
from .report_text import (
    forecast_summary_rows,
    kpi_rows,
    narrative_lines,
    quality_rows,
    report_facts,
    top_anomalies,
)

__all__ = ["write_pdf", "pdf_bytes", "PAGE_SIZES"]

PAGE_SIZES = {"A4": A4, "Letter": LETTER}
_FONT, _BOLD = "Helvetica", "Helvetica-Bold"
_KPI_ROWS = 60
_ANOMALY_ROWS = 40


def _register_fonts() -> tuple[str, str]:
    """Give (regular, bold) font names: DejaVu Sans when available, else Helvetica."""
    global _FONT, _BOLD
    if _FONT == "DejaVuSans":
        return _FONT, _BOLD
    try:
        import matplotlib
        from reportlab.pdfbase import pdfmetrics
        from reportlab.pdfbase.ttfonts import TTFont

        folder = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
        pdfmetrics.registerFont(TTFont("DejaVuSans", str(folder / "DejaVuSans.ttf")))
        pdfmetrics.registerFont(TTFont("DejaVuSans-Bold", str(folder / "DejaVuSans-Bold.ttf")))
        _FONT, _BOLD = "DejaVuSans", "DejaVuSans-Bold"
    except Exception:  # noqa: BLE001 - the built-in fonts still print Latin text
        pass
    return _FONT, _BOLD


def _styles() -> dict[str, ParagraphStyle]:
    regular, bold = _register_fonts()
    base = getSampleStyleSheet()
    body = ParagraphStyle("body", parent=base["BodyText"], fontName=regular, fontSize=9.5,
                          leading=13)  # fmt: skip
    return {
        "title": ParagraphStyle("title", parent=body, fontName=bold, fontSize=28, leading=34,
                                spaceAfter=6, textColor=colors.HexColor("#1f2937")),
        "subtitle": ParagraphStyle("subtitle", parent=body, fontSize=12, leading=16,
                                   textColor=colors.HexColor("#6b7280"), spaceAfter=18),
        "h1": ParagraphStyle("h1", parent=body, fontName=bold, fontSize=16, leading=20,
                             spaceBefore=6, spaceAfter=8),
        "headline": ParagraphStyle("headline", parent=body, fontName=bold, fontSize=12,
                                   leading=16, spaceAfter=8),
        "body": body,
        "bullet": ParagraphStyle("bullet", parent=body, leftIndent=12, bulletIndent=2),
        "cell": ParagraphStyle("cell", parent=body, fontSize=7.5, leading=9.5),
        "small": ParagraphStyle("small", parent=body, fontSize=8,
                                textColor=colors.HexColor("#6b7280")),
        "num": ParagraphStyle("num", parent=body, fontSize=7.5, leading=9.5, alignment=TA_RIGHT),
    }  # fmt: skip


def _p(value: Any, style: ParagraphStyle) -> Paragraph:
    return Paragraph(escape(text(value)), style)


def _grid(rows: list[list[Any]], widths: Sequence[float], numeric: Sequence[int] = ()) -> Table:
    regular, bold = _register_fonts()
    table = Table(rows, colWidths=list(widths), repeatRows=1, hAlign="LEFT")
    style = [
        ("FONTNAME", (0, 0), (-1, -1), regular),
        ("FONTNAME", (0, 0), (-1, 0), bold),
        ("FONTSIZE", (0, 0), (-1, -1), 7.5),
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#1f2937")),
        ("TEXTCOLOR", (0, 0), (-1, 0), colors.white),
        ("LINEBELOW", (0, 1), (-1, -1), 0.25, colors.HexColor("#e5e7eb")),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("ROWBACKGROUNDS", (0, 1), (-1, -1), [colors.white, colors.HexColor("#f9fafb")]),
    ]
    style += [("ALIGN", (c, 0), (c, -1), "RIGHT") for c in numeric]
    table.setStyle(TableStyle(style))
    return table


class _NumberedCanvas(Canvas):
    """A canvas that knows the page count when it saves, to print 'Page 3 of 12'."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._pages: list[dict[str, Any]] = []

    def showPage(self) -> None:  # noqa: N802 - reportlab's name
        self._pages.append(dict(self.__dict__))
        self._startPage()

    def save(self) -> None:
        total = len(self._pages)
        for state in self._pages:
            self.__dict__.update(state)
            if self._pageNumber > 1:  # the title page carries no number
                width, _height = self._pagesize
                self.setFont(_FONT, 8)
                self.setFillColor(colors.HexColor("#6b7280"))
                self.drawRightString(width - 18 * mm, 10 * mm,
                                     f"Page {self._pageNumber} of {total}")  # fmt: skip
                self.drawString(18 * mm, 10 * mm, "CFO Desk report")
            super().showPage()
        super().save()


def _story(report: Report, charts: Sequence[Path], width: float) -> list[Any]:
    s = _styles()
    story: list[Any] = [Spacer(1, 40 * mm), Paragraph("CFO Desk report", s["title"]),
                        _p(f"Finance report · {report.created_at[:10]}", s["subtitle"])]  # fmt: skip
    facts = [[_p(k, s["small"]), _p(v, s["body"])] for k, v in report_facts(report)]
    story.append(Table(facts, colWidths=[40 * mm, width - 40 * mm], hAlign="LEFT"))
    story.append(PageBreak())

    story.append(Paragraph("Summary", s["h1"]))
    lines = narrative_lines(report)
    for kind, line in lines:
        if kind == "bullet":
            story.append(Paragraph(escape(line), s["bullet"], bulletText="•"))
        else:
            story.append(_p(line, s["headline"] if kind == "headline" else s["body"]))
    if not lines:
        story.append(_p("No summary was produced for this run.", s["body"]))

    story += [Spacer(1, 6 * mm), Paragraph("Key figures", s["h1"])]
    kpis = kpi_rows(report)
    rows: list[list[Any]] = [["Segment", "KPI", "Last", "Last 12 m", "Prior 12 m",
                              "Change"]]  # fmt: skip
    for r in kpis[:_KPI_ROWS]:
        rows.append([_p("Company" if r["level"] == "total" else r["segment"], s["cell"]),
                     _p(r["label"], s["cell"]), format_value(r["last"], r["unit"]),
                     format_value(r["ttm"], r["unit"]), format_value(r["prior_ttm"], r["unit"]),
                     format_change(r["change_pct"], r["change"], r["unit"])])  # fmt: skip
    if len(rows) > 1:
        share = [0.22, 0.24, 0.14, 0.14, 0.14, 0.12]
        story.append(_grid(rows, [width * f for f in share], numeric=(2, 3, 4, 5)))
        if len(kpis) > _KPI_ROWS:
            story.append(_p(f"{len(kpis) - _KPI_ROWS} more rows are in report.xlsx.", s["small"]))
    else:
        story.append(_p("No KPIs were computed for this run.", s["body"]))

    images = [Path(c) for c in charts if Path(c).is_file()]
    if images:
        story += [PageBreak(), Paragraph("Forecasts and charts", s["h1"])]
        for chart in images:
            story.append(KeepTogether([Image(str(chart), width=width, height=width / 2),
                                       Spacer(1, 4 * mm)]))  # fmt: skip
    models = forecast_summary_rows(report, level="total")
    if models:
        rows = [["Metric", "Model", "MASE", "sMAPE %", "80 % cover", "95 % cover"]]
        rows += [[_p(metric_label(m["metric"]), s["cell"]), _p(m["model"], s["cell"]),
                  format_number(m["mase"], 2), format_number(m["smape"], 1),
                  format_percent(m["coverage_80"]), format_percent(m["coverage_95"])]
                 for m in models]  # fmt: skip
        story += [Paragraph("Forecast models (company)", s["h1"]),
                  _grid(rows, [width * f for f in (0.26, 0.3, 0.1, 0.1, 0.12, 0.12)],
                        numeric=(2, 3, 4, 5))]  # fmt: skip

    story += [PageBreak(), Paragraph("Anomalies", s["h1"])]
    top = top_anomalies(report, _ANOMALY_ROWS)
    if top.empty:
        story.append(_p("No anomalies were found.", s["body"]))
    else:
        rows = [["Period", "Segment", "Metric", "Actual", "Expected", "Severity", "Why"]]
        for rec in top.to_dict(orient="records"):
            rows.append([str(rec.get("date", ""))[:10],
                         _p("Company" if rec.get("level") == "total" else rec.get("segment"), s["cell"]),
                         _p(metric_label(text(rec.get("metric"))), s["cell"]),
                         format_value(rec.get("value")), format_value(rec.get("expected")),
                         text(rec.get("severity")), _p(rec.get("reason"), s["cell"])])  # fmt: skip
        share = (0.1, 0.14, 0.14, 0.1, 0.1, 0.08, 0.34)
        story.append(_grid(rows, [width * f for f in share], numeric=(3, 4)))

    story += [Spacer(1, 6 * mm), Paragraph("Data quality", s["h1"])]
    headers, quality = quality_rows(report)
    if quality:
        rows = [headers] + [[_p(v, s["cell"]) for v in row] for row in quality]
        share = (0.09, 0.12, 0.33, 0.14, 0.14, 0.11, 0.07)
        story.append(_grid(rows, [width * f for f in share]))
    else:
        story.append(_p("No repairs or warnings: the data was clean.", s["body"]))
    return story


def pdf_bytes(report: Report, charts: Sequence[Path] = ()) -> bytes:
    """Give the PDF's bytes, on the page size the report's config asks for (A4 or Letter)."""
    page = PAGE_SIZES.get(report.config.page_size, A4)
    buffer = BytesIO()
    doc = SimpleDocTemplate(
        buffer, pagesize=page, leftMargin=18 * mm, rightMargin=18 * mm, topMargin=18 * mm,
        bottomMargin=18 * mm, title="CFO Desk report", author="CFO Desk",
        subject=f"Run {report.run_id}",
    )  # fmt: skip
    doc.build(_story(report, charts, doc.width), canvasmaker=_NumberedCanvas)
    return buffer.getvalue()


def write_pdf(report: Report, dest: Path, charts: Sequence[Path] = ()) -> Path:
    """Give the path of ``dest/report.pdf`` after writing it atomically."""
    return atomic_write_bytes(Path(dest) / "report.pdf", pdf_bytes(report, charts))
