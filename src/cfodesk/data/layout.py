"""Which layout a table uses and what each of its columns is.

Three layouts are recognised: *records* (a date column, metric columns, optional region and
department), *long* (date, a column naming the metric, one value column) and *statement* (one
row per account, one column per period). Columns are judged by their profiles, measured on a
sample of rows (:mod:`.column_profile`); whole columns are parsed once, later, in :mod:`.reshape`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..errors import InputError
from ..model import ColumnMapping, QualityIssue
from .column_profile import ColumnProfile, profile_columns, sample_rows
from .dates import parse_dates, parse_period_labels
from .mapping import (
    find_override,
    is_id_like,
    match_header,
    match_role,
    resolve_override,
    snake_case,
)

__all__ = ["ColumnProfile", "TablePlan", "guess_layout", "plan_table", "profile_columns"]

_DIMENSIONS = ("region", "department")


@dataclass
class TablePlan:
    """How one table will be read: its layout and the role of every column (and account)."""

    file: str
    layout: str
    date_column: str | None = None
    dimensions: dict[str, str] = field(default_factory=dict)  # dimension -> column
    metrics: dict[str, str] = field(default_factory=dict)  # column -> metric (records)
    metric_name_column: str | None = None  # long
    value_column: str | None = None  # long
    label_column: str | None = None  # statement
    period_columns: dict[str, pd.Timestamp] = field(default_factory=dict)  # statement
    period_grain: str = "M"  # statement: grain of the period headers
    mappings: list[ColumnMapping] = field(default_factory=list)
    notes: list[QualityIssue] = field(default_factory=list)
    overrides: Mapping[str, str] = field(default_factory=dict)


def guess_layout(cells: pd.DataFrame, profiles: Mapping[str, ColumnProfile] | None = None) -> str:
    """Give the layout a table most likely uses: records, long or statement."""
    try:
        return plan_table(cells, "", None, strict=False, profiles=profiles).layout
    except InputError:
        return "records"


def plan_table(
    cells: pd.DataFrame,
    file: str,
    overrides: Mapping[str, str] | None = None,
    *,
    strict: bool = True,
    profiles: Mapping[str, ColumnProfile] | None = None,
) -> TablePlan:
    """Give the plan for reading one table (layout, roles, mappings).

    With ``strict`` an :class:`InputError` is raised when the table has no date or no metric.
    """
    overrides = dict(overrides or {})
    headers = [str(c) for c in cells.columns]
    periods = parse_period_labels(headers)
    is_period = ~np.isnat(periods.dates)
    user_roles = {h: resolve_override(t) for h in headers if (t := find_override(h, overrides))}
    for header, (role, _target) in user_roles.items():
        if role != "metric":
            is_period[headers.index(header)] = False
    if is_period.sum() >= 2 and not any(r == "date" for r, _ in user_roles.values()):
        plan = _plan_statement(cells, file, headers, periods, is_period, user_roles, profiles)
    else:
        if profiles is None or set(profiles) != set(cells.columns):
            profiles = profile_columns(cells)
        plan = _plan_long(cells, file, headers, profiles, user_roles)
        if plan is None:
            plan = _plan_records(cells, file, headers, profiles, user_roles, strict)
    plan.overrides = overrides
    return plan


# -- records ----------------------------------------------------------------------------------


def _user_mapping(file: str, header: str, role: str, target: str) -> ColumnMapping:
    return ColumnMapping(file, header, role, None if role == "ignored" else target, 1.0, "user")


def _pick_date(
    headers: list[str],
    profiles: Mapping[str, ColumnProfile],
    cells: pd.DataFrame,
    taken: set[str],
) -> tuple[str | None, float, str]:
    candidates = []
    for position, header in enumerate(headers):
        profile = profiles[header]
        if header in taken or profile.filled == 0:
            continue
        named = match_role(header, "date")
        share = profile.date_share
        if share < 0.8 and named is not None and profile.numeric_share >= 0.8:
            serial = parse_dates(sample_rows(cells)[header].dropna(), allow_serial=True)
            share = serial.parsed
        if share >= 0.8:
            candidates.append((named is None, -share, position, header, named))
    if not candidates:
        return None, 0.0, ""
    _, share, _, header, named = min(candidates)
    if named is not None:
        return header, named.confidence, named.method
    return header, round(min(0.9, -share), 3), "inferred"


def _plan_records(
    cells: pd.DataFrame,
    file: str,
    headers: list[str],
    profiles: Mapping[str, ColumnProfile],
    user_roles: Mapping[str, tuple[str, str]],
    strict: bool,
) -> TablePlan:
    plan = TablePlan(file=file, layout="records")
    decided: dict[str, ColumnMapping] = {}
    for header, (role, target) in user_roles.items():
        decided[header] = _user_mapping(file, header, role, target)
    if not any(m.role == "date" for m in decided.values()):
        date_column, confidence, method = _pick_date(headers, profiles, cells, set(decided))
        if date_column is not None:
            decided[date_column] = ColumnMapping(
                file, date_column, "date", "date", confidence, method
            )
    for header in headers:
        if header in decided:
            continue
        decided[header] = _judge_column(file, header, profiles[header], plan)
    _assign_unnamed_dimensions(file, headers, profiles, decided, plan.notes)
    mappings = _resolve_duplicates(file, [decided[h] for h in headers], plan)
    plan.mappings = mappings
    for m in mappings:
        if m.role == "date":
            plan.date_column = m.column
        elif m.role in _DIMENSIONS:
            plan.dimensions[m.role] = m.column
        elif m.role == "metric" and m.target:
            plan.metrics[m.column] = m.target
    if strict and plan.date_column is None:
        raise InputError(
            "No date column was found",
            file=file,
            hint="Add a column of dates or months (e.g. 2024-01 or Jan 2024), or map one with "
            '--map "Your column=date"',
        )
    if strict and not plan.metrics:
        raise InputError(
            "No numeric column was found: there is nothing to report on",
            file=file,
            hint="The file needs at least one column of amounts (e.g. Revenue)",
        )
    return plan


def _judge_column(file: str, header: str, profile: ColumnProfile, plan: TablePlan) -> ColumnMapping:
    if profile.filled == 0:
        plan.notes.append(
            QualityIssue("info", "empty_column", "Empty column dropped", file=file, column=header)
        )
        return ColumnMapping(file, header, "ignored", None, 1.0, "inferred")
    known = match_header(header)
    numeric = profile.numeric_share >= 0.6
    if is_id_like(header) and not (known and known.confidence >= 0.95):
        plan.notes.append(
            QualityIssue(
                "info",
                "ignored_column",
                "Column looks like an identifier or a note, not an amount; ignored",
                file=file,
                column=header,
            )
        )
        return ColumnMapping(file, header, "ignored", None, 0.8, "inferred")
    if numeric or (known is not None and known.confidence >= 0.9):
        if known is not None:
            return ColumnMapping(
                file, header, "metric", known.target, known.confidence, known.method
            )
        return ColumnMapping(file, header, "metric", snake_case(header), 0.6, "inferred")
    for dimension in _DIMENSIONS:
        named = match_role(header, dimension)
        if named is not None:
            return ColumnMapping(file, header, dimension, dimension, named.confidence, named.method)
    return ColumnMapping(file, header, "text", None, 0.0, "inferred")


def _assign_unnamed_dimensions(
    file: str,
    headers: list[str],
    profiles: Mapping[str, ColumnProfile],
    decided: dict[str, ColumnMapping],
    notes: list[QualityIssue],
) -> None:
    taken = {m.role for m in decided.values()}
    free = [d for d in _DIMENSIONS if d not in taken]
    for header in headers:
        mapping = decided[header]
        if mapping.role != "text":
            continue
        profile = profiles[header]
        low_cardinality = profile.distinct <= 200 and (
            profile.distinct_share <= 0.5 or profile.distinct <= 12
        )
        if free and low_cardinality and profile.mean_length <= 40:
            dimension = free.pop(0)
            decided[header] = ColumnMapping(file, header, dimension, dimension, 0.5, "inferred")
        else:
            decided[header] = ColumnMapping(file, header, "ignored", None, 0.7, "inferred")
            notes.append(
                QualityIssue(
                    "info",
                    "ignored_column",
                    "Text column with too many different values to be a segment; ignored",
                    file=file,
                    column=header,
                )
            )


def _resolve_duplicates(
    file: str, mappings: list[ColumnMapping], plan: TablePlan
) -> list[ColumnMapping]:
    """Keep one column per target: the most confident (the first on ties), warn about the rest."""
    best: dict[tuple[str, str], ColumnMapping] = {}
    for m in mappings:
        if m.role in ("ignored", "text") or m.target is None:
            continue
        key = (m.role if m.role != "metric" else "metric", m.target)
        if key not in best or m.confidence > best[key].confidence:
            best[key] = m
    result = []
    for m in mappings:
        key = (m.role, m.target or "")
        if m.role not in ("ignored", "text") and m.target is not None and best[key] is not m:
            kept = best[key]
            plan.notes.append(
                QualityIssue(
                    "warning",
                    "duplicate_mapping",
                    f"Columns '{kept.column}' and '{m.column}' both mean '{m.target}'; "
                    f"kept '{kept.column}' (the closer match), ignored '{m.column}'",
                    file=file,
                    column=m.column,
                )
            )
            result.append(ColumnMapping(file, m.column, "ignored", None, m.confidence, m.method))
        else:
            result.append(m)
    return result


# -- long -------------------------------------------------------------------------------------


def _plan_long(
    cells: pd.DataFrame,
    file: str,
    headers: list[str],
    profiles: Mapping[str, ColumnProfile],
    user_roles: Mapping[str, tuple[str, str]],
) -> TablePlan | None:
    if user_roles and any(r == "metric" for r, _ in user_roles.values()):
        return None
    name_columns = [
        h
        for h in headers
        if h not in user_roles
        and profiles[h].filled
        and profiles[h].numeric_share < 0.5
        and profiles[h].date_share < 0.5
        and profiles[h].distinct <= 300
        and match_role(h, "metric_name") is not None
    ]
    numeric = [
        h
        for h in headers
        if h not in user_roles
        and profiles[h].numeric_share >= 0.6
        and profiles[h].date_share < 0.8
        and not is_id_like(h)
    ]
    value_named = [h for h in numeric if match_role(h, "value") is not None]
    if not name_columns or not (value_named or len(numeric) == 1):
        return None
    name_column = name_columns[0]
    value_column = value_named[0] if value_named else numeric[0]
    plan = TablePlan(file=file, layout="long")
    decided: dict[str, ColumnMapping] = {
        h: _user_mapping(file, h, r, t) for h, (r, t) in user_roles.items()
    }
    decided[name_column] = ColumnMapping(file, name_column, "metric_name", None, 0.9, "synonym")
    decided[value_column] = ColumnMapping(file, value_column, "value", None, 0.9, "synonym")
    if not any(m.role == "date" for m in decided.values()):
        date_column, confidence, method = _pick_date(headers, profiles, cells, set(decided))
        if date_column is None:
            return None
        decided[date_column] = ColumnMapping(file, date_column, "date", "date", confidence, method)
    for header in headers:
        if header in decided:
            continue
        mapping = _judge_column(file, header, profiles[header], plan)
        if mapping.role == "metric":
            mapping = ColumnMapping(file, header, "ignored", None, 0.6, "inferred")
            plan.notes.append(
                QualityIssue(
                    "info",
                    "ignored_column",
                    "Extra numeric column beside the value column ignored",
                    file=file,
                    column=header,
                )
            )
        decided[header] = mapping
    _assign_unnamed_dimensions(file, headers, profiles, decided, plan.notes)
    plan.mappings = _resolve_duplicates(file, [decided[h] for h in headers], plan)
    for m in plan.mappings:
        if m.role == "date":
            plan.date_column = m.column
        elif m.role in _DIMENSIONS:
            plan.dimensions[m.role] = m.column
    plan.metric_name_column = name_column
    plan.value_column = value_column
    return plan


# -- statement --------------------------------------------------------------------------------


def _plan_statement(
    cells: pd.DataFrame,
    file: str,
    headers: list[str],
    periods,
    is_period: np.ndarray,
    user_roles: Mapping[str, tuple[str, str]],
    profiles: Mapping[str, ColumnProfile] | None,
) -> TablePlan:
    plan = TablePlan(file=file, layout="statement")
    grains = set(periods.grain[is_period])
    plan.period_grain = "Q" if grains == {"Q"} else "M"
    others = [h for h, p in zip(headers, is_period) if not p]
    decided: dict[str, ColumnMapping] = {
        h: _user_mapping(file, h, r, t) for h, (r, t) in user_roles.items() if h in others
    }
    profiles = profiles if profiles is not None else {}
    if not set(others) <= set(profiles):
        profiles = profile_columns(cells[others]) if others else {}
    text_columns = [
        h
        for h in others
        if h not in decided and profiles[h].filled and profiles[h].numeric_share < 0.5
    ]
    named = [h for h in text_columns if match_role(h, "metric_name") is not None]
    label = named[0] if named else None
    if label is None:
        # The account column is the text column whose values vary most.
        ranked = sorted(text_columns, key=lambda h: (-profiles[h].distinct, others.index(h)))
        label = ranked[0] if ranked else None
    if label is None:
        raise InputError(
            "The columns are periods but no column names the accounts",
            file=file,
            hint="Add a first column with the account or metric names (e.g. Revenue, COGS)",
        )
    plan.label_column = label
    decided[label] = ColumnMapping(file, label, "metric_name", None, 0.9, "inferred")
    for header in others:
        if header in decided:
            continue
        mapping = _judge_column(file, header, profiles[header], plan)
        if mapping.role == "metric":
            mapping = ColumnMapping(file, header, "ignored", None, 0.6, "inferred")
        decided[header] = mapping
    _assign_unnamed_dimensions(file, others, profiles, decided, plan.notes)
    for header, is_p, stamp in zip(headers, is_period, periods.dates):
        if is_p:
            plan.period_columns[header] = pd.Timestamp(stamp)
            target = pd.Timestamp(stamp).strftime("%Y-%m-%d")
            decided[header] = ColumnMapping(file, header, "period", target, 1.0, "inferred")
    plan.mappings = _resolve_duplicates(file, [decided[h] for h in headers], plan)
    for m in plan.mappings:
        if m.role in _DIMENSIONS:
            plan.dimensions[m.role] = m.column
    return plan
