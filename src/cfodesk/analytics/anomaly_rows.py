"""Anomaly rows of one series and of one segment's mix of metrics, in the table's contract.

:mod:`.anomalies` runs the detection (progress, cancel), owns the table's columns and links the
hierarchy; this module does the part in between, one series or one segment at a time: it picks how
each kind of metric is read (a flow by its level, a balance or a count by its change, payroll per
person of headcount), and turns the finished scans into rows, with a severity and a reason a
controller can read. It gives plain row dicts, as :mod:`.accounting_checks` does for broken books,
so the orchestration and the hierarchy linking stay apart from how a finding is judged and worded.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

import numpy as np

from ..metrics import metric_info
from ..model import Panel, SeriesKey
from .anomaly_multivariate import unusual_combinations
from .anomaly_scan import THRESHOLD, LevelShift, SeriesScan, scan_series
from .anomaly_stock import read_balance, scan_changes
from .anomaly_text import change_reason, deviation_reason, period_label, record_clause, shift_reason

__all__ = ["PER_HEAD_METRICS", "PER_HEAD_OF", "scan_by_kind", "series_rows", "unusual_mix_rows"]

#: Costs judged per person of the segment's headcount (a step explained by hires is not news).
PER_HEAD_METRICS = ("payroll",)
PER_HEAD_OF = "headcount"


def scan_by_kind(panel: Panel, key: SeriesKey, values: np.ndarray, period: int) -> SeriesScan:
    """Give the scan of one series the way its kind of metric is read."""
    info = metric_info(key.metric)
    if info.kind == "stock" and info.unit == "count":
        return scan_changes(values, period, count=True)
    if info.kind == "stock":
        return read_balance(values, period)
    heads = SeriesKey(key.level, key.segment, PER_HEAD_OF)
    if key.metric in PER_HEAD_METRICS and heads in panel:
        people = panel.values[panel.index_of(heads)]
        known = np.isfinite(values)
        if known.sum() >= 2 and np.all(np.isfinite(people[known]) & (people[known] > 0)):
            return _per_head_scan(values, people, period)
    return scan_series(values, period)


def _per_head_scan(values: np.ndarray, people: np.ndarray, period: int) -> SeriesScan:
    """Give the scan of a cost per person, put back in the cost's units for this headcount.

    Payroll steps with every hire and leaver; what is unusual is the cost per person (a bonus
    month, a pay change), so a payroll step that headcount explains is not reported again.
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        scan = scan_series(np.where(people > 0, values / people, np.nan), period)
    shifts = tuple(
        replace(
            s,
            before=s.before * people[s.index],
            after=s.after * people[s.index],
            lower=s.lower * people[s.index],
            upper=s.upper * people[s.index],
        )
        for s in scan.shifts
    )
    return replace(
        scan,
        expected=scan.expected * people,
        lower=scan.lower * people,
        upper=scan.upper * people,
        shifts=shifts,
    )


def _severity(score: float, relative: float) -> str:
    size, strength = abs(relative), abs(score)
    if strength >= 2 * THRESHOLD and size >= 0.3:
        return "high"
    if strength >= 1.4 * THRESHOLD and size >= 0.12:
        return "medium"
    return "low"


def series_rows(
    panel: Panel, key: SeriesKey, values: np.ndarray, scan: SeriesScan
) -> list[dict[str, Any]]:
    rows = []
    for i in np.flatnonzero(scan.flagged):
        when = period_label(panel.periods[i], panel.frequency)
        value, expected, score = float(values[i]), float(scan.expected[i]), float(scan.score[i])
        reason = deviation_reason(key.metric, key.level, key.segment, when, value, expected)
        if scan.usual_change is not None:
            reason += " and came back the next " + (
                "quarter" if panel.frequency == "Q" else "month"
            )
        reason += record_clause(values, int(i), panel.periods, panel.frequency, high=score > 0)
        rows.append(
            {
                "level": key.level,
                "segment": key.segment,
                "metric": key.metric,
                "date": panel.periods[i],
                "value": value,
                "expected": expected,
                "lower": float(scan.lower[i]),
                "upper": float(scan.upper[i]),
                "score": score,
                "severity": _severity(score, float(scan.relative[i])),
                "reason": reason,
                "kind": "spike" if score > 0 else "dip",
            }
        )
    for shift in scan.shifts:
        i = shift.index
        when = period_label(panel.periods[i], panel.frequency)
        size = abs(shift.relative)
        rows.append(
            {
                "level": key.level,
                "segment": key.segment,
                "metric": key.metric,
                "date": panel.periods[i],
                "value": float(values[i]),
                "expected": shift.before,
                "lower": shift.lower,
                "upper": shift.upper,
                "score": shift.score,
                "severity": "high" if size >= 0.3 else ("medium" if size >= 0.12 else "low"),
                "reason": _shift_text(panel, key, values, scan, shift.index, when, shift),
                "kind": "level_shift",
            }
        )
    return rows


def _shift_text(
    panel: Panel,
    key: SeriesKey,
    values: np.ndarray,
    scan: SeriesScan,
    index: int,
    when: str,
    shift: LevelShift,
) -> str:
    """Give the reason of a level shift: a balance's unusual change, else from-to."""
    if scan.usual_change is not None and metric_info(key.metric).unit != "count" and index > 0:
        change = float(values[index] - values[index - 1])
        expected_change = float(scan.expected[index] - values[index - 1])
        typical = float(scan.usual_change[index])
        return change_reason(
            key.metric,
            key.level,
            key.segment,
            when,
            change,
            expected_change,
            typical,
            panel.frequency,
        )
    return shift_reason(key.metric, key.level, key.segment, when, shift.before, shift.after)


def unusual_mix_rows(
    panel: Panel, level: str, segment: str, scans: Mapping[SeriesKey, SeriesScan]
) -> list[dict[str, Any]]:
    keys = [k for k in panel.keys if k.level == level and k.segment == segment]
    if len(keys) < 2:
        return []
    flagged = np.zeros(len(panel.periods), dtype=bool)
    for k in keys:
        flagged |= scans[k].flagged
        for shift in scans[k].shifts:
            flagged[max(shift.index - 1, 0) : shift.index + 2] = True
    by_metric = {k.metric: k for k in keys}
    # Whole-unit counts move in steps of one person: a hire is not a continuous feature.
    features = {k.metric: scans[k].score for k in keys if metric_info(k.metric).unit != "count"}
    found = unusual_combinations(features, flagged)
    rows = []
    for month in found:
        i = month.index
        when = period_label(panel.periods[i], panel.frequency)
        parts = []
        for metric in month.contributors:
            relative = scans[by_metric[metric]].relative[i]
            direction = "above" if relative >= 0 else "below"
            parts.append(
                f"{metric_info(metric).label.lower()} {abs(relative) * 100:.0f}% {direction}"
            )
        lead = by_metric[month.contributors[0] if month.contributors else keys[0].metric]
        scan = scans[lead]
        where = "the company" if level == "total" else segment
        reason = (
            f"Unusual mix of metrics in {where} in {when}: {' and '.join(parts)} the expected "
            "values — each within its normal range, but rarely together"
        )
        rows.append(
            {
                "level": level,
                "segment": segment,
                "metric": lead.metric,
                "date": panel.periods[i],
                "value": float(panel.values[panel.index_of(lead), i]),
                "expected": float(scan.expected[i]),
                "lower": float(scan.lower[i]),
                "upper": float(scan.upper[i]),
                "score": month.distance,
                "severity": "high" if month.distance >= 2 * THRESHOLD else "medium",
                "reason": reason,
                "kind": "multivariate",
            }
        )
    return rows
