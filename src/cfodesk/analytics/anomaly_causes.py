"""Knock-on moves: a balance anomaly that is the book-keeping echo of a flow anomaly.

Balances are built from flows: receivables are days of revenue, cash is the running sum of
what came in and went out, payables follow the costs, total assets and liabilities add those up.
A revenue dip in a segment therefore shows up as a dip in its receivables and a step down in its
cash in the same month (or the next). Listed side by side these read as three independent
problems; a controller reads them as one event. This module finds, for each balance anomaly,
the flow (or smaller balance) anomaly of the same segment that explains it: same or previous
period, and a deviation in the direction the book-keeping implies (more revenue, more cash;
more costs, less cash).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["KNOCK_ONS", "knock_on_causes"]

_COSTS = ("cogs", "operating_expenses", "marketing_spend", "payroll")

#: balance -> {metric that moves it: sign of the effect}, in order of preference as the cause.
KNOCK_ONS: dict[str, dict[str, int]] = {
    "accounts_receivable": {"revenue": +1},
    "accounts_payable": {name: +1 for name in _COSTS[:3]},
    "cash_balance": {
        "revenue": +1,
        "operating_cash_flow": +1,
        **{name: -1 for name in _COSTS},
        "capex": -1,
    },
    "total_assets": {
        "cash_balance": +1,
        "accounts_receivable": +1,
        "revenue": +1,
        **{name: -1 for name in _COSTS},
    },
    "total_liabilities": {"accounts_payable": +1, **{name: +1 for name in _COSTS[:3]}},
}

#: Anomaly kinds that are moves of one series (mixes and broken books stand on their own).
_MOVES = ("spike", "dip", "level_shift")


def knock_on_causes(table: pd.DataFrame, deviation: np.ndarray, frequency: str) -> dict[int, int]:
    """Give {row of a balance anomaly: row of the anomaly that explains it}.

    ``table`` holds the anomaly rows (level, segment, metric, date, kind), ``deviation`` each
    row's value minus expected. A cause is in the same level and segment, in the same period or
    the one before, and moved the way :data:`KNOCK_ONS` says; the first metric listed wins,
    then the same period over the one before.
    """
    step = pd.DateOffset(months=3 if frequency == "Q" else 1)
    moves: dict[tuple, list[int]] = {}
    for i, row in enumerate(table.itertuples(index=False)):
        if row.kind in _MOVES and np.isfinite(deviation[i]) and deviation[i] != 0:
            moves.setdefault((row.level, row.segment, row.metric, row.date), []).append(i)
    causes: dict[int, int] = {}
    for i, row in enumerate(table.itertuples(index=False)):
        relations = KNOCK_ONS.get(row.metric)
        if relations is None or row.kind not in _MOVES or not deviation[i]:
            continue
        for metric, sign in relations.items():
            found = [
                j
                for when in (row.date, row.date - step)
                for j in moves.get((row.level, row.segment, metric, when), [])
                if np.sign(deviation[j]) * sign == np.sign(deviation[i])
            ]
            if found:
                causes[i] = found[0]
                break
    return causes
