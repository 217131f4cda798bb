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
        positions = np.arange(m)
        rg[positions, col + 1 + positions] += eps[col : col + m]
    return dims, eps, lv, tr, rg


def _flags(jobs: list[StartJob], sizes: list[int]):
    params = np.repeat(np.array([j.params for j in jobs], dtype=float), sizes, axis=0)
    km = np.repeat([j.spec.season == "M" for j in jobs], sizes)
    me = np.repeat([j.spec.error == "M" for j in jobs], sizes)
    return params, km, me


def _pass(y, m, jobs: list[StartJob], blocks: list[tuple]) -> list[np.ndarray]:
    """Give each block's (cut, rows) one-step errors from one shared filter pass.

    ``blocks[k]`` is (level, trend, ring) rows for ``jobs[k]``, ring (m, rows).
    """
    sizes = [len(b[0]) for b in blocks]
    params, km, me = _flags(jobs, sizes)
    errors = one_step_errors(
        y[: max(j.cut for j in jobs)],
        m,
        params,
        km,
        me,
        np.concatenate([b[0] for b in blocks]),
        np.concatenate([b[1] for b in blocks]),
        np.concatenate([b[2] for b in blocks], axis=1),
    )
    out, offset = [], 0
    for job, k in zip(jobs, sizes):
        out.append(errors[: job.cut, offset : offset + k])
        offset += k
    return out


def _proposals(job: StartJob, start: Start, errors: np.ndarray, eps: np.ndarray, m: int):
    """Give candidate starts (level, trend, ring arrays, one per column) from a perturbed block.

    One candidate for additive forms (the exact least-squares start), one per damping of the
    Levenberg-Marquardt step for multiplicative ones; None when the step cannot be taken.
    """
    spec = job.spec
    seasonal, mult = spec.season != "N", spec.season == "M"
    exact = not mult and spec.error == "A"
    dims = len(eps)
    if not np.all(np.isfinite(errors)):
        return None
    design = (errors[:, 1:] - errors[:, :1]) / eps
    if exact:
        steps, *_ = np.linalg.lstsq(design, -errors[:, 0], rcond=None)
        steps = steps[None, :]
    else:
        # Levenberg-Marquardt steps for a few dampings, all checked in one pass (the
        # multiplicative start is defined only up to a scale shared by level and season).
        normal = design.T @ design
        gradient = design.T @ errors[:, 0]
        diagonal = np.diag(np.diag(normal) + 1e-12)
        steps = np.array([np.linalg.solve(normal + d * diagonal, -gradient) for d in DAMPINGS])
    if not np.all(np.isfinite(steps)):
        return None
    level, trend, ring = start
    new_level = level + steps[:, 0]
    new_trend = trend + (steps[:, 1] if spec.trend != "N" else 0.0)
    new_trend = np.broadcast_to(new_trend, new_level.shape).copy()
    new_ring = ring[:, None] + steps[:, dims - m :].T if seasonal else ring[:, None]
    new_ring = np.repeat(new_ring, len(steps), axis=1) if not seasonal else new_ring
    shift = new_ring.mean(axis=0)
    if mult:
        if not np.all(shift > 0):
            return None
        new_ring, new_level, new_trend = new_ring / shift, new_level * shift, new_trend * shift
    elif seasonal:
        new_ring, new_level = new_ring - shift, new_level + shift
    return new_level, new_trend, new_ring


def refine_starts(y: np.ndarray, m: int, jobs: list[StartJob], rounds: int = 1) -> list[Start]:
    """Give, per job, the initial (level, trend, season ring) that minimise the one-step loss.

    For additive forms with fixed smoothing parameters every one-step error is linear in the
    initial states, so one filter pass over 1 + 2 + m rows (the start and a small change of each
    state) gives the design matrix of a least-squares problem with the exact best start. For
    multiplicative forms the same step is a Levenberg-Marquardt step for a few dampings, kept
    only when it lowers the loss, for up to ``rounds`` steps. All jobs share each filter pass,
    and the pass that checks a round's candidates also filters their perturbations, which are
    the next round's design if a candidate is kept.
    """
    size = float(np.mean(np.abs(y))) or 1.0
    out: list[Start] = [
        (float(j.start[0]), float(j.start[1]), np.asarray(j.start[2], dtype=float)) for j in jobs
    ]
    best: list[float] = [np.inf] * len(jobs)
    perturbed = [
        _perturbed(StartJob(j.spec, j.params, out[i], j.cut), m, size) for i, j in enumerate(jobs)
    ]
    blocks = _pass(y, m, jobs, [p[2:] for p in perturbed])
    pending = {}  # job index -> candidate starts
    for i, (job, errors, part) in enumerate(zip(jobs, blocks, perturbed)):
        if np.all(np.isfinite(errors)):
            best[i] = float(errors[:, 0] @ errors[:, 0])
        found = _proposals(job, out[i], errors, part[1], m)
        if found is None:
            continue
        if job.spec.season != "M" and job.spec.error == "A":
            out[i] = (float(found[0][0]), float(found[1][0]), found[2][:, 0].copy())
        else:
            pending[i] = found
    for round_no in range(max(rounds, 1)):
        if not pending:
            break
        more = round_no + 1 < rounds
        order = list(pending)
        rows_of, layout = [], []
        for i in order:
            level, trend, ring = pending[i]
            if more:
                # Each candidate with its perturbations: (1 + dims) rows per candidate.
                parts = [
                    _perturbed(
                        StartJob(
                            jobs[i].spec,
                            jobs[i].params,
                            (level[c], trend[c], ring[:, c]),
                            jobs[i].cut,
                        ),
                        m,
                        size,
                    )
                    for c in range(len(level))
                ]
                width = len(parts[0][2])
                rows_of.append(
                    (
                        np.concatenate([q[2] for q in parts]),
                        np.concatenate([q[3] for q in parts]),
                        np.concatenate([q[4] for q in parts], axis=1),
                    )
                )
                layout.append((width, parts[0][1]))
            else:
                rows_of.append((level, trend, ring.copy()))
                layout.append((1, None))
        checked = _pass(y, m, [jobs[i] for i in order], rows_of)
        pending = {}
        for i, rows, errors, (width, eps) in zip(order, rows_of, checked, layout):
            heads = errors[:, ::width]
            values = np.where(
                np.all(np.isfinite(heads), axis=0), np.sum(heads * heads, axis=0), np.inf
            )
            pick = int(np.argmin(values))
            if not values[pick] < best[i]:
                continue
            best[i] = float(values[pick])
            level, trend, ring = rows
            column = pick * width
            out[i] = (float(level[column]), float(trend[column]), ring[:, column].copy())
            if more:
                block = errors[:, pick * width : (pick + 1) * width]
                found = _proposals(jobs[i], out[i], block, eps, m)
                if found is not None:
                    pending[i] = found
    return out
