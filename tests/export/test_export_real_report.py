"""The writers on a report made by the real pipeline from a small CSV with hostile names."""

from __future__ import annotations

import csv
import html
import json
from pathlib import Path

import numpy as np
import openpyxl
import pytest

from cfodesk.config import ReportConfig
from cfodesk.export import load_report
from cfodesk.pipeline import run_report

HOSTILE_REGION = '=HYPERLINK("http://x")'


def _write_sample(path: Path) -> None:
    rng = np.random.default_rng(3)
    rows = [["Date", "Region", "Department", "Revenue", "COGS", "Operating Expenses",
             "Cash Balance"]]  # fmt: skip
    for month in range(36):
        date = f"{2021 + month // 12}-{month % 12 + 1:02d}-01"
        season = 1 + 0.1 * np.sin(2 * np.pi * month / 12)
        for r, region in enumerate(("Europe", HOSTILE_REGION)):
            for d, department in enumerate(("Sales", "@Ops")):
                revenue = 10000 * (1 + r) * (1 + 0.5 * d) * (1 + 0.01 * month) * season
                revenue *= 1 + 0.03 * rng.standard_normal()
                rows.append([date, region, department, f"{revenue:.2f}", f"{revenue * 0.4:.2f}",
                             f"{revenue * 0.3:.2f}", f"{50000 + 500 * month:.2f}"])  # fmt: skip
    with open(path, "w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows(rows)


@pytest.fixture(scope="module")
def real_report_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("real")
    source = folder / "finance.csv"
    _write_sample(source)
    out = folder / "report"
    config = ReportConfig(horizon=6, jobs=1)
    run_report([source], config, out_dir=out)
    return out


def test_every_contract_file_is_written(real_report_folder: Path) -> None:
    names = {p.name for p in real_report_folder.iterdir()}
    assert {"report.json", "forecasts.csv", "anomalies.csv", "correlations.csv", "report.xlsx",
            "report.html", "report.pdf", "charts"} <= names  # fmt: skip
    data = json.loads((real_report_folder / "report.json").read_text(encoding="utf-8"))
    assert data["forecast_summary"] is not None and data["kpis"] is not None
    assert any(p.name == "forecast_revenue.png" for p in (real_report_folder / "charts").iterdir())


def test_hostile_dimension_names_never_become_formulas(real_report_folder: Path) -> None:
    with open(real_report_folder / "forecasts.csv", newline="", encoding="utf-8") as handle:
        segments = {row["segment"] for row in csv.DictReader(handle)}
    assert "'" + HOSTILE_REGION in segments
    assert not any(s.startswith(("=", "@", "+")) for s in segments)
    wb = openpyxl.load_workbook(real_report_folder / "report.xlsx")
    assert not [c for ws in wb for row in ws.iter_rows() for c in row if c.data_type == "f"]
    page = (real_report_folder / "report.html").read_text(encoding="utf-8")
    assert "<script" not in page


def test_the_folder_reopens(real_report_folder: Path) -> None:
    loaded = load_report(real_report_folder)
    assert loaded.panel is not None and "revenue" in loaded.panel.metrics
    assert HOSTILE_REGION in set(loaded.forecasts["segment"])
    assert set(loaded.documents) == {"xlsx", "html", "pdf"}


def test_the_summary_reads_as_sentences(real_report_folder: Path) -> None:
    data = json.loads((real_report_folder / "report.json").read_text(encoding="utf-8"))
    bullets = [b["text"] for b in data["narrative"]["bullets"]]
    page = (real_report_folder / "report.html").read_text(encoding="utf-8")
    assert data["narrative"]["headline"].split(",")[0] in page
    assert "Bullet(" not in page
    for text in bullets:
        assert html.escape(text) in page
