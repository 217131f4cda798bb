"""ETS initial states: a heuristic start, then the start that minimises the one-step loss.

The refinement of every (form, window) pair of a series runs as one population: one numpy pass
over the series filters the starts of all forms and both windows (the backtest window is a
prefix of the history, so its errors are the first rows of the same pass).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["StartJob", "initial_states", "one_step_errors", "refine_starts"]

Start = tuple[float, float, np.ndarray]  # (level, trend, season ring)

#: Levenberg-Marquardt dampings tried at each step of the multiplicative start refinement.
DAMPINGS = (1e-3, 1e-1, 10.0)


@dataclass
class StartJob:
    """One start to refine: an ETS form with fixed parameters on the window y[:cut]."""

    spec: object  # EtsSpec (error, trend, season)
    params: np.ndarray  # (alpha, beta, gamma, phi)
    start: Start
    cut: int


def initial_states(y: np.ndarray, m: int, spec) -> Start:
    """Give heuristic (level, trend, season ring) from a line through the first seasons."""
    k = min(len(y), max(3 * m, 10) if spec.season != "N" else 10)
    head = y[:k]
    t = np.arange(k, dtype=float)
    slope, intercept = np.polyfit(t, head, 1) if k > 1 else (0.0, float(head[0]))
    ring = np.zeros(m) if spec.season != "M" else np.ones(m)
    if spec.season != "N":
        line = intercept + slope * t
        resid = head / np.where(line == 0, 1.0, line) if spec.season == "M" else head - line
        for j in range(m):
            ring[j] = resid[j::m].mean()
        ring = ring / ring.mean() if spec.season == "M" else ring - ring.mean()
    if spec.trend == "N":
        return (
            float(head[: max(m, 3)].mean()) if spec.season == "N" else float(intercept),
            0.0,
            ring,
        )
    return float(intercept - slope), float(slope), ring


def one_step_errors(y, m, params, mult_season, mult_error, lv, tr, rg) -> np.ndarray:
    """Give (n, rows) one-step errors (relative where ``mult_error``) of a population of starts.

    ``params`` (rows, 4) or (4,); ``mult_season``/``mult_error`` (rows,) flags; ``lv``/``tr``
    (rows,) starts and ``rg`` (m, rows) season rings (updated in place).
    """
    params = np.broadcast_to(np.asarray(params, dtype=float), (len(lv), 4))
    alpha, beta, gamma, phi = params.T
    mixed = bool(np.any(mult_season))
    rel = bool(np.any(mult_error))
    errors = np.empty((len(y), len(lv)))
    means = np.empty((len(y), len(lv))) if rel else None
    with np.errstate(all="ignore"):
        for t in range(len(y)):
            j = t % m
            s = rg[j]
            base = lv + phi * tr
            mu = np.where(mult_season, base * s, base + s) if mixed else base + s
            err = y[t] - mu
            errors[t] = err
            if rel:
                means[t] = mu
            scaled = np.where(mult_season, err / s, err) if mixed else err
            lv = base + alpha * scaled
            tr = phi * tr + beta * scaled
            rg[j] = s + gamma * (np.where(mult_season, err / base, err) if mixed else err)
        if means is not None:
            errors = np.where(mult_error, errors / means, errors)
    return errors


def _perturbed(job: StartJob, m: int, size: float):
    """Give the job's (dims, eps, level, trend, ring) rows: the start and one change per state."""
    spec = job.spec
    level, trend, ring = job.start
    seasonal = spec.season != "N"
    exact = spec.season != "M" and spec.error == "A"
    dims = 1 + (spec.trend != "N") + (m if seasonal else 0)
    eps = np.full(dims, 1.0 if exact else 1e-4 * size)
    if not exact and spec.season == "M":
        eps[dims - m :] = 1e-4
    rows = 1 + dims
    lv = np.full(rows, float(level))
    tr = np.full(rows, float(trend))
    rg = np.repeat(np.asarray(ring, dtype=float)[:, None], rows, axis=1)
    lv[1] += eps[0]
    col = 1
    if spec.trend != "N":
        tr[col + 1] += eps[col]
        col += 1
    if seasonal:
        for j in range(m):
            rg[j, col + 1 + j] += eps[col + j]
    return dims, eps, lv, tr, rg


def _flags(jobs: list[StartJob], sizes: list[int]):
    params = np.concatenate([np.repeat(j.params[None, :], k, axis=0) for j, k in zip(jobs, sizes)])
    km = np.concatenate([np.full(k, j.spec.season == "M") for j, k in zip(jobs, sizes)])
    me = np.concatenate([np.full(k, j.spec.error == "M") for j, k in zip(jobs, sizes)])
    return params, km, me


def refine_starts(y: np.ndarray, m: int, jobs: list[StartJob], rounds: int = 1) -> list[Start]:
    """Give, per job, the initial (level, trend, season ring) that minimise the one-step loss.

    For additive forms with fixed smoothing parameters every one-step error is linear in the
    initial states, so one filter pass over 1 + 2 + m rows (the start and a small change of each
    state) gives the design matrix of a least-squares problem with the exact best start. For
    multiplicative forms the same step is a Levenberg-Marquardt step for a few dampings, kept
    only when it lowers the loss. All jobs share each filter pass.
    """
    size = float(np.mean(np.abs(y))) or 1.0
    out: list[Start] = [
        (float(j.start[0]), float(j.start[1]), np.asarray(j.start[2], dtype=float)) for j in jobs
    ]
    best: list[float | None] = [None] * len(jobs)
    active = list(range(len(jobs)))
    for round_no in range(max(rounds, 1)):
        if not active:
            break
        current = [StartJob(jobs[i].spec, jobs[i].params, out[i], jobs[i].cut) for i in active]
        parts = [_perturbed(job, m, size) for job in current]
        sizes = [len(p[2]) for p in parts]
        params, km, me = _flags(current, sizes)
        errors_all = one_step_errors(
            y[: max(j.cut for j in current)],
            m,
            params,
            km,
            me,
            np.concatenate([p[2] for p in parts]),
            np.concatenate([p[3] for p in parts]),
            np.concatenate([p[4] for p in parts], axis=1),
        )
        proposals = []  # (job index, dims, candidate level/trend/ring arrays)
        offset = 0
        for i, job, (dims, eps, *_), k in zip(active, current, parts, sizes):
            errors = errors_all[: job.cut, offset : offset + k]
            offset += k
            spec = job.spec
            seasonal, mult = spec.season != "N", spec.season == "M"
            exact = not mult and spec.error == "A"
            if exact and round_no > 0:
                continue
            if not np.all(np.isfinite(errors)):
                continue
            sse = float(errors[:, 0] @ errors[:, 0])
            if best[i] is None:
                best[i] = sse
            design = (errors[:, 1:] - errors[:, :1]) / eps
            if exact:
                steps, *_ = np.linalg.lstsq(design, -errors[:, 0], rcond=None)
                steps = steps[None, :]
            else:
                normal = design.T @ design
                gradient = design.T @ errors[:, 0]
                diagonal = np.diag(np.diag(normal) + 1e-12)
                steps = np.array(
                    [np.linalg.solve(normal + damp * diagonal, -gradient) for damp in DAMPINGS]
                )
            if not np.all(np.isfinite(steps)):
                continue
            level, trend, ring = out[i]
            new_level = level + steps[:, 0]
            new_trend = trend + (steps[:, 1] if spec.trend != "N" else 0.0)
            new_trend = np.broadcast_to(new_trend, new_level.shape).copy()
            new_ring = ring[:, None] + steps[:, dims - m :].T if seasonal else ring[:, None]
            new_ring = np.repeat(new_ring, len(steps), axis=1) if not seasonal else new_ring
            shift = new_ring.mean(axis=0)
            if mult:
                if not np.all(shift > 0):
                    continue
                new_ring, new_level, new_trend = (
                    new_ring / shift,
                    new_level * shift,
                    new_trend * shift,
                )
            elif seasonal:
                new_ring, new_level = new_ring - shift, new_level + shift
            if exact:
                out[i] = (float(new_level[0]), float(new_trend[0]), new_ring[:, 0].copy())
            else:
                proposals.append((i, new_level, new_trend, new_ring))
        still = []
        if proposals:
            sizes = [len(p[1]) for p in proposals]
            params, km, me = _flags([jobs[p[0]] for p in proposals], sizes)
            check_all = one_step_errors(
                y[: max(jobs[p[0]].cut for p in proposals)],
                m,
                params,
                km,
                me,
                np.concatenate([p[1] for p in proposals]),
                np.concatenate([p[2] for p in proposals]),
                np.concatenate([p[3] for p in proposals], axis=1),
            )
            offset = 0
            for (i, new_level, new_trend, new_ring), k in zip(proposals, sizes):
                check = check_all[: jobs[i].cut, offset : offset + k]
                offset += k
                values = np.where(
                    np.all(np.isfinite(check), axis=0), np.sum(check * check, axis=0), np.inf
                )
                pick = int(np.argmin(values))
                if not values[pick] < best[i]:
                    continue
                best[i] = float(values[pick])
                out[i] = (float(new_level[pick]), float(new_trend[pick]), new_ring[:, pick].copy())
                still.append(i)
        active = still
    return out
