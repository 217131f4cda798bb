"""Exponential smoothing (ETS) fitted by a vectorised population search, in plain numpy.

Every candidate ETS form and every trial parameter set is one row of a population that a single
pass over the series filters at once, so a whole family of models costs a few numpy passes
instead of one optimiser run per model. The same pass scores each row on two windows: the
backtest window (data before the first backtest origin) and the full history.

Equations are the error-correction form of Hyndman et al. (2008); additive and multiplicative
error give the same point forecasts and differ in the likelihood that is minimised.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .ets_starts import StartJob, initial_states, one_step_errors, refine_starts

__all__ = ["EtsSpec", "EtsFit", "ets_specs", "fit_ets_family"]


@dataclass(frozen=True)
class EtsSpec:
    """One ETS form: error A|M, trend N|A|Ad, season N|A|M."""

    error: str
    trend: str
    season: str

    @property
    def code(self) -> str:
        """'ETS(M,Ad,M)'."""
        return f"ETS({self.error},{self.trend},{self.season})"

    @property
    def n_params(self) -> int:
        """Smoothing parameters plus initial states counted as in the likelihood."""
        k = 1 + (self.trend != "N") + (self.trend == "Ad") + (self.season != "N")
        return k + 1 + (self.trend != "N")


@dataclass(frozen=True)
class EtsFit:
    """One ETS form's backtest forecasts, final forecast and description."""

    spec: EtsSpec
    backtest: np.ndarray  # (origins, steps) forecasts from origins n0..n-1
    forecast: np.ndarray  # (horizon,)
    aicc: float
    description: str
    aicc_backtest: float = float("inf")  # AICc of the fit on the data before the first origin


def ets_specs(seasonal: bool, positive: bool) -> list[EtsSpec]:
    """Give the candidate ETS forms for a series (few, well-chosen).

    Undamped trends (A,A,N), (A,A,A) and (M,A,M) fit (``EtsSpec`` takes them) but are not
    candidates: with them the dev windows scored 0.956 of statsforecast's mean of three against
    0.955 without, for a third more fits; a trend that never flattens is rarely a finance
    team's best guess 12-18 months out, and ARIMA with drift and Theta carry steady growth.
    """
    specs = [EtsSpec("A", "N", "N"), EtsSpec("A", "Ad", "N")]
    if seasonal:
        specs += [EtsSpec("A", "N", "A"), EtsSpec("A", "Ad", "A")]
        if positive:
            specs += [EtsSpec("M", "N", "M"), EtsSpec("M", "Ad", "M")]
    return specs


def _halton(count: int, dims: int) -> np.ndarray:
    primes = (2, 3, 5, 7)
    out = np.empty((count, dims))
    for d in range(dims):
        base = primes[d]
        for i in range(count):
            f, r, k = 1.0, 0.0, i + 1
            while k:
                f /= base
                r += f * (k % base)
                k //= base
            out[i, d] = r
    return out


_STAGE1 = _halton(48, 4)
_STAGE2 = _halton(16, 4) * 2 - 1  # offsets in [-1, 1)


def _params(spec: EtsSpec, u: np.ndarray) -> np.ndarray:
    """Map unit-cube points (P, 4) to (alpha, beta, gamma, phi) rows that satisfy the bounds."""
    return _param_rows(u, spec.trend != "N", spec.trend == "Ad", spec.season != "N")


def _param_rows(u: np.ndarray, trend, damped, season) -> np.ndarray:
    """Map unit-cube points (P, 4) to parameter rows; the form flags are scalars or (P,) rows."""
    u = np.clip(u, 0.0, 1.0)
    alpha = 0.02 + 0.96 * u[:, 0]
    beta = np.where(trend, alpha * (0.002 + 0.5 * u[:, 1] ** 2), 0.0)
    phi = np.where(damped, 0.8 + 0.2 * u[:, 3], np.where(trend, 1.0, 0.0))
    gamma = np.where(season, (1 - alpha) * (0.002 + 0.6 * u[:, 2] ** 2), 0.0)
    return np.stack([alpha, beta, gamma, phi], axis=1)


def _initial_states(y: np.ndarray, m: int, spec: EtsSpec) -> tuple[float, float, np.ndarray]:
    """Give heuristic (level, trend, season ring) from a line through the first seasons."""
    return initial_states(y, m, spec)


def _one_step_errors(y, m, spec, params, lv, tr, rg) -> np.ndarray:
    """Give (n, rows) one-step errors of starts (lv, tr, rg) (relative for multiplicative error)."""
    rows = len(lv)
    return one_step_errors(
        y,
        m,
        params,
        np.full(rows, spec.season == "M"),
        np.full(rows, spec.error == "M"),
        lv,
        tr,
        rg,
    )


def _refine_start(y, m, spec, params, start, rounds: int = 1):
    """Give the initial (level, trend, season ring) that minimise the one-step loss on y."""
    return refine_starts(y, m, [StartJob(spec, np.asarray(params), start, len(y))], rounds)[0]


def _filter(y, m, params, mult_season, mult_error, level, trend, ring, n0, record_from=None):
    """Run the population over y; give losses on [0, n0) and [0, n) and optional states.

    ``params`` (P, 4); ``level``/``trend`` (P,); ``ring`` (m, P) seasonal states indexed by t % m.
    """
    alpha, beta, gamma, phi = params.T
    level = level.copy()
    trend = trend.copy()
    ring = ring.copy()
    n = len(y)
    errs = np.empty((n, len(alpha)))
    mus = np.empty((n, len(alpha))) if mult_error is not None else None
    states = []
    km = mult_season
    any_mult = bool(km.any())
    with np.errstate(all="ignore"):
        for t in range(n):
            if record_from is not None and t >= record_from:
                states.append((level.copy(), trend.copy(), ring.copy()))
            j = t % m
            s = ring[j]
            damped = phi * trend
            base = level + damped
            mu = np.where(km, base * s, base + s) if any_mult else base + s
            err = y[t] - mu
            errs[t] = err
            if mus is not None:
                mus[t] = mu
            scaled = np.where(km, err / s, err) if any_mult else err
            level = base + alpha * scaled
            trend = damped + beta * scaled
            ring[j] = s + gamma * (np.where(km, err / base, err) if any_mult else err)
        # Losses after the pass: running sums over time (the same additions, in the same order).
        if mus is not None:
            rel = errs / mus
            squares = np.where(mult_error, rel * rel, errs * errs)
            logs = np.where(mult_error, np.log(np.abs(mus)), 0.0)
        else:
            squares, logs = errs * errs, None
    sse_run = np.cumsum(squares, axis=0)
    slog_run = np.cumsum(logs, axis=0) if logs is not None else None
    cut = min(n0, n)
    zeros = np.zeros(len(alpha))
    sse0 = sse_run[cut - 1] if cut else zeros
    slog0 = (slog_run[cut - 1] if cut else zeros) if slog_run is not None else zeros
    sse = sse_run[-1] if n else zeros
    slog = slog_run[-1] if slog_run is not None and n else zeros
    states.append((level, trend, ring))
    return (sse0, slog0), (sse, slog), states


def _loss(sse: np.ndarray, slog: np.ndarray, count: int) -> np.ndarray:
    with np.errstate(all="ignore"):
        out = count * np.log(np.maximum(sse, 1e-300) / count) + 2 * slog
    return np.where(np.isfinite(out), out, np.inf)


def _forecast_from(state, t, m, params, mult, steps: int) -> np.ndarray:
    """Give (rows, steps) forecasts from states at time t (next season index t % m)."""
    level, trend, ring = state
    alpha, beta, gamma, phi = params.T
    h = np.arange(1, steps + 1)
    damp = np.cumsum(phi[:, None] ** h[None, :], axis=1)
    base = level[:, None] + damp * trend[:, None]
    season = ring[(t + h - 1) % m].T  # (rows, steps)
    return np.where(mult[:, None], base * season, base + season)


def _backtest_from(states, n0, m, params, mult, steps: int) -> np.ndarray:
    """Give (rows, origins, steps) forecasts from the states before each origin n0, n0 + 1, ..."""
    level = np.stack([st[0] for st in states], axis=1)  # (rows, origins)
    trend = np.stack([st[1] for st in states], axis=1)
    rings = np.stack([st[2] for st in states], axis=0)  # (origins, m, rows)
    phi = params[:, 3]
    h = np.arange(1, steps + 1)
    damp = np.cumsum(phi[:, None] ** h[None, :], axis=1)  # (rows, steps)
    base = level[:, :, None] + damp[:, None, :] * trend[:, :, None]
    positions = (n0 + np.arange(len(states))[:, None] + h[None, :] - 1) % m  # (origins, steps)
    season = np.take_along_axis(rings, positions[:, :, None], axis=1).transpose(2, 0, 1)
    return np.where(mult[:, None, None], base * season, base + season)


def fit_ets_family(
    y: np.ndarray, m: int, specs: list[EtsSpec], n0: int, steps: int, horizon: int
) -> list[EtsFit]:
    """Give each ETS form fitted on y[:n0] (backtest) and on all of y (final forecast).

    Backtest rows are one-pass forecasts from every origin n0..n-1 with the parameters
    estimated before n0; the final forecast uses parameters estimated on the whole history.
    The parameters are searched with heuristic starts, then every form (multiplicative ones
    included) gets the starts that minimise its loss for those parameters.
    """
    n = len(y)
    count = len(specs)
    heuristic = [_initial_states(y, m, s) for s in specs]
    starts = [list(heuristic), list(heuristic)]  # per window (backtest, full), per form

    flags = np.array(
        [
            (sp.trend != "N", sp.trend == "Ad", sp.season != "N", sp.season == "M", sp.error == "M")
            for sp in specs
        ]
    )

    def population(units: list[np.ndarray], window: int):
        sizes = [len(u) for u in units]
        rows = np.repeat(flags, sizes, axis=0)
        params = _param_rows(np.concatenate(units), rows[:, 0], rows[:, 1], rows[:, 2])
        init = starts[window]
        lv = np.repeat([float(s[0]) for s in init], sizes)
        tr = np.repeat([float(s[1]) for s in init], sizes)
        rg = np.repeat(np.stack([np.asarray(s[2], dtype=float) for s in init], axis=1), sizes, 1)
        return [params, rows[:, 3].copy(), rows[:, 4].copy(), lv, tr, rg]

    def run(units0, units1):
        """Give per-form (best unit, loss) on each window; units1 None shares the rows."""
        parts = [population(units0, 0)]
        if units1 is not None:
            parts.append(population(units1, 1))
        params, km, me, lv, tr, rg = (
            np.concatenate([p[k] for p in parts], axis=-1 if k == 5 else 0) for k in range(6)
        )
        (s0, l0), (s1, l1), _ = _filter(y, m, params, km, me if me.any() else None, lv, tr, rg, n0)
        loss0, loss1 = _loss(s0, l0, n0), _loss(s1, l1, n)
        offset1 = 0 if units1 is None else sum(len(u) for u in units0)
        units1 = units0 if units1 is None else units1
        out0, out1 = [], []
        pos0 = pos1 = 0
        for i in range(count):
            size0, size1 = len(units0[i]), len(units1[i])
            k0 = int(np.argmin(loss0[pos0 : pos0 + size0]))
            k1 = int(np.argmin(loss1[offset1 + pos1 : offset1 + pos1 + size1]))
            out0.append((units0[i][k0], float(loss0[pos0 + k0])))
            out1.append((units1[i][k1], float(loss1[offset1 + pos1 + k1])))
            pos0, pos1 = pos0 + size0, pos1 + size1
        return out0, out1

    def restart(best0, best1):
        jobs = [
            StartJob(spec, _params(spec, best[i][0][None, :])[0], starts[window][i], cut)
            for window, best, cut in ((0, best0, n0), (1, best1, n))
            for i, spec in enumerate(specs)
        ]
        refined = refine_starts(y, m, jobs, rounds=2)
        for k, start in enumerate(refined):
            starts[k // count][k % count] = start

    # Stage 1: a quasi-random cover of the parameter box (shared by both windows); stages 2-3:
    # shrinking boxes around the best point of each window; then the best starts for the best
    # parameters, and the losses (for AICc) with those starts. (Refreshing the starts between
    # stages as well doubled the time for no gain on the dev sets.)
    best0, best1 = run([_STAGE1] * count, None)
    for width in (0.12, 0.035):
        units0 = [np.vstack([b[0], b[0] + width * _STAGE2]) for b in best0]
        units1 = [np.vstack([b[0], b[0] + width * _STAGE2]) for b in best1]
        best0, best1 = run(units0, units1)
    restart(best0, best1)

    # Final pass: two rows per form (backtest parameters and starts, final ones), with states,
    # and the losses (for AICc) with the refined starts.
    rows0 = population([b[0][None, :] for b in best0], 0)
    rows1 = population([b[0][None, :] for b in best1], 1)
    params, km, me, lv, tr, rg = (
        np.stack([a, b], axis=1).reshape(-1, *a.shape[1:])
        if k != 5
        else np.stack([a, b], axis=2).reshape(a.shape[0], -1)
        for k, (a, b) in enumerate(zip(rows0, rows1))
    )
    (s0, l0), (s1, l1), states = _filter(
        y, m, params, km, me if me.any() else None, lv, tr, rg, n0, record_from=n0
    )
    loss0, loss1 = _loss(s0, l0, n0)[0::2], _loss(s1, l1, n)[1::2]
    best0 = [(b[0], float(v)) for b, v in zip(best0, loss0)]
    best1 = [(b[0], float(v)) for b, v in zip(best1, loss1)]
    back = _backtest_from(states[:-1], n0, m, params, km, steps)  # (rows, origins, steps)
    final = _forecast_from(states[-1], n, m, params, km, horizon)
    fits = []
    for i, spec in enumerate(specs):
        k = spec.n_params + (m - 1 if spec.season != "N" else 0)
        aicc = best1[i][1] + 2 * k + (2 * k * (k + 1) / max(n - k - 1, 1))
        aicc0 = best0[i][1] + 2 * k + (2 * k * (k + 1) / max(n0 - k - 1, 1))
        fits.append(
            EtsFit(
                spec=spec,
                backtest=back[2 * i],
                forecast=final[2 * i + 1],
                aicc=aicc,
                aicc_backtest=aicc0,
                description=describe_ets(spec, params[2 * i + 1], m),
            )
        )
    return fits


_TREND_WORDS = {"N": "No trend", "A": "Additive trend", "Ad": "Damped additive trend"}
_SEASON_WORDS = {"N": "no season", "A": "additive", "M": "multiplicative"}


def describe_ets(spec: EtsSpec, params: np.ndarray, m: int) -> str:
    """Give the model and its parameters in words."""
    alpha, beta, gamma, phi = (float(v) for v in params)
    season = _SEASON_WORDS[spec.season]
    if spec.season != "N":
        season += " yearly season" if m in (4, 12) else f" season of {m}"
    parts = [f"alpha {alpha:.2f}"]
    if spec.trend != "N":
        parts.append(f"beta {beta:.2f}")
    if spec.season != "N":
        parts.append(f"gamma {gamma:.2f}")
    if spec.trend == "Ad":
        parts.append(f"phi {phi:.2f}")
    error = "multiplicative" if spec.error == "M" else "additive"
    return (
        f"{_TREND_WORDS[spec.trend]}, {season}, {error} errors ({', '.join(parts)}) — {spec.code}"
    )
