"""How honest is the progress bar? Runs the sample report and prints figures.

For a full run: events per second, the longest silence, how far the bar strays from elapsed
time (|fraction - t/T|, the ideal bar being a straight line), and how good the time-left estimate
was at 25/50/75 % of the run. Then it cancels runs at several stages and prints the time from
cancel to the final "cancelled" event and to the last worker process gone.

The first run has no history; the second is calibrated from the first (as a user's second run).

Usage: python bench/progress_honesty.py [--jobs N] [FILE]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

import psutil


def _workers() -> list[psutil.Process]:
    alive = []
    for child in psutil.Process().children(recursive=True):
        try:
            if "resource_tracker" not in " ".join(child.cmdline()):
                alive.append(child)
        except psutil.NoSuchProcess:
            continue
    return alive


def full_run(source: Path, config, history) -> dict[str, float]:
    from cfodesk.pipeline import run_report

    events = []
    stamps = []

    def record(event) -> None:
        events.append(event)
        stamps.append(time.monotonic())

    t0 = time.monotonic()
    run_report([source], config, record, history=history)
    total = time.monotonic() - t0
    gaps = [b - a for a, b in zip(stamps, stamps[1:])]
    stray = max(abs(e.fraction - (s - t0) / total) for e, s in zip(events, stamps))
    eta_err = {}
    for mark in (0.25, 0.5, 0.75):
        for e, s in zip(events, stamps):
            if (s - t0) / total >= mark and e.eta_s is not None:
                eta_err[mark] = e.eta_s - (total - (s - t0))
                break
    return {
        "seconds": total,
        "events_per_s": len(events) / total,
        "max_gap_s": max(gaps),
        "max_stray": stray,
        **{f"eta_error_at_{int(k * 100)}pct_s": v for k, v in eta_err.items()},
    }


def cancel_at(source: Path, config, stage: str) -> tuple[float, float]:
    from cfodesk.pipeline import run_report
    from cfodesk.progress import Cancelled, CancelToken

    token = CancelToken()
    asked: list[float] = []
    final: list[float] = []

    def record(event) -> None:
        if event.stage == stage and not asked:
            asked.append(time.monotonic())
            token.cancel()
        if event.state == "cancelled":
            final.append(time.monotonic())

    try:
        run_report([source], config, record, token)
    except Cancelled:
        pass
    while _workers() and time.monotonic() - asked[0] < 10:
        time.sleep(0.01)
    return final[0] - asked[0], time.monotonic() - asked[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("file", nargs="?", type=Path)
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args()
    os.environ["CFODESK_HOME"] = tempfile.mkdtemp(prefix="cfodesk-bench-")
    from cfodesk.config import ReportConfig
    from cfodesk.history import HistoryStore
    from cfodesk.paths import sample_data_path

    source = args.file or sample_data_path()
    config = ReportConfig(jobs=args.jobs, formats=("json", "csv"))
    history = HistoryStore()
    for label in ("first run (no history)", "second run (calibrated)"):
        figures = full_run(source, config, history)
        print(label + ": " + "  ".join(f"{k}={v:.3f}" for k, v in figures.items()))
    for stage in ("load", "kpis", "forecast", "anomalies", "correlations"):
        to_event, to_idle = cancel_at(source, config, stage)
        print(f"cancel during {stage:<12} cancelled_event_s={to_event:.3f} idle_s={to_idle:.3f}")


if __name__ == "__main__":
    main()
