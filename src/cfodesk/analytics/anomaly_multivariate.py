"""Months whose combination of metrics is unusual, though no single metric is.

Features are each metric's robust residual score for the month (from the trend + season fit),
clipped so that a metric already flagged on its own does not dominate. A month is reported only
when two independent views agree, which keeps false alarms rare: its robust Mahalanobis distance
is extreme under a chi-square law (p < 1e-6), and scikit-learn's IsolationForest, run on the
whitened features, ranks it among the few most isolated months of the segment.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.stats import chi2
from sklearn.ensemble import IsolationForest

__all__ = ["UnusualMonth", "unusual_combinations"]

#: Chi-square tail probability below which a month is a candidate.
MAX_P_VALUE = 1e-6
#: IsolationForest must rank the month within this share of the most isolated months.
TOP_SHARE = 0.05
CLIP = 4.0


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
    candidates = np.flatnonzero((chi2.sf(d2, p) < MAX_P_VALUE) & ~already_flagged[rows])
    if candidates.size == 0:
        return []
    # The forest sees whitened features, so a broken correlation becomes an isolated point.
    whitened = centred @ np.linalg.cholesky(precision)
    forest = IsolationForest(n_estimators=50, random_state=random_state)
    isolation = -forest.fit(whitened).score_samples(whitened)
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
