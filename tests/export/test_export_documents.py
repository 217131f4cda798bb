import re
from html.parser import HTMLParser
from pathlib import Path

import openpyxl
import pytest
from export_fixtures import HOSTILE_METRIC, HOSTILE_SEGMENT, make_report

from cfodesk.export import write_exports
from cfodesk.export.xlsx import SHEETS
from cfodesk.model import Report

REQUIRED_SHEETS = ("Summary", "KPIs", "Forecasts", "Anomalies", "Correlations", "Scenarios",
                   "Data quality")  # fmt: skip


@pytest.fixture(scope="module")
def documents(tmp_path_factory: pytest.TempPathFactory, sample_report: Report, charts_dir):
    folder = tmp_path_factory.mktemp("documents")
    _charts_folder, charts = charts_dir
    files = write_exports(sample_report, folder, formats=["xlsx", "html", "pdf"], charts=charts)
    return folder, files


def test_workbook_opens_with_every_sheet_and_native_charts(documents) -> None:
    folder, _files = documents
    wb = openpyxl.load_workbook(folder / "report.xlsx")
    assert set(REQUIRED_SHEETS) <= set(wb.sheetnames)
    assert tuple(wb.sheetnames) == SHEETS
    charts = wb["Forecast charts"]._charts
    assert len(charts) >= 3
    assert all(len(c.series) == 6 for c in charts)  # actual, forecast and four band lines
    forecasts = wb["Forecasts"]
    assert forecasts.freeze_panes == "A2"
    assert [c.value for c in forecasts[1]][:4] == ["level", "segment", "metric", "date"]
    assert forecasts["E2"].number_format.startswith("#,##0")
    assert forecasts["D2"].is_date


def test_workbook_holds_no_formula_from_the_data(documents) -> None:
    folder, _files = documents
    wb = openpyxl.load_workbook(folder / "report.xlsx")
    formulas = [
        (ws.title, cell.coordinate, cell.value)
        for ws in wb
        for row in ws.iter_rows()
        for cell in row
        if cell.data_type == "f"
        or (isinstance(cell.value, str) and cell.value[:1] in ("=", "+", "@"))
    ]
    assert formulas == []
    texts = {
        c.value for ws in wb for row in ws.iter_rows() for c in row if isinstance(c.value, str)
    }
    assert "'" + HOSTILE_SEGMENT in texts
    assert "'@SUM(A1) fell to 100" in texts


class _Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.images: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        if tag == "img":
            self.images.append(dict(attrs).get("src") or "")

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def test_html_is_self_contained_and_escapes_the_data(documents, charts_dir) -> None:
    folder, _files = documents
    page = (folder / "report.html").read_text(encoding="utf-8")
    parser = _Collector()
    parser.feed(page)
    assert "script" not in parser.tags
    assert "link" not in parser.tags  # no external stylesheet
    assert len(parser.images) == len(charts_dir[1])
    assert all(src.startswith("data:image/png;base64,") for src in parser.images)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    text = "".join(parser.text)
    assert HOSTILE_METRIC in text and HOSTILE_SEGMENT in text  # shown as text, not markup
    assert "@media print" in page
    assert not re.search(r"(src|href)=\"https?:", page)


def _pdf_pages(path: Path) -> list[bytes]:
    data = path.read_bytes()
    return re.findall(rb"/Type /Page\b(?!s).*?/MediaBox \[([^\]]*)\]", data, re.S)


def test_pdf_has_pages_and_a4_size(documents) -> None:
    folder, _files = documents
    data = (folder / "report.pdf").read_bytes()
    assert data.startswith(b"%PDF-")
    boxes = _pdf_pages(folder / "report.pdf")
    assert len(boxes) >= 3
    width, height = (float(v) for v in boxes[0].split()[2:4])
    assert (round(width), round(height)) == (595, 842)


def test_pdf_letter_size(tmp_path: Path, charts_dir) -> None:
    report = make_report(page_size="Letter")
    write_exports(report, tmp_path, formats=["pdf"], charts=charts_dir[1])
    boxes = _pdf_pages(tmp_path / "report.pdf")
    width, height = (float(v) for v in boxes[0].split()[2:4])
    assert (round(width), round(height)) == (612, 792)
    assert len(boxes) >= 3


def test_documents_without_sections_still_open(tmp_path: Path) -> None:
    report = make_report(sections=False)
    write_exports(report, tmp_path, formats=["xlsx", "html", "pdf"])
    wb = openpyxl.load_workbook(tmp_path / "report.xlsx")
    assert wb["Anomalies"].max_row == 1  # header only
    assert "No anomalies were found" in (tmp_path / "report.html").read_text(encoding="utf-8")
    assert len(_pdf_pages(tmp_path / "report.pdf")) >= 2  # title page + summary and tables


def test_documents_list_independent_events_before_their_parts():
    from types import SimpleNamespace

    import pandas as pd

    from cfodesk.export.report_text import top_anomalies

    table = pd.DataFrame(
        {
            "id": ["A1", "A2", "A3", "A4"],
            "linked_to": [None, "A1", "A1", None],
            "severity": ["high", "high", "high", "low"],
            "score": [-6.0, 12.0, 9.0, 4.5],
        }
    )
    report = SimpleNamespace(anomalies=SimpleNamespace(table=table))
    # The cell that drove the event scores higher than the event, but the event is listed first
    # and the low independent one is not pushed out by the event's parts.
    assert list(top_anomalies(report, limit=2)["id"]) == ["A1", "A4"]
    assert list(top_anomalies(report)["id"]) == ["A1", "A4", "A2", "A3"]
