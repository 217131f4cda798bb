"""What runs inside a worker process: one BLAS thread, then forecasts for a chunk of series.

Kept free of pandas and statsmodels so that a spawned worker starts in well under a second.
The chunk function is pure and picklable, so any ``concurrent.futures``-style executor (a
``dask.distributed`` client included) can map it over chunks.
"""

from __future__ import annotations

import os
from typing import Any

__all__ = ["THREAD_VARIABLES", "init_worker", "warm_up", "forecast_chunk"]

#: Environment variables that cap the numeric libraries' thread pools.
THREAD_VARIABLES = (
    "OMP_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "MKL_NUM_THREADS",
    "VECLIB_MAXIMUM_THREADS",
    "NUMEXPR_NUM_THREADS",
)

_progress_queue: Any = None
_thread_limits: Any = None


def init_worker(progress_queue: Any = None) -> None:
    """Limit the worker to one numeric thread and remember where to report finished series."""
    global _progress_queue, _thread_limits
    for name in THREAD_VARIABLES:
        os.environ[name] = "1"
    _progress_queue = progress_queue
    try:
        from threadpoolctl import threadpool_limits

        _thread_limits = threadpool_limits(limits=1)
    except Exception:  # noqa: BLE001 - thread capping is an optimisation, never a failure
        _thread_limits = None


def warm_up() -> None:
    """Import the fitting code now, so the first chunk does not pay for it."""
    from . import select  # noqa: F401


def forecast_chunk(
    positions: list[int],
    values: Any,
    season_length: int,
    horizon: int,
    nonnegative: list[bool | None],
) -> list[Any]:
    """Give the base forecast (a ``SeriesForecast``) of each row of ``values``, in order.

    A series whose forecasting raises anything falls back to seasonal naive and is flagged;
    the chunk itself never fails because of one series.
    """
    from .select import fallback_series, forecast_series

    out = []
    for position, row, nonneg in zip(positions, values, nonnegative):
        try:
            result = forecast_series(row, season_length, horizon, nonneg)
        except Exception as exc:  # noqa: BLE001 - one bad series must not sink the report
            result = fallback_series(
                row, season_length, horizon, nonneg, f"{type(exc).__name__}: {exc}"
            )
        out.append(result)
        if _progress_queue is not None:
            _progress_queue.put(position)
    return out
