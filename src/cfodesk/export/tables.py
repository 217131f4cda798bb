"""The contract tables (forecasts, anomalies, correlations) taken from a report's sections.

Sections are written by other parts of the app and may be missing (a run without correlations)
or carry extra columns; these functions always give exactly the contract's columns in the
contract's order, dates as ``YYYY-MM-DD`` text and floats rounded for people.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ..model import Report

__all__ = [
    "FORECAST_COLUMNS",
    "ANOMALY_COLUMNS",
    "CORRELATION_COLUMNS",
    "CONTRACT_TABLES",
    "section_table",
    "forecast_table",
    "anomaly_table",
    "correlation_table",
    "contract_table",
    "rounded_for_file",
]

FORECAST_COLUMNS: tuple[str, ...] = (
    "level", "segment", "metric", "date", "forecast",
    "lower_80", "upper_80", "lower_95", "upper_95", "model",
)  # fmt: skip
ANOMALY_COLUMNS: tuple[str, ...] = (
    "level", "segment", "metric", "date", "value", "expected",
    "lower", "upper", "score", "severity", "reason",
)  # fmt: skip
CORRELATION_COLUMNS: tuple[str, ...] = (
    "metric_a", "metric_b", "level", "segment", "correlation", "lag", "method",
)  # fmt: skip

#: file name -> (report attribute, contract columns)
CONTRACT_TABLES: dict[str, tuple[str, tuple[str, ...]]] = {
    "forecasts.csv": ("forecast", FORECAST_COLUMNS),
    "anomalies.csv": ("anomalies", ANOMALY_COLUMNS),
    "correlations.csv": ("correlations", CORRELATION_COLUMNS),
}

_TEXT_COLUMNS = {
    "level", "segment", "metric", "model", "severity", "reason",
    "metric_a", "metric_b", "method",
}  # fmt: skip
_DECIMALS = {"correlation": 4, "score": 3}
_DEFAULT_DECIMALS = 4


def section_table(section: Any) -> pd.DataFrame | None:
    """Give a section's ``.table`` DataFrame, or None when the section or its table is absent."""
    table = getattr(section, "table", None) if section is not None else None
    return table if isinstance(table, pd.DataFrame) else None


def _conform(table: pd.DataFrame | None, columns: tuple[str, ...]) -> pd.DataFrame:
    """Give ``table`` with exactly ``columns`` (missing ones empty), dates as text."""
    if table is None:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in columns})
    out = pd.DataFrame(index=range(len(table)))
    source = table.reset_index(drop=True)
    for column in columns:
        if column not in source.columns:
            out[column] = np.nan if column not in _TEXT_COLUMNS else ""
            continue
        values = source[column]
        if column == "date":
            out[column] = _date_text(values)
        elif column in _TEXT_COLUMNS:
            out[column] = values.astype(object).where(values.notna(), "").map(str)
        elif column == "lag":
            out[column] = pd.to_numeric(values, errors="coerce").astype("Int64")
        else:
            out[column] = pd.to_numeric(values, errors="coerce").astype(float)
    return out


def _date_text(values: pd.Series) -> pd.Series:
    dates = pd.to_datetime(values, errors="coerce")
    text = dates.dt.strftime("%Y-%m-%d")
    return text.astype(object).where(dates.notna(), "")


def forecast_table(report: Report) -> pd.DataFrame:
    """Give ``forecasts.csv``'s rows: every forecast step of every series, contract columns."""
    return _conform(section_table(report.forecast), FORECAST_COLUMNS)


def anomaly_table(report: Report) -> pd.DataFrame:
    """Give ``anomalies.csv``'s rows, contract columns, most severe first as the section gives."""
    return _conform(section_table(report.anomalies), ANOMALY_COLUMNS)


def correlation_table(report: Report) -> pd.DataFrame:
    """Give ``correlations.csv``'s rows, contract columns."""
    return _conform(section_table(report.correlations), CORRELATION_COLUMNS)


def contract_table(report: Report, file_name: str) -> pd.DataFrame:
    """Give the contract table for ``file_name`` (one of :data:`CONTRACT_TABLES`)."""
    attribute, columns = CONTRACT_TABLES[file_name]
    return _conform(section_table(getattr(report, attribute, None)), columns)


def rounded_for_file(table: pd.DataFrame) -> pd.DataFrame:
    """Give a copy with float columns rounded (4 decimals; correlations 4, scores 3)."""
    out = table.copy()
    for column in out.columns:
        if pd.api.types.is_float_dtype(out[column].dtype):
            out[column] = out[column].round(_DECIMALS.get(column, _DEFAULT_DECIMALS))
    return out
