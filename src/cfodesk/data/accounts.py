"""Row labels: tidy label cells, spot total rows, and say which metric each account names.

Long and statement tables name their metrics in a column of labels (the accounts), and every
layout names its segments in label cells. Reading those labels is one job, shared by the account
review (:func:`account_mappings`, shown before the run) and by :mod:`.reshape`, which builds the
records; it sits apart from reshaping so the review does not depend on how records are built.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..model import ColumnMapping
from .layout import TablePlan
from .mapping import find_override, is_total_label, match_header, resolve_override, snake_case

__all__ = ["account_mappings", "labels_and_totals", "tidy_labels"]


def _cell_label(value: object) -> str | None:
    """Give a label cell as tidy text ('  North  America ' -> 'North America'; 3.0 -> '3')."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    text = " ".join(str(value).split())
    return text or None


def tidy_labels(series: pd.Series) -> np.ndarray:
    """Give a column of labels as tidy text (None where empty), cleaning each distinct value once."""
    return labels_and_totals(series)[0]


def labels_and_totals(series: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Give the tidy labels and a mask of total/subtotal labels ('Total', 'Grand total')."""
    codes, uniques = pd.factorize(series)
    names = np.array([_cell_label(u) for u in uniques] + [None], dtype=object)
    totals = np.array([is_total_label(n) for n in names], dtype=bool)
    codes = np.where(codes >= 0, codes, len(uniques))
    return names[codes], totals[codes]


def account_mappings(plan: TablePlan, cells: pd.DataFrame) -> list[ColumnMapping]:
    """Give how each account (long/statement label) is understood, one entry per distinct label."""
    column = plan.metric_name_column or plan.label_column
    if column is None:
        return []
    labels = [_cell_label(v) for v in pd.unique(cells[column].dropna())]
    result: list[ColumnMapping] = []
    for label in dict.fromkeys(v for v in labels if v):
        if not label or is_total_label(label):
            continue
        override = find_override(label, plan.overrides)
        if override is not None:
            role, target = resolve_override(override)
            if role not in ("metric", "ignored"):
                role, target = "ignored", "ignore"
            result.append(
                ColumnMapping(
                    plan.file, label, role, None if role == "ignored" else target, 1.0, "user"
                )
            )
            continue
        known = match_header(label)
        if known is not None:
            result.append(
                ColumnMapping(
                    plan.file, label, "metric", known.target, known.confidence, known.method
                )
            )
        else:
            result.append(
                ColumnMapping(plan.file, label, "metric", snake_case(label), 0.6, "inferred")
            )
    # Two accounts meaning the same metric: keep the closer match.
    best: dict[str, ColumnMapping] = {}
    for m in result:
        if (
            m.role == "metric"
            and m.target
            and (m.target not in best or m.confidence > best[m.target].confidence)
        ):
            best[m.target] = m
    return [
        m
        if m.role != "metric" or best[m.target] is m
        else ColumnMapping(m.file, m.column, "ignored", None, m.confidence, m.method)
        for m in result
    ]
