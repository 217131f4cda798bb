"""run_report: the one function that turns finance exports into a report, stage by stage.

The GUI and the CLI are thin faces over it. It reports progress through a plain callback, checks
a :class:`~cfodesk.progress.CancelToken` between items, records the run in the history and, when
given an output folder, writes the report there atomically. Which stages run and how long each
is expected to take is planned in :mod:`cfodesk.stage_plan`.
"""

from __future__ import annotations

import uuid
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

from . import __version__
from .config import ReportConfig
from .errors import CfoDeskError, InputError
from .history import HistoryStore
from .model import Dataset, Panel, Report
from .progress import (
    Cancelled,
    CancelToken,
    ProgressCallback,
    ProgressEvent,
    ProgressTracker,
    StepCallback,
    no_progress,
)
from .stage_plan import DEFAULT_RATES, plan_stages, planned_stages, stage_units

__all__ = ["run_report", "new_run_id", "plan_stages", "planned_stages", "DEFAULT_RATES"]

T = TypeVar("T")


def new_run_id() -> str:
    """Give a fresh run id: sortable by time, unique."""
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    return f"{stamp}-{uuid.uuid4().hex[:6]}"


@dataclass
class _Run:
    """The mutable state of one run while it goes: tracker, history buffer, plan units."""

    run_id: str
    tracker: ProgressTracker
    cancel: CancelToken
    history: HistoryStore | None
    rates: dict[str, tuple[float, float]]
    units: dict[str, float] = field(default_factory=dict)
    pool: Any = None  # the forecast workers, started with the run so their imports overlap
    pending: deque[tuple[int, ProgressEvent]] = field(default_factory=deque)

    def stage(
        self, stage: str, work: Callable[[StepCallback], T], *, message: str | None = None
    ) -> T:
        """Run one stage's work with a step callback for its slice of the bar."""
        self.cancel.raise_if_cancelled()
        self.tracker.start_stage(stage, message=message)
        result = work(self.tracker.step)
        self.cancel.raise_if_cancelled()
        self.tracker.end_stage()
        self.flush_history()
        return result

    def replan(self, **units: float) -> None:
        self.units.update(units)
        self.tracker.replan(plan_stages(self.units, self.rates))

    def flush_history(self) -> None:
        # Events also arrive from the tracker's heartbeat thread: take them one by one.
        batch = []
        while self.pending:
            batch.append(self.pending.popleft())
        if self.history is not None and batch:
            self.history.add_events(self.run_id, batch)


def run_report(
    sources: Sequence[str | Path],
    config: ReportConfig | None = None,
    on_progress: ProgressCallback = no_progress,
    cancel: CancelToken | None = None,
    *,
    out_dir: str | Path | None = None,
    overwrite: bool = False,
    history: HistoryStore | None = None,
    run_id: str | None = None,
) -> Report:
    """Give the report on ``sources``; write it to ``out_dir`` when given.

    Raises
    ------
    CfoDeskError
        The input or options cannot be used (the message says what and where).
    Cancelled
        ``cancel`` was set; nothing was written.
    """
    from .export.atomic import StagingFolder

    config = config or ReportConfig()
    cancel = cancel or CancelToken()
    run_id = run_id or new_run_id()
    paths = [Path(s) for s in sources]
    if not paths:
        raise InputError("No input file was given", hint="Name at least one CSV or Excel file")
    # Refuse bad scenarios and a bad destination before doing any work.
    from .analytics.scenario import parse_scenario

    for text in config.scenarios:
        parse_scenario(text)
    staging = StagingFolder(out_dir, overwrite=overwrite) if out_dir is not None else None
    stages = planned_stages(config, writes=staging is not None)
    rates = dict(DEFAULT_RATES)
    if history is not None:
        rates.update(history.stage_rates())

    seq = 0
    run: _Run

    def emit(event: ProgressEvent) -> None:
        nonlocal seq
        seq += 1
        run.pending.append((seq, event))
        on_progress(event)

    tracker = ProgressTracker(run_id, emit, stages=stages)
    run = _Run(run_id, tracker, cancel, history, rates)
    input_mb = sum(p.stat().st_size for p in paths if p.is_file()) / 1e6
    guessed_series = max(20.0, input_mb * 2000)
    run.replan(**stage_units(stages, input_mb, guessed_series, config, n_metrics=10))
    if history is not None:
        history.start_run(
            run_id,
            [str(p.resolve()) for p in paths],
            config.to_json(),
            __version__,
            output_dir=str(staging.destination) if staging else None,
        )
    try:
        from .analytics.forecast.engine import POOL_MIN_SERIES, WorkerPool

        if config.jobs > 1 and guessed_series > POOL_MIN_SERIES:
            run.pool = WorkerPool(config.jobs)
        report = _run_stages(run, paths, config, staging)
    except Cancelled:
        _close(run, "cancelled", None, staging)
        raise
    except CfoDeskError as exc:
        _close(run, "failed", str(exc), staging)
        raise
    except BaseException as exc:
        _close(run, "failed", f"Internal error: {type(exc).__name__}: {exc}", staging)
        raise
    _close(run, "done", None, staging)
    return report


def _close(run: _Run, state: str, error: str | None, staging: Any) -> None:
    if run.pool is not None:
        run.pool.stop()  # already closed after a finished forecast stage; now ends a cut one
    if staging is not None and not staging.committed:
        staging.discard()
    run.tracker.finish(state, message=error or "")  # type: ignore[arg-type]
    run.flush_history()
    if run.history is not None:
        durations = run.tracker.stage_durations
        run.history.finish_run(
            run.run_id,
            state,
            output_dir=str(staging.destination)
            if staging is not None and staging.committed
            else None,
            error=error,
            stage_durations=durations if state == "done" else {},
            stage_items={s: round(u, 4) for s, u in run.units.items() if s in durations}
            if state == "done"
            else {},
        )


def _run_stages(run: _Run, paths: list[Path], config: ReportConfig, staging: Any) -> Report:
    from .analytics.panel import build_panel
    from .data import prepare_dataset
    from .data.read import read_sources

    tables = run.stage(
        "load",
        lambda step: read_sources(paths, sheet=config.sheet, on_progress=step, cancel=run.cancel),
    )

    def validate(step: StepCallback) -> tuple[Dataset, Panel]:
        dataset = prepare_dataset(
            tables, mapping=config.mapping, on_progress=step, cancel=run.cancel
        )
        step(1, 1, message="Building the segment hierarchy")
        return dataset, build_panel(dataset, config.levels)

    dataset, panel = run.stage("validate", validate)
    notes = _level_notes(config, dataset.dimensions)
    if len(panel) == 0:
        raise InputError("The data has no metric to analyse", file=paths[0])
    stages = run.tracker.stages
    run.replan(
        **stage_units(
            stages,
            run.units.get("load", 0.0),
            float(len(panel)),
            config,
            n_metrics=len(panel.metrics),
        )
    )

    kpis, drivers = run.stage("kpis", lambda step: _kpis_and_drivers(panel, step, run.cancel))
    base = run.stage("forecast", lambda step: _forecast(panel, config, step, run.cancel, run.pool))
    if run.pool is not None:
        run.pool.close()
    forecast = run.stage("reconcile", lambda step: _reconcile(panel, base, step, run.cancel))
    anomalies = run.stage("anomalies", lambda step: _anomalies(panel, forecast, step, run.cancel))
    correlations, scenarios, narrative = run.stage(
        "correlations",
        lambda step: _insights(panel, config, kpis, forecast, anomalies, drivers, step, run.cancel),
    )
    report = Report(
        run_id=run.run_id,
        created_at=datetime.now(UTC).astimezone().isoformat(timespec="seconds"),
        app_version=__version__,
        config=config,
        dataset=dataset,
        panel=panel,
        kpis=kpis,
        forecast=forecast,
        anomalies=anomalies,
        correlations=correlations,
        drivers=drivers,
        scenarios=scenarios,
        narrative=narrative,
        stage_durations=run.tracker.stage_durations,
        notes=notes,
    )
    if staging is None:
        return report
    from .export import write_exports
    from .export.charts import render_charts

    charts: list[Path] = []
    if "charts" in run.tracker.stages:
        charts = run.stage(
            "charts",
            lambda step: render_charts(report, staging.path, on_progress=step, cancel=run.cancel),
        )
    # The write stage's own duration cannot be in the report it writes; everything before is.
    report = _with_durations(report, run.tracker)
    run.stage(
        "write",
        lambda step: write_exports(
            report,
            staging.path,
            formats=config.formats,
            charts=charts,
            on_progress=step,
            cancel=run.cancel,
        ),
    )
    run.cancel.raise_if_cancelled()
    staging.commit()
    return report


def _with_durations(report: Report, tracker: ProgressTracker) -> Report:
    from dataclasses import replace

    return replace(report, stage_durations=tracker.stage_durations)


def _level_notes(config: ReportConfig, dimensions: Sequence[str]) -> tuple[str, ...]:
    notes = []
    for level in config.levels:
        needed = {
            "region": ("region",),
            "department": ("department",),
            "region/department": ("region", "department"),
        }.get(level, ())
        missing = [d for d in needed if d not in dimensions]
        if missing:
            notes.append(f"Level '{level}' skipped: the data has no {' or '.join(missing)} column")
    return tuple(notes)


def _kpis_and_drivers(panel: Panel, step: StepCallback, cancel: CancelToken) -> tuple[Any, Any]:
    from .analytics.drivers import analyse_drivers
    from .analytics.kpis import compute_kpis

    kpis = compute_kpis(panel, on_progress=step, cancel=cancel)
    step(1, 1, message="Analysing profit drivers")
    drivers = analyse_drivers(panel, cancel=cancel)
    return kpis, drivers


def _forecast(
    panel: Panel, config: ReportConfig, step: StepCallback, cancel: CancelToken, pool: Any
) -> Any:
    from .analytics.forecast.engine import forecast_panel

    return forecast_panel(
        panel,
        horizon=config.horizon,
        jobs=config.jobs,
        on_progress=step,
        cancel=cancel,
        pool=pool,
    )


def _reconcile(panel: Panel, base: Any, step: StepCallback, cancel: CancelToken) -> Any:
    from .analytics.forecast.hierarchy import reconcile

    return reconcile(panel, base, on_progress=step, cancel=cancel)


def _anomalies(panel: Panel, forecast: Any, step: StepCallback, cancel: CancelToken) -> Any:
    from .analytics.anomalies import detect_anomalies

    return detect_anomalies(panel, forecast=forecast, on_progress=step, cancel=cancel)


def _insights(
    panel: Panel,
    config: ReportConfig,
    kpis: Any,
    forecast: Any,
    anomalies: Any,
    drivers: Any,
    step: StepCallback,
    cancel: CancelToken,
) -> tuple[Any, Any, Any]:
    from .analytics.correlations import analyse_correlations
    from .analytics.narrative import build_narrative
    from .analytics.scenario import default_scenarios, parse_scenario, run_scenarios

    correlations = analyse_correlations(panel, on_progress=step, cancel=cancel)
    cancel.raise_if_cancelled()
    step(1, 1, message="Running scenarios")
    wanted = [parse_scenario(s) for s in config.scenarios] or default_scenarios(panel.metrics)
    scenarios = run_scenarios(panel, forecast, wanted)
    cancel.raise_if_cancelled()
    step(1, 1, message="Writing the summary")
    narrative = build_narrative(
        panel,
        kpis=kpis,
        forecast=forecast,
        anomalies=anomalies,
        drivers=drivers,
        scenarios=scenarios,
        frequency=panel.frequency,
    )
    return correlations, scenarios, narrative
