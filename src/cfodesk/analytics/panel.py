"""Build the Panel: every metric at every level of the hierarchy on one period grid."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from ..metrics import metric_info
from ..model import LEVELS, Dataset, Panel, SeriesKey, segment_name

__all__ = ["build_panel", "level_dimensions"]

_LEVEL_DIMS: dict[str, tuple[str, ...]] = {
    "total": (),
    "region": ("region",),
    "department": ("department",),
    "region/department": ("region", "department"),
}


def level_dimensions(level: str) -> tuple[str, ...]:
    """Give the dimension columns that define a level's segments."""
    return _LEVEL_DIMS[level]


def build_panel(dataset: Dataset, levels: Sequence[str] = LEVELS) -> Panel:
    """Give every metric at every requested level that the data's dimensions allow.

    Additive metrics (flows, stocks) are summed over a segment's rows; ratio metrics are
    averaged. A period where a segment has no value at all stays NaN. Keys are ordered by level,
    then segment (sorted), then metric.
    """
    records = dataset.records
    periods = dataset.periods
    metrics = list(dataset.metrics)
    additive = np.array([metric_info(m).additive for m in metrics])
    values = records[metrics].to_numpy(dtype=float) if metrics else np.empty((len(records), 0))
    present = ~np.isnan(values)
    filled = np.where(present, values, 0.0)
    # Position of each row on the period grid (records dates are period starts on the grid).
    period_pos = periods.get_indexer(pd.DatetimeIndex(records["date"]))
    if (period_pos < 0).any():
        raise ValueError("records hold a date that is not on the dataset's period grid")
    n_periods = len(periods)
    codes = {
        dim: pd.factorize(records[dim].astype(str), sort=True)
        for dim in dataset.dimensions
        if dim in records.columns
    }
    keys: list[SeriesKey] = []
    blocks: list[np.ndarray] = []
    for level in LEVELS:
        dims = _LEVEL_DIMS[level]
        if level not in levels or any(d not in codes for d in dims):
            continue
        segment_codes, segment_values = _segment_codes(dims, codes, len(records))
        n_segments = len(segment_values)
        cube, seen = _aggregate(
            segment_codes * n_periods + period_pos,
            filled,
            present,
            additive,
            n_segments,
            n_periods,
        )
        seg_idx, metric_idx = np.nonzero(seen)  # segment-major, metric-minor
        names = [segment_name(level, *_dim_args(dims, parts)) for parts in segment_values]
        keys.extend(SeriesKey(level, names[s], metrics[j]) for s, j in zip(seg_idx, metric_idx))
        blocks.append(cube[seg_idx, metric_idx])
    values_out = np.vstack(blocks) if blocks else np.empty((0, n_periods))
    return Panel(periods=periods, frequency=dataset.frequency, keys=tuple(keys), values=values_out)


def _aggregate(
    cell: np.ndarray,
    filled: np.ndarray,
    present: np.ndarray,
    additive: np.ndarray,
    n_segments: int,
    n_periods: int,
) -> tuple[np.ndarray, np.ndarray]:
    """Give the (segment, metric, period) cube of sums or means and which series have data."""
    n_metrics = filled.shape[1]
    size = n_segments * n_periods
    if np.bincount(cell, minlength=size).max(initial=0) <= 1:
        # The finest level: one row per cell, nothing to add up.
        flat = np.full((size, n_metrics), np.nan)
        flat[cell] = np.where(present, filled, np.nan)
        has = np.zeros((size, n_metrics), dtype=bool)
        has[cell] = present
    else:
        flat = np.empty((size, n_metrics))
        has = np.empty((size, n_metrics), dtype=bool)
        for j in range(n_metrics):
            sums = np.bincount(cell, weights=filled[:, j], minlength=size)
            counts = np.bincount(cell, weights=present[:, j], minlength=size)
            with np.errstate(invalid="ignore", divide="ignore"):
                flat[:, j] = sums if additive[j] else sums / counts
            flat[counts == 0, j] = np.nan
            has[:, j] = counts > 0
    cube = flat.reshape(n_segments, n_periods, n_metrics).transpose(0, 2, 1)
    seen = has.reshape(n_segments, n_periods, n_metrics).any(axis=1)
    return cube, seen


def _segment_codes(
    dims: tuple[str, ...], codes: dict[str, tuple[np.ndarray, pd.Index]], n_rows: int
) -> tuple[np.ndarray, list[tuple[str, ...]]]:
    """Give each row's segment number at a level and the segments' dimension values."""
    if not dims:
        return np.zeros(n_rows, dtype=np.int64), [()]
    if len(dims) == 1:
        row_codes, uniques = codes[dims[0]]
        return row_codes.astype(np.int64), [(str(u),) for u in uniques]
    first, first_uniques = codes[dims[0]]
    second, second_uniques = codes[dims[1]]
    combined = first.astype(np.int64) * len(second_uniques) + second
    used, row_codes = np.unique(combined, return_inverse=True)
    segments = [
        (str(first_uniques[c // len(second_uniques)]), str(second_uniques[c % len(second_uniques)]))
        for c in used
    ]
    return row_codes.astype(np.int64), segments


def _dim_args(dims: tuple[str, ...], values: tuple[str, ...]) -> tuple[str | None, str | None]:
    named = dict(zip(dims, values))
    return named.get("region"), named.get("department")
