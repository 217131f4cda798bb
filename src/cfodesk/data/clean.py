"""Validate and repair typed records, merge files, and build the :class:`Dataset`.

Every repair leaves a :class:`QualityIssue` saying what was done, where and how often. Nothing is
invented: missing periods stay missing (with a warning), negative balances that should not be
negative are kept (with a warning), and overlapping values from several files are resolved in
favour of the later file, with counts.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd

from ..errors import InputError
from ..metrics import metric_info
from ..model import ColumnMapping, Dataset, InputInfo, QualityIssue
from .reshape import TableRecords

__all__ = ["build_dataset", "snap_periods", "aggregate_periods", "MIN_PERIODS", "FORECAST_PERIODS"]

MIN_PERIODS = 3
FORECAST_PERIODS = 8
_MAX_ROWS_LISTED = 20


def _rows(rows: np.ndarray, mask: np.ndarray | None = None) -> tuple[int, ...]:
    picked = rows if mask is None else rows[mask]
    return tuple(int(r) for r in picked[:_MAX_ROWS_LISTED])


def snap_periods(
    dates: np.ndarray, quarter_labels: bool, file: str
) -> tuple[np.ndarray, str, bool]:
    """Give (period starts, frequency 'M'/'Q', whether several dates fall in one period).

    Raises :class:`InputError` for yearly or irregular dates.
    """
    stamps = pd.DatetimeIndex(dates)
    months = stamps.year.to_numpy() * 12 + stamps.month.to_numpy() - 1
    unique_months = np.unique(months)
    if len(unique_months) < MIN_PERIODS:
        raise InputError(
            f"The data covers only {len(unique_months)} period(s); at least {MIN_PERIODS} are "
            "needed",
            file=file,
            hint="Provide at least three months (eight or more for useful forecasts)",
        )
    steps = np.diff(unique_months)
    step = int(np.min(steps))
    if quarter_labels or (step == 3 and np.all(steps % 3 == 0)):
        frequency = "Q"
        starts = stamps.to_period("Q").start_time
        unit = stamps.year.to_numpy() * 4 + (stamps.month.to_numpy() - 1) // 3
    elif step == 1 or float(np.median(steps)) == 1.0:
        frequency = "M"
        starts = stamps.to_period("M").start_time
        unit = months
    elif step >= 12:
        raise InputError(
            "The dates are a year or more apart; CFO Desk needs monthly or quarterly data",
            file=file,
            hint="Export the data by month or by quarter",
        )
    else:
        raise InputError(
            f"The dates are irregular (the closest two are {step} months apart); CFO Desk needs "
            "monthly or quarterly data",
            file=file,
            hint="Check the date column, or export the data by month or by quarter",
        )
    finer = len(np.unique(stamps.normalize().asi8)) > len(np.unique(unit))
    return starts.to_numpy(dtype="M8[ns]"), frequency, finer


def aggregate_periods(frame: pd.DataFrame, keys: list[str], metrics: Sequence[str]) -> pd.DataFrame:
    """Give one row per key: flows summed, stocks' last value, ratios averaged (rows in order)."""
    grouped = frame.groupby(keys, sort=False, dropna=False)
    parts = [grouped["_row"].first()]
    flows = [m for m in metrics if metric_info(m).kind == "flow"]
    stocks = [m for m in metrics if metric_info(m).kind == "stock"]
    ratios = [m for m in metrics if metric_info(m).kind == "ratio"]
    if flows:
        parts.append(grouped[flows].sum(min_count=1))
    if stocks:
        parts.append(grouped[stocks].last())
    if ratios:
        parts.append(grouped[ratios].mean())
    result = pd.concat(parts, axis=1).reset_index()
    return result[[*keys, *metrics, "_row"]]


def _prepare_part(
    part: TableRecords, issues: list[QualityIssue], poll: Callable[[], None]
) -> tuple[pd.DataFrame, str]:
    """Give one file's records snapped to periods, deduplicated and aggregated."""
    frame = part.frame
    dims = part.dimensions
    file = part.file
    if part.date_note:
        issues.append(QualityIssue("warning", "date_order", part.date_note, file=file))
    if frame.empty:
        raise InputError(
            "No rows with a readable date and values were found",
            file=file,
            hint="Check the date column and that the file holds data below its header",
        )
    rows = frame["_row"].to_numpy()
    content = ["date", *dims, *part.metrics]
    repeated = frame.duplicated(["date", *dims], keep=False).to_numpy()
    exact = np.zeros(len(frame), bool)
    if repeated.any():
        # Only rows sharing a date and segment can be exact copies: compare those alone.
        exact[repeated] = frame.loc[repeated].duplicated(content, keep="first").to_numpy()
    if exact.any():
        issues.append(
            QualityIssue(
                "info",
                "duplicate_rows",
                f"{int(exact.sum())} exact duplicate rows dropped",
                file=file,
                rows=_rows(rows, exact),
                count=int(exact.sum()),
            )
        )
        frame = frame.loc[~exact]
        rows = rows[~exact]
    poll()
    conflict = frame.duplicated(["date", *dims], keep="last").to_numpy()
    if conflict.any():
        issues.append(
            QualityIssue(
                "warning",
                "conflicting_rows",
                f"{int(conflict.sum())} rows repeat a date and segment with different values; "
                "the last row was kept",
                file=file,
                rows=_rows(rows, conflict),
                count=int(conflict.sum()),
            )
        )
        frame = frame.loc[~conflict]
    dates = frame["date"].to_numpy(dtype="M8[ns]")
    order = frame.groupby(dims, sort=False)["date"].diff() if dims else frame["date"].diff()
    if (order.dt.total_seconds() < 0).any():
        issues.append(
            QualityIssue("info", "unsorted", "Rows were not in date order; sorted", file=file)
        )
    poll()
    starts, frequency, finer = snap_periods(dates, part.quarter_labels, file)
    frame = frame.assign(date=starts)
    if finer:
        frame = aggregate_periods(frame, ["date", *dims], part.metrics)
        period = "month" if frequency == "M" else "quarter"
        issues.append(
            QualityIssue(
                "info",
                "aggregated",
                f"Dates finer than a {period} were combined per {period}: flows summed, "
                "balances take the period's last value, ratios averaged",
                file=file,
            )
        )
    return frame, frequency


def _to_quarters(frame: pd.DataFrame, dims: list[str], metrics: Sequence[str]) -> pd.DataFrame:
    starts = pd.DatetimeIndex(frame["date"]).to_period("Q").start_time
    frame = frame.assign(date=starts.to_numpy(dtype="M8[ns]"))
    return aggregate_periods(frame, ["date", *dims], metrics)


def _merge(
    frames: list[pd.DataFrame],
    files: list[str],
    keys: list[str],
    metrics: list[str],
    issues: list[QualityIssue],
) -> pd.DataFrame:
    if len(frames) == 1:
        return frames[0]
    combined = pd.concat(
        [f.assign(_src=i) for i, f in enumerate(frames)], ignore_index=True
    ).reindex(columns=[*keys, *metrics, "_row", "_src"])
    overlap = combined.duplicated(keys, keep=False).to_numpy()
    if not overlap.any():
        return combined.drop(columns="_src")
    shared = combined.loc[overlap]
    grouped = shared.groupby(keys, sort=False)
    for metric in metrics:
        counts = grouped[metric].count()
        both = int((counts > 1).sum())
        if both:
            sources = shared.loc[shared[metric].notna(), "_src"].unique()
            names = ", ".join(files[i] for i in sorted(sources))
            issues.append(
                QualityIssue(
                    "warning",
                    "overlap",
                    f"{both} values of {metric} are given by more than one file ({names}); "
                    "the later file's values were kept",
                    column=metric,
                    count=both,
                )
            )
    merged = grouped[[*metrics, "_row", "_src"]].last().reset_index()
    return pd.concat([combined.loc[~overlap], merged], ignore_index=True).drop(columns="_src")


def build_dataset(
    parts: Sequence[TableRecords],
    inputs: Sequence[InputInfo],
    mappings: Sequence[ColumnMapping],
    notes: Sequence[QualityIssue] = (),
    poll: Callable[[], None] = lambda: None,
) -> Dataset:
    """Give the clean, merged :class:`Dataset` of typed records from one or more files."""
    issues: list[QualityIssue] = list(notes)
    dims_sets = {frozenset(p.dimensions) for p in parts}
    if len(dims_sets) > 1:
        described = "; ".join(
            f"{p.file}: {', '.join(p.dimensions) or 'no segment columns'}" for p in parts
        )
        raise InputError(
            f"The files do not share the same segment columns ({described})",
            hint="Use files with the same region/department columns, or map them alike",
        )
    present = dims_sets.pop()
    dims = [d for d in ("region", "department") if d in present]
    metrics = list(dict.fromkeys(m for p in parts for m in p.metrics))
    prepared = []
    for part in parts:
        issues.extend(part.issues)
        prepared.append(_prepare_part(part, issues, poll))
        poll()
    frequencies = {f for _, f in prepared}
    frames = []
    for part, (frame, frequency) in zip(parts, prepared):
        if frequencies == {"M", "Q"} and frequency == "M":
            frame = _to_quarters(frame, dims, part.metrics)
            issues.append(
                QualityIssue(
                    "info",
                    "to_quarters",
                    "Monthly data combined into quarters to match the other files",
                    file=part.file,
                )
            )
        frames.append(frame)
    frequency = "Q" if "Q" in frequencies else "M"
    keys = ["date", *dims]
    records = _merge(frames, [p.file for p in parts], keys, metrics, issues)
    poll()
    return _finish(records, frequency, dims, metrics, inputs, mappings, issues, parts, poll)


def _finish(
    records: pd.DataFrame,
    frequency: str,
    dims: list[str],
    metrics: list[str],
    inputs: Sequence[InputInfo],
    mappings: Sequence[ColumnMapping],
    issues: list[QualityIssue],
    parts: Sequence[TableRecords],
    poll: Callable[[], None],
) -> Dataset:
    single_file = parts[0].file if len(parts) == 1 else None
    records = records.sort_values(["date", *dims], kind="stable").reset_index(drop=True)
    kept = []
    for metric in metrics:
        if records[metric].notna().any():
            kept.append(metric)
        else:
            issues.append(
                QualityIssue(
                    "info",
                    "empty_column",
                    f"Metric {metric} has no values; dropped",
                    file=single_file,
                    column=metric,
                )
            )
    if not kept:
        raise InputError(
            "No numeric values were found in the metric columns",
            file=single_file,
            hint="Check that the amounts are numbers (e.g. 1234.56)",
        )
    rows = records["_row"].to_numpy()
    for metric in kept:
        if not metric_info(metric).nonnegative:
            continue
        negative = (records[metric] < 0).to_numpy()
        if negative.any():
            issues.append(
                QualityIssue(
                    "warning",
                    "negative_values",
                    f"{int(negative.sum())} negative values of {metric}, which is normally never "
                    "negative; kept as given",
                    file=single_file,
                    column=metric,
                    rows=_rows(rows, negative),
                    count=int(negative.sum()),
                )
            )
    poll()
    periods = pd.DatetimeIndex(records["date"].unique()).sort_values()
    _check_periods(records, periods, frequency, dims, issues, single_file)
    columns = ["date", *dims, *kept]
    out = records[columns].copy()
    out["date"] = out["date"].astype("datetime64[ns]")
    for dim in dims:
        out[dim] = out[dim].astype(str)
    for metric in kept:
        out[metric] = out[metric].astype("float64")
    return Dataset(
        records=out,
        frequency=frequency,  # type: ignore[arg-type]
        dimensions=tuple(dims),
        metrics=tuple(kept),
        mapping=tuple(mappings),
        quality=tuple(issues),
        inputs=tuple(inputs),
    )


def _check_periods(
    records: pd.DataFrame,
    periods: pd.DatetimeIndex,
    frequency: str,
    dims: list[str],
    issues: list[QualityIssue],
    file: str | None,
) -> None:
    if len(periods) < MIN_PERIODS:
        raise InputError(
            f"The data covers only {len(periods)} period(s); at least {MIN_PERIODS} are needed",
            file=file,
        )
    grid = pd.date_range(periods[0], periods[-1], freq="MS" if frequency == "M" else "QS")
    word = "months" if frequency == "M" else "quarters"
    if len(grid) < FORECAST_PERIODS:
        issues.append(
            QualityIssue(
                "warning",
                "short_series",
                f"Only {len(grid)} {word} of data; forecasts need at least {FORECAST_PERIODS} "
                "and will be rough or skipped",
                file=file,
                count=len(grid),
            )
        )
    missing = grid.difference(periods)
    if len(missing):
        shown = ", ".join(d.strftime("%Y-%m") for d in missing[:6])
        issues.append(
            QualityIssue(
                "warning",
                "gap",
                f"{len(missing)} {word} have no data at all ({shown}); they stay empty",
                file=file,
                count=len(missing),
            )
        )
    if not dims:
        return
    position = pd.Series(np.arange(len(grid)), index=grid)
    index = position.reindex(records["date"]).to_numpy()
    segment = records.groupby(dims, sort=False).ngroup().to_numpy()
    spans = pd.DataFrame({"segment": segment, "p": index})
    stats = spans.groupby("segment")["p"].agg(["min", "max", "nunique"])
    holes = (stats["max"] - stats["min"] + 1 - stats["nunique"]).clip(lower=0)
    with_holes = int((holes > 0).sum())
    if with_holes and len(missing) < int(holes.max()):
        issues.append(
            QualityIssue(
                "warning",
                "segment_gap",
                f"{with_holes} segments miss {int(holes.sum())} {word} in total between their "
                "first and last period; those periods stay empty",
                file=file,
                count=int(holes.sum()),
            )
        )
