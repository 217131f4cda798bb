"""The run history: runs, events, calibration and runs whose process died."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from cfodesk.history import HistoryStore
from cfodesk.progress import ProgressTracker


def _events(n: int) -> list:
    collected: list = []
    tracker = ProgressTracker("r", collected.append, heartbeat=False)
    tracker.start_stage("load", total=n)
    for i in range(1, n + 1):
        tracker.step(i, n, item=f"file{i}.csv")
    tracker.finish("done")
    return collected


def test_run_lifecycle_and_events(tmp_path: Path) -> None:
    store = HistoryStore(tmp_path / "h.sqlite3")
    store.start_run("run-1", ["/data/a.csv"], {"horizon": 12}, "0.1.0")
    events = _events(3)
    store.add_events("run-1", enumerate(events, start=1))
    store.finish_run("run-1", "done", output_dir="/out", stage_durations={"load": 0.5},
                     stage_items={"load": 2})
    [run] = store.list_runs()
    assert run.state == "done" and run.output_dir == "/out" and run.inputs == ["/data/a.csv"]
    assert run.duration_s == 0.5 and run.config == {"horizon": 12}
    stored = store.events("run-1")
    assert [e.seq for e in stored] == list(range(1, len(events) + 1))
    assert stored[-1].fraction == 1.0
    # WAL mode is what lets the window read while a run writes.
    import sqlite3

    mode = sqlite3.connect(store.path).execute("PRAGMA journal_mode").fetchone()[0]
    assert mode == "wal"


def test_newest_first_and_limit(tmp_path: Path) -> None:
    store = HistoryStore(tmp_path / "h.sqlite3")
    for i in range(5):
        store.start_run(f"run-{i}", [f"{i}.csv"], {}, "0.1.0")
        store.finish_run(f"run-{i}", "failed", error=f"bad {i}")
    runs = store.list_runs(limit=3)
    assert [r.run_id for r in runs] == ["run-4", "run-3", "run-2"]
    assert runs[0].error == "bad 4"
    store.delete_run("run-4")
    assert store.get_run("run-4") is None


def test_stage_rates_come_from_finished_runs(tmp_path: Path) -> None:
    store = HistoryStore(tmp_path / "h.sqlite3")
    for i, seconds in enumerate([2.0, 4.0, 3.0]):
        store.start_run(f"r{i}", [], {}, "0.1.0")
        store.finish_run(f"r{i}", "done", stage_durations={"forecast": seconds, "write": 1.0},
                         stage_items={"forecast": 100, "write": 0})
    store.start_run("cancelled", [], {}, "0.1.0")
    store.finish_run("cancelled", "cancelled", stage_durations={"forecast": 99.0},
                     stage_items={"forecast": 1})
    rates = store.stage_rates()
    assert rates["forecast"] == (0.03, 0.0)
    assert rates["write"] == (0.0, 1.0)


def test_a_killed_run_shows_as_interrupted(tmp_path: Path) -> None:
    db = tmp_path / "h.sqlite3"
    code = (
        "import sys, time\n"
        "from cfodesk.history import HistoryStore\n"
        f"HistoryStore({str(db)!r}).start_run('victim', ['x.csv'], {{}}, '0.1.0')\n"
        "print('started', flush=True)\n"
        "time.sleep(60)\n"
    )
    child = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout is not None and child.stdout.readline().strip() == "started"
        store = HistoryStore(db)
        assert store.get_run("victim").state == "running"  # type: ignore[union-attr]
        os.kill(child.pid, signal.SIGKILL)
        child.wait(timeout=10)
    finally:
        if child.poll() is None:
            child.kill()
    deadline = time.monotonic() + 5
    while store.get_run("victim").state != "interrupted" and time.monotonic() < deadline:  # type: ignore[union-attr]
        time.sleep(0.05)
    assert store.get_run("victim").state == "interrupted"  # type: ignore[union-attr]
