"""The KPI catalogue and its arithmetic on plain arrays (segments x periods), shared by
:mod:`cfodesk.analytics.kpis` (actuals) and the forecast/scenario code (forecasts).

The cost structure and every definition are explained in :mod:`cfodesk.analytics.kpis`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

__all__ = [
    "COST_LINES",
    "PURCHASE_LINES",
    "INPUT_METRICS",
    "GROWTH_METRICS",
    "KpiSpec",
    "kpi_spec",
    "kpi_definitions",
    "kpi_arrays",
    "growth_arrays",
    "lagged",
    "days_in_periods",
    "infer_frequency",
]

#: Expense lines, in P&L order; cogs first.
COST_LINES: tuple[str, ...] = ("cogs", "operating_expenses", "marketing_spend", "payroll")
#: Lines bought on credit, the base of DPO (payroll is paid, not owed to suppliers).
PURCHASE_LINES: tuple[str, ...] = ("cogs", "operating_expenses", "marketing_spend")
INPUT_METRICS: tuple[str, ...] = (
    "revenue",
    *COST_LINES,
    "net_income",
    "headcount",
    "cash_balance",
    "accounts_receivable",
    "accounts_payable",
    "inventory",
    "total_assets",
    "total_liabilities",
)
GROWTH_METRICS: tuple[str, ...] = (
    "revenue",
    "gross_profit",
    "operating_profit",
    "total_expenses",
    "headcount",
)


@dataclass(frozen=True)
class KpiSpec:
    """How a KPI reads and how it is summarised over a window.

    ``aggregation``: ``flow`` (summed), ``stock`` (window's last value), ``ratio`` (recomputed
    from the window's sums and last balances), ``rate`` (per month over the window), ``point``
    (the time series' value at the window's end: runway, growth).
    """

    name: str
    label: str
    unit: str
    aggregation: str
    definition: str


_CATALOGUE: tuple[KpiSpec, ...] = (
    KpiSpec("revenue", "Revenue", "money", "flow", "Sales recognised in the period."),
    KpiSpec("gross_profit", "Gross profit", "money", "flow", "Revenue minus cost of goods sold."),
    KpiSpec(
        "gross_margin", "Gross margin", "percent", "ratio", "Gross profit as a share of revenue."
    ),
    KpiSpec(
        "total_expenses",
        "Total expenses",
        "money",
        "flow",
        "Cost of goods sold, operating expenses, marketing spend and payroll added up "
        "(the lines the data has).",
    ),
    KpiSpec(
        "expense_ratio",
        "Expense ratio",
        "percent",
        "ratio",
        "Total expenses as a share of revenue.",
    ),
    KpiSpec(
        "operating_profit", "Operating profit", "money", "flow", "Revenue minus total expenses."
    ),
    KpiSpec(
        "operating_margin",
        "Operating margin",
        "percent",
        "ratio",
        "Operating profit as a share of revenue.",
    ),
    KpiSpec("net_margin", "Net margin", "percent", "ratio", "Net income as a share of revenue."),
    KpiSpec(
        "net_burn",
        "Net burn per month",
        "money",
        "rate",
        "Cash lost per month: the fall in the cash balance (or, without one, the operating "
        "loss); negative when cash grows.",
    ),
    KpiSpec("cash_balance", "Cash balance", "money", "stock", "Cash at the end of the period."),
    KpiSpec(
        "cash_runway",
        "Cash runway",
        "months",
        "point",
        "Months the cash balance lasts at the average net burn of the last 3 months; "
        "empty (not burning) when cash is not falling.",
    ),
    KpiSpec(
        "dso",
        "Days sales outstanding",
        "days",
        "ratio",
        "Receivables divided by revenue, times the calendar days in the period: how long "
        "customers take to pay.",
    ),
    KpiSpec(
        "dpo",
        "Days payables outstanding",
        "days",
        "ratio",
        "Payables divided by purchases (cost of goods sold, operating expenses and "
        "marketing), times the calendar days in the period: how long we take to pay.",
    ),
    KpiSpec(
        "working_capital",
        "Trade working capital",
        "money",
        "stock",
        "Receivables plus inventory minus payables (cash not included).",
    ),
    KpiSpec(
        "debt_ratio",
        "Debt ratio",
        "percent",
        "ratio",
        "Total liabilities as a share of total assets.",
    ),
    KpiSpec("headcount", "Headcount", "count", "stock", "People employed at the period's end."),
    KpiSpec(
        "revenue_per_head",
        "Revenue per head",
        "money",
        "ratio",
        "Revenue over the period divided by the headcount at its end.",
    ),
)
_BY_NAME = {k.name: k for k in _CATALOGUE}


def kpi_spec(name: str, frequency: str = "M") -> KpiSpec:
    """Give the label, unit, aggregation and definition of a KPI (growth KPIs included)."""
    if name in _BY_NAME:
        return _BY_NAME[name]
    metric, _, suffix = name.rpartition("_growth_")
    base = _BY_NAME.get(metric)
    if base is None or suffix not in ("mom", "qoq", "yoy"):
        raise KeyError(name)
    words = {"mom": "month on month", "qoq": "quarter on quarter", "yoy": "year on year"}[suffix]
    than = {"mom": "the month before", "qoq": "the quarter before", "yoy": "a year earlier"}[suffix]
    return KpiSpec(
        name,
        f"{base.label} growth, {words}",
        "percent",
        "point",
        f"Change in {base.label.lower()} against {than}, as a share of that earlier value.",
    )


def kpi_definitions(frequency: str = "M") -> dict[str, str]:
    """Give every KPI's one-sentence definition, growth KPIs at the data's frequency included."""
    out = {k.name: k.definition for k in _CATALOGUE}
    short = "qoq" if frequency == "Q" else "mom"
    for metric in GROWTH_METRICS:
        for suffix in (short, "yoy"):
            name = f"{metric}_growth_{suffix}"
            out[name] = kpi_spec(name, frequency).definition
    return out


def kpi_arrays(
    m: Mapping[str, np.ndarray],
    present: Mapping[str, np.ndarray],
    days: np.ndarray,
    freq: str,
    cash_open: np.ndarray | None,
    months: np.ndarray | float | None = None,
) -> dict[str, np.ndarray]:
    """Give the derived KPIs (dict name -> array) from input arrays of one shape."""
    shape = next(iter(m.values())).shape if m else (0, 0)
    nan = np.full(shape, np.nan)
    months_per = (3.0 if freq == "Q" else 1.0) if months is None else months
    revenue = m.get("revenue", nan)
    out: dict[str, np.ndarray] = {}
    gross = revenue - m.get("cogs", nan)
    if "gross_profit" in m:
        gross = np.where(np.isnan(gross), m["gross_profit"], gross)
    total_expenses = _line_sum(m, present, COST_LINES, shape)
    below_cogs = _any_present(present, COST_LINES[1:], shape[0])
    operating = np.where(below_cogs[:, None], revenue - total_expenses, np.nan)
    if "operating_profit" in m:
        operating = np.where(np.isnan(operating), m["operating_profit"], operating)
    out["gross_profit"] = gross
    out["gross_margin"] = _ratio(gross, revenue)
    out["total_expenses"] = total_expenses
    out["expense_ratio"] = _ratio(total_expenses, revenue)
    out["operating_profit"] = operating
    out["operating_margin"] = _ratio(operating, revenue)
    out["net_margin"] = _ratio(m.get("net_income", nan), revenue)
    cash = m.get("cash_balance", nan)
    burn_from_cash = (cash_open - cash) / months_per if cash_open is not None else nan
    has_cash = present.get("cash_balance", np.zeros(shape[0], bool))[:, None]
    out["net_burn"] = np.where(has_cash, burn_from_cash, -operating / months_per)
    window = 1 if freq == "Q" else 3
    out["cash_runway"] = _runway(cash, _rolling_mean(out["net_burn"], window))
    out["dso"] = _ratio(m.get("accounts_receivable", nan), revenue) * days
    purchases = _line_sum(m, present, PURCHASE_LINES, shape)
    out["dpo"] = _ratio(m.get("accounts_payable", nan), purchases) * days
    inventory = m["inventory"] if "inventory" in m else 0.0
    out["working_capital"] = (
        m.get("accounts_receivable", nan) + inventory - m.get("accounts_payable", nan)
    )
    out["debt_ratio"] = _ratio(m.get("total_liabilities", nan), m.get("total_assets", nan))
    out["revenue_per_head"] = _ratio(revenue, m.get("headcount", nan))
    return out


def _line_sum(
    m: Mapping[str, np.ndarray],
    present: Mapping[str, np.ndarray],
    lines: Sequence[str],
    shape: tuple[int, int],
) -> np.ndarray:
    total = np.zeros(shape)
    for line in lines:
        if line in m:
            total = total + np.where(present[line][:, None], m[line], 0.0)
    total[~_any_present(present, lines, shape[0])] = np.nan
    return total


def _any_present(present: Mapping[str, np.ndarray], lines: Sequence[str], n: int) -> np.ndarray:
    found = np.zeros(n, bool)
    for line in lines:
        if line in present:
            found |= present[line]
    return found


def _ratio(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(denominator > 0, numerator / denominator, np.nan)


def _rolling_mean(values: np.ndarray, window: int) -> np.ndarray:
    out = np.full(values.shape, np.nan)
    if values.shape[1] >= window:
        acc = sum(values[:, i : values.shape[1] - window + 1 + i] for i in range(window))
        out[:, window - 1 :] = acc / window
    return out


def _runway(cash: np.ndarray, burn: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        runway = np.where(burn > 0, np.maximum(cash, 0.0) / burn, np.inf)
    return np.where(np.isnan(cash) | np.isnan(burn), np.nan, runway)


def growth_arrays(
    series: Mapping[str, np.ndarray], inputs: Mapping[str, np.ndarray], freq: str
) -> dict[str, np.ndarray]:
    """Give period-on-period and year-on-year growth of the growth metrics."""
    short = "qoq" if freq == "Q" else "mom"
    out: dict[str, np.ndarray] = {}
    for metric in GROWTH_METRICS:
        values = series.get(metric, inputs.get(metric))
        if values is None:
            continue
        for suffix, lag in ((short, 1), ("yoy", 4 if freq == "Q" else 12)):
            growth = np.full(values.shape, np.nan)
            if values.shape[1] > lag:
                before = values[:, :-lag]
                with np.errstate(divide="ignore", invalid="ignore"):
                    change = (values[:, lag:] - before) / np.abs(before)
                growth[:, lag:] = np.where(before != 0, change, np.nan)
            out[f"{metric}_growth_{suffix}"] = growth
    return out


def lagged(inputs: Mapping[str, np.ndarray], metric: str) -> np.ndarray | None:
    """Give a metric shifted one period later (NaN first), or None when absent."""
    if metric not in inputs:
        return None
    values = inputs[metric]
    lagged = np.full(values.shape, np.nan)
    lagged[:, 1:] = values[:, :-1]
    return lagged


def days_in_periods(periods: pd.DatetimeIndex, freq: str) -> np.ndarray:
    """Give the calendar days in each period starting at ``periods``."""
    months = 3 if freq == "Q" else 1
    ends = periods + pd.DateOffset(months=months)
    return np.asarray((ends - periods).days, dtype=float)


def infer_frequency(index: pd.DatetimeIndex) -> str:
    """Give "Q" when periods are about a quarter apart, else "M"."""
    if len(index) < 2:
        return "M"
    return "Q" if np.median(np.diff(index.asi8)) > 45 * 86400e9 else "M"
