"""Data intake: read any finance export into a clean :class:`~cfodesk.model.Dataset`.

Two stages, each with its own progress callback and cancel checks:
:func:`read_sources` ("load": files to text tables) and :func:`prepare_dataset` ("validate":
layout, column mapping, number and date parsing, repairs, merging). :func:`propose_mapping` shows
how every column would be understood, for review before the run.

Conventions: dates are period starts (month start for monthly data, quarter start for quarterly);
percent cells (``12%``) are stored as fractions (``0.12``); nothing missing is ever filled in.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from ..errors import InputError
from ..model import ColumnMapping, Dataset, QualityIssue
from ..progress import CancelToken, StepCallback, no_step
from .clean import build_dataset
from .layout import TablePlan, plan_table
from .mapping import fold, load_mapping_file, parse_map_option
from .mapping import headers_signature as _headers_signature
from .read import RawTable, read_sources
from .reshape import account_mappings, to_records

__all__ = [
    "RawTable",
    "read_sources",
    "prepare_dataset",
    "propose_mapping",
    "load_mapping_file",
    "parse_map_option",
    "load_dataset",
    "headers_signature",
]


def _file_name(table: RawTable) -> str:
    return Path(table.info.path).name


def _plan(table: RawTable, mapping: Mapping[str, str] | None) -> TablePlan:
    return plan_table(table.cells, _file_name(table), mapping, profiles=table.profiles)


def propose_mapping(tables: Sequence[RawTable]) -> list[ColumnMapping]:
    """Give how every column (and, for long or statement layouts, every account) is understood.

    This is exactly what :func:`prepare_dataset` does when given no overrides.
    """
    result: list[ColumnMapping] = []
    for table in tables:
        plan = _plan(table, None)
        result.extend(plan.mappings)
        if plan.layout in ("long", "statement"):
            result.extend(account_mappings(plan, table.cells))
    return result


def prepare_dataset(
    tables: Sequence[RawTable],
    *,
    mapping: Mapping[str, str] | None = None,
    on_progress: StepCallback = no_step,
    cancel: CancelToken | None = None,
) -> Dataset:
    """Give the clean, merged data set of the tables read by :func:`read_sources`.

    ``mapping`` holds user overrides: source header (or account name) -> a metric name, ``date``,
    ``region``, ``department`` or ``ignore``. Raises :class:`InputError` when the data cannot be
    used and :class:`~cfodesk.progress.Cancelled` when ``cancel`` is set.
    """
    if not tables:
        raise InputError("No input table to check", hint="Choose at least one file")

    def poll() -> None:
        if cancel is not None:
            cancel.raise_if_cancelled()

    total = 2 * len(tables) + 1
    parts = []
    mappings: list[ColumnMapping] = []
    notes: list[QualityIssue] = []
    for index, table in enumerate(tables):
        name = _file_name(table)
        on_progress(2 * index, total, name, f"Understanding the columns of {name}")
        plan = _plan(table, mapping)
        poll()
        on_progress(2 * index + 1, total, name, f"Checking values in {name}")
        records = to_records(plan, table.cells, table.source_rows, poll)
        notes.extend(table.notes)
        mappings.extend(records.mappings)
        parts.append(records)
        poll()
    notes.extend(_unused_overrides(mapping, tables, mappings))
    on_progress(2 * len(tables), total, None, "Merging and validating")
    dataset = build_dataset(parts, [t.info for t in tables], mappings, notes, poll)
    on_progress(total, total, None, "Data checked")
    return dataset


def _unused_overrides(
    mapping: Mapping[str, str] | None,
    tables: Sequence[RawTable],
    mappings: Sequence[ColumnMapping],
) -> list[QualityIssue]:
    if not mapping:
        return []
    seen = {fold(m.column) for m in mappings} | {
        fold(str(c)) for t in tables for c in t.cells.columns
    }
    return [
        QualityIssue(
            "warning",
            "unused_mapping",
            f"The mapping for '{source}' matches no column or account in the files",
            column=source,
        )
        for source in mapping
        if fold(source) not in seen
    ]


def load_dataset(
    paths: Sequence[str | Path] | str | Path,
    *,
    sheet: str | None = None,
    mapping: Mapping[str, str] | None = None,
) -> Dataset:
    """Give the clean data set of one or more files (read + prepare in one call)."""
    if isinstance(paths, (str, Path)):
        paths = [paths]
    return prepare_dataset(read_sources(paths, sheet=sheet), mapping=mapping)


def headers_signature(tables: Sequence[RawTable]) -> str:
    """Give a stable hash of the tables' header sets (to remember a mapping for such files)."""
    return _headers_signature([[str(c) for c in t.cells.columns] for t in tables])
