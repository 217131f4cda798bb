"""The forecast stage: base forecasts for every series, in worker processes when it pays off.

Series are cut into small chunks and mapped through an executor (a spawn process pool by
default); results come back by position, so the output does not depend on ``jobs``. Workers
report each finished series through a queue, which keeps the progress bar moving per series,
and the wait loop polls the cancel token every 0.1 s.
"""

from __future__ import annotations

import math
import multiprocessing
import os
import queue as queue_module
import time
from collections.abc import Iterator
from concurrent.futures import FIRST_COMPLETED, Executor, Future, ProcessPoolExecutor, wait
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ...metrics import metric_info
from ...model import PANDAS_FREQ, Panel, SeriesKey
from ...progress import Cancelled, CancelToken, StepCallback, no_step
from .results import TABLE_COLUMNS, ForecastResult, SeriesSummary
from .worker import THREAD_VARIABLES, forecast_chunk, init_worker, warm_up

if TYPE_CHECKING:  # the fitting code (and SciPy) loads in the workers, not in the window
    from .select import SeriesForecast

__all__ = [
    "BaseForecasts",
    "ForecastResult",
    "SeriesSummary",
    "TABLE_COLUMNS",
    "forecast_panel",
    "season_length",
    "POOL_MIN_SERIES",
    "WorkerPool",
]

#: Below this many series a process pool costs more to start than it saves.
POOL_MIN_SERIES = 30
SEASON_LENGTH = {"M": 12, "Q": 4}


def season_length(frequency: str) -> int:
    """Give the periods in a year: 12 for monthly, 4 for quarterly data."""
    return SEASON_LENGTH[frequency]


@dataclass(frozen=True, eq=False)
class BaseForecasts:
    """Unreconciled forecasts of every panel series, with their backtest records."""

    keys: tuple[SeriesKey, ...]
    frequency: str
    future: pd.DatetimeIndex
    horizon: int
    series: tuple[SeriesForecast, ...]
    nonnegative: tuple[bool, ...]
    seconds: float = 0.0

    def forecast_matrix(self) -> np.ndarray:
        """Give the point forecasts as a (series, horizon) array."""
        return np.array([s.forecast for s in self.series]).reshape(len(self.series), self.horizon)


def _nonnegative_flags(panel: Panel) -> list[bool]:
    """Known metrics say whether they can go negative; unknown ones by their whole history."""
    flags: dict[str, bool] = {}
    for metric in panel.metrics:
        info = metric_info(metric)
        if info.known:
            flags[metric] = info.nonnegative
        else:
            rows = [panel.index_of(k) for k in panel.select(metric=metric)]
            history = panel.values[rows]
            flags[metric] = bool(np.all(history[np.isfinite(history)] >= 0))
    return [flags[k.metric] for k in panel.keys]


def _message(key: SeriesKey, done: int, total: int) -> str:
    name = key.metric if key.level == "total" else f"{key.metric} · {key.segment}"
    return f"Forecasting {name} ({done} of {total})"


def forecast_panel(
    panel: Panel,
    *,
    horizon: int = 12,
    jobs: int = 1,
    on_progress: StepCallback = no_step,
    cancel: CancelToken | None = None,
    executor: Executor | None = None,
    pool: WorkerPool | None = None,
) -> BaseForecasts:
    """Give the base forecast of every series in the panel, in panel order.

    ``jobs`` > 1 uses a spawn process pool once there are more than :data:`POOL_MIN_SERIES`
    series; ``executor`` (any ``concurrent.futures`` executor, e.g. a dask client's) replaces
    the local pool; ``pool`` is a :class:`WorkerPool` started earlier (the caller closes it,
    this function stops it on cancel). Raises :class:`~cfodesk.progress.Cancelled` within about
    0.1 s of cancel.
    """
    started = time.perf_counter()
    m = season_length(panel.frequency)
    total = len(panel.keys)
    nonnegative = _nonnegative_flags(panel)
    future = pd.date_range(
        panel.periods[-1], periods=horizon + 1, freq=PANDAS_FREQ[panel.frequency]
    )[1:]
    on_progress(0, total, message=f"Forecasting {total} series")
    use_pool = executor is not None or (jobs > 1 and total > POOL_MIN_SERIES)
    if use_pool:
        series = _forecast_pooled(
            panel, m, horizon, jobs, nonnegative, on_progress, cancel, executor, pool
        )
    else:
        series = _forecast_here(panel, m, horizon, nonnegative, on_progress, cancel)
    return BaseForecasts(
        keys=panel.keys,
        frequency=panel.frequency,
        future=future,
        horizon=horizon,
        series=tuple(series),
        nonnegative=tuple(nonnegative),
        seconds=time.perf_counter() - started,
    )


def _forecast_here(panel, m, horizon, nonnegative, on_progress, cancel) -> list[SeriesForecast]:
    out: list[SeriesForecast] = []
    total = len(panel.keys)
    for i, key in enumerate(panel.keys):
        if cancel is not None:
            cancel.raise_if_cancelled()
        out.extend(forecast_chunk([i], panel.values[i : i + 1], m, horizon, [nonnegative[i]]))
        on_progress(i + 1, total, item=key.label, message=_message(key, i + 1, total))
    return out


def _chunks(total: int, jobs: int) -> list[list[int]]:
    size = max(1, min(16, math.ceil(total / (max(jobs, 1) * 8))))
    return [list(range(i, min(i + size, total))) for i in range(0, total, size)]


@contextmanager
def _one_thread_environment() -> Iterator[None]:
    """Let spawned children inherit one-thread BLAS settings before they import numpy."""
    saved = {name: os.environ.get(name) for name in THREAD_VARIABLES}
    os.environ.update({name: "1" for name in THREAD_VARIABLES})
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def _stop_pool(pool: ProcessPoolExecutor) -> None:
    """Cancel queued chunks and end the worker processes now, not after their current chunk."""
    processes = list((getattr(pool, "_processes", None) or {}).values())
    pool.shutdown(wait=False, cancel_futures=True)
    for process in processes:
        if process.is_alive():
            process.terminate()
    deadline = time.monotonic() + 0.3
    for process in processes:
        process.join(timeout=max(0.0, deadline - time.monotonic()))
        if process.is_alive():
            process.kill()
            process.join(timeout=0.1)


class WorkerPool:
    """A spawn process pool with its progress queue, startable ahead of the forecast stage.

    Spawned workers spend most of a second importing numpy and the fitting code; starting the
    pool while the data is still being read hides that. :meth:`stop` ends the workers at once
    (cancel), :meth:`close` lets them finish; both are safe to call twice.
    """

    def __init__(self, jobs: int) -> None:
        context = multiprocessing.get_context("spawn")
        self.jobs = jobs
        self.queue: Any = context.Queue()
        with _one_thread_environment():
            self.executor = ProcessPoolExecutor(
                max_workers=jobs,
                mp_context=context,
                initializer=init_worker,
                initargs=(self.queue,),
            )
            for _ in range(jobs):  # starts every worker and its imports now
                self.executor.submit(warm_up)
        self._closed = False

    def stop(self) -> None:
        """End the workers now, dropping queued work."""
        if not self._closed:
            self._closed = True
            _stop_pool(self.executor)
            self._close_queue()

    def close(self) -> None:
        """Shut the pool down after its work."""
        if not self._closed:
            self._closed = True
            self.executor.shutdown(wait=True)
            self._close_queue()

    def _close_queue(self) -> None:
        self.queue.close()
        self.queue.cancel_join_thread()


def _forecast_pooled(
    panel, m, horizon, jobs, nonnegative, on_progress, cancel, executor, pool
) -> list[SeriesForecast]:
    total = len(panel.keys)
    chunks = _chunks(total, jobs)
    own_pool: WorkerPool | None = None
    progress_queue: Any = None
    if executor is None:
        if pool is None:
            pool = own_pool = WorkerPool(jobs)
        progress_queue = pool.queue
        futures: dict[Future, list[int]] = {}
        for chunk in chunks:
            args = (chunk, panel.values[chunk], m, horizon, [nonnegative[i] for i in chunk])
            futures[pool.executor.submit(forecast_chunk, *args)] = chunk
    else:
        futures = {
            executor.submit(
                forecast_chunk, c, panel.values[c], m, horizon, [nonnegative[i] for i in c]
            ): c
            for c in chunks
        }
    results: list[SeriesForecast | None] = [None] * total
    reported = 0
    finished_series = 0
    last_key = panel.keys[0]
    pending = set(futures)
    try:
        while pending:
            if cancel is not None and cancel.cancelled:
                raise Cancelled()
            done, pending = wait(pending, timeout=0.1, return_when=FIRST_COMPLETED)
            for future in done:
                chunk = futures[future]
                for position, result in zip(chunk, future.result()):
                    results[position] = result
                finished_series += len(chunk)
                last_key = panel.keys[chunk[-1]]
            if progress_queue is not None:
                while True:
                    try:
                        position = progress_queue.get_nowait()
                    except (queue_module.Empty, OSError, ValueError):
                        break
                    reported += 1
                    last_key = panel.keys[position]
            count = min(max(reported, finished_series), total)
            on_progress(count, total, item=last_key.label, message=_message(last_key, count, total))
    except BaseException:
        if pool is not None:
            pool.stop()
        else:
            for future in pending:
                future.cancel()
        raise
    if own_pool is not None:
        own_pool.close()
    return [r for r in results if r is not None]
