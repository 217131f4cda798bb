"""Make values from the data safe for the files a finance team opens.

Spreadsheet programs run a cell that starts with ``= + - @`` (or a tab / carriage return that
hides one) as a formula, so a hostile segment name could become ``=HYPERLINK(...)``. Every text
cell that comes from the data goes through :func:`neutralise_cell` before CSV or XLSX; HTML text
goes through ``html.escape``. :func:`json_ready` turns numpy, pandas and datetime values into
plain JSON (NaN and infinity become ``null``), so ``report.json`` is strict JSON.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
from collections.abc import Mapping
from pathlib import PurePath
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["neutralise_cell", "restore_cell", "neutralise_frame", "json_ready", "FORMULA_STARTS"]

#: First characters that make a spreadsheet read a text cell as a formula.
FORMULA_STARTS: tuple[str, ...] = ("=", "+", "-", "@", "\t", "\r")


def _is_number_text(text: str) -> bool:
    try:
        return math.isfinite(float(text))
    except ValueError:
        return False


def neutralise_cell(value: Any) -> Any:
    """Give ``value`` unchanged unless it is text a spreadsheet would run as a formula.

    Such text gets a leading apostrophe; numbers (and text that is a plain number such as
    ``-12.5``) are left as they are.
    """
    if not isinstance(value, str) or not value.startswith(FORMULA_STARTS):
        return value
    if _is_number_text(value):
        return value
    return "'" + value


def restore_cell(value: Any) -> Any:
    """Give the original text of a cell written by :func:`neutralise_cell` (for re-opening)."""
    if isinstance(value, str) and value.startswith("'") and value[1:].startswith(FORMULA_STARTS):
        return value[1:]
    return value


def neutralise_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """Give a copy of ``frame`` with every text cell neutralised."""
    out = frame.copy()
    for column in out.columns:
        series = out[column]
        if series.dtype == object or pd.api.types.is_string_dtype(series.dtype):
            out[column] = series.astype(object).map(neutralise_cell)
    return out


def _float_or_none(value: float) -> float | None:
    return value if math.isfinite(value) else None


def json_ready(value: Any) -> Any:
    """Give ``value`` as plain JSON types: NaN/inf -> None, numpy/pandas/dates -> Python."""
    if value is None or isinstance(value, (bool, str)):
        return value
    if value is pd.NaT or value is pd.NA:
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return _float_or_none(value)
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return _float_or_none(float(value))
    if isinstance(value, pd.Timestamp):
        if pd.isna(value):
            return None
        if value == value.normalize():
            return value.strftime("%Y-%m-%d")
        return value.isoformat()
    if isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, (np.datetime64, pd.Period)):
        return json_ready(pd.Timestamp(str(value)) if not pd.isna(value) else None)
    if isinstance(value, PurePath):
        return str(value)
    if isinstance(value, Mapping):
        return {str(k): json_ready(v) for k, v in value.items()}
    if isinstance(value, np.ndarray):
        return [json_ready(v) for v in value.tolist()]
    if isinstance(value, pd.DataFrame):
        return [json_ready(r) for r in value.to_dict(orient="records")]
    if isinstance(value, pd.Series):
        return [json_ready(v) for v in value.tolist()]
    if isinstance(value, (list, tuple)):
        return [json_ready(v) for v in value]
    if isinstance(value, (set, frozenset)):
        return sorted((json_ready(v) for v in value), key=str)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        if hasattr(value, "to_json"):
            return json_ready(value.to_json())
        return json_ready(dataclasses.asdict(value))
    if hasattr(value, "to_json"):
        return json_ready(value.to_json())
    return str(value)
