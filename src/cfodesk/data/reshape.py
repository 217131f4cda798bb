"""Turn one planned table, whatever its layout, into typed records.

The result has one row per source row (records) or per (date, segment) (long and statement):
``date`` (as written, not yet snapped to a period), the dimensions, one float column per metric
and ``_row``, the 1-based file row used in the data-quality log. Total and footer rows are dropped
here, with a note, so they are never summed in.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..model import ColumnMapping, QualityIssue
from .accounts import account_mappings, labels_and_totals, tidy_labels
from .dates import parse_dates
from .layout import TablePlan
from .mapping import is_total_label
from .numbers import NumberParse, parse_numbers

__all__ = ["TableRecords", "to_records", "account_mappings"]

UNASSIGNED = "Unassigned"
Poll = Callable[[], None]


def _no_poll() -> None:
    """Do nothing (the default between-columns hook)."""


@dataclass
class TableRecords:
    """One table as typed records plus what was repaired on the way.

    ``quarter_labels`` says every date was written as a quarter (``Q1 2024``).
    """

    file: str
    frame: pd.DataFrame
    quarter_labels: bool
    dimensions: list[str]
    metrics: list[str]
    issues: list[QualityIssue] = field(default_factory=list)
    mappings: list[ColumnMapping] = field(default_factory=list)
    date_note: str | None = None


def _total_rows_issue(file: str, source_rows: np.ndarray, footer: np.ndarray) -> QualityIssue:
    """Give the data-quality note for the total and subtotal rows left out of a table."""
    return QualityIssue(
        "info",
        "total_rows",
        f"{int(footer.sum())} total or subtotal rows dropped (never summed in)",
        file=file,
        rows=_rows(source_rows, footer),
        count=int(footer.sum()),
    )


def _rows(source_rows: np.ndarray, mask: np.ndarray, limit: int = 20) -> tuple[int, ...]:
    return tuple(int(r) for r in source_rows[mask][:limit])


def to_records(
    plan: TablePlan, cells: pd.DataFrame, source_rows: np.ndarray, poll: Poll = _no_poll
) -> TableRecords:
    """Give the typed records of one table according to its plan (``poll`` runs between columns)."""
    if plan.layout == "statement":
        return _statement(plan, cells, source_rows, poll)
    return _records_or_long(plan, cells, source_rows, poll)


def _number_issues(
    file: str, column: str, parsed: NumberParse, cells: pd.Series, source_rows: np.ndarray
) -> list[QualityIssue]:
    issues = []
    if parsed.invalid.any():
        count = int(parsed.invalid.sum())
        example = str(cells.to_numpy()[parsed.invalid][0])[:40]
        issues.append(
            QualityIssue(
                "warning",
                "non_numeric",
                f"{count} cells are not numbers (e.g. '{example}') and were left empty",
                file=file,
                column=column,
                rows=_rows(source_rows, parsed.invalid),
                count=count,
            )
        )
    notes = (
        ("empty_marker", parsed.empty_markers,
         f"{parsed.empty_markers} cells such as N/A, - or #DIV/0! read as missing"),
        ("percent", parsed.percent,
         f"{parsed.percent} percent values stored as fractions (12% -> 0.12)"),
        ("european_decimals", int(bool(parsed.european)),
         "Numbers written with a decimal comma (1.234,56) read as such"),
    )  # fmt: skip
    for code, count, message in notes:
        if count:
            issues.append(
                QualityIssue("info", code, message, file=file, column=column, count=count)
            )
    return issues


def _parse_columns(columns: dict[str, pd.Series], poll: Poll = _no_poll) -> dict[str, NumberParse]:
    parsed = {}
    for name, series in columns.items():
        parsed[name] = parse_numbers(series)
        poll()
    if any(p.european for p in parsed.values()):
        for name, series in columns.items():
            if not parsed[name].european:
                parsed[name] = parse_numbers(series, european_hint=True)
                poll()
    return parsed


def _dimension_values(
    plan: TablePlan, cells: pd.DataFrame
) -> tuple[dict[str, np.ndarray], np.ndarray, dict[str, np.ndarray]]:
    """Give the cleaned dimension columns, a mask of subtotal rows (e.g. region 'Total') and,
    per dimension, the rows with no value (grouped as 'Unassigned')."""
    values: dict[str, np.ndarray] = {}
    missing: dict[str, np.ndarray] = {}
    totals = np.zeros(len(cells), bool)
    for dimension, column in plan.dimensions.items():
        labels, is_total = labels_and_totals(cells[column])
        totals |= is_total
        missing[dimension] = pd.isna(labels)
        values[dimension] = np.where(missing[dimension], UNASSIGNED, labels)
    return values, totals, missing


def _missing_dimension_issues(
    plan: TablePlan, missing: dict[str, np.ndarray], keep: np.ndarray, source_rows: np.ndarray
) -> list[QualityIssue]:
    issues = []
    for dimension, mask in missing.items():
        mask = mask & keep
        if mask.any():
            issues.append(
                QualityIssue(
                    "warning",
                    "missing_dimension",
                    f"{int(mask.sum())} rows have no {dimension}; grouped as '{UNASSIGNED}'",
                    file=plan.file,
                    column=plan.dimensions[dimension],
                    rows=_rows(source_rows, mask),
                    count=int(mask.sum()),
                )
            )
    return issues


def _date_rows(
    plan: TablePlan,
    cells: pd.DataFrame,
    source_rows: np.ndarray,
    totals: np.ndarray,
    issues: list[QualityIssue],
) -> tuple[np.ndarray, np.ndarray, np.ndarray, str | None]:
    """Give dates, grains, the rows to keep, and the day/month order note."""
    column = plan.date_column
    assert column is not None
    raw = cells[column]
    parsed = parse_dates(raw, allow_serial=True)
    bad = np.isnat(parsed.dates)
    label_cells = [raw] + [cells[c] for c in plan.dimensions.values()]
    if plan.metric_name_column:
        label_cells.append(cells[plan.metric_name_column])
    footer = totals.copy()
    for series in label_cells:
        codes, uniques = pd.factorize(series)
        flags = np.array([is_total_label(u) for u in uniques], dtype=bool)
        if len(uniques):
            footer |= (codes >= 0) & flags[np.maximum(codes, 0)]
    empty_date = raw.isna().to_numpy() & ~footer
    unreadable = bad & ~footer & ~empty_date
    if footer.any():
        issues.append(_total_rows_issue(plan.file, source_rows, footer))
    if empty_date.any():
        issues.append(
            QualityIssue(
                "warning",
                "missing_date",
                f"{int(empty_date.sum())} rows have no date and were dropped",
                file=plan.file,
                column=column,
                rows=_rows(source_rows, empty_date),
                count=int(empty_date.sum()),
            )
        )
    if unreadable.any():
        example = str(raw.to_numpy()[unreadable][0])[:40]
        issues.append(
            QualityIssue(
                "warning",
                "bad_date",
                f"{int(unreadable.sum())} rows have a date that cannot be read (e.g. '{example}') "
                "and were dropped",
                file=plan.file,
                column=column,
                rows=_rows(source_rows, unreadable),
                count=int(unreadable.sum()),
            )
        )
    keep = ~(bad | footer)
    if parsed.excel_serial:
        issues.append(
            QualityIssue(
                "info",
                "excel_dates",
                "Dates given as Excel day numbers were converted",
                file=plan.file,
                column=column,
            )
        )
    return parsed.dates, parsed.grain, keep, parsed.order_note


def _records_or_long(
    plan: TablePlan, cells: pd.DataFrame, source_rows: np.ndarray, poll: Poll
) -> TableRecords:
    issues: list[QualityIssue] = list(plan.notes)
    dims, totals, missing = _dimension_values(plan, cells)
    dates, grain, keep, note = _date_rows(plan, cells, source_rows, totals, issues)
    issues += _missing_dimension_issues(plan, missing, keep, source_rows)
    mappings = list(plan.mappings)
    if plan.layout == "long":
        assert plan.metric_name_column and plan.value_column
        parsed = _parse_columns({plan.value_column: cells[plan.value_column]})[plan.value_column]
        issues += _number_issues(
            plan.file, plan.value_column, parsed, cells[plan.value_column], source_rows
        )
        accounts = account_mappings(plan, cells)
        mappings += accounts
        names = pd.Series(tidy_labels(cells[plan.metric_name_column]), dtype=object)
        lookup = {m.column: m.target for m in accounts if m.role == "metric"}
        metric = names.map(lookup).to_numpy(dtype=object)
        no_name = names.isna().to_numpy() & keep
        if no_name.any():
            issues.append(
                QualityIssue(
                    "warning",
                    "missing_metric_name",
                    f"{int(no_name.sum())} rows name no metric and were dropped",
                    file=plan.file,
                    column=plan.metric_name_column,
                    rows=_rows(source_rows, no_name),
                    count=int(no_name.sum()),
                )
            )
        keep = keep & pd.notna(metric)
        long = pd.DataFrame(
            {"date": dates[keep], "_grain": grain[keep]}
            | {d: v[keep] for d, v in dims.items()}
            | {"_metric": metric[keep], "_value": parsed.values[keep], "_row": source_rows[keep]}
        )
        frame, grains, metrics = _pivot(plan, long, list(dims), issues)
        quarters = len(grains) > 0 and bool(np.all(grains == "Q"))
        return TableRecords(plan.file, frame, quarters, list(dims), metrics, issues, mappings, note)
    columns = {c: cells[c] for c in plan.metrics}
    parsed_columns = _parse_columns(columns, poll)
    data: dict[str, np.ndarray] = {"date": dates[keep]}
    data |= {d: v[keep] for d, v in dims.items()}
    for column, metric in plan.metrics.items():
        parsed = parsed_columns[column]
        issues += _number_issues(plan.file, column, parsed, cells[column], source_rows)
        data[metric] = parsed.values[keep]
    data["_row"] = source_rows[keep]
    frame = pd.DataFrame(data)
    return TableRecords(
        plan.file,
        frame,
        bool(keep.any()) and bool(np.all(grain[keep] == "Q")),
        list(dims),
        list(plan.metrics.values()),
        issues,
        mappings,
        note,
    )


def _pivot(
    plan: TablePlan, long: pd.DataFrame, dims: list[str], issues: list[QualityIssue]
) -> tuple[pd.DataFrame, np.ndarray, list[str]]:
    keys = ["date", *dims, "_metric"]
    duplicated = long.duplicated(keys, keep="last").to_numpy()
    if duplicated.any():
        rows = long["_row"].to_numpy()
        issues.append(
            QualityIssue(
                "warning",
                "duplicate_values",
                f"{int(duplicated.sum())} values repeat a (date, segment, metric) already given; "
                "the last one was kept",
                file=plan.file,
                rows=_rows(rows, duplicated),
                count=int(duplicated.sum()),
            )
        )
        long = long.loc[~duplicated]
    metrics = list(dict.fromkeys(long["_metric"]))
    index = ["date", *dims]
    wide = long.pivot(index=index, columns="_metric", values="_value")
    wide = wide.reindex(columns=metrics).reset_index()
    wide.columns.name = None
    first = long.groupby(index, sort=False)[["_row", "_grain"]].first().reset_index()
    wide = wide.merge(first, on=index, how="left")
    wide = wide.sort_values("_row", kind="stable").reset_index(drop=True)
    grains = wide.pop("_grain").to_numpy()
    for metric in metrics:
        wide[metric] = wide[metric].astype(float)
    return wide, grains, metrics


def _statement(
    plan: TablePlan, cells: pd.DataFrame, source_rows: np.ndarray, poll: Poll
) -> TableRecords:
    issues: list[QualityIssue] = list(plan.notes)
    dims, totals, missing = _dimension_values(plan, cells)
    label_column = plan.label_column
    assert label_column is not None
    labels = pd.Series(tidy_labels(cells[label_column]), dtype=object)
    footer = totals | labels.map(is_total_label).to_numpy(dtype=bool)
    if footer.any():
        issues.append(_total_rows_issue(plan.file, source_rows, footer))
    accounts = account_mappings(plan, cells)
    lookup = {m.column: m.target for m in accounts if m.role == "metric"}
    metric = labels.map(lookup).to_numpy(dtype=object)
    period_columns = list(plan.period_columns)
    parsed = _parse_columns({c: cells[c] for c in period_columns}, poll)
    for column in period_columns:
        issues += _number_issues(plan.file, column, parsed[column], cells[column], source_rows)
    keep = ~footer & pd.notna(metric)
    issues += _missing_dimension_issues(plan, missing, keep, source_rows)
    pieces = []
    for column, stamp in plan.period_columns.items():
        pieces.append(
            pd.DataFrame(
                {
                    "date": np.full(int(keep.sum()), stamp.to_datetime64(), dtype="M8[ns]"),
                    "_grain": plan.period_grain,
                }
                | {d: v[keep] for d, v in dims.items()}
                | {
                    "_metric": metric[keep],
                    "_value": parsed[column].values[keep],
                    "_row": source_rows[keep],
                }
            )
        )
    long = pd.concat(pieces, ignore_index=True)
    long = long.loc[long.groupby(["_row"])["_value"].transform("count").to_numpy() > 0]
    frame, grains, metrics = _pivot(plan, long, list(dims), issues)
    frame = frame.sort_values(["date", "_row"], kind="stable").reset_index(drop=True)
    return TableRecords(
        plan.file,
        frame,
        plan.period_grain == "Q",
        list(dims),
        metrics,
        issues,
        list(plan.mappings) + accounts,
        None,
    )
