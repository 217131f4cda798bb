"""Months whose combination of metrics is unusual, though no single metric is.

Features are each metric's robust residual score for the month (from the trend + season fit),
clipped so that a metric already flagged on its own does not dominate. A month is reported only
when two independent views agree, which keeps false alarms rare: its robust Mahalanobis distance
is extreme under a chi-square law (p < 1e-6), and an isolation forest (Liu, Ting & Zhou 2008, the
method of scikit-learn's IsolationForest), run on the whitened features, ranks it among the few
most isolated months of the segment. The forest is grown in numpy, all trees level by level at
once: a segment has a few hundred months at most, so one scikit-learn fit per segment (about 80 ms
of per-tree overhead) cost more than the whole robust scan of its metrics.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .stats import chi2_sf

__all__ = ["UnusualMonth", "unusual_combinations", "isolation_scores"]

#: Chi-square tail probability below which a month is a candidate.
MAX_P_VALUE = 1e-6
#: IsolationForest must rank the month within this share of the most isolated months.
TOP_SHARE = 0.05
CLIP = 4.0
#: Trees in the isolation forest (50 rank months as stably as 100 here), months per tree.
TREES = 50
SUBSAMPLE = 256


@dataclass(frozen=True)
class UnusualMonth:
    """A period index, its distance (sqrt of Mahalanobis d2) and metrics by contribution."""

    index: int
    distance: float
    contributors: tuple[str, ...]


def unusual_combinations(
    scores: dict[str, np.ndarray], already_flagged: np.ndarray, random_state: int = 0
) -> list[UnusualMonth]:
    """Give the months of one segment whose mix of metric residuals is unusual.

    Parameters
    ----------
    scores
        Metric name -> robust residual score per period (NaN where not judged).
    already_flagged
        Periods where some metric of the segment was already flagged on its own; skipped.
    """
    names = [m for m, s in scores.items() if np.isfinite(s).sum() >= 24 and np.nanstd(s) > 0]
    if len(names) < 2:
        return []
    matrix = np.column_stack([scores[m] for m in names])
    rows = np.flatnonzero(np.isfinite(matrix).all(axis=1))
    p = len(names)
    if rows.size < max(24, 6 * p):
        return []
    features = np.clip(matrix[rows], -CLIP, CLIP)
    # Covariance from months without a large move, plus a ridge: collinear metrics (gross profit
    # with revenue and cogs) must not make the inverse explode.
    calm = features[(np.abs(features) < 3).all(axis=1)]
    if calm.shape[0] < 2 * p:
        return []
    centre = np.median(features, axis=0)
    covariance = np.cov(calm - centre, rowvar=False) + 0.02 * np.eye(p)
    precision = np.linalg.inv(covariance)
    centred = features - centre
    weighted = centred @ precision
    d2 = np.einsum("ij,ij->i", weighted, centred)
    candidates = np.flatnonzero((chi2_sf(d2, p) < MAX_P_VALUE) & ~already_flagged[rows])
    if candidates.size == 0:
        return []
    # The forest sees whitened features, so a broken correlation becomes an isolated point.
    whitened = centred @ np.linalg.cholesky(precision)
    isolation = isolation_scores(whitened, random_state=random_state)
    cutoff = np.sort(isolation)[::-1][max(int(TOP_SHARE * rows.size), 2) - 1]
    found = []
    for i in candidates:
        if isolation[i] < cutoff:
            continue
        contribution = centred[i] * weighted[i]
        order = np.argsort(-contribution)
        top = tuple(names[j] for j in order[:2] if contribution[j] > 0)
        found.append(UnusualMonth(int(rows[i]), float(np.sqrt(d2[i])), top))
    return found


def isolation_scores(
    features: np.ndarray, trees: int = TREES, subsample: int = SUBSAMPLE, random_state: int = 0
) -> np.ndarray:
    """Give each row's isolation score 2^(-mean path length / c(subsample)), in (0, 1].

    Higher is more isolated (above about 0.6 stands out), as scikit-learn's
    ``-IsolationForest.score_samples``. Each tree draws ``min(subsample, rows)`` rows without
    replacement and splits on a random feature at a uniform threshold between the node's
    extremes until a node holds one row or the depth reaches log2 of the subsample.
    """
    x = np.asarray(features, dtype=float)
    n, p = x.shape
    if n == 0:
        return np.zeros(0)
    rng = np.random.default_rng(random_state)
    size = min(subsample, n)
    max_depth = int(np.ceil(np.log2(max(size, 2))))
    # One item per (tree, row); node ids are global across trees, tree t starts at node t.
    point = np.tile(np.arange(n), trees)
    node = np.repeat(np.arange(trees), n)
    if size < n:
        chosen = np.argsort(rng.random((trees, n)), axis=1)[:, :size]
        train = np.zeros((trees, n), bool)
        np.put_along_axis(train, chosen, True, axis=1)
        train = train.reshape(-1)
    else:
        train = np.ones(trees * n, bool)
    depth = np.zeros(trees * n)
    active = np.ones(trees * n, bool)  # still in a node that may split
    next_id = trees
    for level in range(max_depth + 1):
        nodes, inverse = np.unique(node[active], return_inverse=True)
        if nodes.size == 0:
            break
        items = np.flatnonzero(active)
        in_train = train[items]
        counts = np.bincount(inverse[in_train], minlength=nodes.size)
        feature = rng.integers(0, p, size=nodes.size)
        value = x[point[items], feature[inverse]]
        low = np.full(nodes.size, np.inf)
        high = np.full(nodes.size, -np.inf)
        np.minimum.at(low, inverse[in_train], value[in_train])
        np.maximum.at(high, inverse[in_train], value[in_train])
        splits = (counts > 1) & (high > low) & (level < max_depth)
        # Items in nodes that do not split stop here: depth + expected depth of their node.
        stop = ~splits[inverse]
        depth[items[stop]] += _average_path_length(counts[inverse[stop]])
        active[items[stop]] = False
        go = ~stop
        threshold = low + rng.random(nodes.size) * (high - low)
        left = value[go] <= threshold[inverse[go]]
        child = np.full(nodes.size, -1)
        child[splits] = next_id + 2 * np.arange(int(splits.sum()))
        next_id += 2 * int(splits.sum())
        moved = items[go]
        node[moved] = child[inverse[go]] + np.where(left, 0, 1)
        depth[moved] += 1.0
    mean_depth = depth.reshape(trees, n).mean(axis=0)
    return 2.0 ** (-mean_depth / _average_path_length(np.array([size]))[0])


def _average_path_length(count: np.ndarray) -> np.ndarray:
    """Give the expected depth of an unsuccessful search in a binary tree of ``count`` rows."""
    count = np.asarray(count, dtype=float)
    out = np.zeros(count.shape)
    two = count == 2
    out[two] = 1.0
    many = count > 2
    c = count[many]
    out[many] = 2.0 * (np.log(c - 1.0) + np.euler_gamma) - 2.0 * (c - 1.0) / c
    return out
