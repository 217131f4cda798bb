"""KPIs for the company and every segment, from whichever inputs the data has.

Cost structure (the sample data and most exports keep these as separate lines):

* ``total_expenses = cogs + operating_expenses + marketing_spend + payroll`` (the lines present);
* ``gross_profit = revenue - cogs``; ``operating_profit = revenue - total_expenses``, computed only
  when at least one line below cogs is present (else it would just repeat gross profit). A given
  ``gross_profit``/``operating_profit`` column fills in where the parts are missing.
* margins and the expense ratio divide by revenue; ``net_margin`` uses a given ``net_income``.

Cash and working capital:

* ``net_burn`` is the cash the business loses per month: the fall in ``cash_balance`` from one
  period to the next divided by the months in the period (negative when cash grows). Without a cash
  balance it is the operating loss per month. ``cash_runway`` is months of cash left: cash balance
  divided by the average monthly net burn of the last 3 months (the last quarter for quarterly
  data); infinite ("not burning") when that average is zero or negative.
* DSO and DPO use the real number of calendar days in each period (28-31 for a month, 90-92 for a
  quarter): ``dso = accounts_receivable / revenue * days``; ``dpo = accounts_payable / purchases *
  days`` with purchases = cogs + operating_expenses + marketing_spend (payroll is not bought on
  credit). ``working_capital`` is trade working capital: receivables + inventory - payables (cash
  excluded). ``debt_ratio = total_liabilities / total_assets``.
* Growth is period on period (``_growth_mom``, or ``_growth_qoq`` for quarterly data) and year on
  year (``_growth_yoy``), divided by the absolute earlier value so a smaller loss reads as growth.

Summaries compare each window with the same window one year earlier: the last period, the last
complete calendar quarter, the year to date and the trailing 12 months. Ratios over a window are
recomputed from the window's sums (a TTM margin is TTM profit / TTM revenue, never a mean of
monthly margins); balances take the window's last value.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from ..model import Panel
from ..progress import CancelToken, StepCallback, no_step
from .kpi_arrays import (
    INPUT_METRICS,
    days_in_periods,
    growth_arrays,
    infer_frequency,
    kpi_arrays,
    kpi_definitions,
    lagged,
)
from .kpi_store import (
    TABLE_COLUMNS,
    KpiStore,
    KpiSummary,
    json_number,
    json_value,
    window_bounds,
    window_values,
)

__all__ = ["KpiResult", "compute_kpis", "derive_kpis", "forecast_kpis", "DERIVED_KPIS"]

#: KPIs derived from the parts of one period (what :func:`derive_kpis` gives).
DERIVED_KPIS: tuple[str, ...] = (
    "gross_profit",
    "gross_margin",
    "total_expenses",
    "expense_ratio",
    "operating_profit",
    "operating_margin",
    "net_margin",
    "net_burn",
    "cash_runway",
    "dso",
    "dpo",
    "working_capital",
    "debt_ratio",
    "revenue_per_head",
)
#: Segments computed together between two progress reports and cancel checks.
CHUNK_SEGMENTS = 2048


class KpiResult:
    """KPI time series, per-segment summaries and the plain-words definitions.

    ``table`` is long: level, segment, kpi, date, value (runway is ``inf`` when not burning);
    level, segment and kpi are categorical. ``summary`` holds one dict per (segment, KPI) with
    the window values (see module doc). Results of :func:`compute_kpis` keep the KPIs as arrays
    and build ``table`` and the summary dicts the first time they are read.
    """

    def __init__(
        self,
        table: pd.DataFrame | None = None,
        summary: Sequence[dict[str, Any]] = (),
        definitions: Mapping[str, str] | None = None,
        frequency: str = "M",
        notes: Sequence[str] = (),
        *,
        store: KpiStore | None = None,
    ) -> None:
        self._table = table
        self._store = store
        self._summary: Sequence[dict[str, Any]] = (
            KpiSummary(store) if store is not None and not summary else tuple(summary)
        )
        self._definitions = dict(definitions or {})
        self._frequency = frequency
        self._notes = tuple(notes)
        self._lookup: dict[tuple[str, str, str], dict[str, Any]] | None = None

    @property
    def table(self) -> pd.DataFrame:
        """The long table of every KPI of every segment over time."""
        if self._table is None:
            store = self._store
            self._table = (
                store.long_table()
                if store is not None
                else pd.DataFrame({c: pd.Series(dtype=object) for c in TABLE_COLUMNS})
            )
        return self._table

    @property
    def summary(self) -> Sequence[dict[str, Any]]:
        """One dict per segment and KPI with its window values."""
        return self._summary

    @property
    def definitions(self) -> Mapping[str, str]:
        """KPI name -> one-sentence definition."""
        return self._definitions

    @property
    def frequency(self) -> str:
        """ "M" or "Q"."""
        return self._frequency

    @property
    def notes(self) -> tuple[str, ...]:
        """What could not be computed, and why."""
        return self._notes

    def __repr__(self) -> str:
        return f"KpiResult({len(self._summary)} summary rows, frequency={self._frequency!r})"

    def __getstate__(self) -> dict[str, Any]:
        # A table built from the arrays is rebuilt on demand rather than pickled.
        state = dict(self.__dict__)
        if self._store is not None:
            state["_table"] = None
        state["_lookup"] = None
        return state

    def get(self, kpi: str, level: str = "total", segment: str = "total") -> dict[str, Any] | None:
        """Give the summary of one KPI for one segment, or None when it could not be computed."""
        if isinstance(self._summary, KpiSummary):
            return self._summary.get(kpi, level, segment)
        if self._lookup is None:
            self._lookup = {(s["level"], s["segment"], s["kpi"]): s for s in self._summary}
        return self._lookup.get((level, segment, kpi))

    def series(self, kpi: str, level: str = "total", segment: str = "total") -> pd.Series:
        """Give one KPI over time (empty when absent)."""
        if self._store is not None:
            return self._store.values(kpi, level, segment)
        t = self.table
        rows = t[(t["level"] == level) & (t["segment"] == segment) & (t["kpi"] == kpi)]
        return pd.Series(rows["value"].to_numpy(), index=pd.DatetimeIndex(rows["date"]), name=kpi)

    def to_json(self) -> dict[str, Any]:
        """Give the report.json ``kpis`` section: summaries, company series, definitions."""
        periods, values = self._company_series()
        if isinstance(self._summary, KpiSummary):  # window values are already rounded
            summary = [
                dict(s, change=json_value(s["change"]), change_pct=json_value(s["change_pct"]))
                for s in self._summary
            ]
        else:
            summary = [{k: json_value(v) for k, v in s.items()} for s in self._summary]
        return {
            "frequency": self.frequency,
            "definitions": dict(self.definitions),
            "labels": {
                k: {"label": s["label"], "unit": s["unit"]}
                for k, s in {s["kpi"]: s for s in summary}.items()
            },
            "summary": summary,
            "series": {
                "level": "total",
                "segment": "total",
                "periods": [p.strftime("%Y-%m-%d") for p in periods],
                "values": values,
            },
            "notes": list(self.notes),
        }

    def _company_series(self) -> tuple[list[pd.Timestamp], dict[str, list[float | None]]]:
        """Give the company's periods with any KPI value and each KPI's values on them."""
        store = self._store
        if store is not None:
            row = store.row("total", "total")
            if row is None:
                return [], {}
            found = {k: v[row] for k, v in store.series.items() if not np.all(np.isnan(v[row]))}
            if not found:
                return [], {}
            any_value = np.any([~np.isnan(v) for v in found.values()], axis=0)
            periods = list(store.periods[any_value])
            return periods, {
                k: [None if np.isnan(x) else json_number(x) for x in v[any_value]]
                for k, v in found.items()
            }
        table = self.table
        total = table[(table["level"] == "total") & (table["segment"] == "total")]
        periods = sorted(pd.DatetimeIndex(total["date"]).unique())
        position = {p: i for i, p in enumerate(periods)}
        values: dict[str, list[float | None]] = {}
        for kpi, rows in total.groupby("kpi", sort=False, observed=True):
            column: list[float | None] = [None] * len(periods)
            for date, value in zip(rows["date"], rows["value"]):
                column[position[pd.Timestamp(date)]] = json_number(value)
            values[str(kpi)] = column
        return periods, values

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> KpiResult:
        """Rebuild from :meth:`to_json` output (the time series come back for the company only)."""
        series = data.get("series") or {}
        periods = pd.to_datetime(series.get("periods", []))
        rows = [
            ("total", "total", kpi, periods[i], np.nan if v is None else float(v))
            for kpi, column in (series.get("values") or {}).items()
            for i, v in enumerate(column)
            if v is not None
        ]
        table = pd.DataFrame(rows, columns=TABLE_COLUMNS)
        return cls(
            table=table,
            summary=tuple(dict(s) for s in data.get("summary", [])),
            definitions=dict(data.get("definitions", {})),
            frequency=data.get("frequency", "M"),
            notes=tuple(data.get("notes", [])),
        )


def compute_kpis(
    panel: Panel, *, on_progress: StepCallback = no_step, cancel: CancelToken | None = None
) -> KpiResult:
    """Give the KPIs of the company and every segment, where their inputs exist.

    Every KPI is computed as array arithmetic over a chunk of segments at once (each input metric
    gathered into a segments x periods block); progress and cancel are handled between chunks.
    """
    segments = list(dict.fromkeys((k.level, k.segment) for k in panel.keys))
    row_of = {seg: i for i, seg in enumerate(segments)}
    n_seg, n_per = len(segments), len(panel.periods)
    freq = panel.frequency
    wanted = (*INPUT_METRICS, "gross_profit", "operating_profit")
    # Panel row of each input metric for each segment (-1 where the segment lacks it).
    metrics = set(panel.metrics)
    panel_rows = {m: np.full(n_seg, -1, dtype=np.intp) for m in wanted if m in metrics}
    for i, key in enumerate(panel.keys):
        target = panel_rows.get(key.metric)
        if target is not None:
            target[row_of[(key.level, key.segment)]] = i
    days = days_in_periods(panel.periods, freq)
    bounds = window_bounds(panel.periods, freq)
    present = {m: np.zeros(n_seg, bool) for m in panel_rows}
    series: dict[str, np.ndarray] = {}
    windows: dict[str, dict[str, np.ndarray] | None] = {}
    has = np.zeros((n_seg, 0), bool)
    if cancel is not None:
        cancel.raise_if_cancelled()
    if not panel_rows:  # no known input metric: nothing to derive
        on_progress(n_seg, n_seg, item=None, message="Computing KPIs")
    for lo in range(0, n_seg if panel_rows else 0, CHUNK_SEGMENTS):
        if cancel is not None:
            cancel.raise_if_cancelled()
        hi = min(lo + CHUNK_SEGMENTS, n_seg)
        inputs = {m: _gather(panel.values, rows[lo:hi]) for m, rows in panel_rows.items()}
        chunk_present = {m: ~np.all(np.isnan(v), axis=1) for m, v in inputs.items()}
        chunk = _segment_kpis(inputs, chunk_present, days, freq)
        chunk_windows = window_values(inputs, chunk_present, chunk, bounds, days, freq)
        if not series:  # the KPI list depends only on which metrics the panel has
            series = {k: np.empty((n_seg, n_per)) for k in chunk}
            windows = {
                name: None if found is None else {k: np.empty(n_seg) for k in found}
                for name, found in chunk_windows.items()
            }
            has = np.zeros((n_seg, len(series)), bool)
        for m, flags in chunk_present.items():
            present[m][lo:hi] = flags
        for j, (kpi, values) in enumerate(chunk.items()):
            series[kpi][lo:hi] = values
            has[lo:hi, j] = ~np.all(np.isnan(values), axis=1)
        for name, found in chunk_windows.items():
            target = windows[name]
            if found is not None and target is not None:
                for kpi, values in found.items():
                    target[kpi][lo:hi] = values
        level, segment = segments[hi - 1]
        on_progress(hi, n_seg, item=_segment_label(level, segment), message="Computing KPIs")
    store = KpiStore(
        periods=panel.periods,
        frequency=freq,
        levels=tuple(s[0] for s in segments),
        segments=tuple(s[1] for s in segments),
        series=series,
        windows=windows,
        bounds=bounds,
        has=has,
    )
    notes = _missing_notes(present, segments)
    return KpiResult(None, (), kpi_definitions(freq), freq, notes, store=store)


def _gather(values: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """Give the panel rows ``rows`` as a block, NaN where a row is -1 (segment lacks the metric)."""
    block = values[np.maximum(rows, 0)]
    block[rows < 0] = np.nan
    return block


def _segment_kpis(
    inputs: Mapping[str, np.ndarray],
    present: Mapping[str, np.ndarray],
    days: np.ndarray,
    freq: str,
) -> dict[str, np.ndarray]:
    """Give every KPI time series of a block of segments, in table order."""
    series = kpi_arrays(inputs, present, days, freq, cash_open=lagged(inputs, "cash_balance"))
    series.update(growth_arrays(series, inputs, freq))
    out = {"revenue": inputs.get("revenue"), **series}
    for metric in ("cash_balance", "headcount"):
        out[metric] = inputs.get(metric)
    return {k: v for k, v in out.items() if v is not None}


def derive_kpis(
    frame: pd.DataFrame, *, frequency: str | None = None, opening_cash: float | None = None
) -> pd.DataFrame:
    """Give the ratio KPIs of a period x metric frame, derived from their parts.

    Used on forecasts too: a forecast margin is the forecast profit over the forecast revenue,
    never a margin forecast on its own. ``opening_cash`` is the balance before the first row (for
    the first row's net burn). Only KPIs with at least one value are returned.
    """
    index = pd.DatetimeIndex(frame.index)
    freq = frequency or infer_frequency(index)
    inputs = {
        m: frame[m].to_numpy(dtype=float)[None, :]
        for m in (*INPUT_METRICS, "gross_profit", "operating_profit")
        if m in frame.columns
    }
    present = {m: ~np.all(np.isnan(v), axis=1) for m, v in inputs.items()}
    cash_open = lagged(inputs, "cash_balance")
    if cash_open is not None and opening_cash is not None:
        cash_open[0, 0] = opening_cash
    out = kpi_arrays(inputs, present, days_in_periods(index, freq), freq, cash_open)
    data = {k: v[0] for k, v in out.items() if not np.all(np.isnan(v))}
    return pd.DataFrame(data, index=index, columns=[k for k in DERIVED_KPIS if k in data])


def forecast_kpis(
    forecast_table: Any,
    level: str = "total",
    segment: str = "total",
    *,
    actuals: Panel | None = None,
) -> pd.DataFrame:
    """Give forecast margins, DSO, DPO, burn and runway from the point forecasts of their parts.

    ``forecast_table`` is the forecasts.csv table (or an object with ``.table``). With
    ``actuals``, the last actual periods seed the first forecast period's burn and runway.
    """
    table = getattr(forecast_table, "table", forecast_table)
    rows = table[(table["level"] == level) & (table["segment"] == segment)]
    frame = rows.pivot_table(index="date", columns="metric", values="forecast", aggfunc="first")
    frame.index = pd.DatetimeIndex(frame.index)
    if actuals is None or frame.empty:
        return derive_kpis(frame, frequency=actuals.frequency if actuals else None)
    history = actuals.frame(level, segment)
    history = history[history.index < frame.index[0]].tail(3)
    joined = pd.concat([history, frame]).sort_index()
    derived = derive_kpis(joined, frequency=actuals.frequency)
    return derived.loc[frame.index]


def _missing_notes(
    present: Mapping[str, np.ndarray], segments: Sequence[tuple[str, str]]
) -> tuple[str, ...]:
    """Say which company-level KPIs could not be computed for lack of inputs."""
    total = segments.index(("total", "total")) if ("total", "total") in segments else None
    have = {m for m, rows in present.items() if total is not None and rows[total]}
    needs = {
        "gross margin": ("revenue", "cogs"),
        "cash runway": ("cash_balance",),
        "DSO": ("revenue", "accounts_receivable"),
        "DPO": ("accounts_payable",),
        "debt ratio": ("total_assets", "total_liabilities"),
        "revenue per head": ("revenue", "headcount"),
    }
    return tuple(
        f"No {kpi}: the data has no {' or '.join(m for m in metrics if m not in have)}."
        for kpi, metrics in needs.items()
        if any(m not in have for m in metrics)
    )


def _segment_label(level: str, segment: str) -> str:
    return "Company" if level == "total" else segment
