"""Anomalies a controller trusts: spikes, dips, level shifts, unusual mixes and broken books.

Every series at every level gets a robust trend + season fit (:mod:`.anomaly_scan`); periods far
outside it are spikes or dips, persistent steps are level shifts (reported once, at the step);
:mod:`.anomaly_rows` picks how each kind of metric is read and words the findings as rows.
Each segment's months are then checked for unusual combinations of metrics
(:mod:`.anomaly_multivariate`) and the books for broken identities and impossible negative
balances (:mod:`.accounting_checks`). Finally the hierarchy is linked: a segment anomaly that is
part of an anomaly of its parent in the same metric and period points to it (``linked_to``) and
the parent's reason names the segment that drove it, so nothing is listed twice as independent;
likewise a balance that only echoes a flow anomaly of its segment (receivables after a revenue
dip) points to that flow anomaly (:mod:`.anomaly_causes`).

The table starts with the ``anomalies.csv`` contract columns
``level,segment,metric,date,value,expected,lower,upper,score,severity,reason``, then ``kind``
(spike, dip, level_shift, multivariate, accounting), ``id`` and ``linked_to``. ``score`` is the
signed robust z (positive above expectation); ``lower``/``upper`` bound the normal range.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ..metrics import metric_info
from ..model import LEVELS, Panel, SeriesKey
from ..progress import CancelToken, StepCallback, no_step
from .accounting_checks import check_identities, check_negative_balances, find_identities
from .anomaly_causes import knock_on_causes
from .anomaly_rows import scan_by_kind, series_rows, unusual_mix_rows
from .anomaly_scan import THRESHOLD, SeriesScan
from .anomaly_text import format_signed_amount

if TYPE_CHECKING:
    from .forecast.engine import ForecastResult

__all__ = ["CONTRACT_COLUMNS", "COLUMNS", "SEVERITIES", "AnomalyResult", "detect_anomalies"]

CONTRACT_COLUMNS = (
    "level",
    "segment",
    "metric",
    "date",
    "value",
    "expected",
    "lower",
    "upper",
    "score",
    "severity",
    "reason",
)
COLUMNS = CONTRACT_COLUMNS + ("kind", "id", "linked_to")
SEVERITIES = ("high", "medium", "low")
KINDS = ("spike", "dip", "level_shift", "multivariate", "accounting")
#: A child explains its parent's anomaly when its deviation is at least half of the parent's.
DRIVER_SHARE = 0.5
_NUMERIC = ("value", "expected", "lower", "upper", "score")


@dataclass(frozen=True, eq=False)
class AnomalyResult:
    """The anomalies found in a panel, one row each (see the module docstring for columns)."""

    table: pd.DataFrame
    frequency: str = "M"
    settings: Mapping[str, Any] = field(default_factory=dict)

    @property
    def independent(self) -> pd.DataFrame:
        """Give the rows not linked to a parent anomaly (what a reader should look at first)."""
        return self.table[self.table["linked_to"].isna()]

    def counts(self) -> dict[str, int]:
        """Give the number of anomalies by severity."""
        counts = self.table["severity"].value_counts()
        return {s: int(counts.get(s, 0)) for s in SEVERITIES}

    def to_json(self) -> dict[str, Any]:
        """Give the report.json "anomalies" section (dates ISO, no NaN)."""
        items = []
        for record in self.table.to_dict(orient="records"):
            item: dict[str, Any] = {}
            for column in COLUMNS:
                value = record[column]
                if column == "date":
                    value = pd.Timestamp(value).strftime("%Y-%m-%d")
                elif column in _NUMERIC:
                    value = None if value is None or not np.isfinite(value) else float(value)
                elif value is None or (isinstance(value, float) and np.isnan(value)):
                    value = None
                item[column] = value
            items.append(item)
        kinds = self.table["kind"].value_counts()
        return {
            "count": len(items),
            "independent": int(self.table["linked_to"].isna().sum()),
            "by_severity": self.counts(),
            "by_kind": {k: int(kinds.get(k, 0)) for k in KINDS},
            "frequency": self.frequency,
            "settings": dict(self.settings),
            "items": items,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> AnomalyResult:
        """Build the result from :meth:`to_json` output."""
        table = pd.DataFrame(list(data.get("items", [])), columns=list(COLUMNS))
        return cls(
            table=_typed(table),
            frequency=data.get("frequency", "M"),
            settings=dict(data.get("settings", {})),
        )


def detect_anomalies(
    panel: Panel,
    *,
    forecast: ForecastResult | None = None,
    on_progress: StepCallback = no_step,
    cancel: CancelToken | None = None,
) -> AnomalyResult:
    """Give every anomaly of every series in the panel, linked along the hierarchy.

    ``forecast`` is accepted for the pipeline's sake and not used: the robust fit does not need
    the forecast models' one-step errors.
    """
    del forecast
    period = 4 if panel.frequency == "Q" else 12
    segments = [(lv, seg) for lv in panel.levels for seg in panel.segments(lv)]
    total = len(panel.keys) + len(segments)
    scans: dict[SeriesKey, SeriesScan] = {}
    rows: list[dict[str, Any]] = []
    for i, (key, values) in enumerate(zip(panel.keys, panel.values)):
        if cancel is not None:
            cancel.raise_if_cancelled()
        scan = scan_by_kind(panel, key, values, period)
        scans[key] = scan
        rows.extend(series_rows(panel, key, values, scan))
        on_progress(i + 1, total, key.label, f"Checking {key.label} ({i + 1} of {total})")

    done = len(panel.keys)
    for level, segment in segments:
        if cancel is not None:
            cancel.raise_if_cancelled()
        rows.extend(unusual_mix_rows(panel, level, segment, scans))
        done += 1
        where = "the company" if level == "total" else segment
        on_progress(
            done, total, where, f"Checking the mix of metrics · {where} ({done} of {total})"
        )

    rows.extend(check_identities(panel, find_identities(panel)))
    rows.extend(check_negative_balances(panel))
    frame = pd.DataFrame(rows, columns=[c for c in COLUMNS if c not in ("id", "linked_to")])
    table = _link_hierarchy(frame, panel.frequency)
    return AnomalyResult(
        table=table,
        frequency=panel.frequency,
        settings={"threshold": THRESHOLD, "driver_share": DRIVER_SHARE},
    )


def _parents(level: str, segment: str) -> list[tuple[str, str]]:
    if level == "region/department":
        region, department = segment.split(" / ", 1)
        return [("region", region), ("department", department), ("total", "total")]
    if level in ("region", "department"):
        return [("total", "total")]
    return []


def _group(kind: str) -> str:
    return "deviation" if kind in ("spike", "dip") else kind


def _link_hierarchy(table: pd.DataFrame, frequency: str) -> pd.DataFrame:
    """Give the table sorted, with ids, children linked to the parent anomaly they belong to."""
    table = table.reset_index(drop=True)
    deviation = (table["value"] - table["expected"]).to_numpy(float)
    index: dict[tuple, int] = {}
    for i, row in enumerate(table.itertuples(index=False)):
        if row.kind != "multivariate":
            index.setdefault((row.level, row.segment, row.metric, row.date, _group(row.kind)), i)
    parent_of: dict[int, int] = {}
    explains: dict[int, list[int]] = {}  # parent row -> every descendant row matching it
    for i, row in enumerate(table.itertuples(index=False)):
        if row.kind == "multivariate" or (row.kind == "accounting" and np.isnan(row.upper)):
            continue  # unusual mixes and negative balances (no upper bound) stand on their own
        dates = [row.date]
        if row.kind == "level_shift":  # a step may be placed one period apart at two levels
            one = pd.DateOffset(months=3 if frequency == "Q" else 1)
            dates += [row.date - one, row.date + one]
        for level, segment in _parents(row.level, row.segment):
            hits = [
                index[k]
                for d in dates
                if (k := (level, segment, row.metric, d, _group(row.kind))) in index
            ]
            hits = [j for j in hits if np.sign(deviation[j]) == np.sign(deviation[i])]
            if hits:
                parent_of.setdefault(i, hits[0])
                explains.setdefault(hits[0], []).append(i)

    reasons = table["reason"].tolist()
    depth = {lv: n for n, lv in enumerate(LEVELS)}
    for parent, descendants in explains.items():
        metric = table.at[parent, "metric"]
        drivers = [
            c
            for c in descendants
            if metric_info(metric).additive
            and abs(deviation[c]) >= DRIVER_SHARE * abs(deviation[parent])
        ]
        if drivers:
            best = max(drivers, key=lambda c: (depth[table.at[c, "level"]], abs(deviation[c])))
            amount = format_signed_amount(deviation[best], metric)
            reasons[parent] += f"; driven by {table.at[best, 'segment']} ({amount})"
        else:
            direct = [c for c in descendants if parent_of.get(c) == parent]
            if len(direct) >= 2:
                reasons[parent] += f"; broad-based: {len(direct)} segments moved the same way"
    _link_knock_ons(table, deviation, frequency, parent_of, reasons)
    table["reason"] = reasons

    rank = {s: n for n, s in enumerate(SEVERITIES)}
    # An event is as severe as its most severe part: a high-severity segment move listed under
    # a parent that moved less must not sink with the parent's own low severity.
    severity = table["severity"].tolist()
    for child in parent_of:
        top = _root(child, parent_of)
        if rank.get(severity[child], 3) < rank.get(severity[top], 3):
            severity[top] = severity[child]
    table["severity"] = severity
    order = sorted(
        range(len(table)),
        key=lambda i: (
            rank.get(table.at[i, "severity"], 3),
            depth.get(table.at[i, "level"], 9),
            -abs(np.nan_to_num(deviation[i] / (abs(table.at[i, "expected"]) or 1.0))),
            table.at[i, "date"],
        ),
    )
    ids = {old: f"A{new + 1:04d}" for new, old in enumerate(order)}
    table["id"] = [ids[i] for i in range(len(table))]
    table["linked_to"] = [ids[parent_of[i]] if i in parent_of else None for i in range(len(table))]
    table = table.iloc[order].reset_index(drop=True)
    return _typed(table[list(COLUMNS)])


def _root(row: int, parent_of: Mapping[int, int]) -> int:
    """Give the anomaly at the top of a row's chain of links."""
    seen = {row}
    while row in parent_of and parent_of[row] not in seen:
        row = parent_of[row]
        seen.add(row)
    return row


def _link_knock_ons(table, deviation, frequency, parent_of, reasons) -> None:
    """Link each balance anomaly that echoes a flow anomaly of its segment to it, in words too.

    A row already linked along the hierarchy keeps that link (its parent tells the story).
    """
    echoes: dict[int, list[int]] = {}
    for child, cause in knock_on_causes(table, deviation, frequency).items():
        if child in parent_of:
            continue
        parent_of[child] = cause
        echoes.setdefault(cause, []).append(child)
        when = "the same " + _PERIOD_WORD[frequency]
        if table.at[cause, "date"] != table.at[child, "date"]:
            when = "the " + _PERIOD_WORD[frequency] + " before"
        move = _move_words(table.at[cause, "kind"], deviation[cause])
        label = metric_info(table.at[cause, "metric"]).label
        reasons[child] += f"; follows the {move} in {label.lower()} {when}"
    for cause, children in echoes.items():
        labels = dict.fromkeys(metric_info(table.at[c, "metric"]).label.lower() for c in children)
        reasons[cause] += "; knock-on: " + ", ".join(labels)


_PERIOD_WORD = {"M": "month", "Q": "quarter"}


def _move_words(kind: str, deviation: float) -> str:
    if kind == "level_shift":
        return "step up" if deviation > 0 else "step down"
    return kind


def _typed(table: pd.DataFrame) -> pd.DataFrame:
    table = table.copy()
    table["date"] = pd.to_datetime(table["date"])
    for column in _NUMERIC:
        table[column] = pd.to_numeric(table[column], errors="coerce").astype(float)
    table["linked_to"] = table["linked_to"].astype(object).where(table["linked_to"].notna(), None)
    return table[list(COLUMNS)].reset_index(drop=True)
