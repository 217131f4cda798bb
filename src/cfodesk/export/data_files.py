"""``report.json`` and the contract CSVs, each written atomically."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd

from ..model import Report
from .atomic import atomic_write_text
from .safe import json_ready, neutralise_frame
from .tables import CONTRACT_TABLES, contract_table, rounded_for_file

__all__ = ["report_json_text", "write_report_json", "csv_text", "write_contract_csv", "CSV_FILES"]

CSV_FILES: tuple[str, ...] = tuple(CONTRACT_TABLES)


def report_json_text(report: Report) -> str:
    """Give the text of ``report.json``: strict JSON (no NaN), indented."""
    data: Any = json_ready(report.to_json())
    return json.dumps(data, allow_nan=False, indent=2, ensure_ascii=False) + "\n"


def write_report_json(report: Report, dest: Path) -> Path:
    """Give the path of ``dest/report.json`` after writing it."""
    return atomic_write_text(dest / "report.json", report_json_text(report))


def csv_text(table: pd.DataFrame) -> str:
    """Give a contract table as CSV text: neutralised text cells, rounded numbers, header always."""
    safe = neutralise_frame(rounded_for_file(table))
    return safe.to_csv(index=False, lineterminator="\n")


def write_contract_csv(report: Report, dest: Path, file_name: str) -> Path:
    """Give the path of ``dest/<file_name>`` after writing that contract table."""
    return atomic_write_text(dest / file_name, csv_text(contract_table(report, file_name)))
