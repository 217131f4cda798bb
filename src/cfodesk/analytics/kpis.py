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
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ..model import Panel
from ..progress import CancelToken, StepCallback, no_step
from .formatting import format_period_range, format_quarter
from .kpi_arrays import (
    INPUT_METRICS,
    days_in_periods,
    growth_arrays,
    infer_frequency,
    kpi_arrays,
    kpi_definitions,
    kpi_spec,
    lagged,
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
_WINDOWS = ("last", "last_quarter", "ytd", "ttm")


@dataclass(frozen=True, eq=False)
class KpiResult:
    """KPI time series, per-segment summaries and the plain-words definitions.

    ``table`` is long: level, segment, kpi, date, value (runway is ``inf`` when not burning).
    ``summary`` holds one dict per (segment, KPI) with the window values (see module doc).
    """

    table: pd.DataFrame
    summary: tuple[dict[str, Any], ...]
    definitions: Mapping[str, str]
    frequency: str = "M"
    notes: tuple[str, ...] = ()
    _lookup: dict[tuple[str, str, str], dict[str, Any]] = field(
        default_factory=dict, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        self._lookup.update({(s["level"], s["segment"], s["kpi"]): s for s in self.summary})

    def get(self, kpi: str, level: str = "total", segment: str = "total") -> dict[str, Any] | None:
        """Give the summary of one KPI for one segment, or None when it could not be computed."""
        return self._lookup.get((level, segment, kpi))

    def series(self, kpi: str, level: str = "total", segment: str = "total") -> pd.Series:
        """Give one KPI over time (empty when absent)."""
        t = self.table
        rows = t[(t["level"] == level) & (t["segment"] == segment) & (t["kpi"] == kpi)]
        return pd.Series(rows["value"].to_numpy(), index=pd.DatetimeIndex(rows["date"]), name=kpi)

    def to_json(self) -> dict[str, Any]:
        """Give the report.json ``kpis`` section: summaries, company series, definitions."""
        total = self.table[(self.table["level"] == "total") & (self.table["segment"] == "total")]
        periods = sorted(pd.DatetimeIndex(total["date"]).unique())
        position = {p: i for i, p in enumerate(periods)}
        values: dict[str, list[float | None]] = {}
        for kpi, rows in total.groupby("kpi", sort=False):
            column: list[float | None] = [None] * len(periods)
            for date, value in zip(rows["date"], rows["value"]):
                column[position[pd.Timestamp(date)]] = _json_number(value)
            values[str(kpi)] = column
        return {
            "frequency": self.frequency,
            "definitions": dict(self.definitions),
            "labels": {
                k: {"label": s["label"], "unit": s["unit"]}
                for k, s in {s["kpi"]: s for s in self.summary}.items()
            },
            "summary": [{k: _json_value(v) for k, v in s.items()} for s in self.summary],
            "series": {
                "level": "total",
                "segment": "total",
                "periods": [p.strftime("%Y-%m-%d") for p in periods],
                "values": values,
            },
            "notes": list(self.notes),
        }

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
        table = pd.DataFrame(rows, columns=["level", "segment", "kpi", "date", "value"])
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
    """Give the KPIs of the company and every segment, where their inputs exist."""
    segments = list(dict.fromkeys((k.level, k.segment) for k in panel.keys))
    row_of = {seg: i for i, seg in enumerate(segments)}
    n_seg, n_per = len(segments), len(panel.periods)
    freq = panel.frequency
    inputs: dict[str, np.ndarray] = {}
    present: dict[str, np.ndarray] = {}
    given = [m for m in (*INPUT_METRICS, "gross_profit", "operating_profit") if m in panel.metrics]
    for metric in given:
        idx = [(row_of[(k.level, k.segment)], panel.index_of(k)) for k in panel.select(metric)]
        block = np.full((n_seg, n_per), np.nan)
        rows, cols = np.array(idx, dtype=int).T
        block[rows] = panel.values[cols]
        inputs[metric] = block
        present[metric] = ~np.all(np.isnan(block), axis=1)
    days = days_in_periods(panel.periods, freq)
    series = kpi_arrays(inputs, present, days, freq, cash_open=lagged(inputs, "cash_balance"))
    series.update(growth_arrays(series, inputs, freq))
    series = {"revenue": inputs.get("revenue"), **series}
    for metric in ("cash_balance", "headcount"):
        series[metric] = inputs.get(metric)
    series = {k: v for k, v in series.items() if v is not None}
    windows = _window_values(inputs, present, series, panel.periods, days, freq)

    summary: list[dict[str, Any]] = []
    for i, (level, segment) in enumerate(segments):
        if cancel is not None:
            cancel.raise_if_cancelled()
        for kpi, values in series.items():
            if np.all(np.isnan(values[i])):
                continue
            summary.append(_summary_row(level, segment, kpi, i, windows, panel.periods, freq))
        on_progress(i + 1, n_seg, item=_segment_label(level, segment), message="Computing KPIs")
    table = _long_table(segments, panel.periods, series)
    notes = _missing_notes(present, segments)
    return KpiResult(table, tuple(summary), kpi_definitions(freq), freq, notes)


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


# -- summaries -------------------------------------------------------------------------------

_FLOW_INPUTS = (
    "revenue",
    "cogs",
    "operating_expenses",
    "marketing_spend",
    "payroll",
    "net_income",
    "gross_profit",
    "operating_profit",
)


def _window_bounds(periods: pd.DatetimeIndex, freq: str) -> dict[str, tuple[int, int] | None]:
    """Give (first, last) period positions of each window and of its year-earlier twin."""
    n, per_year = len(periods), 4 if freq == "Q" else 12
    out: dict[str, tuple[int, int] | None] = {}
    if n == 0:
        return dict.fromkeys((*_WINDOWS, *(f"{w}_prior" for w in _WINDOWS)))
    end = n - 1
    quarter_end = end
    if freq != "Q":
        while quarter_end >= 0 and periods[quarter_end].month % 3 != 0:
            quarter_end -= 1
    quarter_len = 1 if freq == "Q" else 3
    year_start = end
    while year_start > 0 and periods[year_start - 1].year == periods[end].year:
        year_start -= 1
    spans = {
        "last": (end, end),
        "last_quarter": (quarter_end - quarter_len + 1, quarter_end),
        "ytd": (year_start, end),
        "ttm": (end - per_year + 1, end),
    }
    for name, (first, last) in spans.items():
        out[name] = (first, last) if first >= 0 else None
        prior = (first - per_year, last - per_year)
        out[f"{name}_prior"] = prior if first >= 0 and prior[0] >= 0 else None
    return out


def _window_values(
    inputs: Mapping[str, np.ndarray],
    present: Mapping[str, np.ndarray],
    series: Mapping[str, np.ndarray],
    periods: pd.DatetimeIndex,
    days: np.ndarray,
    freq: str,
) -> dict[str, tuple[tuple[int, int], dict[str, np.ndarray]] | None]:
    """Give each window's KPI values per segment (flows summed, ratios recomputed)."""
    months_per = 3.0 if freq == "Q" else 1.0
    out: dict[str, tuple[tuple[int, int], dict[str, np.ndarray]] | None] = {}
    for name, bounds in _window_bounds(periods, freq).items():
        if bounds is None or not inputs:
            out[name] = None
            continue
        first, last = bounds
        window = {
            m: (v[:, first : last + 1].sum(axis=1) if m in _FLOW_INPUTS else v[:, last])[:, None]
            for m, v in inputs.items()
        }
        cash_open = None
        if "cash_balance" in inputs:
            opening = inputs["cash_balance"][:, first - 1] if first > 0 else np.nan
            cash_open = np.broadcast_to(opening, (len(window["cash_balance"]),))[:, None]
        derived = kpi_arrays(
            window,
            present,
            np.array([days[first : last + 1].sum()]),
            freq,
            cash_open,
            months=(last - first + 1) * months_per,
        )
        values: dict[str, np.ndarray] = {}
        for kpi, full in series.items():
            spec = kpi_spec(kpi, freq)
            if spec.aggregation == "point":
                values[kpi] = full[:, last]
            elif kpi in window:
                values[kpi] = window[kpi][:, 0]
            else:
                values[kpi] = derived[kpi][:, 0]
        out[name] = ((first, last), values)
    return out


def _summary_row(
    level: str,
    segment: str,
    kpi: str,
    row: int,
    windows: Mapping[str, tuple[tuple[int, int], dict[str, np.ndarray]] | None],
    periods: pd.DatetimeIndex,
    freq: str,
) -> dict[str, Any]:
    spec = kpi_spec(kpi, freq)
    entry: dict[str, Any] = {
        "level": level,
        "segment": segment,
        "kpi": kpi,
        "label": spec.label,
        "unit": spec.unit,
        "last_period": periods[-1].strftime("%Y-%m-%d"),
    }
    point = spec.aggregation == "point"
    for name in _WINDOWS:
        for key in (name, f"{name}_prior"):
            found = None if point and name != "last" else windows.get(key)
            entry[_FIELD.get(key, key)] = None if found is None else _json_value(found[1][kpi][row])
        found = windows.get(name)
        if found is not None and name != "last" and not point:
            first, last = found[0]
            entry[f"{name}_label"] = (
                format_quarter(periods[last])
                if name == "last_quarter"
                else format_period_range(periods[first], periods[last], freq)
            )
    if kpi == "cash_runway" and windows.get("last") is not None:
        entry["not_burning"] = bool(np.isposinf(windows["last"][1][kpi][row]))  # type: ignore[index]
    current, prior = (
        (entry["last"], entry["last_prior"]) if point else (entry["ttm"], entry["prior_ttm"])
    )
    change = None if current is None or prior is None else current - prior
    entry["change"] = change
    relative = spec.unit in ("money", "count") and change is not None and prior not in (0, None)
    entry["change_pct"] = change / abs(prior) if relative else None
    return entry


_FIELD = {"ttm_prior": "prior_ttm"}


def _long_table(
    segments: Sequence[tuple[str, str]],
    periods: pd.DatetimeIndex,
    series: Mapping[str, np.ndarray],
) -> pd.DataFrame:
    """Give the KPI series as one long table, missing values left out."""
    names = list(series)
    if not names or not segments:
        return pd.DataFrame(columns=["level", "segment", "kpi", "date", "value"])
    cube = np.stack([series[k] for k in names])  # kpi x segment x period
    n_kpi, n_seg, n_per = cube.shape
    keep = ~np.isnan(cube).ravel()
    levels = np.array([s[0] for s in segments], dtype=object)
    names_seg = np.array([s[1] for s in segments], dtype=object)
    return pd.DataFrame(
        {
            "level": np.tile(np.repeat(levels, n_per), n_kpi)[keep],
            "segment": np.tile(np.repeat(names_seg, n_per), n_kpi)[keep],
            "kpi": np.repeat(np.array(names, dtype=object), n_seg * n_per)[keep],
            "date": np.tile(periods.to_numpy(), n_kpi * n_seg)[keep],
            "value": cube.ravel()[keep],
        }
    )


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


def _json_number(value: Any) -> float | None:
    number = float(value)
    # Ten significant digits: exact enough for money and for ratios alike.
    return float(f"{number:.10g}") if np.isfinite(number) else None


def _json_value(value: Any) -> Any:
    if isinstance(value, float | np.floating):
        return _json_number(value)
    if isinstance(value, np.integer):
        return int(value)
    return value
