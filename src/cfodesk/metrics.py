"""The finance meanings CFO Desk knows: canonical metric names, how they add up, units.

A *flow* (revenue, costs) sums over time and across segments; a *stock* (balances, headcount)
takes the period's last value over time and sums across segments; a *ratio* (a margin column in
the input) is averaged both ways and is never reconciled as a sum.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

__all__ = ["MetricInfo", "KNOWN_METRICS", "metric_info", "metric_label", "DIMENSIONS"]

Kind = Literal["flow", "stock", "ratio"]
Unit = Literal["money", "count", "percent", "days", "months", "number"]

DIMENSIONS = ("region", "department")


@dataclass(frozen=True)
class MetricInfo:
    """What a metric means: label, aggregation kind, unit and whether it can go negative."""

    name: str
    label: str
    kind: Kind = "flow"
    unit: Unit = "money"
    nonnegative: bool = True
    known: bool = True

    @property
    def additive(self) -> bool:
        """True when segments sum to their parent (flows and stocks)."""
        return self.kind != "ratio"


_KNOWN = [
    MetricInfo("revenue", "Revenue"),
    MetricInfo("cogs", "Cost of goods sold"),
    MetricInfo("operating_expenses", "Operating expenses"),
    MetricInfo("marketing_spend", "Marketing spend"),
    MetricInfo("payroll", "Payroll"),
    MetricInfo("other_income", "Other income", nonnegative=False),
    MetricInfo("depreciation", "Depreciation"),
    MetricInfo("interest_expense", "Interest expense"),
    MetricInfo("taxes", "Taxes", nonnegative=False),
    MetricInfo("gross_profit", "Gross profit", nonnegative=False),
    MetricInfo("operating_profit", "Operating profit", nonnegative=False),
    MetricInfo("net_income", "Net income", nonnegative=False),
    MetricInfo("capex", "Capital expenditure"),
    MetricInfo("operating_cash_flow", "Operating cash flow", nonnegative=False),
    MetricInfo("headcount", "Headcount", kind="stock", unit="count"),
    MetricInfo("cash_balance", "Cash balance", kind="stock", nonnegative=False),
    MetricInfo("accounts_receivable", "Accounts receivable", kind="stock"),
    MetricInfo("accounts_payable", "Accounts payable", kind="stock"),
    MetricInfo("inventory", "Inventory", kind="stock"),
    MetricInfo("total_assets", "Total assets", kind="stock"),
    MetricInfo("total_liabilities", "Total liabilities", kind="stock"),
    MetricInfo("equity", "Equity", kind="stock", nonnegative=False),
    MetricInfo("debt", "Debt", kind="stock"),
    MetricInfo("customers", "Customers", kind="stock", unit="count"),
    MetricInfo("units_sold", "Units sold", unit="count"),
]

KNOWN_METRICS: dict[str, MetricInfo] = {m.name: m for m in _KNOWN}

_RATIO_WORDS = ("margin", "ratio", "rate", "percent", "pct", "%", "share", "yield")


def metric_info(name: str) -> MetricInfo:
    """Give the meaning of a metric; unknown names are custom money flows (ratios by their name)."""
    info = KNOWN_METRICS.get(name)
    if info is not None:
        return info
    lowered = name.lower()
    if any(word in lowered for word in _RATIO_WORDS):
        return MetricInfo(
            name, _humanise(name), kind="ratio", unit="percent", nonnegative=False, known=False
        )
    return MetricInfo(name, _humanise(name), nonnegative=False, known=False)


def metric_label(name: str) -> str:
    """Give the label people read for a metric name."""
    return metric_info(name).label


def _humanise(name: str) -> str:
    text = name.replace("_", " ").strip()
    return text[:1].upper() + text[1:] if text else name
