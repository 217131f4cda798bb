"""What-if scenarios on the company forecast, recomputed from drivers without refitting.

A scenario is a list of driver changes (``"Hiring: revenue=+5%, headcount=+10, dso=+5d"``). The
base forecast (point and 80/95 % bands of each line, total level) is prepared once; applying a
scenario is then plain array arithmetic (well under a millisecond), so sliders can call it live.

The driver model:

* ``revenue=+x%`` scales revenue and, because cost of goods sold is a variable cost, cogs with it
  (the gross margin rate is kept); other cost lines are fixed unless changed themselves.
* ``cogs|operating_expenses|marketing_spend|payroll=+x%`` scales that line.
* ``headcount=+n`` (or ``+x%``) adds people; payroll moves by n times the cost per head
  (forecast payroll / forecast headcount, else the last 12 actual months).
* ``dso=+n d`` / ``dpo=+n d`` hold receivables / payables n more days of revenue / purchases
  (cogs + operating expenses + marketing), which moves cash, not profit.
* ``one_off=-250000@2026-03`` books an income (+) or cost (-) in that month's operating profit.
* Any change but a one-off may start later: ``marketing_spend=-10%@2026-06``.

Operating profit = revenue - the cost lines + one-offs. Its bands combine the lines' bands (each
scaled like its line) as if their errors were independent. Cash = base cash forecast + the
cumulated change in operating profit - the change in receivables + the change in payables; the
cash bands move with the point. Runway counts months after the last actual period until the
cash path falls below zero (extrapolating the last 3 months' burn past the horizon); horizon
totals add up the monthly bounds, a cautious (wide) range.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ..model import Panel
from .kpi_arrays import COST_LINES, PURCHASE_LINES, days_in_periods
from .scenario_parse import PERCENT_TARGETS, Adjustment, Scenario, parse_scenario
from .scenario_results import ScenarioOutcome, ScenarioSet

__all__ = [
    "Adjustment",
    "Scenario",
    "ScenarioBase",
    "ScenarioOutcome",
    "ScenarioSet",
    "parse_scenario",
    "prepare_base",
    "apply_scenario",
    "run_scenarios",
    "default_scenarios",
    "BANDS",
]

BANDS: tuple[str, ...] = ("forecast", "lower_80", "upper_80", "lower_95", "upper_95")


@dataclass(frozen=True, eq=False)
class ScenarioBase:
    """The company forecast prepared for fast scenarios: each line's point and bands as arrays."""

    dates: pd.DatetimeIndex
    frequency: str
    lines: Mapping[str, Mapping[str, np.ndarray]]
    last_actual: pd.Timestamp | None = None
    cost_per_head: float | None = None
    actual_dso: float | None = None
    actual_dpo: float | None = None
    last_cash: float | None = None


def prepare_base(forecast: Any, actuals: Panel | None = None) -> ScenarioBase:
    """Give the total-level forecast as arrays (``forecast``: the table or an object with one)."""
    table = getattr(forecast, "table", forecast)
    if table is None or not len(table):
        table = pd.DataFrame(columns=["level", "segment", "metric", "date", *BANDS])
    rows = table[(table["level"] == "total") & (table["segment"] == "total")]
    dates = pd.DatetimeIndex(sorted(pd.DatetimeIndex(rows["date"]).unique()))
    lines: dict[str, dict[str, np.ndarray]] = {}
    for metric, group in rows.groupby("metric", sort=False):
        group = group.assign(date=pd.DatetimeIndex(group["date"])).set_index("date")
        group = group[~group.index.duplicated()].reindex(dates)
        lines[str(metric)] = {
            b: group[b].to_numpy(dtype=float) if b in group else np.full(len(dates), np.nan)
            for b in BANDS
        }
    frequency = actuals.frequency if actuals is not None else _guess_frequency(dates)
    base = ScenarioBase(dates, frequency, lines)
    if actuals is None or len(actuals.periods) == 0:
        return base
    history = actuals.frame().tail(12 if frequency == "M" else 4)
    days = float(days_in_periods(pd.DatetimeIndex(history.index), frequency).sum())

    def total(names: Sequence[str]) -> float:
        present = [n for n in names if n in history]
        return float(history[present].to_numpy().sum()) if present else np.nan

    def last(name: str) -> float:
        return float(history[name].iloc[-1]) if name in history else np.nan

    def finite(value: float) -> float | None:
        return float(value) if np.isfinite(value) and value != 0 else None

    with np.errstate(divide="ignore", invalid="ignore"):
        per_head = total(["payroll"]) / total(["headcount"]) if "headcount" in history else np.nan
        dso = (
            last("accounts_receivable") / total(["revenue"]) * days
            if "revenue" in history
            else np.nan
        )
        purchases = total(PURCHASE_LINES)
        dpo = last("accounts_payable") / purchases * days
    return ScenarioBase(
        dates,
        frequency,
        lines,
        last_actual=actuals.periods[-1],
        cost_per_head=finite(per_head),
        actual_dso=finite(dso),
        actual_dpo=finite(dpo),
        last_cash=last("cash_balance") if np.isfinite(last("cash_balance")) else None,
    )


#: What-ifs a finance team asks first, run when the user names none: (text, metrics needed).
_DEFAULT_SCENARIOS: tuple[tuple[str, frozenset[str]], ...] = (
    ("Revenue 10% lower: revenue=-10%", frozenset({"revenue"})),
    ("Revenue 10% higher: revenue=+10%", frozenset({"revenue"})),
    (
        "Overheads cut 5%: operating_expenses=-5%, marketing_spend=-5%",
        frozenset({"operating_expenses", "marketing_spend"}),
    ),
    ("Customers pay 10 days later: dso=+10d", frozenset({"accounts_receivable", "cash_balance"})),
)


def default_scenarios(metrics: Sequence[str]) -> list[Scenario]:
    """Give the standard what-ifs whose drivers the data has (used when the user gives none)."""
    present = set(metrics)
    return [parse_scenario(text) for text, needs in _DEFAULT_SCENARIOS if needs <= present]


def run_scenarios(
    panel: Panel, forecast: Any, scenarios: Sequence[Scenario | str] = ()
) -> ScenarioSet:
    """Give the base case and each scenario (strings are parsed) on the company forecast."""
    base = prepare_base(forecast, panel)
    parsed = [parse_scenario(s) if isinstance(s, str) else s for s in scenarios]
    outcomes = [apply_scenario(base, panel, Scenario("Base"))]
    outcomes += [apply_scenario(base, panel, s) for s in parsed]
    notes = () if len(base.dates) else ("No company forecast: scenarios could not be run.",)
    return ScenarioSet(base.dates, tuple(outcomes), base.frequency, notes)


def apply_scenario(base_table: Any, actuals: Panel | None, scenario: Scenario) -> ScenarioOutcome:
    """Give the company forecast under ``scenario``, recomputed from its drivers.

    ``base_table`` is the forecasts table (or an object with ``.table``) or, for live use, a
    :class:`ScenarioBase` from :func:`prepare_base` (then the call costs well under 1 ms).
    """
    base = base_table if isinstance(base_table, ScenarioBase) else prepare_base(base_table, actuals)
    lines, dates, horizon = base.lines, base.dates, len(base.dates)
    notes: list[str] = []
    scale = {m: np.ones(horizon) for m in PERCENT_TARGETS}
    extra_heads, extra_dso, extra_dpo, one_off = (np.zeros(horizon) for _ in range(4))
    for adj in scenario.adjustments:
        active = _active(dates, adj.start, base.frequency)
        if adj.kind == "percent" and adj.target in scale:
            if adj.target not in lines:
                notes.append(f"'{adj.text}' skipped: the forecast has no {adj.target}.")
            scale[adj.target] = scale[adj.target] * np.where(active, 1.0 + adj.amount, 1.0)
        elif adj.target == "headcount":
            if "payroll" not in lines:
                notes.append(f"'{adj.text}' skipped: the forecast has no payroll.")
                continue
            people = lines["headcount"]["forecast"] * adj.amount if adj.kind == "percent" else None
            if people is None:
                people = np.full(horizon, adj.amount)
            extra_heads = extra_heads + np.where(active, people, 0.0)
        elif adj.kind == "days":
            target = extra_dso if adj.target == "dso" else extra_dpo
            target += np.where(active, adj.amount, 0.0)
        elif adj.kind == "one_off":
            where = _period_of(dates, adj.start, base.frequency)
            if where is None:
                notes.append(f"'{adj.text}' skipped: its date is outside the forecast.")
            else:
                one_off[where] += adj.amount
    scale["cogs"] = scale["cogs"] * scale["revenue"]  # cogs is a variable cost
    payroll_scale = _payroll_scale(base, scale["payroll"], extra_heads, notes)
    if payroll_scale is not None:
        scale["payroll"] = payroll_scale
    series: dict[str, dict[str, np.ndarray]] = {
        m: {b: bands[b] * scale[m] for b in BANDS} for m, bands in lines.items() if m in scale
    }
    if "headcount" in lines:
        series["headcount"] = {b: lines["headcount"][b] + extra_heads for b in BANDS}
    change = _profit_change(lines, series, one_off)
    if change is not None:
        series["operating_profit"] = _operating_profit(series, one_off)
        point = series["operating_profit"]["forecast"]
        with np.errstate(divide="ignore", invalid="ignore"):
            margin = np.where(
                series["revenue"]["forecast"] > 0, point / series["revenue"]["forecast"], np.nan
            )
        series["operating_margin"] = {"forecast": margin}
    else:
        notes.append("No operating profit: the forecast needs revenue and cost lines.")
    runway: dict[str, Any] = {"months": None, "low": None, "high": None, "not_burning": None}
    if "cash_balance" in lines:
        delta = _cash_change(base, series, change, extra_dso, extra_dpo)
        series["cash_balance"] = {b: lines["cash_balance"][b] + delta for b in BANDS}
        runway = _runway(series["cash_balance"], base)
    else:
        notes.append("No cash balance in the forecast: cash and runway are skipped.")
    return ScenarioOutcome(
        scenario.name, scenario, dates, series, _totals(series), runway, tuple(notes)
    )


def _active(dates: pd.DatetimeIndex, start: str | None, frequency: str) -> np.ndarray:
    if start is None:
        return np.ones(len(dates), bool)
    first = pd.Timestamp(start).to_period("Q" if frequency == "Q" else "M").start_time
    return np.asarray(dates >= first)


def _period_of(dates: pd.DatetimeIndex, when: str | None, frequency: str) -> int | None:
    if when is None or len(dates) == 0:
        return None
    first = pd.Timestamp(when).to_period("Q" if frequency == "Q" else "M").start_time
    found = np.flatnonzero(dates == first)
    return int(found[0]) if len(found) else None


def _payroll_scale(
    base: ScenarioBase, percent: np.ndarray, heads: np.ndarray, notes: list[str]
) -> np.ndarray | None:
    if "payroll" not in base.lines:
        return None
    payroll = base.lines["payroll"]["forecast"]
    if not heads.any():
        return percent
    if "headcount" in base.lines:
        with np.errstate(divide="ignore", invalid="ignore"):
            per_head = payroll / base.lines["headcount"]["forecast"]
    else:
        per_head = np.full(len(payroll), np.nan)
    if base.cost_per_head is not None:
        per_head = np.where(np.isfinite(per_head), per_head, base.cost_per_head)
    if not np.isfinite(per_head).all():
        notes.append("Headcount change skipped: no cost per head (payroll and headcount).")
        return percent
    new_payroll = payroll * percent + heads * per_head
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(payroll != 0, new_payroll / payroll, 1.0)


def _profit_change(
    lines: Mapping[str, Mapping[str, np.ndarray]],
    series: Mapping[str, Mapping[str, np.ndarray]],
    one_off: np.ndarray,
) -> np.ndarray | None:
    costs = [m for m in COST_LINES if m in series]
    if "revenue" not in series or not set(costs) - {"cogs"}:
        return None
    change = series["revenue"]["forecast"] - lines["revenue"]["forecast"]
    for m in costs:
        change = change - (series[m]["forecast"] - lines[m]["forecast"])
    return change + one_off


def _operating_profit(
    series: Mapping[str, Mapping[str, np.ndarray]], one_off: np.ndarray
) -> dict[str, np.ndarray]:
    costs = [m for m in COST_LINES if m in series]
    revenue = series["revenue"]
    point = revenue["forecast"] - sum(series[m]["forecast"] for m in costs) + one_off
    out = {"forecast": point}
    for level in ("80", "95"):
        # Revenue short of its point and costs over theirs both push profit down.
        down = (revenue["forecast"] - revenue[f"lower_{level}"]) ** 2
        up = (revenue[f"upper_{level}"] - revenue["forecast"]) ** 2
        for m in costs:
            down = down + (series[m][f"upper_{level}"] - series[m]["forecast"]) ** 2
            up = up + (series[m]["forecast"] - series[m][f"lower_{level}"]) ** 2
        out[f"lower_{level}"] = point - np.sqrt(down)
        out[f"upper_{level}"] = point + np.sqrt(up)
    return out


def _cash_change(
    base: ScenarioBase,
    series: Mapping[str, Mapping[str, np.ndarray]],
    profit_change: np.ndarray | None,
    extra_dso: np.ndarray,
    extra_dpo: np.ndarray,
) -> np.ndarray:
    lines, days = base.lines, days_in_periods(base.dates, base.frequency)
    delta = np.cumsum(profit_change) if profit_change is not None else np.zeros(len(days))

    def balance_change(balance: str, drivers: Sequence[str], extra: np.ndarray, dso: float | None):
        present = [m for m in drivers if m in lines]
        if not present:
            return np.zeros(len(days))
        before = sum(lines[m]["forecast"] for m in present)
        after = sum(series[m]["forecast"] for m in present)
        if balance in lines:
            held = lines[balance]["forecast"]
        else:
            held = (dso or 0.0) * before / days
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = np.where(before != 0, after / before, 1.0)
        return np.nan_to_num(held) * (ratio - 1.0) + extra * after / days

    delta = delta - balance_change("accounts_receivable", ["revenue"], extra_dso, base.actual_dso)
    delta = delta + balance_change("accounts_payable", PURCHASE_LINES, extra_dpo, base.actual_dpo)
    return delta


def _runway(cash: Mapping[str, np.ndarray], base: ScenarioBase) -> dict[str, Any]:
    per = 3.0 if base.frequency == "Q" else 1.0
    out: dict[str, Any] = {}
    for key, band in (("months", "forecast"), ("low", "lower_80"), ("high", "upper_80")):
        path = cash[band]
        start = base.last_cash if base.last_cash is not None else path[0]
        full = np.concatenate([[start], path])
        below = np.flatnonzero(full < 0)
        if len(below):
            t = int(below[0])
            out[key] = 0.0 if t == 0 else (t - 1 + full[t - 1] / (full[t - 1] - full[t])) * per
            continue
        span = min(3 if per == 1.0 else 1, len(path))
        burn = (full[-1 - span] - full[-1]) / (span * per)
        out[key] = float(len(path) * per + full[-1] / burn) if burn > 0 else None
        if key == "months":
            out["not_burning"] = not burn > 0
    out.setdefault("not_burning", False)
    return out


def _totals(series: Mapping[str, Mapping[str, np.ndarray]]) -> dict[str, dict[str, float | None]]:
    totals: dict[str, dict[str, float | None]] = {}
    for metric in ("revenue", "operating_profit"):
        if metric in series:
            totals[metric] = {b: float(series[metric][b].sum()) for b in BANDS}
    if "revenue" in totals and "operating_profit" in totals and totals["revenue"]["forecast"]:
        margin = totals["operating_profit"]["forecast"] / totals["revenue"]["forecast"]  # type: ignore[operator]
        totals["operating_margin"] = {"forecast": margin}
    if "cash_balance" in series:
        totals["cash_balance_end"] = {b: float(series["cash_balance"][b][-1]) for b in BANDS}
    return totals


def _guess_frequency(dates: pd.DatetimeIndex) -> str:
    if len(dates) < 2:
        return "M"
    return "Q" if (dates[1] - dates[0]).days > 45 else "M"
