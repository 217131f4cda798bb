"""Progress events, the cancel token and the tracker that turns work into an honest bar.

The pipeline owns one :class:`ProgressTracker`. Each stage gets a slice of the bar sized by its
expected cost (items times per-item seconds, calibrated from earlier runs), so the bar tracks
elapsed time instead of jumping. Domain code never sees the tracker: it gets a plain
:data:`StepCallback` ``(done, total, item=None, message=None)`` for its own stage.

Events are throttled here, at the source (about ten a second), and a heartbeat thread re-emits
the current state so a run is never silent for more than half a second, even inside one long call.

The contract types themselves (stages, events, callbacks, cancel token) are defined in
:mod:`cfodesk.progress_contract` and re-exported here, so everything imports from this module.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace

from .progress_contract import (
    STAGE_IDS,
    STAGE_LABELS,
    STAGES,
    Cancelled,
    CancelToken,
    ProgressCallback,
    ProgressEvent,
    State,
    StepCallback,
    no_progress,
    no_step,
)

__all__ = [
    "STAGES",
    "STAGE_IDS",
    "STAGE_LABELS",
    "ProgressEvent",
    "ProgressCallback",
    "StepCallback",
    "CancelToken",
    "Cancelled",
    "ProgressTracker",
    "no_progress",
    "no_step",
    "format_duration",
]

THROTTLE_S = 0.1
HEARTBEAT_S = 0.25


def format_duration(seconds: float | None) -> str:
    """Give a duration the way people say it: '0.4 s', '12 s', '3 min 05 s'."""
    if seconds is None or not math.isfinite(seconds):
        return "–"
    if seconds < 10:
        return f"{seconds:.1f} s"
    if seconds < 60:
        return f"{seconds:.0f} s"
    minutes, secs = divmod(int(round(seconds)), 60)
    if minutes < 60:
        return f"{minutes} min {secs:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"


@dataclass
class _StageState:
    stage: str
    index: int
    started: float
    expected_s: float
    start_fraction: float
    share: float  # of the whole bar
    done: int = 0
    total: int = 0
    item: str | None = None
    message: str = ""
    complete: bool = False


class ProgressTracker:
    """Turn stage starts and item counts into throttled, monotonic :class:`ProgressEvent` s.

    Parameters
    ----------
    run_id
        Identifies the run in every event.
    on_progress
        Receives events; called from the pipeline thread or the heartbeat thread, never both at
        once.
    expected_s
        Expected seconds per stage id (the plan); may be revised with :meth:`replan`.
    stages
        The stage ids of this run, in order.
    """

    def __init__(
        self,
        run_id: str,
        on_progress: ProgressCallback = no_progress,
        expected_s: Mapping[str, float] | None = None,
        stages: Sequence[str] = STAGE_IDS,
        clock: Callable[[], float] = time.monotonic,
        heartbeat: bool = True,
    ) -> None:
        self.run_id = run_id
        self.stages = tuple(stages)
        self._on_progress = on_progress
        self._clock = clock
        self._expected = {s: 1.0 for s in self.stages}
        if expected_s:
            self.replan(expected_s)
        self._lock = threading.RLock()
        self._t0 = clock()
        self._fraction = 0.0
        self._current: _StageState | None = None
        self._last_emit = -math.inf
        self._last_event: ProgressEvent | None = None
        self._durations: dict[str, float] = {}
        self._planned_finished = 0.0  # expected seconds of the stages already finished
        self._items: dict[str, int] = {}
        self._closed = False
        self._stop = threading.Event()
        self._heartbeat: threading.Thread | None = None
        if heartbeat:
            self._heartbeat = threading.Thread(
                target=self._beat, name=f"progress-heartbeat-{run_id}", daemon=True
            )
            self._heartbeat.start()

    # -- plan -----------------------------------------------------------------------------
    def replan(self, expected_s: Mapping[str, float]) -> None:
        """Revise the expected seconds of stages not yet finished (the bar never goes back)."""
        for stage, seconds in expected_s.items():
            if stage in self._expected and stage not in getattr(self, "_durations", {}):
                self._expected[stage] = max(float(seconds), 1e-3)

    @property
    def stage_durations(self) -> dict[str, float]:
        """Seconds each finished stage took."""
        return dict(self._durations)

    @property
    def stage_items(self) -> dict[str, int]:
        """Item count each finished stage reported (0 when it had none)."""
        return dict(self._items)

    @property
    def elapsed_s(self) -> float:
        """Seconds since the run started."""
        return self._clock() - self._t0

    # -- stages ---------------------------------------------------------------------------
    def start_stage(self, stage: str, total: int = 0, message: str | None = None) -> None:
        """Begin a stage; ``total`` is its item count when known."""
        with self._lock:
            if self._current is not None:
                self._end_current()
            index = self.stages.index(stage)
            remaining = self.stages[index:]
            remaining_expected = sum(self._expected[s] for s in remaining)
            share = (1.0 - self._fraction) * self._expected[stage] / max(remaining_expected, 1e-9)
            self._current = _StageState(
                stage=stage,
                index=index,
                started=self._clock(),
                expected_s=self._expected[stage],
                start_fraction=self._fraction,
                share=share,
                total=max(int(total), 0),
                message=message or STAGE_LABELS.get(stage, stage),
            )
            self._emit(force=True)

    def step(
        self, done: int, total: int, item: str | None = None, message: str | None = None
    ) -> None:
        """Report ``done`` of ``total`` items in the current stage (a :data:`StepCallback`)."""
        with self._lock:
            cur = self._current
            if cur is None:
                return
            cur.done = max(int(done), 0)
            cur.total = max(int(total), cur.done)
            cur.item = item
            if message:
                cur.message = message
            self._emit(force=cur.total > 0 and cur.done >= cur.total)

    def end_stage(self) -> None:
        """Close the current stage: report it complete and record its duration."""
        with self._lock:
            cur = self._current
            if cur is None:
                return
            cur.complete = True
            cur.item = None
            self._emit(force=True)
            self._end_current()

    def finish(self, state: State, message: str = "") -> ProgressEvent:
        """Close the run with its final state; give the last event (always emitted)."""
        with self._lock:
            if self._current is not None and state == "done":
                self._end_current()
            elif self._current is not None:
                self._durations[self._current.stage] = self._clock() - self._current.started
            self._closed = True
            self._stop.set()
            last = self._last_event
            stage = last.stage if last else self.stages[0]
            index = self.stages.index(stage)
            shown = last.fraction if last else 0.0
            fraction = 1.0 if state == "done" else max(self._fraction, shown)
            event = ProgressEvent(
                run_id=self.run_id,
                state=state,
                stage=stage,
                stage_label=STAGE_LABELS.get(stage, stage),
                stage_index=index + 1,
                stage_count=len(self.stages),
                fraction=fraction,
                stage_fraction=1.0 if state == "done" else (last.stage_fraction if last else 0.0),
                message=message or _final_message(state, self.elapsed_s),
                item=None,
                done=last.done if last else 0,
                total=last.total if last else 0,
                elapsed_s=self.elapsed_s,
                eta_s=0.0 if state == "done" else None,
            )
            self._deliver(event)
            return event

    # -- internals --------------------------------------------------------------------------
    def _end_current(self) -> None:
        cur = self._current
        assert cur is not None
        self._durations[cur.stage] = self._clock() - cur.started
        self._planned_finished += cur.expected_s
        self._items[cur.stage] = cur.total
        self._fraction = min(1.0, cur.start_fraction + cur.share)
        self._current = None

    def _stage_fraction(self, cur: _StageState, now: float) -> float:
        if cur.complete:
            return 1.0
        by_clock = (now - cur.started) / max(cur.expected_s, 1e-3)
        if cur.total > 0:
            # Items done is the truth; between two items (a slow one, worker start-up) the clock
            # moves the bar on, but never past the item being worked on.
            done = min(1.0, cur.done / cur.total)
            ceiling = min(1.0, (cur.done + 1) / cur.total)
            return min(ceiling, max(done, min(by_clock, 0.9))) if done < 1.0 else 1.0
        # No item counts: follow the clock against the calibrated expectation, never claiming
        # the stage is over before it says so.
        return min(0.9, by_clock * 0.9)

    def _eta(self, now: float, stage_fraction: float, fraction: float) -> float | None:
        cur = self._current
        elapsed = now - self._t0
        if cur is None or elapsed < 0.3 or fraction <= 0.005:
            return None
        index = self.stages.index(cur.stage)
        planned_left = cur.expected_s * (1 - stage_fraction) + sum(
            self._expected[s] for s in self.stages[index + 1 :]
        )
        planned_done = self._planned_finished + cur.expected_s * stage_fraction
        # Scale the plan by how fast this run has really gone against it so far, trusting the
        # comparison more as more of the plan lies behind us.
        speed = elapsed / planned_done if planned_done > 0.05 else 1.0
        speed = min(max(speed, 0.25), 4.0)
        trust = planned_done / (planned_done + 4.0)
        speed = 1.0 + trust * (speed - 1.0)
        by_plan = planned_left * speed
        by_rate = elapsed * (1 - fraction) / fraction
        weight = min(fraction * 2, 1.0)  # trust the observed rate more as the run goes on
        return max(0.0, (1 - weight) * by_plan + weight * by_rate)

    def _emit(self, force: bool = False) -> None:
        now = self._clock()
        if self._closed or self._current is None:
            return
        if not force and now - self._last_emit < THROTTLE_S:
            return
        cur = self._current
        stage_fraction = self._stage_fraction(cur, now)
        fraction = min(1.0, cur.start_fraction + cur.share * stage_fraction)
        if self._last_event is not None:
            fraction = max(fraction, self._last_event.fraction)
        event = ProgressEvent(
            run_id=self.run_id,
            state="running",
            stage=cur.stage,
            stage_label=STAGE_LABELS.get(cur.stage, cur.stage),
            stage_index=cur.index + 1,
            stage_count=len(self.stages),
            fraction=fraction,
            stage_fraction=stage_fraction,
            message=cur.message,
            item=cur.item,
            done=cur.done,
            total=cur.total,
            elapsed_s=now - self._t0,
            eta_s=self._eta(now, stage_fraction, fraction),
        )
        self._last_emit = now
        self._deliver(event)

    def _deliver(self, event: ProgressEvent) -> None:
        self._last_event = event
        self._on_progress(event)

    def _beat(self) -> None:
        while not self._stop.wait(HEARTBEAT_S):
            with self._lock:
                if self._closed:
                    return
                if self._clock() - self._last_emit < HEARTBEAT_S:
                    continue
                if self._current is not None:
                    self._emit(force=True)
                elif self._last_event is not None:
                    # Between two stages: say we are still alive, with the clock up to date.
                    self._last_emit = self._clock()
                    self._deliver(replace(self._last_event, elapsed_s=self.elapsed_s))


def _final_message(state: State, elapsed: float) -> str:
    return {
        "done": f"Report ready in {format_duration(elapsed)}",
        "failed": "The run failed",
        "cancelled": "Cancelled",
        "running": "",
    }[state]
