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

import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ..metrics import metric_info
from ..model import Panel
from ..progress import CancelToken, StepCallback, no_step
from .stats import student_t_sf

__all__ = [
    "CONTRACT_COLUMNS",
    "COLUMNS",
    "MAX_Q",
    "MIN_ABS_R",
    "CorrelationResult",
    "analyse_correlations",
    "growth_rates",
    "growth_matrix",
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
    return growth_matrix(np.asarray(values, dtype=float)[None, :], period)[0]


def growth_matrix(values: np.ndarray, period: int) -> np.ndarray:
    """Give :func:`growth_rates` of every row of a (series x periods) array at once."""
    y = np.atleast_2d(np.asarray(values, dtype=float))
    growth = np.full(y.shape, np.nan)
    if y.shape[1] < 2:
        return growth
    finite = np.isfinite(y)
    usable = finite.sum(axis=1) >= 3
    positive = np.where(finite, y, np.inf).min(axis=1) > 0
    with warnings.catch_warnings(), np.errstate(divide="ignore", invalid="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)
        size = np.nanmedian(np.abs(y), axis=1)
        size = np.where(np.isfinite(size) & (size != 0), size, 1.0)
        log_growth = np.diff(np.log(np.where(positive[:, None], y, np.nan)), axis=1)
        growth[:, 1:] = np.where(positive[:, None], log_growth, np.diff(y, axis=1) / size[:, None])
        growth[~usable] = np.nan
        if period > 1:
            seasonal = np.isfinite(growth).sum(axis=1) >= 2 * period + 1
            for p in range(period):
                at = growth[:, p::period]
                adjust = seasonal & (np.isfinite(at).sum(axis=1) >= 2)
                if adjust.any():
                    at[adjust] -= np.nanmedian(at[adjust], axis=1)[:, None]
                    growth[:, p::period] = at
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
    rows_of: dict[tuple[str, str], list[int]] = {}
    for i, key in enumerate(panel.keys):
        if key.level in LEVELS_ANALYSED:
            rows_of.setdefault((key.level, key.segment), []).append(i)
    analysed = [i for scope in scopes for i in rows_of.get(scope, [])]
    ranks = np.full(panel.values.shape, np.nan)
    if analysed:  # growth and ranks once per series, all series at once
        ranks[analysed] = _growth_ranks(growth_matrix(panel.values[analysed], period))
    parts: list[pd.DataFrame] = []
    for step, (level, segment) in enumerate(scopes, start=1):
        if cancel is not None:
            cancel.raise_if_cancelled()
        where = "the company" if level == "total" else segment
        on_progress(
            step - 1, len(scopes), where, f"Correlating metrics · {where} ({step} of {len(scopes)})"
        )
        rows = [i for i in rows_of.get((level, segment), []) if np.isfinite(ranks[i]).any()]
        names = [panel.keys[i].metric for i in rows]
        found = _scope_tests(ranks[rows], names, max_lag)
        if found is not None:
            parts.append(found.assign(scope=step, level=level, segment=segment))
    on_progress(len(scopes), len(scopes), None, "Correlations done")

    settings = {"max_lag": max_lag, "max_q": MAX_Q, "min_abs_r": MIN_ABS_R, "method": "spearman"}
    if not parts:
        return CorrelationResult(_typed(pd.DataFrame(columns=list(COLUMNS))), 0, settings)
    frame = pd.concat(parts, ignore_index=True)
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


def _growth_ranks(growth: np.ndarray) -> np.ndarray:
    """Give each row's growth ranks (ties averaged; NaN kept), or all NaN when it cannot be used."""
    valid = np.isfinite(growth)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        spread = np.nanstd(growth, axis=1)
    usable = (valid.sum(axis=1) >= MIN_OVERLAP) & (spread > 0)
    ranks = pd.DataFrame(growth).rank(axis=1, method="average", na_option="keep").to_numpy()
    ranks[~usable] = np.nan
    return ranks


def _scope_tests(ranks: np.ndarray, names: list[str], max_lag: int) -> pd.DataFrame | None:
    """Give every pair (a before b, panel order) at lags -max_lag..max_lag with r, p and n.

    Pearson correlations of the ranks with pairwise deletion, for all pairs of a lag at once:
    with masks M and zero-filled values X, the pair sums are matrix products (M @ M.T counts,
    X @ M.T sums, X @ Y.T cross products). Ranks are multiples of 1/2, so these sums are exact.
    """
    k, n_per = ranks.shape
    if k < 2:
        return None
    upper_i, upper_j = np.triu_indices(k, 1)
    inflation = _autocorrelation_inflation(ranks)[upper_i, upper_j]
    finite = np.isfinite(ranks)
    zeroed = np.where(finite, ranks, 0.0)
    mask = finite.astype(float)
    columns: dict[str, list[np.ndarray]] = {"i": [], "j": [], "lag": [], "r": [], "n": []}
    lags = range(-max_lag, max_lag + 1)
    for lag in lags:
        # lag > 0: a leads b, so a's period t pairs with b's period t + lag.
        a_cols = slice(0, n_per - lag) if lag >= 0 else slice(-lag, n_per)
        b_cols = slice(lag, n_per) if lag >= 0 else slice(0, n_per + lag)
        r, count = _paired_correlation(
            zeroed[:, a_cols], mask[:, a_cols], zeroed[:, b_cols], mask[:, b_cols]
        )
        columns["i"].append(upper_i)
        columns["j"].append(upper_j)
        columns["lag"].append(np.full(upper_i.size, lag))
        columns["r"].append(r[upper_i, upper_j])
        columns["n"].append(count[upper_i, upper_j])
    # Pair-major, lags ascending within a pair: the order the strongest-lag pick relies on.
    stacked = {name: np.stack(parts, axis=1).reshape(-1) for name, parts in columns.items()}
    keep = (stacked["n"] >= MIN_OVERLAP) & np.isfinite(stacked["r"])
    n = stacked["n"][keep]
    r = stacked["r"][keep]
    n_eff = np.maximum(n / np.repeat(inflation, len(lags))[keep], 4.0)
    label = np.array(names, dtype=object)
    return pd.DataFrame(
        {
            "a": label[stacked["i"][keep]],
            "b": label[stacked["j"][keep]],
            "lag": stacked["lag"][keep].astype(int),
            "r": r,
            "p": _p_values(r, n_eff),
            "n": n.astype(int),
        }
    )


def _paired_correlation(
    x: np.ndarray, x_mask: np.ndarray, y: np.ndarray, y_mask: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Give Pearson r (NaN where a side is constant) and overlap count of rows of x with rows of y."""
    count = x_mask @ y_mask.T
    sum_x = x @ y_mask.T
    sum_y = x_mask @ y.T
    sum_xx = (x * x) @ y_mask.T
    sum_yy = x_mask @ (y * y).T
    sum_xy = x @ y.T
    var_x = count * sum_xx - sum_x * sum_x
    var_y = count * sum_yy - sum_y * sum_y
    with np.errstate(divide="ignore", invalid="ignore"):
        r = (count * sum_xy - sum_x * sum_y) / np.sqrt(var_x * var_y)
    r = np.where((var_x > 0) & (var_y > 0), np.clip(r, -1.0, 1.0), np.nan)
    return r, np.rint(count).astype(int)


def _autocorrelation_inflation(ranks: np.ndarray, lags: int = 6) -> np.ndarray:
    """Give Bartlett's variance inflation 1 + 2 sum acf_x(k) acf_y(k) of every pair, at least 1."""
    acf = np.zeros((ranks.shape[0], lags))
    finite = np.isfinite(ranks)
    for k in range(1, lags + 1):
        both = finite[:, :-k] & finite[:, k:]
        a = np.where(both, ranks[:, :-k], 0.0)
        b = np.where(both, ranks[:, k:], 0.0)
        count = both.sum(axis=1).astype(float)
        var_a = count * (a * a).sum(axis=1) - a.sum(axis=1) ** 2
        var_b = count * (b * b).sum(axis=1) - b.sum(axis=1) ** 2
        cov = count * (a * b).sum(axis=1) - a.sum(axis=1) * b.sum(axis=1)
        ok = (count >= 8) & (var_a > 0) & (var_b > 0)
        with np.errstate(divide="ignore", invalid="ignore"):
            acf[:, k - 1] = np.where(ok, cov / np.sqrt(var_a * var_b), 0.0)
    return np.maximum(1.0 + 2.0 * acf @ acf.T, 1.0)


def _p_values(r: np.ndarray, n_eff: np.ndarray) -> np.ndarray:
    r = np.clip(r, -0.999999, 0.999999)
    df = n_eff - 2
    statistic = np.abs(r) * np.sqrt(df / (1 - r * r))
    return 2 * student_t_sf(statistic, df)


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
