"""Print the packaged app's figures: folder size, cold start to window shown, sample report time.

Run after ``make package``::

    .venv/bin/python tools/package_report.py [--runs 3] [--skip-report]

Cold start is measured from launching the frozen executable to the line ``window-shown`` that the
window prints when ``CFODESK_EXIT_AFTER_SHOW=1`` (offscreen Qt, so no display is needed). The sample
report is timed end to end (``demo --out``) frozen and from source. The last line is
``package_mb=<x> cold_start_s=<y> report_frozen_s=<z> report_source_s=<w>``.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
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


def time_demo(command: list[str], home: Path) -> float:
    """Give the wall seconds of one sample report written to a fresh folder."""
    out = Path(tempfile.mkdtemp(prefix="cfodesk-demo-")) / "report"
    start = time.perf_counter()
    done = subprocess.run([*command, "demo", "--out", str(out), "--progress", "none"],
                          env=_env(home), capture_output=True, text=True, timeout=600)  # fmt: skip
    seconds = time.perf_counter() - start
    shutil.rmtree(out.parent, ignore_errors=True)
    if done.returncode != 0:
        raise SystemExit(f"demo failed ({done.returncode}): {done.stderr[-1500:]}")
    return seconds


def main() -> int:
    """Print the figures; give the exit code."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="window starts to time (default 3)")
    parser.add_argument("--skip-report", action="store_true", help="do not time the sample report")
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
        print(f"  the app's own figure (process age at first show): {starts[0][1]:.2f} s")
    frozen = source = float("nan")
    if not args.skip_report:
        frozen = time_demo([str(EXE)], home)
        source = time_demo([str(SOURCE_PYTHON), "-m", "cfodesk"], home)
        print(
            f"sample report (demo, all formats): frozen {frozen:.1f} s, from source {source:.1f} s"
        )
    shutil.rmtree(home, ignore_errors=True)
    print(f"package_mb={size:.1f} cold_start_s={walls[0]:.2f} report_frozen_s={frozen:.1f} "
          f"report_source_s={source:.1f}")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
