"""Re-open a past report folder for the window: report.json, the CSVs, actuals and charts."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from ..errors import InputError
from ..model import Panel
from .safe import restore_cell
from .tables import (
    ANOMALY_COLUMNS,
    CONTRACT_TABLES,
    CORRELATION_COLUMNS,
    FORECAST_COLUMNS,
)

__all__ = ["LoadedReport", "load_report"]

_TEXT = {"level", "segment", "metric", "model", "severity", "reason", "metric_a", "metric_b",
         "method"}  # fmt: skip


@dataclass(frozen=True, eq=False)
class LoadedReport:
    """A report read back from its folder (what the window needs to show it again)."""

    folder: Path
    data: dict[str, Any]
    forecasts: pd.DataFrame
    anomalies: pd.DataFrame
    correlations: pd.DataFrame
    panel: Panel | None
    charts: tuple[Path, ...] = field(default_factory=tuple)

    @property
    def run_id(self) -> str:
        """The run that made this report."""
        return str(self.data.get("run", {}).get("run_id", ""))

    @property
    def created_at(self) -> str:
        """When the report was made (ISO text)."""
        return str(self.data.get("created_at", ""))

    @property
    def documents(self) -> dict[str, Path]:
        """Give format -> path of the documents present (xlsx, html, pdf)."""
        found = {f: self.folder / f"report.{f}" for f in ("xlsx", "html", "pdf")}
        return {f: p for f, p in found.items() if p.is_file()}


def _read_table(path: Path, columns: tuple[str, ...]) -> pd.DataFrame:
    if not path.is_file():
        return pd.DataFrame({c: pd.Series(dtype=object) for c in columns})
    try:
        raw = pd.read_csv(path, dtype=str, keep_default_na=False)
    except (pd.errors.ParserError, UnicodeDecodeError, pd.errors.EmptyDataError) as exc:
        raise InputError(f"The report file cannot be read: {exc}", file=path) from exc
    missing = [c for c in columns if c not in raw.columns]
    if missing:
        raise InputError(
            f"The report file lacks the column(s) {', '.join(missing)}", file=path,
            hint="It was not written by CFO Desk or has been edited",
        )  # fmt: skip
    table = pd.DataFrame(index=raw.index)
    for column in raw.columns:
        values = raw[column]
        if column == "date":
            table[column] = pd.to_datetime(values.replace("", None), errors="coerce")
        elif column in _TEXT:
            table[column] = values.astype(object).map(restore_cell)
        else:
            table[column] = pd.to_numeric(values.replace("", None), errors="coerce")
    return table


def load_report(folder: str | Path) -> LoadedReport:
    """Give the report stored in ``folder`` (a folder CFO Desk wrote)."""
    folder = Path(folder).expanduser()
    if not folder.is_dir():
        raise InputError("This report folder does not exist", file=folder)
    json_path = folder / "report.json"
    if not json_path.is_file():
        raise InputError(
            "This folder is not a CFO Desk report: it has no report.json", file=folder,
            hint="Choose the folder that holds report.json",
        )  # fmt: skip
    try:
        data = json.loads(json_path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InputError(
            f"report.json is damaged and cannot be read ({exc})", file=json_path
        ) from exc
    if not isinstance(data, dict) or "schema_version" not in data or "run" not in data:
        raise InputError("This report.json was not written by CFO Desk", file=json_path)
    panel = None
    if isinstance(data.get("actuals"), dict):
        try:
            panel = Panel.from_json(data["actuals"])
        except (KeyError, TypeError, ValueError) as exc:
            raise InputError(
                f"The actuals in report.json are damaged ({exc})", file=json_path
            ) from exc
    columns = {name: cols for name, (_attr, cols) in CONTRACT_TABLES.items()}
    charts = (
        tuple(sorted((folder / "charts").glob("*.png"))) if (folder / "charts").is_dir() else ()
    )
    return LoadedReport(
        folder=folder.resolve(),
        data=data,
        forecasts=_read_table(
            folder / "forecasts.csv", columns.get("forecasts.csv", FORECAST_COLUMNS)
        ),
        anomalies=_read_table(
            folder / "anomalies.csv", columns.get("anomalies.csv", ANOMALY_COLUMNS)
        ),
        correlations=_read_table(
            folder / "correlations.csv", columns.get("correlations.csv", CORRELATION_COLUMNS)
        ),
        panel=panel,
        charts=charts,
    )
