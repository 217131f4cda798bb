"""The forecast section of a report: the forecasts.csv table plus a per-series summary."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import pandas as pd

__all__ = ["TABLE_COLUMNS", "SeriesSummary", "ForecastResult"]

#: The forecasts.csv contract, in order.
TABLE_COLUMNS: tuple[str, ...] = (
    "level",
    "segment",
    "metric",
    "date",
    "forecast",
    "lower_80",
    "upper_80",
    "lower_95",
    "upper_95",
    "model",
)


def _json_number(value: float | None, digits: int = 4) -> float | None:
    if value is None or not math.isfinite(value):
        return None
    return round(float(value), digits)


@dataclass(frozen=True)
class SeriesSummary:
    """How one series was forecast and how well its model did in the backtest.

    ``mase``/``smape`` are the chosen model's backtest scores before reconciliation;
    ``base_mase``/``reconciled_mase`` compare the hierarchy step on the same origins;
    ``coverage_80``/``coverage_95`` are the shares of backtest errors inside the bands.
    """

    level: str
    segment: str
    metric: str
    model: str
    description: str
    mase: float | None
    smape: float | None
    coverage_80: float | None
    coverage_95: float | None
    base_mase: float | None
    reconciled_mase: float | None
    note: str
    fallback: bool
    observations: int = 0

    def to_json(self) -> dict[str, Any]:
        """Give the summary as a JSON-safe dict (None for unknown numbers)."""
        data = asdict(self)
        for key in ("mase", "smape", "coverage_80", "coverage_95", "base_mase", "reconciled_mase"):
            data[key] = _json_number(data[key])
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> SeriesSummary:
        """Build a summary from :meth:`to_json` output."""
        return cls(**{k: data.get(k) for k in cls.__dataclass_fields__ if k in data})


@dataclass(frozen=True, eq=False)
class ForecastResult:
    """Reconciled forecasts with 80/95 % intervals for every series, and how they were made.

    ``table`` has exactly the forecasts.csv columns (``date`` is the period start).
    ``accuracy`` holds the backtest MASE by level before and after reconciliation and the
    overall interval coverage.
    """

    table: pd.DataFrame
    summary: tuple[SeriesSummary, ...]
    accuracy: Mapping[str, Any] = field(default_factory=dict)
    horizon: int = 12
    frequency: str = "M"
    method: str = ""

    def to_json(self) -> dict[str, Any]:
        """Give the ``forecast_summary`` section of report.json (JSON-safe)."""
        return {
            "horizon": self.horizon,
            "frequency": self.frequency,
            "reconciliation": self.method,
            "accuracy": _clean(self.accuracy),
            "series": [s.to_json() for s in self.summary],
        }

    @classmethod
    def from_json(
        cls, data: Mapping[str, Any], table: pd.DataFrame | None = None
    ) -> ForecastResult:
        """Build a result from :meth:`to_json` output and, when given, the forecasts table."""
        if table is None:
            table = pd.DataFrame({c: pd.Series(dtype=object) for c in TABLE_COLUMNS})
        else:
            table = table.loc[:, list(TABLE_COLUMNS)].copy()
            table["date"] = pd.to_datetime(table["date"])
        return cls(
            table=table,
            summary=tuple(SeriesSummary.from_json(s) for s in data.get("series", [])),
            accuracy=dict(data.get("accuracy", {})),
            horizon=int(data.get("horizon", 12)),
            frequency=str(data.get("frequency", "M")),
            method=str(data.get("reconciliation", "")),
        )

    def series(self, level: str, segment: str, metric: str) -> pd.DataFrame:
        """Give one series' forecast and bands indexed by date."""
        t = self.table
        rows = t[(t["level"] == level) & (t["segment"] == segment) & (t["metric"] == metric)]
        return rows.set_index("date")[
            ["forecast", "lower_80", "upper_80", "lower_95", "upper_95"]
        ].astype(float)

    def summary_for(self, level: str, segment: str, metric: str) -> SeriesSummary | None:
        """Give one series' summary, or None when it was not forecast."""
        for s in self.summary:
            if (s.level, s.segment, s.metric) == (level, segment, metric):
                return s
        return None


def _clean(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, Sequence) and not isinstance(value, str):
        return [_clean(v) for v in value]
    if isinstance(value, float):
        return _json_number(value)
    return value
