"""The compact form of computed KPIs, and the long table and summary rows built from it on demand.

:func:`cfodesk.analytics.kpis.compute_kpis` works on whole (segment x period) arrays. Ten
thousand segments give a quarter of a million summary rows and tens of millions of table rows, so
those views are built only when someone reads them: :class:`KpiStore` keeps the arrays,
:class:`KpiSummary` turns them into summary dicts row by row, and :meth:`KpiStore.long_table`
gives the long table with categorical level, segment and kpi columns.

Windows (last period, last quarter, year to date, trailing 12 months, each with its year-earlier
twin) are explained in :mod:`cfodesk.analytics.kpis`.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, overload

import numpy as np
import pandas as pd

from ..model import LEVELS
from .formatting import format_period_range, format_quarter
from .kpi_arrays import kpi_arrays, kpi_spec

__all__ = [
    "WINDOWS",
    "TABLE_COLUMNS",
    "KpiStore",
    "KpiSummary",
    "window_bounds",
    "window_values",
    "json_number",
    "json_value",
]

WINDOWS = ("last", "last_quarter", "ytd", "ttm")
TABLE_COLUMNS = ["level", "segment", "kpi", "date", "value"]
#: Flow inputs are summed over a window; every other input takes the window's last value.
FLOW_INPUTS = (
    "revenue",
    "cogs",
    "operating_expenses",
    "marketing_spend",
    "payroll",
    "net_income",
    "gross_profit",
    "operating_profit",
)
_FIELD = {"ttm_prior": "prior_ttm"}

Bounds = dict[str, "tuple[int, int] | None"]


def window_bounds(periods: pd.DatetimeIndex, freq: str) -> Bounds:
    """Give (first, last) period positions of each window and of its year-earlier twin."""
    n, per_year = len(periods), 4 if freq == "Q" else 12
    out: Bounds = {}
    if n == 0:
        return dict.fromkeys((*WINDOWS, *(f"{w}_prior" for w in WINDOWS)))
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


def window_values(
    inputs: Mapping[str, np.ndarray],
    present: Mapping[str, np.ndarray],
    series: Mapping[str, np.ndarray],
    bounds: Bounds,
    days: np.ndarray,
    freq: str,
) -> dict[str, dict[str, np.ndarray] | None]:
    """Give each window's KPI values per segment row (flows summed, ratios recomputed)."""
    months_per = 3.0 if freq == "Q" else 1.0
    out: dict[str, dict[str, np.ndarray] | None] = {}
    for name, span in bounds.items():
        if span is None or not inputs:
            out[name] = None
            continue
        first, last = span
        window = {
            m: (v[:, first : last + 1].sum(axis=1) if m in FLOW_INPUTS else v[:, last])[:, None]
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
            if kpi_spec(kpi, freq).aggregation == "point":
                values[kpi] = full[:, last]
            elif kpi in window:
                values[kpi] = window[kpi][:, 0]
            else:
                values[kpi] = derived[kpi][:, 0]
        out[name] = values
    return out


@dataclass(eq=False)
class KpiStore:
    """Every KPI as a (segment x period) array, plus each window's value per segment.

    ``series[kpi]`` row ``i`` belongs to ``(levels[i], segments[i])``; ``has[i, j]`` says whether
    KPI ``kpis[j]`` has any value for segment ``i`` (only those get a summary row).
    """

    periods: pd.DatetimeIndex
    frequency: str
    levels: tuple[str, ...]
    segments: tuple[str, ...]
    series: dict[str, np.ndarray]
    windows: dict[str, dict[str, np.ndarray] | None]
    bounds: Bounds
    has: np.ndarray
    _row_of: dict[tuple[str, str], int] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        self._row_of.update({seg: i for i, seg in enumerate(zip(self.levels, self.segments))})

    @property
    def kpis(self) -> tuple[str, ...]:
        """KPI names, in table order."""
        return tuple(self.series)

    def row(self, level: str, segment: str) -> int | None:
        """Give the array row of a segment, or None when the panel did not have it."""
        return self._row_of.get((level, segment))

    def values(self, kpi: str, level: str, segment: str) -> pd.Series:
        """Give one KPI of one segment over time, periods without a value left out."""
        row = self.row(level, segment)
        if row is None or kpi not in self.series:
            return pd.Series([], index=pd.DatetimeIndex([]), name=kpi, dtype=float)
        values = self.series[kpi][row]
        keep = ~np.isnan(values)
        return pd.Series(values[keep], index=self.periods[keep], name=kpi)

    def long_table(self) -> pd.DataFrame:
        """Give the KPI series as one long table (kpi, then segment, then period; NaN left out)."""
        names = self.kpis
        n_seg, n_per = len(self.segments), len(self.periods)
        if not names or not n_seg:
            return pd.DataFrame({c: pd.Series(dtype=object) for c in TABLE_COLUMNS})
        level_names = [lv for lv in LEVELS if lv in set(self.levels)]
        level_names += [lv for lv in dict.fromkeys(self.levels) if lv not in level_names]
        level_code = {lv: i for i, lv in enumerate(level_names)}
        segment_names = list(dict.fromkeys(self.segments))
        segment_code = {s: i for i, s in enumerate(segment_names)}
        seg_level = np.array([level_code[lv] for lv in self.levels], dtype=np.int8)
        seg_name = np.array([segment_code[s] for s in self.segments], dtype=np.int32)
        cell_segment = np.repeat(np.arange(n_seg, dtype=np.int32), n_per)
        cell_period = np.tile(np.arange(n_per, dtype=np.int32), n_seg)
        parts: list[tuple[int, np.ndarray, np.ndarray]] = []
        for j, kpi in enumerate(names):
            flat = self.series[kpi].reshape(-1)
            keep = np.flatnonzero(~np.isnan(flat))
            parts.append((j, keep, flat[keep]))
        rows = sum(len(keep) for _, keep, _ in parts)
        kpi_codes = np.empty(rows, dtype=np.int16)
        segment_rows = np.empty(rows, dtype=np.int32)
        period_rows = np.empty(rows, dtype=np.int32)
        value = np.empty(rows, dtype=float)
        at = 0
        for j, keep, kept in parts:
            stop = at + len(keep)
            kpi_codes[at:stop] = j
            segment_rows[at:stop] = cell_segment[keep]
            period_rows[at:stop] = cell_period[keep]
            value[at:stop] = kept
            at = stop
        del parts, cell_segment, cell_period
        codes = {
            "level": (seg_level[segment_rows], level_names),
            "segment": (seg_name[segment_rows], segment_names),
            "kpi": (kpi_codes, list(names)),
        }
        columns: dict[str, Any] = {
            name: pd.Categorical.from_codes(c, categories, validate=False)
            for name, (c, categories) in codes.items()
        }
        columns["date"] = self.periods.to_numpy()[period_rows]
        columns["value"] = value
        return pd.DataFrame(columns, copy=False)

    def summary_row(self, row: int, kpi: str) -> dict[str, Any]:
        """Give the summary dict of one segment row and KPI (window values vs a year earlier)."""
        spec = kpi_spec(kpi, self.frequency)
        entry: dict[str, Any] = {
            "level": self.levels[row],
            "segment": self.segments[row],
            "kpi": kpi,
            "label": spec.label,
            "unit": spec.unit,
            "last_period": self._window_labels()["last_period"],
        }
        point = spec.aggregation == "point"
        labels = self._window_labels()
        for name in WINDOWS:
            for key in (name, f"{name}_prior"):
                found = None if point and name != "last" else self.windows.get(key)
                entry[_FIELD.get(key, key)] = None if found is None else json_value(found[kpi][row])
            if name != "last" and not point and labels.get(name) is not None:
                entry[f"{name}_label"] = labels[name]
        last = self.windows.get("last")
        if kpi == "cash_runway" and last is not None:
            entry["not_burning"] = bool(np.isposinf(last[kpi][row]))
        current, prior = (
            (entry["last"], entry["last_prior"]) if point else (entry["ttm"], entry["prior_ttm"])
        )
        change = None if current is None or prior is None else current - prior
        entry["change"] = change
        relative = spec.unit in ("money", "count") and change is not None and prior not in (0, None)
        entry["change_pct"] = change / abs(prior) if relative else None
        return entry

    def _window_labels(self) -> dict[str, str | None]:
        cached = self.__dict__.get("_labels")
        if cached is None:
            cached = {"last_period": self.periods[-1].strftime("%Y-%m-%d")}
            for name in WINDOWS:
                span = self.bounds.get(name) if self.windows.get(name) is not None else None
                if span is None:
                    cached[name] = None
                elif name == "last_quarter":
                    cached[name] = format_quarter(self.periods[span[1]])
                else:
                    first, last = self.periods[span[0]], self.periods[span[1]]
                    cached[name] = format_period_range(first, last, self.frequency)
            self.__dict__["_labels"] = cached
        return cached


class KpiSummary(Sequence[dict[str, Any]]):
    """The summary rows of a :class:`KpiStore`: one dict per segment and KPI with any value.

    Rows are built when read (segments in panel order, KPIs in table order) and kept once the
    whole sequence has been walked; it compares equal to a tuple of the same dicts.
    """

    def __init__(self, store: KpiStore) -> None:
        self._store = store
        cells = np.flatnonzero(store.has.reshape(-1))
        n_kpi = max(store.has.shape[1], 1)
        self._rows = (cells // n_kpi).astype(np.int32)
        self._kpis = (cells % n_kpi).astype(np.int16)
        self._names = store.kpis
        self._built: tuple[dict[str, Any], ...] | None = None

    def __len__(self) -> int:
        return len(self._rows)

    @overload
    def __getitem__(self, index: int) -> dict[str, Any]: ...

    @overload
    def __getitem__(self, index: slice) -> tuple[dict[str, Any], ...]: ...

    def __getitem__(self, index: int | slice) -> dict[str, Any] | tuple[dict[str, Any], ...]:
        if self._built is not None:
            return self._built[index]
        if isinstance(index, slice):
            return tuple(self[i] for i in range(*index.indices(len(self))))
        position = range(len(self))[index]
        return self._store.summary_row(int(self._rows[position]), self._names[self._kpis[position]])

    def __iter__(self) -> Iterator[dict[str, Any]]:
        if self._built is None:
            names, row = self._names, self._store.summary_row
            self._built = tuple(
                row(int(i), names[j]) for i, j in zip(self._rows.tolist(), self._kpis.tolist())
            )
        return iter(self._built)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Sequence) or isinstance(other, str):
            return NotImplemented
        return len(self) == len(other) and tuple(self) == tuple(other)

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"KpiSummary({len(self)} rows)"

    def get(self, kpi: str, level: str, segment: str) -> dict[str, Any] | None:
        """Give the row of one KPI and segment, or None when it has no value."""
        row = self._store.row(level, segment)
        names = self._names
        if row is None or kpi not in names or not self._store.has[row, names.index(kpi)]:
            return None
        if self._built is not None:
            position = np.searchsorted(self._rows, row) + int(
                self._store.has[row, : names.index(kpi)].sum()
            )
            return self._built[position]
        return self._store.summary_row(row, kpi)

    def __getstate__(self) -> dict[str, Any]:
        # The rows are rebuilt from the arrays; pickling them would multiply the payload.
        return {**self.__dict__, "_built": None}


def json_number(value: Any) -> float | None:
    """Give a finite number rounded to ten significant digits, or None (JSON has no NaN)."""
    number = float(value)
    # Ten significant digits: exact enough for money and for ratios alike.
    return float(f"{number:.10g}") if np.isfinite(number) else None


def json_value(value: Any) -> Any:
    """Give a value ready for JSON: numbers via :func:`json_number`, numpy ints as ints."""
    if isinstance(value, float | np.floating):
        return json_number(value)
    if isinstance(value, np.integer):
        return int(value)
    return value
