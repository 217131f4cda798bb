"""Smoke test of the packaged app: skipped unless ``make package`` has built dist/cfodesk.

CI does not build the package (it takes minutes), so this runs on a developer's machine after
``make package``: the frozen executable makes the sample report headless and the report is
checked like the CLI's.
"""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
EXE = ROOT / "dist" / "cfodesk" / ("cfodesk.exe" if sys.platform == "win32" else "cfodesk")

pytestmark = pytest.mark.skipif(not EXE.exists(), reason="packaged app not built (make package)")


def _env(tmp_path: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(QT_QPA_PLATFORM="offscreen", CFODESK_HOME=str(tmp_path / "home"))
    return env


def test_frozen_demo_writes_the_report(tmp_path: Path) -> None:
    out = tmp_path / "demo"
    done = subprocess.run(
        [str(EXE), "demo", "--out", str(out), "--progress", "none"],
        env=_env(tmp_path), capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    data = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert data["schema_version"] >= 1 and data["forecast_summary"]
    # A model whose module is missing from the bundle does not crash the report: its series
    # fall back to seasonal naive. The sample data forecasts without any fallback.
    assert data["forecast_summary"]["accuracy"]["fallbacks"] == 0
    with open(out / "forecasts.csv", newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    assert rows[0] == ["level", "segment", "metric", "date", "forecast", "lower_80", "upper_80",
                       "lower_95", "upper_95", "model"]  # fmt: skip
    assert len(rows) > 100
    for name in ("report.xlsx", "report.html", "report.pdf"):
        assert (out / name).stat().st_size > 10_000, name
    assert list((out / "charts").glob("forecast_*.png"))


def test_frozen_bad_input_exits_2(tmp_path: Path) -> None:
    bad = tmp_path / "empty.csv"
    bad.write_text("just words\n")
    done = subprocess.run(
        [str(EXE), "report", str(bad), "--out", str(tmp_path / "out"), "--progress", "none"],
        env=_env(tmp_path), capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 2
    assert "Traceback" not in done.stderr


def test_frozen_window_starts_offscreen(tmp_path: Path) -> None:
    env = _env(tmp_path)
    env["CFODESK_EXIT_AFTER_SHOW"] = "1"
    done = subprocess.run([str(EXE)], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "window-shown" in done.stdout
