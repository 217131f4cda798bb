"""Whole-report speed: the bundled sample and a generated set four times larger.

Prints the series count, seconds per stage, total wall seconds and peak memory for
``cfodesk.pipeline.run_report`` (all metrics x all levels, every output format).

    nice .venv/bin/python bench/report_speed.py [--jobs 2]
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from pathlib import Path

# Heavy imports live inside the functions: spawned forecast workers import this script's top
# level again (as __mp_main__), and the app's own entry point (cfodesk.__main__) is light, so a
# heavy top level here would charge the workers a start-up the app does not pay.


def larger_copy(sample: Path, factor: int, target: Path) -> Path:
    """Write the sample with ``factor`` times the regions (scaled, jittered copies)."""
    import numpy as np
    import pandas as pd

    frame = pd.read_csv(sample)
    rng = np.random.default_rng(7)
    numeric = frame.select_dtypes("number").columns
    copies = []
    for k in range(factor):
        part = frame.copy()
        if k:
            part["region"] = part["region"] + f" {k + 1}"
            jitter = rng.normal(1.0, 0.03, size=(len(part), len(numeric)))
            part[numeric] = (part[numeric].to_numpy() * rng.uniform(0.6, 1.4) * jitter).round(2)
        copies.append(part)
    pd.concat(copies, ignore_index=True).to_csv(target, index=False)
    return target


def peak_mb() -> tuple[float, float]:
    """Give (this process, largest child) peak resident memory in MB."""
    scale = 1 / 1024 if sys.platform != "darwin" else 1 / 1024 / 1024
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * scale
    return own, children


def measure(label: str, source: Path, jobs: int) -> None:
    from cfodesk.config import ReportConfig
    from cfodesk.pipeline import run_report

    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        report = run_report([source], ReportConfig(jobs=jobs), out_dir=Path(tmp) / "report")
        wall = time.perf_counter() - started
    own, child = peak_mb()
    print(f"\n== {label}: {source.name} ==")
    print(f"series: {len(report.panel)}  periods: {len(report.panel.periods)}  jobs: {jobs}")
    for stage, seconds in report.stage_durations.items():
        print(f"  {stage:<13}{seconds:>8.2f} s")
    forecast_seconds = report.stage_durations.get("forecast", 0.0)
    print(
        f"forecast stage per series: {forecast_seconds / max(len(report.panel), 1):.4f} s wall "
        f"({forecast_seconds * jobs / max(len(report.panel), 1):.4f} s per series per worker)"
    )
    print(
        f"total wall: {wall:.2f} s   peak memory: main {own:.0f} MB, largest worker {child:.0f} MB"
    )
    if report.forecast is not None:
        acc = report.forecast.accuracy
        print(
            f"forecast: {report.forecast.method}; backtest coverage 80 % "
            f"{acc.get('coverage_80', 0) * 100:.1f}, 95 % {acc.get('coverage_95', 0) * 100:.1f}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args()
    from cfodesk.paths import sample_data_path

    sample = Path(sample_data_path())
    measure("bundled sample", sample, args.jobs)
    with tempfile.TemporaryDirectory() as tmp:
        big = larger_copy(sample, 4, Path(tmp) / "sample_x4.csv")
        measure("4x larger", big, args.jobs)


if __name__ == "__main__":
    main()
