"""The model-choice rule, and its replay at every backtest origin (nested rolling origin).

The forecast shown to the user comes from a *procedure*: form the combination, then keep it
unless one candidate is decisively better in the backtest. Intervals must be calibrated on the
errors of that procedure, not on the errors of the model it finally picked (which was picked
*because* its backtest errors were small). :func:`nested_backtest` therefore replays the rule at
each origin using only the errors that were known before that origin, and records the forecast
that would really have been made there.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

__all__ = [
    "TIE",
    "DECISIVE",
    "MIN_KNOWN",
    "choose",
    "combination_weights",
    "combine",
    "members",
    "nested_backtest",
]

#: Candidates within this share of the best backtest MASE are compared by AICc.
TIE = 0.02
#: A single model replaces the combination only when its backtest error is below this share of
#: the combination's (an exact line or season, where averaging in a damped model would hurt).
DECISIVE = 0.3
#: Known backtest errors needed before the rule may move away from its default choice.
MIN_KNOWN = 6

Run = tuple  # (backtest rows, forecast, description, aicc)

#: How a model fitted on logarithms ends its name.
LOGS = " on logarithms"


def choose(scores: Mapping[str, float], ics: Mapping[str, float], default: str) -> str:
    """Give the candidate the rule keeps: the combination unless one model is decisively better.

    ``scores`` are backtest mean absolute errors (any common scale), ``ics`` information
    criteria (inf when a model has none), ``default`` the choice when no score is known.
    """
    known = {k: v for k, v in scores.items() if np.isfinite(v)}
    if not known:
        return default
    best = min(known.values())
    close = [k for k, v in known.items() if v <= best * (1 + TIE) + 1e-12]
    if "combination" in known and best >= DECISIVE * known["combination"]:
        close = ["combination"]
    with_ic = [k for k in close if np.isfinite(ics.get(k, np.inf))]
    return min(with_ic, key=lambda k: ics[k]) if with_ic else min(close, key=known.__getitem__)


#: The damped-trend ETS joins the combination as a further member when the backtest favours
#: another ETS form: damped trend is the steadiest extrapolation of the forecasting competitions,
#: and the weights below keep it out of seasonal series it cannot follow.
DAMPED = "ETS(A,Ad,N)"
#: Members are weighted by the inverse square of their backtest error. Dev windows (8 groups,
#: 324 series, never the benchmark's held-out window): equal weights of three members 0.966 of
#: statsforecast's mean of three, inverse error 0.962, inverse square 0.962, inverse square with
#: the damped member 0.955 (better in 7 groups of 8), all for the combination's forecasts alone;
#: equal weights with the damped member 1.044.
WEIGHT_POWER = 2


def members(runs: Mapping[str, Run], ets: str) -> list[str]:
    """Give the names of the combination's members: one ETS form, damped trend, Theta, ARIMA."""
    out = [ets]
    if DAMPED in runs and DAMPED != ets:
        out.append(DAMPED)
    return [*out, "theta", "arima"]


def combination_weights(names: list[str], errors: Mapping[str, float] | None) -> np.ndarray:
    """Give each member's weight from its backtest error (equal weights when errors are unknown).

    With no usable errors the classic members share equally and the damped member sits out
    (equally weighted it pulled seasonal series flat).
    """
    known = None if errors is None else np.array([errors.get(k, np.nan) for k in names], float)
    if known is None or not np.all(np.isfinite(known)) or not np.all(known >= 0):
        weights = np.array([0.0 if k == DAMPED else 1.0 for k in names])
        return weights / weights.sum()
    floor = 1e-9 * (float(known.max()) or 1.0)  # an exact backtest takes (almost) all the weight
    weights = np.maximum(known, floor) ** -WEIGHT_POWER
    return weights / weights.sum()


def combine(runs: Mapping[str, Run], ets: str, errors: Mapping[str, float] | None = None) -> Run:
    """Give the weighted mean of one ETS form (the best in the backtest), damped trend, Theta and
    ARIMA; ``errors`` are the members' backtest errors (None: the plain mean of the three).

    A second ETS member chosen by AICc used to join; once Theta and ARIMA were fitted on
    logarithms it was the weakest member (dev synthetic MASE 0.759 with it, 0.736 without).
    """
    names = members(runs, ets)
    weights = combination_weights(names, errors)
    back = np.tensordot(weights, [runs[k][0] for k in names], axes=1)
    fc = np.tensordot(weights, [runs[k][1] for k in names], axes=1)
    return back, fc, _describe(runs, names, weights, errors is not None), np.inf


def _describe(runs: Mapping[str, Run], names: list[str], weights: np.ndarray, weighted: bool):
    arima_name = runs["arima"][2].split(" (")[0]
    # Theta and ARIMA are fitted on logarithms together (positive series); the ARIMA words
    # already say so, and the combination says it once, for both.
    logs = arima_name.endswith(LOGS)
    words = {"theta": "Theta", "arima": arima_name.removesuffix(LOGS), DAMPED: "damped trend"}
    # Members whose weight rounds to 0 % are left out of the words (they barely count).
    used = [(words.get(k, k), w) for k, w in zip(names, weights) if w >= 0.005]
    if weighted:
        desc = "Weighted mean of " + _listed([f"{name} {w:.0%}" for name, w in used])
    else:
        desc = "Mean of " + _listed([name for name, _ in used])
    if logs:
        desc += ", Theta and ARIMA on logarithms"
    return desc


def _listed(parts: list[str]) -> str:
    """Give 'a', 'a and b' or 'a, b and c'."""
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


class _Stack:
    """Members' unclipped backtest rows stacked once per set of names (the replay reuses them)."""

    def __init__(self, runs: Mapping[str, Run]) -> None:
        self._runs = runs
        self._cache: dict[tuple[str, ...], np.ndarray] = {}

    def __getitem__(self, names: list[str]) -> np.ndarray:
        key = tuple(names)
        if key not in self._cache:
            self._cache[key] = np.stack([self._runs[k][0] for k in names])
        return self._cache[key]


def _default(runs: Mapping[str, Run], ics: Mapping[str, float]) -> str:
    if "combination" in runs:
        return "combination"
    with_ic = [k for k in runs if np.isfinite(ics.get(k, np.inf))]
    if with_ic:
        return min(with_ic, key=lambda k: ics[k])
    for name in ("croston", "seasonal_naive", "naive"):
        if name in runs:
            return name
    return next(iter(runs))


def nested_backtest(
    runs: Mapping[str, Run],
    early_ics: Mapping[str, float],
    actuals: np.ndarray,
    origins: np.ndarray,
    clip: bool,
) -> tuple[np.ndarray, list[str]]:
    """Give the (origins, steps) forecasts the whole procedure would have made, and its choices.

    At origin ``origins[r]`` only backtest cells whose target period lies before that origin
    are known; the ETS member of the combination and the final choice are made from those
    alone (with information criteria of fits on the data before the first origin).
    ``runs`` hold the single candidates (no combination); ``clip`` floors forecasts at zero.
    """
    steps = actuals.shape[1]
    target = origins[:, None] + np.arange(steps)[None, :]
    rows = {k: (np.maximum(v[0], 0.0) if clip else v[0]) for k, v in runs.items()}
    raw = _Stack(runs)
    ets = [k for k in runs if k.startswith("ETS")]
    ets_by_ic = min(ets, key=lambda k: early_ics.get(k, np.inf)) if ets else None
    can_combine = bool(ets) and "theta" in runs and "arima" in runs
    singles_default = _default(runs, early_ics)
    # Mean absolute error of every candidate over the cells known at each origin, for all
    # origins at once: (origins, cells) known-mask times (cells, candidates) errors.
    names = list(rows)
    stacked = np.stack([rows[k] for k in names])
    with np.errstate(invalid="ignore"):
        errors = np.abs(actuals[None] - stacked).reshape(len(names), -1)
    finite = np.isfinite(actuals)
    known = ((target[None] < origins[:, None, None]) & finite[None]).reshape(len(origins), -1)
    counts = known.sum(axis=1)
    sums = known.astype(float) @ np.where(np.isfinite(errors), errors, 0.0).T
    with np.errstate(invalid="ignore", divide="ignore"):
        means = sums / counts[:, None]
    flat_actuals = actuals.reshape(-1)
    out = np.empty_like(actuals)
    chosen: list[str] = []
    for r in range(len(origins)):
        enough = int(counts[r]) >= MIN_KNOWN
        row = means[r]
        scores = {k: float(row[i]) if enough else float("nan") for i, k in enumerate(names)}
        candidates = dict(rows)
        if can_combine:
            # The member and the weights are what the errors known at this origin said.
            member = min(ets, key=scores.__getitem__) if enough else ets_by_ic
            names_now = members(runs, member)
            weights = combination_weights(names_now, scores if enough else None)
            combo = np.tensordot(weights, raw[names_now], axes=1)
            combo = np.maximum(combo, 0.0) if clip else combo
            candidates["combination"] = combo
            if enough:
                cells = known[r]
                scores["combination"] = float(
                    np.mean(np.abs(flat_actuals[cells] - combo.reshape(-1)[cells]))
                )
            else:
                scores["combination"] = float("nan")
        default = "combination" if can_combine else singles_default
        name = choose(scores, early_ics, default)
        out[r] = candidates[name][r]
        chosen.append(name)
    return out, chosen
