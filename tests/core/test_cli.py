"""The command line in subprocesses, as a script would run it: exit codes, output, Ctrl-C."""

from __future__ import annotations

import csv
import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

FORECAST_COLUMNS = [
    "level",
    "segment",
    "metric",
    "date",
    "forecast",
    "lower_80",
    "upper_80",
    "lower_95",
    "upper_95",
    "model",
]


def cfodesk(*args: str, **kwargs) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    return subprocess.run(
        [sys.executable, "-m", "cfodesk", *args],
        capture_output=True,
        text=True,
        timeout=240,
        env=env,
        **kwargs,
    )


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_report_with_json_progress(records_csv: Path, tmp_path: Path) -> None:
    digest = sha256(records_csv)
    out = tmp_path / "out"
    result = cfodesk(
        "report",
        str(records_csv),
        "--out",
        str(out),
        "--progress",
        "json",
        "--jobs",
        "1",
        "--formats",
        "json,csv",
        "--horizon",
        "6",
    )
    assert result.returncode == 0, result.stderr
    events = [json.loads(line) for line in result.stdout.splitlines()]
    assert events and events[-1]["state"] == "done"
    assert all(e["state"] == "running" for e in events[:-1])
    fractions = [e["fraction"] for e in events]
    assert fractions == sorted(fractions)
    report = json.loads((out / "report.json").read_text())
    for key in (
        "schema_version",
        "app_version",
        "inputs",
        "mapping",
        "data_quality",
        "frequency",
        "kpis",
        "forecast_summary",
        "anomalies",
        "correlations",
        "narrative",
        "run",
    ):
        assert key in report
    assert report["inputs"][0]["sha256"] == digest
    with open(out / "forecasts.csv", newline="") as handle:
        rows = list(csv.reader(handle))
    assert rows[0] == FORECAST_COLUMNS
    assert {r[3] for r in rows[1:]}.__len__() == 6  # six forecast months
    assert sha256(records_csv) == digest, "the input file was modified"
    assert "Traceback" not in result.stderr


def test_bad_input_exits_2_without_traceback(tmp_path: Path) -> None:
    bad = tmp_path / "garbage.csv"
    bad.write_bytes(bytes(range(256)) * 20)
    out = tmp_path / "out"
    result = cfodesk("report", str(bad), "--out", str(out))
    assert result.returncode == 2
    assert "garbage.csv" in result.stderr and "Traceback" not in result.stderr
    assert not out.exists()


def test_missing_file_and_bad_arguments_exit_2(tmp_path: Path, records_csv: Path) -> None:
    missing = cfodesk("report", str(tmp_path / "nope.csv"), "--out", str(tmp_path / "o"))
    assert missing.returncode == 2 and "nope.csv" in missing.stderr
    horizon = cfodesk("report", str(records_csv), "--out", str(tmp_path / "o"), "--horizon", "99")
    assert horizon.returncode == 2 and "horizon" in horizon.stderr
    levels = cfodesk("report", str(records_csv), "--out", str(tmp_path / "o"), "--levels", "city")
    assert levels.returncode == 2 and "city" in levels.stderr
    scenario = cfodesk(
        "report", str(records_csv), "--out", str(tmp_path / "o"), "--scenario", "Odd: revenue=lots"
    )
    assert scenario.returncode == 2 and "revenue=lots" in scenario.stderr
    assert not (tmp_path / "o").exists()
    assert "Traceback" not in horizon.stderr + levels.stderr + missing.stderr + scenario.stderr


def test_non_empty_out_is_refused_unless_overwrite(records_csv: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "old.txt").write_text("old")
    refused = cfodesk("report", str(records_csv), "--out", str(out), "--formats", "json")
    assert refused.returncode == 2 and "--overwrite" in refused.stderr
    assert (out / "old.txt").exists()
    done = cfodesk(
        "report",
        str(records_csv),
        "--out",
        str(out),
        "--formats",
        "json",
        "--jobs",
        "1",
        "--overwrite",
    )
    assert done.returncode == 0, done.stderr
    assert sorted(p.name for p in out.iterdir()) == ["report.json"]


def test_ctrl_c_exits_3_quickly_and_leaves_nothing(make_records_csv, tmp_path: Path) -> None:
    source = make_records_csv(years=6, regions=("A", "B", "C", "D"), departments=("X", "Y", "Z"))
    out = tmp_path / "out"
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    child = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "cfodesk",
            "report",
            str(source),
            "--out",
            str(out),
            "--progress",
            "json",
            "--jobs",
            "2",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    assert child.stdout is not None
    for line in child.stdout:
        if json.loads(line)["stage"] == "forecast":
            break
    sent = time.monotonic()
    child.send_signal(signal.SIGINT)
    last = {}
    for line in child.stdout:  # the run's own report that it stopped
        last = json.loads(line)
        if last["state"] != "running":
            break
    cancelled_after = time.monotonic() - sent
    rest, err = child.communicate(timeout=30)
    exited_after = time.monotonic() - sent
    assert last["state"] == "cancelled" and rest == ""
    assert child.returncode == 3, err
    # The contract is a second; the margin is for a loaded test machine (bench/ measures it).
    assert cancelled_after < 1.5, f"the cancelled event came {cancelled_after:.2f} s after Ctrl-C"
    assert exited_after < 5, f"the process exited {exited_after:.2f} s after Ctrl-C"
    assert "Traceback" not in err
    assert not out.exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".out")] == []


def test_history_lists_runs(records_csv: Path, tmp_path: Path) -> None:
    cfodesk(
        "report", str(records_csv), "--out", str(tmp_path / "a"), "--formats", "json", "--jobs", "1"
    )
    cfodesk("report", str(tmp_path / "missing.csv"), "--out", str(tmp_path / "b"))
    listed = cfodesk("history", "--json")
    assert listed.returncode == 0
    runs = json.loads(listed.stdout)
    assert runs[0]["state"] == "done" and runs[0]["inputs"][0].endswith("finance.csv")
    table = cfodesk("history")
    assert "finance.csv" in table.stdout and "done" in table.stdout
