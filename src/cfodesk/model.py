"""The data that flows through a run, as frozen, picklable dataclasses.

``Dataset`` is what intake gives (clean records plus the mapping and data-quality log); ``Panel``
holds every series at every level on one period grid (the input of KPIs, forecasts and
insights); ``Report`` gathers the sections. Each analytics section defines its own result type in
its module, with ``to_json()`` / ``from_json()``; this module only knows them by name so the core
stays free of analytics imports.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd

from .metrics import metric_info

if TYPE_CHECKING:
    from .analytics.anomalies import AnomalyResult
    from .analytics.correlations import CorrelationResult
    from .analytics.drivers import DriverResult
    from .analytics.forecast.engine import ForecastResult
    from .analytics.kpis import KpiResult
    from .analytics.narrative import Narrative
    from .analytics.scenario import ScenarioSet
    from .config import ReportConfig

__all__ = [
    "SCHEMA_VERSION",
    "LEVELS",
    "ColumnMapping",
    "QualityIssue",
    "InputInfo",
    "Dataset",
    "SeriesKey",
    "Panel",
    "Report",
    "segment_name",
]

SCHEMA_VERSION = 1
LEVELS: tuple[str, ...] = ("total", "region", "department", "region/department")
Frequency = Literal["M", "Q"]
PANDAS_FREQ: dict[str, str] = {"M": "MS", "Q": "QS"}


@dataclass(frozen=True)
class ColumnMapping:
    """How one source column was understood.

    ``role`` is one of ``date``, ``region``, ``department``, ``metric``, ``metric_name`` (long
    layout: the column naming the metric), ``value`` (long layout), ``period`` (statement layout:
    a column that is a period), ``ignored``. ``target`` is the canonical metric name for metrics
    (or the dimension/role name). ``method``: exact, synonym, fuzzy, inferred, user.
    """

    file: str
    column: str
    role: str
    target: str | None
    confidence: float
    method: str

    def to_json(self) -> dict[str, Any]:
        """Give the mapping entry as a JSON-ready dict."""
        return asdict(self)


@dataclass(frozen=True)
class QualityIssue:
    """One repair or warning in the data-quality log: what, where, how many."""

    severity: Literal["info", "warning", "error"]
    code: str
    message: str
    file: str | None = None
    column: str | None = None
    rows: tuple[int, ...] = ()
    count: int = 1

    def to_json(self) -> dict[str, Any]:
        """Give the issue as a JSON-ready dict."""
        data = asdict(self)
        data["rows"] = list(self.rows[:50])
        return data


@dataclass(frozen=True)
class InputInfo:
    """One input file as read: where, its fingerprint, how it was parsed."""

    path: str
    sha256: str
    rows: int
    layout: str = "records"
    sheet: str | None = None
    encoding: str | None = None
    delimiter: str | None = None

    def to_json(self) -> dict[str, Any]:
        """Give the input description as a JSON-ready dict."""
        return asdict(self)


@dataclass(frozen=True, eq=False)
class Dataset:
    """Clean records, one row per (date, region, department), plus how they were obtained.

    ``records`` columns: ``date`` (datetime64, period start), the dimensions present
    (``region``, ``department``; strings), then one float64 column per metric (canonical name
    where known, else a snake_case custom name). Periods are regular at ``frequency``.
    """

    records: pd.DataFrame
    frequency: Frequency
    dimensions: tuple[str, ...]
    metrics: tuple[str, ...]
    mapping: tuple[ColumnMapping, ...] = ()
    quality: tuple[QualityIssue, ...] = ()
    inputs: tuple[InputInfo, ...] = ()

    @property
    def periods(self) -> pd.DatetimeIndex:
        """The regular period grid from the first to the last date."""
        dates = self.records["date"]
        return pd.date_range(dates.min(), dates.max(), freq=PANDAS_FREQ[self.frequency])


def segment_name(level: str, region: str | None = None, department: str | None = None) -> str:
    """Give the contract's segment name: 'total', 'Europe', 'Sales' or 'Europe / Sales'."""
    if level == "total":
        return "total"
    if level == "region":
        return str(region)
    if level == "department":
        return str(department)
    return f"{region} / {department}"


@dataclass(frozen=True, order=True)
class SeriesKey:
    """Names one series: a metric at one segment of one level."""

    level: str
    segment: str
    metric: str

    @property
    def label(self) -> str:
        """'revenue · Europe / Sales', or just 'revenue' for the company."""
        if self.level == "total":
            return self.metric
        return f"{self.metric} · {self.segment}"

    @property
    def parent_parts(self) -> tuple[str, ...]:
        """The segment split into its dimension values ('Europe / Sales' -> ('Europe', 'Sales'))."""
        if self.level == "total":
            return ()
        return tuple(self.segment.split(" / "))


@dataclass(frozen=True, eq=False)
class Panel:
    """Every series at every level on one period grid: ``values[i]`` is ``keys[i]`` over time.

    NaN marks a period with no data. Segment totals are sums over their children for additive
    metrics (means for ratio metrics), so the hierarchy is coherent by construction.
    """

    periods: pd.DatetimeIndex
    frequency: Frequency
    keys: tuple[SeriesKey, ...]
    values: np.ndarray
    _index: dict[SeriesKey, int] = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.values.shape != (len(self.keys), len(self.periods)):
            raise ValueError(
                f"values shape {self.values.shape} does not match "
                f"{len(self.keys)} keys x {len(self.periods)} periods"
            )
        self._index.update({k: i for i, k in enumerate(self.keys)})

    def __len__(self) -> int:
        return len(self.keys)

    def __contains__(self, key: object) -> bool:
        return key in self._index

    def index_of(self, key: SeriesKey) -> int:
        """Give the row of ``key``."""
        return self._index[key]

    def series(self, key: SeriesKey) -> pd.Series:
        """Give one series indexed by period."""
        return pd.Series(self.values[self._index[key]], index=self.periods, name=key.metric)

    @property
    def metrics(self) -> tuple[str, ...]:
        """Metric names, in first-seen order."""
        return tuple(dict.fromkeys(k.metric for k in self.keys))

    @property
    def levels(self) -> tuple[str, ...]:
        """Levels present, in canonical order."""
        present = {k.level for k in self.keys}
        return tuple(lv for lv in LEVELS if lv in present)

    def segments(self, level: str) -> tuple[str, ...]:
        """Segments of a level, in first-seen order."""
        return tuple(dict.fromkeys(k.segment for k in self.keys if k.level == level))

    def select(
        self,
        metric: str | Iterable[str] | None = None,
        level: str | Iterable[str] | None = None,
    ) -> list[SeriesKey]:
        """Give the keys matching a metric and/or level (each a name or a collection)."""
        metrics = {metric} if isinstance(metric, str) else (set(metric) if metric else None)
        levels = {level} if isinstance(level, str) else (set(level) if level else None)
        return [
            k
            for k in self.keys
            if (metrics is None or k.metric in metrics) and (levels is None or k.level in levels)
        ]

    def frame(self, level: str = "total", segment: str = "total") -> pd.DataFrame:
        """Give one segment's metrics as a period x metric DataFrame."""
        keys = [k for k in self.keys if k.level == level and k.segment == segment]
        return pd.DataFrame(
            {k.metric: self.values[self._index[k]] for k in keys}, index=self.periods
        )

    def to_json(self) -> dict[str, Any]:
        """Give the actuals compactly: periods once, then one values list per series."""
        return {
            "frequency": self.frequency,
            "periods": [p.strftime("%Y-%m-%d") for p in self.periods],
            "series": [
                {
                    "level": k.level,
                    "segment": k.segment,
                    "metric": k.metric,
                    "values": [None if np.isnan(v) else round(float(v), 6) for v in row],
                }
                for k, row in zip(self.keys, self.values)
            ],
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Panel:
        """Build a panel from :meth:`to_json` output."""
        keys = tuple(SeriesKey(s["level"], s["segment"], s["metric"]) for s in data["series"])
        values = np.array(
            [[np.nan if v is None else v for v in s["values"]] for s in data["series"]],
            dtype=float,
        ).reshape(len(keys), len(data["periods"]))
        return cls(
            periods=pd.DatetimeIndex(pd.to_datetime(data["periods"])),
            frequency=data["frequency"],
            keys=keys,
            values=values,
        )

    @staticmethod
    def additive(metric: str) -> bool:
        """True when the metric's segments sum to their parent."""
        return metric_info(metric).additive


@dataclass(frozen=True, eq=False)
class Report:
    """A finished run: inputs, clean data, every analysis section and how long each stage took."""

    run_id: str
    created_at: str
    app_version: str
    config: ReportConfig
    dataset: Dataset
    panel: Panel
    kpis: KpiResult | None = None
    forecast: ForecastResult | None = None
    anomalies: AnomalyResult | None = None
    correlations: CorrelationResult | None = None
    drivers: DriverResult | None = None
    scenarios: ScenarioSet | None = None
    narrative: Narrative | None = None
    stage_durations: Mapping[str, float] = field(default_factory=dict)
    notes: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        """Give the content of ``report.json`` (contract keys first)."""

        def section(value: Any) -> Any:
            return None if value is None else value.to_json()

        ds = self.dataset
        forecast = section(self.forecast)
        return {
            "schema_version": SCHEMA_VERSION,
            "app_version": self.app_version,
            "created_at": self.created_at,
            "inputs": [i.to_json() for i in ds.inputs],
            "mapping": [m.to_json() for m in ds.mapping],
            "data_quality": [q.to_json() for q in ds.quality],
            "frequency": ds.frequency,
            "dimensions": list(ds.dimensions),
            "metrics": list(ds.metrics),
            "config": self.config.to_json(),
            "kpis": section(self.kpis),
            "forecast_summary": forecast,
            "anomalies": section(self.anomalies),
            "correlations": section(self.correlations),
            "drivers": section(self.drivers),
            "scenarios": section(self.scenarios),
            "narrative": section(self.narrative),
            "notes": list(self.notes),
            "actuals": self.panel.to_json(),
            "run": {
                "run_id": self.run_id,
                "stage_durations": {k: round(v, 4) for k, v in self.stage_durations.items()},
                "total_s": round(sum(self.stage_durations.values()), 4),
            },
        }
