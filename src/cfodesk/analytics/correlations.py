"""Which metrics move together, and which lead which — on growth, never on raw levels.

Trending levels make everything correlate, so each series is first turned into its
period-on-period growth (log-difference for positive series, difference over the typical size
otherwise) with the calendar pattern of growth removed (median growth of each month or quarter).
Pairs are compared at lags 0..``max_lag`` in both directions with Spearman's rank correlation.

Significance accounts for the autocorrelation left in growth rates (Bartlett's effective sample
size) and for the number of tests: p-values are corrected with Benjamini-Hochberg over every pair,
lag and segment tested. A pair is reported when q < 0.05 and |r| >= 0.3, at its strongest lag
only. Scope: the company total, each region and each department.

The table starts with the ``correlations.csv`` contract columns
``metric_a,metric_b,level,segment,correlation,lag,method`` (``metric_a`` leads ``metric_b`` by
``lag`` periods), then ``p_value``, ``q_value``, ``n``, ``strength``, ``direction``,
``identity`` (the pair is tied by an accounting identity) and ``sentence``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy.stats import rankdata
from scipy.stats import t as student_t

from ..metrics import metric_info
from ..model import Panel
from ..progress import CancelToken, StepCallback, no_step

__all__ = [
    "CONTRACT_COLUMNS",
    "COLUMNS",
    "MAX_Q",
    "MIN_ABS_R",
    "CorrelationResult",
    "analyse_correlations",
    "growth_rates",
    "benjamini_hochberg",
]

CONTRACT_COLUMNS = ("metric_a", "metric_b", "level", "segment", "correlation", "lag", "method")
COLUMNS = CONTRACT_COLUMNS + (
    "p_value",
    "q_value",
    "n",
    "strength",
    "direction",
    "identity",
    "sentence",
)
MAX_Q = 0.05
MIN_ABS_R = 0.3
STRONG_R = 0.6
MIN_OVERLAP = 12
LEVELS_ANALYSED = ("total", "region", "department")
_IDENTITY_GROUPS = (
    ("gross_profit", "revenue", "cogs"),
    ("operating_profit", "gross_profit", "revenue", "cogs", "operating_expenses"),
    ("net_income", "operating_profit", "interest_expense", "taxes"),
    ("total_assets", "total_liabilities", "equity"),
)


@dataclass(frozen=True, eq=False)
class CorrelationResult:
    """Meaningful correlations between metrics' growth, one row per pair and segment."""

    table: pd.DataFrame
    tests: int = 0
    settings: Mapping[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """Give the report.json "correlations" section (no NaN)."""
        items = []
        for record in self.table.to_dict(orient="records"):
            item = {}
            for column in COLUMNS:
                value = record[column]
                if isinstance(value, (float, np.floating)):
                    value = float(value) if np.isfinite(value) else None
                elif isinstance(value, (np.integer,)):
                    value = int(value)
                elif isinstance(value, np.bool_):
                    value = bool(value)
                item[column] = value
            items.append(item)
        return {
            "count": len(items),
            "tests": self.tests,
            "settings": dict(self.settings),
            "items": items,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> CorrelationResult:
        """Build the result from :meth:`to_json` output."""
        table = pd.DataFrame(list(data.get("items", [])), columns=list(COLUMNS))
        return cls(
            table=_typed(table),
            tests=int(data.get("tests", 0)),
            settings=dict(data.get("settings", {})),
        )


def growth_rates(values: np.ndarray, period: int) -> np.ndarray:
    """Give period-on-period growth with the calendar pattern removed (length n, first NaN)."""
    y = np.asarray(values, dtype=float)
    growth = np.full(y.size, np.nan)
    finite = y[np.isfinite(y)]
    if finite.size < 3:
        return growth
    if finite.min() > 0:
        growth[1:] = np.diff(np.log(y))
    else:
        size = float(np.median(np.abs(finite))) or 1.0
        growth[1:] = np.diff(y) / size
    if period > 1 and np.isfinite(growth).sum() >= 2 * period + 1:
        position = np.arange(y.size) % period
        for p in range(period):
            at = position == p
            if np.isfinite(growth[at]).sum() >= 2:
                growth[at] -= np.nanmedian(growth[at])
    return growth


def benjamini_hochberg(p_values: np.ndarray) -> np.ndarray:
    """Give Benjamini-Hochberg adjusted p-values (q-values) in the input order."""
    p = np.asarray(p_values, dtype=float)
    n = p.size
    if n == 0:
        return p
    order = np.argsort(p)
    ranked = p[order] * n / np.arange(1, n + 1)
    ranked = np.minimum.accumulate(ranked[::-1])[::-1]
    q = np.empty(n)
    q[order] = np.minimum(ranked, 1.0)
    return q


def analyse_correlations(
    panel: Panel,
    *,
    max_lag: int = 6,
    on_progress: StepCallback = no_step,
    cancel: CancelToken | None = None,
) -> CorrelationResult:
    """Give the meaningful lead-lag correlations between metrics' growth rates."""
    period = 4 if panel.frequency == "Q" else 12
    scopes = [
        (lv, seg) for lv in LEVELS_ANALYSED if lv in panel.levels for seg in panel.segments(lv)
    ]
    tests: list[tuple[int, str, str, str, str, int, float, float, int]] = []
    for step, (level, segment) in enumerate(scopes, start=1):
        if cancel is not None:
            cancel.raise_if_cancelled()
        where = "the company" if level == "total" else segment
        on_progress(
            step - 1, len(scopes), where, f"Correlating metrics · {where} ({step} of {len(scopes)})"
        )
        tests.extend(_scope_tests(panel, level, segment, period, max_lag, step))
    on_progress(len(scopes), len(scopes), None, "Correlations done")

    settings = {"max_lag": max_lag, "max_q": MAX_Q, "min_abs_r": MIN_ABS_R, "method": "spearman"}
    if not tests:
        return CorrelationResult(_typed(pd.DataFrame(columns=list(COLUMNS))), 0, settings)
    frame = pd.DataFrame(
        tests, columns=["scope", "level", "segment", "a", "b", "lag", "r", "p", "n"]
    )
    frame["q"] = benjamini_hochberg(frame["p"].to_numpy())
    kept = frame[(frame["q"] < MAX_Q) & (frame["r"].abs() >= MIN_ABS_R)]
    # One row per pair and segment: its strongest lag.
    kept = kept.loc[kept["r"].abs().groupby([kept["scope"], kept["a"], kept["b"]]).idxmax()]
    rows = []
    for test in kept.itertuples(index=False):
        a, b, lag = (test.a, test.b, test.lag) if test.lag >= 0 else (test.b, test.a, -test.lag)
        identity = _is_identity(a, b)
        rows.append(
            {
                "metric_a": a,
                "metric_b": b,
                "level": test.level,
                "segment": test.segment,
                "correlation": float(test.r),
                "lag": int(lag),
                "method": "spearman",
                "p_value": float(test.p),
                "q_value": float(test.q),
                "n": int(test.n),
                "strength": "strong" if abs(test.r) >= STRONG_R else "moderate",
                "direction": "positive" if test.r > 0 else "negative",
                "identity": identity,
                "sentence": _sentence(
                    a, b, test.level, test.segment, lag, test.r, period, identity
                ),
            }
        )
    table = pd.DataFrame(rows, columns=list(COLUMNS))
    if not table.empty:
        depth = table["level"].map({lv: n for n, lv in enumerate(LEVELS_ANALYSED)})
        table = table.assign(_depth=depth, _abs=-table["correlation"].abs())
        table = table.sort_values(["_depth", "segment", "_abs"]).drop(columns=["_depth", "_abs"])
    return CorrelationResult(_typed(table), len(frame), settings)


def _scope_tests(
    panel: Panel, level: str, segment: str, period: int, max_lag: int, scope: int
) -> list[tuple[int, str, str, str, str, int, float, float, int]]:
    keys = [k for k in panel.keys if k.level == level and k.segment == segment]
    ranks: dict[str, np.ndarray] = {}
    for key in keys:
        growth = growth_rates(panel.values[panel.index_of(key)], period)
        valid = np.isfinite(growth)
        if valid.sum() < MIN_OVERLAP or np.nanstd(growth) == 0:
            continue
        ranked = np.full(growth.size, np.nan)
        ranked[valid] = rankdata(growth[valid])
        ranks[key.metric] = ranked
    names = list(ranks)
    tests = []
    for i, a in enumerate(names):
        for b in names[i + 1 :]:
            x, y = ranks[a], ranks[b]
            inflation = _autocorrelation_inflation(x, y)
            for lag in range(-max_lag, max_lag + 1):
                # lag > 0: a leads b, so a's period t pairs with b's period t + lag.
                xs, ys = (x[: x.size - lag], y[lag:]) if lag >= 0 else (x[-lag:], y[: y.size + lag])
                both = np.isfinite(xs) & np.isfinite(ys)
                n = int(both.sum())
                if n < MIN_OVERLAP:
                    continue
                xv, yv = xs[both], ys[both]
                if xv.std() == 0 or yv.std() == 0:
                    continue
                r = float(np.corrcoef(xv, yv)[0, 1])
                n_eff = max(n / inflation, 4.0)
                tests.append((scope, level, segment, a, b, lag, r, _p_value(r, n_eff), n))
    return tests


def _autocorrelation_inflation(x: np.ndarray, y: np.ndarray, lags: int = 6) -> float:
    """Give Bartlett's variance inflation 1 + 2 sum acf_x(k) acf_y(k), at least 1."""
    total = 1.0
    for k in range(1, lags + 1):
        total += 2 * _acf(x, k) * _acf(y, k)
    return max(total, 1.0)


def _acf(x: np.ndarray, k: int) -> float:
    a, b = x[:-k], x[k:]
    both = np.isfinite(a) & np.isfinite(b)
    if both.sum() < 8:
        return 0.0
    a, b = a[both], b[both]
    if a.std() == 0 or b.std() == 0:
        return 0.0
    return float(np.corrcoef(a, b)[0, 1])


def _p_value(r: float, n_eff: float) -> float:
    r = min(max(r, -0.999999), 0.999999)
    df = n_eff - 2
    statistic = abs(r) * np.sqrt(df / (1 - r * r))
    return float(2 * student_t.sf(statistic, df))


def _is_identity(a: str, b: str) -> bool:
    return any(a in group and b in group and group[0] in (a, b) for group in _IDENTITY_GROUPS)


def _lower_label(metric: str) -> str:
    label = metric_info(metric).label
    return label[:1].lower() + label[1:] if label[1:2].islower() else label


def _sentence(
    a: str, b: str, level: str, segment: str, lag: int, r: float, period: int, identity: bool
) -> str:
    label_a = metric_info(a).label
    if lag > 0:
        unit = "quarter" if period == 4 else "month"
        text = f"{label_a} leads {_lower_label(b)} by {lag} {unit}{'s' if lag != 1 else ''}"
        if r < 0:
            text += ", in the opposite direction"
    elif r > 0:
        text = f"{label_a} and {_lower_label(b)} move together"
    else:
        text = f"{label_a} and {_lower_label(b)} move in opposite directions"
    text += f" (r = {r:.2f})"
    if identity:
        text += " — expected, one is part of the other"
    if level != "total":
        text = f"In {segment}: {text[:1].lower() + text[1:] if text[1:2].islower() else text}"
    return text


def _typed(table: pd.DataFrame) -> pd.DataFrame:
    table = table.copy()
    for column in ("correlation", "p_value", "q_value"):
        table[column] = pd.to_numeric(table[column], errors="coerce").astype(float)
    for column in ("lag", "n"):
        table[column] = pd.to_numeric(table[column], errors="coerce").fillna(0).astype(int)
    table["identity"] = table["identity"].fillna(False).astype(bool)
    return table[list(COLUMNS)].reset_index(drop=True)
