"""Print the packaged app's figures: folder size, cold start to window shown, sample report time.

Run after ``make package``::

    .venv/bin/python tools/package_report.py [--runs 3] [--skip-report]

Cold start is measured from launching the frozen executable to the line ``window-shown`` that the
window prints when ``CFODESK_EXIT_AFTER_SHOW=1`` (offscreen Qt, so no display is needed). The sample
report is timed end to end (``demo --out``) frozen and from source, alternately when
``--report-runs`` > 1 (medians printed), with each stage's seconds from ``report.json`` and the
count of series whose forecast fell back to seasonal naive (a bundle missing a module shows up
there). Timings only compare like with like when ``src/`` has not changed since the build; the
script says so when it has. The last line is
``package_mb=<x> cold_start_s=<y> report_frozen_s=<z> report_source_s=<w>``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DIST = ROOT / "dist" / "cfodesk"
EXE = DIST / ("cfodesk.exe" if sys.platform == "win32" else "cfodesk")
SOURCE_PYTHON = ROOT / ".venv" / ("Scripts/python.exe" if sys.platform == "win32" else "bin/python")


def folder_mb(folder: Path) -> float:
    """Give the size of every file under ``folder`` in MB (10^6 bytes)."""
    # Symlinks (Qt libraries are linked from the top of the bundle) would count twice.
    files = (p for p in folder.rglob("*") if p.is_file() and not p.is_symlink())
    return sum(p.stat().st_size for p in files) / 1e6


def _env(home: Path, **extra: str) -> dict[str, str]:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", CFODESK_HOME=str(home))
    env.update(extra)
    return env


def time_to_window(home: Path) -> tuple[float, float | None]:
    """Give (seconds from launch to 'window-shown', the app's own figure) for one start."""
    start = time.perf_counter()
    process = subprocess.Popen(
        [str(EXE)], env=_env(home, CFODESK_EXIT_AFTER_SHOW="1"), stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL, text=True,
    )  # fmt: skip
    assert process.stdout is not None
    reported: float | None = None
    seen = None
    for line in process.stdout:
        if line.startswith("window-shown"):
            seen = time.perf_counter() - start
            parts = line.split()
            reported = float(parts[1]) if len(parts) > 1 else None
            break
    process.wait(timeout=60)
    if seen is None:
        raise SystemExit(f"the window never reported itself shown (exit {process.returncode})")
    return seen, reported


@dataclass
class DemoRun:
    """One sample report: wall seconds, the pipeline's stage seconds, forecast fallbacks."""

    seconds: float
    stages: dict[str, float]
    fallbacks: int | None


def time_demo(command: list[str], home: Path) -> DemoRun:
    """Give the timing of one sample report written to a fresh folder."""
    out = Path(tempfile.mkdtemp(prefix="cfodesk-demo-")) / "report"
    start = time.perf_counter()
    done = subprocess.run([*command, "demo", "--out", str(out), "--progress", "none"],
                          env=_env(home), capture_output=True, text=True, timeout=600)  # fmt: skip
    seconds = time.perf_counter() - start
    try:
        if done.returncode != 0:
            raise SystemExit(f"demo failed ({done.returncode}): {done.stderr[-1500:]}")
        report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    finally:
        shutil.rmtree(out.parent, ignore_errors=True)
    stages = {k: float(v) for k, v in (report.get("run", {}).get("stage_durations") or {}).items()}
    accuracy = (report.get("forecast_summary") or {}).get("accuracy") or {}
    fallbacks = accuracy.get("fallbacks")
    return DemoRun(seconds, stages, int(fallbacks) if fallbacks is not None else None)


def stale_sources() -> list[Path]:
    """Give the source files changed after the packaged app was built."""
    built = EXE.stat().st_mtime
    return [p for p in (ROOT / "src" / "cfodesk").rglob("*.py") if p.stat().st_mtime > built]


def _median_run(runs: list[DemoRun]) -> DemoRun:
    return sorted(runs, key=lambda r: r.seconds)[(len(runs) - 1) // 2]


def _compare_reports(runs: int, home: Path) -> tuple[float, float]:
    """Time the sample report frozen and from source, alternately; print the figures."""
    frozen_runs: list[DemoRun] = []
    source_runs: list[DemoRun] = []
    for _ in range(max(1, runs)):
        frozen_runs.append(time_demo([str(EXE)], home))
        source_runs.append(time_demo([str(SOURCE_PYTHON), "-m", "cfodesk"], home))
    frozen, source = _median_run(frozen_runs), _median_run(source_runs)
    print("sample report (demo, all formats): frozen "
          + ", ".join(f"{r.seconds:.1f}" for r in frozen_runs) + " s; from source "
          + ", ".join(f"{r.seconds:.1f}" for r in source_runs) + " s")  # fmt: skip
    names = list(dict.fromkeys([*frozen.stages, *source.stages]))
    print("  stages frozen/source (s): " + ", ".join(
        f"{n} {frozen.stages.get(n, float('nan')):.1f}/{source.stages.get(n, float('nan')):.1f}"
        for n in names))  # fmt: skip
    print(f"  forecasts fallen back to seasonal naive: frozen {frozen.fallbacks}, "
          f"source {source.fallbacks}")  # fmt: skip
    if frozen.fallbacks is not None and frozen.fallbacks != source.fallbacks:
        print("  WARNING: the frozen app's forecasts differ from the source's (a module missing "
              "from the bundle?)")  # fmt: skip
    return frozen.seconds, source.seconds


def main() -> int:
    """Print the figures; give the exit code."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="window starts to time (default 3)")
    parser.add_argument("--skip-report", action="store_true", help="do not time the sample report")
    parser.add_argument("--report-runs", type=int, default=1,
                        help="sample reports to time each way, alternately (default 1)")  # fmt: skip
    args = parser.parse_args()
    if not EXE.exists():
        print(f"No packaged app at {EXE}: run `make package` first.", file=sys.stderr)
        return 2
    home = Path(tempfile.mkdtemp(prefix="cfodesk-home-"))
    size = folder_mb(DIST)
    print(f"package folder: {DIST} — {size:,.1f} MB (target <= 250 MB)")
    starts = [time_to_window(home) for _ in range(max(1, args.runs))]
    walls = [s for s, _ in starts]
    print("window shown after: " + ", ".join(f"{s:.2f} s" for s in walls)
          + f" (first {walls[0]:.2f} s, median {statistics.median(walls):.2f} s; target <= 3 s)")  # fmt: skip
    if starts[0][1] is not None:
        print(f"  the app's own figure (process age at first show): {starts[0][1]:.2f} s"
              + (" (psutil's start time is whole-second based on Linux: up to 1 s high)"
                 if sys.platform.startswith("linux") else ""))  # fmt: skip
    frozen = source = float("nan")
    if not args.skip_report:
        changed = stale_sources()
        if changed:
            print(f"  note: {len(changed)} source file(s) changed since the build (e.g. "
                  f"{changed[0].relative_to(ROOT)}); frozen and source run different code")  # fmt: skip
        frozen, source = _compare_reports(args.report_runs, home)
    shutil.rmtree(home, ignore_errors=True)
    print(f"package_mb={size:.1f} cold_start_s={walls[0]:.2f} report_frozen_s={frozen:.1f} "
          f"report_source_s={source:.1f}")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
