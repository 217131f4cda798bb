"""The progress tracker alone: monotonic fraction, stage order, throttle, heartbeat, ETA."""

from __future__ import annotations

import json
import time

import pytest

from cfodesk.progress import (
    STAGE_IDS,
    Cancelled,
    CancelToken,
    ProgressEvent,
    ProgressTracker,
    format_duration,
)


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_fraction_never_decreases_and_ends_at_one_with_done() -> None:
    events: list[ProgressEvent] = []
    clock = FakeClock()
    tracker = ProgressTracker(
        "r1", events.append, {"load": 1, "forecast": 8}, clock=clock, heartbeat=False
    )
    for stage in STAGE_IDS:
        tracker.start_stage(stage)
        for i in range(1, 6):
            clock.now += 0.2
            tracker.step(i, 5, item=f"item {i}")
    # A later, bigger plan must not pull the bar back.
    tracker.replan({"write": 100.0})
    tracker.finish("done")
    fractions = [e.fraction for e in events]
    assert fractions == sorted(fractions)
    assert events[-1].state == "done" and events[-1].fraction == 1.0
    assert all(e.state == "running" for e in events[:-1])
    seen = list(dict.fromkeys(e.stage for e in events))
    assert seen == list(STAGE_IDS)
    assert [e.stage_index for e in events if e.stage == "forecast"][0] == 4
    assert {e.stage_count for e in events} == {9}


def test_stage_slice_follows_expected_cost() -> None:
    events: list[ProgressEvent] = []
    tracker = ProgressTracker(
        "r",
        events.append,
        {"load": 1.0, "forecast": 9.0},
        stages=("load", "forecast"),
        clock=FakeClock(),
        heartbeat=False,
    )
    tracker.start_stage("load")
    tracker.step(1, 1)
    tracker.start_stage("forecast")
    assert events[-1].fraction == pytest.approx(0.1)


def test_throttle_limits_events_but_keeps_the_last_item() -> None:
    events: list[ProgressEvent] = []
    clock = FakeClock()
    tracker = ProgressTracker("r", events.append, clock=clock, heartbeat=False)
    tracker.start_stage("forecast", total=1000)
    for i in range(1, 1001):
        clock.now += 0.001  # 1000 items in one second
        tracker.step(i, 1000, item=f"s{i}")
    running = [e for e in events if e.stage == "forecast"]
    assert 8 <= len(running) <= 14  # about ten a second, plus start and the completed stage
    assert running[-1].done == 1000


def test_heartbeat_keeps_a_silent_stage_reporting() -> None:
    events: list[ProgressEvent] = []
    tracker = ProgressTracker("r", events.append, {"load": 2.0})
    tracker.start_stage("load")
    time.sleep(1.2)  # one long call that reports nothing
    tracker.finish("done")
    stamps = [e.elapsed_s for e in events]
    gaps = [b - a for a, b in zip(stamps, stamps[1:])]
    assert len(events) >= 4
    assert max(gaps) < 0.5
    # The clock-driven stage fraction moves but never claims the stage is over.
    load = [e.stage_fraction for e in events if e.state == "running"]
    assert load[-1] > load[0] and max(load) <= 0.9


def test_eta_appears_and_shrinks() -> None:
    events: list[ProgressEvent] = []
    clock = FakeClock()
    tracker = ProgressTracker(
        "r", events.append, {"forecast": 10.0}, stages=("forecast",), clock=clock, heartbeat=False
    )
    tracker.start_stage("forecast", total=10)
    for i in range(1, 10):
        clock.now += 1.0
        tracker.step(i, 10)
    etas = [e.eta_s for e in events if e.eta_s is not None]
    assert etas and etas[-1] < etas[0]
    assert etas[-1] == pytest.approx(1.0, abs=0.5)


def test_cancelled_finish_keeps_fraction_and_says_cancelled() -> None:
    events: list[ProgressEvent] = []
    tracker = ProgressTracker("r", events.append, clock=FakeClock(), heartbeat=False)
    tracker.start_stage("load")
    tracker.step(1, 2)
    before = events[-1].fraction
    last = tracker.finish("cancelled")
    assert last.state == "cancelled" and last.fraction == before
    assert events[-1] is last


def test_event_json_round_trip() -> None:
    events: list[ProgressEvent] = []
    clock = FakeClock()
    tracker = ProgressTracker("r", events.append, clock=clock, heartbeat=False)
    tracker.start_stage("load", total=3)
    clock.now += 0.2
    tracker.step(1, 3, item="a.csv")
    data = json.loads(json.dumps(events[-1].to_json()))
    assert set(data) == {
        "run_id",
        "state",
        "stage",
        "stage_label",
        "stage_index",
        "stage_count",
        "fraction",
        "stage_fraction",
        "message",
        "item",
        "done",
        "total",
        "elapsed_s",
        "eta_s",
    }
    assert ProgressEvent.from_json(data).item == "a.csv"


def test_cancel_token() -> None:
    token = CancelToken()
    token.raise_if_cancelled()
    token.cancel()
    assert token.cancelled
    with pytest.raises(Cancelled):
        token.raise_if_cancelled()
    assert token.wait(0.01)


@pytest.mark.parametrize(
    ("seconds", "text"), [(0.42, "0.4 s"), (12.3, "12 s"), (185, "3 min 05 s"), (None, "–")]
)
def test_format_duration(seconds: float | None, text: str) -> None:
    assert format_duration(seconds) == text


def test_clock_moves_the_bar_between_items_but_never_past_the_current_one() -> None:
    events: list[ProgressEvent] = []
    clock = FakeClock()
    tracker = ProgressTracker(
        "r", events.append, {"forecast": 10.0}, stages=("forecast",), clock=clock, heartbeat=False
    )
    tracker.start_stage("forecast", total=10)
    clock.now = 5.0
    tracker.step(0, 10)
    assert events[-1].stage_fraction == pytest.approx(0.1)  # item 1 is not done yet
    clock.now = 5.5
    tracker.step(3, 10)
    assert events[-1].stage_fraction == pytest.approx(0.4)  # clock says 55 %, item 4 caps it
    clock.now = 5.7
    tracker.step(9, 10)
    assert events[-1].stage_fraction == pytest.approx(0.9)
