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
    averaged. A period where a segment has no value at all stays NaN.
    """
    records = dataset.records
    periods = dataset.periods
    metrics = list(dataset.metrics)
    additive = [m for m in metrics if metric_info(m).additive]
    ratios = [m for m in metrics if not metric_info(m).additive]
    keys: list[SeriesKey] = []
    blocks: list[np.ndarray] = []
    for level in LEVELS:
        dims = _LEVEL_DIMS[level]
        if level not in levels or any(d not in dataset.dimensions for d in dims):
            continue
        group_cols = ["date", *dims]
        grouped = records.groupby(group_cols, sort=True, observed=True)
        parts = []
        if additive:
            parts.append(grouped[additive].sum(min_count=1))
        if ratios:
            parts.append(grouped[ratios].mean())
        agg = pd.concat(parts, axis=1)[metrics] if parts else None
        if agg is None:
            continue
        if dims:
            wide = agg.unstack(list(dims))  # index date; columns (metric, *dims)
        else:
            wide = agg
            wide.columns = pd.MultiIndex.from_tuples([(m,) for m in wide.columns])
        wide = wide.reindex(periods)
        segments = _segments(wide.columns, dims)
        for seg_values in segments:
            seg = segment_name(level, *_dim_args(dims, seg_values))
            for metric in metrics:
                col = (metric, *seg_values)
                if col not in wide.columns:
                    continue
                keys.append(SeriesKey(level, seg, metric))
                blocks.append(wide[col].to_numpy(dtype=float))
    values = np.vstack(blocks) if blocks else np.empty((0, len(periods)))
    return Panel(periods=periods, frequency=dataset.frequency, keys=tuple(keys), values=values)


def _segments(columns: pd.MultiIndex, dims: tuple[str, ...]) -> list[tuple[str, ...]]:
    if not dims:
        return [()]
    return list(dict.fromkeys(tuple(str(v) for v in col[1:]) for col in columns))


def _dim_args(dims: tuple[str, ...], values: tuple[str, ...]) -> tuple[str | None, str | None]:
    named = dict(zip(dims, values))
    return named.get("region"), named.get("department")
