"""Profit bridges: what moved operating profit between two periods, and where.

A bridge explains the change in operating profit (revenue minus cogs, operating expenses,
marketing spend and payroll; see :mod:`cfodesk.analytics.kpis`) between a current window and the
same window a year earlier, for the last 12 months and for the last complete quarter:

* **revenue volume**: the change in revenue at the earlier gross margin rate,
  ``(R1 - R0) * GM0``;
* **gross margin rate**: the rest of the change in gross profit, ``R1 * (GM1 - GM0)``;
* **each cost line below gross profit**: minus its change (a cost that grew takes profit away).

These steps add up to the change in operating profit by construction. Without cogs, revenue
and every cost line are steps of their own. Each region's and department's change in operating
profit is its contribution; at each level they add up to the company's change, because the
segments add up to the company.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, replace
from typing import Any

import numpy as np
import pandas as pd

from ..metrics import metric_label
from ..model import Panel
from ..progress import CancelToken, StepCallback, no_step
from .formatting import format_money, format_percent, format_period_range, format_quarter
from .kpi_arrays import COST_LINES
from .kpi_store import window_bounds

__all__ = [
    "BridgeStep",
    "SegmentContribution",
    "ProfitBridge",
    "DriverResult",
    "profit_bridge",
    "analyse_drivers",
    "bridge_sentence",
    "WINDOWS",
]

#: Bridge windows: name -> (window in the KPI summaries, words for sentences).
WINDOWS: dict[str, tuple[str, str]] = {
    "ttm": ("ttm", "the last 12 months"),
    "quarter": ("last_quarter", "the last quarter"),
}


@dataclass(frozen=True)
class BridgeStep:
    """One step of a bridge: a driver's effect on operating profit (positive adds profit)."""

    name: str
    label: str
    value: float


@dataclass(frozen=True)
class SegmentContribution:
    """One segment's change in operating profit between the bridge's two windows."""

    level: str
    segment: str
    prior: float
    current: float
    change: float
    share: float | None


@dataclass(frozen=True)
class ProfitBridge:
    """The change in operating profit between two windows, split by driver and by segment."""

    window: str
    level: str
    segment: str
    current_label: str
    prior_label: str
    current_start: str
    current_end: str
    prior_start: str
    prior_end: str
    prior_value: float
    current_value: float
    change: float
    change_pct: float | None
    steps: tuple[BridgeStep, ...]
    contributions: tuple[SegmentContribution, ...] = ()
    sentence: str = ""

    def to_json(self) -> dict[str, Any]:
        """Give the bridge as a JSON-ready dict."""
        data = asdict(self)
        data["steps"] = [asdict(s) for s in self.steps]
        data["contributions"] = [asdict(c) for c in self.contributions]
        return _finite(data)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ProfitBridge:
        """Build a bridge from :meth:`to_json` output."""
        fields = dict(data)
        fields["steps"] = tuple(BridgeStep(**s) for s in data.get("steps", []))
        fields["contributions"] = tuple(
            SegmentContribution(**c) for c in data.get("contributions", [])
        )
        return cls(**fields)


@dataclass(frozen=True)
class DriverResult:
    """The company's profit bridges (last 12 months, last quarter) and notes on what was skipped."""

    bridges: tuple[ProfitBridge, ...]
    notes: tuple[str, ...] = ()

    def get(self, window: str) -> ProfitBridge | None:
        """Give the company bridge of a window ('ttm' or 'quarter'), if it could be built."""
        return next((b for b in self.bridges if b.window == window), None)

    def to_json(self) -> dict[str, Any]:
        """Give the report.json ``drivers`` section."""
        return {"bridges": [b.to_json() for b in self.bridges], "notes": list(self.notes)}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> DriverResult:
        """Build the result from :meth:`to_json` output."""
        return cls(
            bridges=tuple(ProfitBridge.from_json(b) for b in data.get("bridges", [])),
            notes=tuple(data.get("notes", [])),
        )


def profit_bridge(
    panel: Panel, *, level: str = "total", segment: str = "total", window: str = "ttm"
) -> ProfitBridge | None:
    """Give the operating-profit bridge of one segment, or None when the data cannot support it.

    ``window`` is ``ttm`` (last 12 months vs the prior 12) or ``quarter`` (last complete
    quarter vs the same quarter a year before). Needs revenue and at least one cost line below
    cogs, complete over both windows.
    """
    if window not in WINDOWS:
        raise ValueError(f"window must be one of {', '.join(WINDOWS)}, not {window!r}")
    key, _ = WINDOWS[window]
    bounds = window_bounds(panel.periods, panel.frequency)
    current, prior = bounds.get(key), bounds.get(f"{key}_prior")
    if current is None or prior is None:
        return None
    sums = _window_sums(panel.frame(level, segment), current, prior)
    if sums is None:
        return None
    now, before = sums
    steps = _steps(now, before)
    op_now, op_before = _operating(now), _operating(before)
    change = op_now - op_before
    periods, freq = panel.periods, panel.frequency

    def label(span: tuple[int, int]) -> str:
        if window == "quarter":
            return format_quarter(periods[span[1]])
        return format_period_range(periods[span[0]], periods[span[1]], freq)

    bridge = ProfitBridge(
        window=window,
        level=level,
        segment=segment,
        current_label=label(current),
        prior_label=label(prior),
        current_start=_iso(periods[current[0]]),
        current_end=_iso(periods[current[1]]),
        prior_start=_iso(periods[prior[0]]),
        prior_end=_iso(periods[prior[1]]),
        prior_value=op_before,
        current_value=op_now,
        change=change,
        change_pct=change / abs(op_before) if op_before != 0 else None,
        steps=steps,
        contributions=_contributions(panel, level, segment, current, prior, change),
    )
    return _with_sentence(bridge)


def analyse_drivers(
    panel: Panel, *, on_progress: StepCallback = no_step, cancel: CancelToken | None = None
) -> DriverResult:
    """Give the company's profit bridges for the last 12 months and the last quarter."""
    bridges: list[ProfitBridge] = []
    notes: list[str] = []
    for done, (window, (_, words)) in enumerate(WINDOWS.items(), start=1):
        if cancel is not None:
            cancel.raise_if_cancelled()
        bridge = profit_bridge(panel, window=window)
        if bridge is None:
            notes.append(
                f"No profit bridge for {words}: it needs revenue and cost lines over that "
                "window and the same window a year earlier."
            )
        else:
            bridges.append(bridge)
        on_progress(done, len(WINDOWS), item=f"Profit bridge, {words}", message="Profit bridges")
    return DriverResult(tuple(bridges), tuple(notes))


# -- arithmetic ------------------------------------------------------------------------------

Sums = dict[str, float]


def _window_sums(
    frame: pd.DataFrame, current: tuple[int, int], prior: tuple[int, int]
) -> tuple[Sums, Sums] | None:
    lines = [c for c in ("revenue", *COST_LINES) if c in frame.columns]
    if "revenue" not in lines or not set(lines) & set(COST_LINES[1:]):
        return None
    values = frame[lines].to_numpy(dtype=float)
    now = values[current[0] : current[1] + 1]
    before = values[prior[0] : prior[1] + 1]
    if np.isnan(now).any() or np.isnan(before).any():
        return None
    return dict(zip(lines, now.sum(axis=0).tolist())), dict(zip(lines, before.sum(axis=0).tolist()))


def _operating(sums: Sums) -> float:
    return sums["revenue"] - sum(v for k, v in sums.items() if k != "revenue")


def _steps(now: Sums, before: Sums) -> tuple[BridgeStep, ...]:
    revenue_change = now["revenue"] - before["revenue"]
    steps: list[BridgeStep] = []
    if "cogs" in now and before["revenue"] != 0:
        margin_before = (before["revenue"] - before["cogs"]) / before["revenue"]
        volume = revenue_change * margin_before
        gross_change = (now["revenue"] - now["cogs"]) - (before["revenue"] - before["cogs"])
        steps.append(BridgeStep("revenue", "Revenue volume", volume))
        steps.append(BridgeStep("gross_margin", "Gross margin rate", gross_change - volume))
    else:
        steps.append(BridgeStep("revenue", "Revenue", revenue_change))
        if "cogs" in now:
            steps.append(BridgeStep("cogs", metric_label("cogs"), before["cogs"] - now["cogs"]))
    for line in COST_LINES[1:]:
        if line in now:
            steps.append(BridgeStep(line, metric_label(line), before[line] - now[line]))
    return tuple(steps)


def _contributions(
    panel: Panel,
    level: str,
    segment: str,
    current: tuple[int, int],
    prior: tuple[int, int],
    total_change: float,
) -> tuple[SegmentContribution, ...]:
    if level == "total":
        children = [(lv, s) for lv in panel.levels if lv != "total" for s in panel.segments(lv)]
    elif level in ("region", "department"):
        position = 0 if level == "region" else 1
        children = [
            ("region/department", s)
            for s in panel.segments("region/department")
            if s.split(" / ")[position] == segment
        ]
    else:
        return ()
    out: list[SegmentContribution] = []
    for child_level, child in children:
        sums = _window_sums(panel.frame(child_level, child), current, prior)
        if sums is None:
            continue
        now, before = _operating(sums[0]), _operating(sums[1])
        change = now - before
        share = change / total_change if total_change != 0 else None
        out.append(SegmentContribution(child_level, child, before, now, change, share))
    out.sort(key=lambda c: (c.level, -abs(c.change)))
    return tuple(out)


# -- words -----------------------------------------------------------------------------------


def _with_sentence(bridge: ProfitBridge) -> ProfitBridge:
    return replace(bridge, sentence=bridge_sentence(bridge))


def bridge_sentence(bridge: ProfitBridge, top: int = 3) -> str:
    """Give the bridge in one sentence, the biggest steps first."""
    amounts = [abs(bridge.change), *(abs(s.value) for s in bridge.steps)]
    scale = _scale_for(max(amounts))
    verb = "rose" if bridge.change > 0 else "fell" if bridge.change < 0 else "was flat"
    head = f"Operating profit {verb}"
    if bridge.change != 0:
        head += f" {format_money(abs(bridge.change), scale=scale)}"
        if bridge.change_pct is not None:
            head += f" ({format_percent(bridge.change_pct, signed=True)})"
    when = (
        "in the last 12 months"
        if bridge.window == "ttm"
        else f"in {bridge.current_label} against {bridge.prior_label}"
    )
    ranked = sorted((s for s in bridge.steps if s.value != 0), key=lambda s: -abs(s.value))
    parts = [_step_words(s, scale) for s in ranked[:top]]
    return f"{head} {when}" + (f"; {', '.join(parts)}." if parts else ".")


def _step_words(step: BridgeStep, scale: str) -> str:
    amount = format_money(abs(step.value), scale=scale)  # type: ignore[arg-type]
    effect = "added" if step.value > 0 else "took away"
    if step.name == "revenue":
        return f"{'higher' if step.value > 0 else 'lower'} revenue {effect} {amount}"
    if step.name == "gross_margin":
        return f"a {'higher' if step.value > 0 else 'lower'} gross margin {effect} {amount}"
    # A cost line adds profit when it fell.
    direction = "lower" if step.value > 0 else "higher"
    return f"{direction} {step.label.lower()} {effect} {amount}"


def _scale_for(magnitude: float) -> str:
    for divisor, suffix in ((1e9, "B"), (1e6, "M"), (1e4, "K")):
        if magnitude >= divisor:
            return "K" if suffix == "K" else suffix
    return ""


def _iso(stamp: pd.Timestamp) -> str:
    return stamp.strftime("%Y-%m-%d")


def _finite(data: Any) -> Any:
    if isinstance(data, dict):
        return {k: _finite(v) for k, v in data.items()}
    if isinstance(data, list):
        return [_finite(v) for v in data]
    if isinstance(data, float) and not np.isfinite(data):
        return None
    return data
