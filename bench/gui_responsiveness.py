"""How responsive the window stays while a report runs, and how fast Cancel takes effect.

Runs the full sample report in the real window (offscreen) with a 10 ms QTimer heartbeat on the
GUI thread: a late tick is a stall. Then starts a second run, presses Cancel once forecasting is
under way, and times how long the window takes to be idle again (and whether any worker process
is left). The last line is exactly:

    max_stall_ms=<x> p99_stall_ms=<y> events_per_s=<z> cancel_s=<w>

Usage: ``nice python bench/gui_responsiveness.py``
"""

from __future__ import annotations

import os
import sys
import tempfile
import time


def main() -> int:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    home = tempfile.mkdtemp(prefix="cfodesk-bench-gui-")
    os.environ["CFODESK_HOME"] = home

    import numpy as np
    import psutil
    from PySide6.QtCore import Qt, QTimer
    from PySide6.QtWidgets import QApplication

    from cfodesk.gui.main_window import MainWindow
    from cfodesk.gui.theme import apply_theme
    from cfodesk.paths import sample_data_path

    app = QApplication([])
    apply_theme(app)
    window = MainWindow()
    window.resize(1280, 800)
    window.show()
    window.set_sources([sample_data_path()], {})

    ticks: list[float] = []
    heartbeat = QTimer()
    heartbeat.setTimerType(Qt.TimerType.PreciseTimer)
    heartbeat.setInterval(10)
    heartbeat.timeout.connect(lambda: ticks.append(time.perf_counter()))
    stage_at: list[tuple[float, str]] = []

    state: dict[str, float | int | str | list] = {"events": 0, "phase": "full"}
    stage_seen: list[str] = []

    def worker_processes() -> list[psutil.Process]:
        # multiprocessing's resource tracker stays for the app's life: it is not a worker.
        return [
            c
            for c in psutil.Process().children(recursive=True)
            if c.is_running()
            and c.status() != psutil.STATUS_ZOMBIE
            and "resource_tracker" not in " ".join(c.cmdline())
        ]

    def count_event(event: object) -> None:
        state["events"] = int(state["events"]) + 1
        stage_seen.append(getattr(event, "stage", ""))
        stage_at.append((time.perf_counter(), getattr(event, "stage", "")))
        if getattr(event, "state", "") == "cancelled":
            state["cancel_event_at"] = time.perf_counter()
        # Cancel mid-forecast, once series are being fitted (the costliest stage to stop).
        if (
            state["phase"] == "cancel"
            and getattr(event, "stage", "") == "forecast"
            and getattr(event, "done", 0) > 0
            and "cancel_at" not in state
        ):
            state["cancel_at"] = time.perf_counter()
            window.panel.cancel_button.click()

    def on_ended(outcome: str) -> None:
        now = time.perf_counter()
        if state["phase"] == "full":
            state["full_end"] = now
            state["full_outcome"] = outcome
            state["full_ticks"] = list(ticks)
            state["full_events"] = state["events"]
            # Let the Overview paint, then start the run that will be cancelled.
            QTimer.singleShot(300, start_cancel_run)
        else:
            state["cancel_end"] = now
            state["cancel_outcome"] = outcome
            state["workers_at_idle"] = len(worker_processes())
            QTimer.singleShot(500, finish)

    def start_cancel_run() -> None:
        state["phase"] = "cancel"
        window.start_run()

    def finish() -> None:
        left = worker_processes()
        state["workers_after_0_5s"] = len(left)
        state["left_cmdlines"] = [
            f"pid {p.pid} ppid {p.ppid()} (window {os.getpid()}) " + " ".join(p.cmdline())[:90]
            for p in left
        ]
        heartbeat.stop()
        app.quit()

    # The window re-emits each event on the GUI thread (a worker's own signal would call
    # a plain function in the worker thread).
    window.progress_shown.connect(count_event)
    window.run_ended.connect(on_ended)

    def start_full_run() -> None:
        state["full_start"] = time.perf_counter()
        ticks.append(state["full_start"])  # type: ignore[arg-type]
        heartbeat.start()
        window.start_run()

    QTimer.singleShot(200, start_full_run)
    QTimer.singleShot(600_000, app.quit)  # never hang a benchmark
    app.exec()
    window.close()

    full_ticks = np.array(state.get("full_ticks", []), dtype=float)
    gaps_ms = np.diff(full_ticks) * 1000 - 10.0
    stalls = np.clip(gaps_ms, 0, None) if len(gaps_ms) else np.array([0.0])
    duration = float(state["full_end"]) - float(state["full_start"])
    events_per_s = int(state["full_events"]) / duration if duration > 0 else 0.0
    cancel_s = float(state.get("cancel_end", np.nan)) - float(state.get("cancel_at", np.nan))
    if window.last_error:
        print("last error:", window.last_error[0][:300])
    print(
        f"full run: {state.get('full_outcome')} in {duration:.1f} s, "
        f"{state['full_events']} progress events, {len(full_ticks)} heartbeat ticks"
    )
    print(
        f"cancel run: {state.get('cancel_outcome')}, cancel pressed mid-forecast; "
        f"worker processes at idle: {state.get('workers_at_idle')}, "
        f"0.5 s later: {state.get('workers_after_0_5s')}"
    )
    if os.environ.get("CFODESK_BENCH_DETAIL"):
        worst = np.argsort(stalls)[::-1][:12]
        for i in sorted(worst):
            t = full_ticks[i + 1]
            stage = next((st for ts, st in reversed(stage_at) if ts <= t), "-")
            print(
                f"  stall {stalls[i]:6.1f} ms at {t - float(state['full_start']):6.2f} s ({stage})"
            )
        if "cancel_event_at" in state:
            print(
                f"  final cancelled event after {float(state['cancel_event_at']) - float(state['cancel_at']):.3f} s"
            )
        for line in state.get("left_cmdlines", []):
            print("  worker left 0.5 s after cancel:", line)
    print(f"stalls over 16 ms: {int((stalls > 16).sum())} of {len(stalls)} ticks")
    print(
        f"max_stall_ms={stalls.max():.1f} p99_stall_ms={np.percentile(stalls, 99):.1f} "
        f"events_per_s={events_per_s:.1f} cancel_s={cancel_s:.3f}"
    )
    return 0 if state.get("full_outcome") == "done" else 1


if __name__ == "__main__":  # the forecast pool spawns processes that re-import this file
    sys.exit(main())
