"""Accounting checks: identities that do not hold and balances below zero.

The identities are learned, not assumed: companies book operating expenses differently (does
"operating_expenses" include payroll and marketing?), so for each profit line we try the usual
compositions of the columns present and keep the one that holds in most periods of the company
total. Periods where that established identity breaks are reported. Assets = liabilities + equity
is checked where all three are given. Balances that cannot be negative (receivables, payables,
inventory, ...) are reported once per run of negative periods; negative cash is an overdraft and
is reported as a warning.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ..metrics import KNOWN_METRICS, metric_info
from ..model import Panel
from .anomaly_text import format_amount, format_signed_amount, period_label, subject

__all__ = ["Identity", "find_identities", "check_identities", "check_negative_balances"]

#: An identity holds in a period when the gap is within 0.5 % of the largest part.
TOLERANCE = 0.005
#: Share of periods in which a candidate must hold to count as the company's identity.
MIN_HOLD_SHARE = 0.8

# (result, required parts with signs, optional parts that may or may not be included)
_TEMPLATES: tuple[tuple[str, tuple[tuple[str, int], ...], tuple[tuple[str, int], ...]], ...] = (
    ("gross_profit", (("revenue", 1), ("cogs", -1)), ()),
    (
        "operating_profit",
        (("revenue", 1), ("cogs", -1)),
        (
            ("operating_expenses", -1),
            ("marketing_spend", -1),
            ("payroll", -1),
            ("depreciation", -1),
            ("other_income", 1),
        ),
    ),
    (
        "operating_profit",
        (("gross_profit", 1),),
        (
            ("operating_expenses", -1),
            ("marketing_spend", -1),
            ("payroll", -1),
            ("depreciation", -1),
        ),
    ),
    (
        "net_income",
        (("operating_profit", 1),),
        (("interest_expense", -1), ("taxes", -1), ("other_income", 1), ("depreciation", -1)),
    ),
    (
        "net_income",
        (("revenue", 1), ("cogs", -1)),
        (
            ("operating_expenses", -1),
            ("marketing_spend", -1),
            ("payroll", -1),
            ("depreciation", -1),
            ("interest_expense", -1),
            ("taxes", -1),
            ("other_income", 1),
        ),
    ),
    ("total_assets", (("total_liabilities", 1), ("equity", 1)), ()),
)


@dataclass(frozen=True)
class Identity:
    """``result`` = sum of sign x part, as established from the data."""

    result: str
    parts: tuple[tuple[str, int], ...]

    def describe(self) -> str:
        """Give 'revenue minus cost of goods sold and operating expenses' for the reasons."""
        if self.result == "total_assets":
            return "liabilities plus equity"
        plus = [metric_info(p).label.lower() for p, s in self.parts[1:] if s > 0]
        minus = [metric_info(p).label.lower() for p, s in self.parts[1:] if s < 0]
        text = metric_info(self.parts[0][0]).label.lower()
        if minus:
            text += " minus " + _join(minus)
        if plus:
            text += " plus " + _join(plus)
        return text


def _join(words: Sequence[str]) -> str:
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


def _gap(frame: pd.DataFrame, identity: Identity) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Give (computed value, gap, tolerance) per period for one segment's frame."""
    parts = np.vstack([sign * frame[name].to_numpy(float) for name, sign in identity.parts])
    computed = parts.sum(axis=0)
    actual = frame[identity.result].to_numpy(float)
    largest = np.nanmax(np.abs(np.vstack([parts, actual[None, :]])), axis=0)
    return computed, actual - computed, np.maximum(TOLERANCE * largest, 0.5)


def find_identities(panel: Panel) -> list[Identity]:
    """Give the identities that hold in most periods of the company total (one per result)."""
    first = panel.keys[0]
    level, segment = ("total", "total") if "total" in panel.levels else (first.level, first.segment)
    frame = panel.frame(level, segment)
    present = set(frame.columns)
    chosen: dict[str, tuple[float, int, Identity]] = {}
    for result, required, optional in _TEMPLATES:
        if result not in present or any(p not in present for p, _ in required):
            continue
        available = [o for o in optional if o[0] in present]
        for r in range(len(available) + 1):
            for extra in itertools.combinations(available, r):
                identity = Identity(result, required + extra)
                _, gap, tolerance = _gap(frame, identity)
                valid = np.isfinite(gap)
                if valid.sum() < 6:
                    continue
                share = float((np.abs(gap[valid]) <= tolerance[valid]).mean())
                best = chosen.get(result)
                # Prefer the identity that holds most often; on a tie, the one with fewer parts.
                if share >= MIN_HOLD_SHARE and (
                    best is None or (share, -len(identity.parts)) > (best[0], -best[1])
                ):
                    chosen[result] = (share, len(identity.parts), identity)
    return [entry[2] for entry in chosen.values()]


def check_identities(panel: Panel, identities: Sequence[Identity]) -> list[dict[str, Any]]:
    """Give one anomaly row per segment and period where an established identity breaks."""
    rows: list[dict[str, Any]] = []
    segments = [(lv, seg) for lv in panel.levels for seg in panel.segments(lv)]
    for level, segment in segments:
        frame = panel.frame(level, segment)
        for identity in identities:
            names = [identity.result] + [p for p, _ in identity.parts]
            if any(n not in frame.columns for n in names):
                continue
            computed, gap, tolerance = _gap(frame, identity)
            broken = np.flatnonzero(np.isfinite(gap) & (np.abs(gap) > tolerance))
            for i in broken:
                relative = abs(gap[i]) / max(abs(computed[i]), abs(frame[identity.result].iat[i]))
                when = period_label(panel.periods[i], panel.frequency)
                value = float(frame[identity.result].iat[i])
                verb = "were" if identity.result == "total_assets" else "was"
                reason = (
                    f"{subject(identity.result, level, segment)} in {when} {verb} "
                    f"{format_amount(value, identity.result)}, but {identity.describe()} gives "
                    f"{format_amount(computed[i], identity.result)} (a gap of "
                    f"{format_signed_amount(gap[i], identity.result)})"
                )
                rows.append(
                    {
                        "level": level,
                        "segment": segment,
                        "metric": identity.result,
                        "date": panel.periods[i],
                        "value": value,
                        "expected": float(computed[i]),
                        "lower": float(computed[i] - tolerance[i]),
                        "upper": float(computed[i] + tolerance[i]),
                        "score": float(abs(gap[i]) / tolerance[i]),
                        "severity": "high"
                        if relative >= 0.05
                        else ("medium" if relative >= 0.01 else "low"),
                        "reason": reason,
                        "kind": "accounting",
                    }
                )
    return rows


def check_negative_balances(panel: Panel) -> list[dict[str, Any]]:
    """Give one row per run of negative periods of a metric that should not go below zero."""
    rows: list[dict[str, Any]] = []
    for key, values in zip(panel.keys, panel.values):
        info = KNOWN_METRICS.get(key.metric)
        overdraft = key.metric == "cash_balance"
        if info is None or not (info.nonnegative or overdraft):
            continue
        negative = np.isfinite(values) & (values < -0.5)
        if not negative.any():
            continue
        edges = np.diff(np.concatenate([[0], negative.astype(int), [0]]))
        for first, stop in zip(np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)):
            lowest = float(values[first:stop].min())
            start = period_label(panel.periods[first], panel.frequency)
            span = stop - first
            what = subject(key.metric, key.level, key.segment)
            if span == 1:
                when = f"in {start}"
            else:
                unit = "quarters" if panel.frequency == "Q" else "months"
                end = period_label(panel.periods[stop - 1], panel.frequency)
                when = f"from {start} to {end} ({span} {unit}, lowest {format_amount(lowest)})"
            if overdraft:
                reason = f"Negative cash (overdraft): {what} was below zero {when}"
            else:
                reason = (
                    f"{what} was negative ({format_amount(float(values[first]), key.metric)}) "
                    f"{when}; {info.label.lower()} should never be below zero"
                )
            rows.append(
                {
                    "level": key.level,
                    "segment": key.segment,
                    "metric": key.metric,
                    "date": panel.periods[first],
                    "value": float(values[first]),
                    "expected": 0.0,
                    "lower": 0.0,
                    "upper": np.nan,
                    "score": np.nan,
                    "severity": "medium" if overdraft else "high",
                    "reason": reason,
                    "kind": "accounting",
                }
            )
    return rows
