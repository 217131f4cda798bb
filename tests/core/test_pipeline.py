"""run_report driven by a recording callback: the progress contract, cancel, errors, output."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import psutil
import pytest

from cfodesk.config import ReportConfig
from cfodesk.errors import CfoDeskError
from cfodesk.history import HistoryStore
from cfodesk.pipeline import run_report
from cfodesk.progress import STAGE_IDS, Cancelled, CancelToken, ProgressEvent

FAST = ReportConfig(jobs=1, formats=("json", "csv"))


def _assert_contract(events: list[ProgressEvent], stages: tuple[str, ...], final: str) -> None:
    fractions = [e.fraction for e in events]
    back = [(a, b) for a, b in zip(events, events[1:]) if b.fraction < a.fraction]
    assert not back, f"the bar went backwards: {back[:1]}"
    assert all(0.0 <= f <= 1.0 for f in fractions)
    assert [e.state for e in events[:-1]] == ["running"] * (len(events) - 1)
    assert events[-1].state == final
    order = list(dict.fromkeys(e.stage for e in events))
    assert order == list(stages[: len(order)])
    stamps = [e.elapsed_s for e in events]
    gaps = [b - a for a, b in zip(stamps, stamps[1:])]
    assert max(gaps) <= 0.5, f"silent for {max(gaps):.2f} s"
    assert len({e.run_id for e in events}) == 1


def test_full_run_reports_every_stage_in_order(records_csv: Path, tmp_path: Path) -> None:
    events: list[ProgressEvent] = []
    history = HistoryStore(tmp_path / "h.sqlite3")
    out = tmp_path / "report"
    config = ReportConfig(jobs=1, formats=("json", "csv", "html"))
    report = run_report([records_csv], config, events.append, out_dir=out, history=history)
    _assert_contract(events, STAGE_IDS, "done")
    assert [s for s in dict.fromkeys(e.stage for e in events)] == list(STAGE_IDS)
    assert events[-1].fraction == 1.0
    forecast_items = [e for e in events if e.stage == "forecast" and e.item]
    assert forecast_items and "Forecasting" in forecast_items[-1].message
    assert (out / "report.json").is_file() and (out / "forecasts.csv").is_file()
    assert (out / "report.html").is_file() and list((out / "charts").glob("*.png"))
    assert set(report.stage_durations) >= set(STAGE_IDS[:-1])
    [run] = history.list_runs()
    assert run.state == "done" and run.output_dir == str(out.resolve())
    assert history.events(run.run_id)[-1].fraction == 1.0
    assert history.stage_rates()["forecast"][0] > 0


def test_data_only_formats_skip_the_charts_stage(records_csv: Path, tmp_path: Path) -> None:
    events: list[ProgressEvent] = []
    run_report([records_csv], FAST, events.append, out_dir=tmp_path / "out")
    stages = tuple(s for s in STAGE_IDS if s != "charts")
    _assert_contract(events, stages, "done")
    assert {e.stage_count for e in events} == {len(stages)}
    assert not (tmp_path / "out" / "charts").exists()


def test_without_an_output_folder_nothing_is_written(records_csv: Path, tmp_path: Path) -> None:
    events: list[ProgressEvent] = []
    before = set(tmp_path.iterdir())
    report = run_report([records_csv], FAST, events.append)
    _assert_contract(events, STAGE_IDS[:-2], "done")
    assert set(tmp_path.iterdir()) == before
    assert report.forecast is not None and len(report.panel) > 0


@pytest.mark.parametrize("stage", ["load", "forecast", "anomalies", "write"])
def test_cancel_takes_effect_quickly_and_leaves_nothing(
    stage: str, make_records_csv, tmp_path: Path
) -> None:
    source = make_records_csv(years=5, regions=("A", "B", "C"), departments=("X", "Y", "Z"))
    cancel = CancelToken()
    events: list[ProgressEvent] = []
    asked: list[float] = []

    def on_progress(event: ProgressEvent) -> None:
        events.append(event)
        if event.stage == stage and not asked:
            asked.append(time.monotonic())
            cancel.cancel()

    out = tmp_path / "report"
    config = ReportConfig(jobs=2, formats=("json", "csv", "xlsx"))
    with pytest.raises(Cancelled):
        run_report([source], config, on_progress, cancel, out_dir=out)
    took = time.monotonic() - asked[0]
    assert took < 0.5, f"cancel took {took:.2f} s"
    _assert_contract(events, tuple(s for s in STAGE_IDS if s != "charts"), "cancelled")
    assert not out.exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".report")] == []
    deadline = time.monotonic() + 2
    while _worker_processes() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _worker_processes() == []


def _worker_processes() -> list[psutil.Process]:
    """Child processes doing work (multiprocessing's shared resource tracker is not one)."""
    found = []
    for child in psutil.Process().children(recursive=True):
        try:
            if "resource_tracker" not in " ".join(child.cmdline()):
                found.append(child)
        except psutil.NoSuchProcess:
            continue
    return found


def test_cancel_from_another_thread(records_csv: Path) -> None:
    cancel = CancelToken()
    started = threading.Event()
    outcome: list[BaseException] = []

    def on_progress(event: ProgressEvent) -> None:
        if event.stage == "kpis":
            started.set()

    def work() -> None:
        try:
            run_report([records_csv], FAST, on_progress, cancel)
        except BaseException as exc:  # noqa: BLE001 - the test inspects it
            outcome.append(exc)

    thread = threading.Thread(target=work)
    thread.start()
    assert started.wait(30)
    cancel.cancel()
    thread.join(5)
    assert not thread.is_alive()
    assert outcome and isinstance(outcome[0], Cancelled)


def test_bad_input_fails_with_a_user_error_and_is_recorded(tmp_path: Path) -> None:
    bad = tmp_path / "notes.csv"
    bad.write_text("just some words\nand more words\n", encoding="utf-8")
    events: list[ProgressEvent] = []
    history = HistoryStore(tmp_path / "h.sqlite3")
    with pytest.raises(CfoDeskError) as info:
        run_report([bad], FAST, events.append, history=history, out_dir=tmp_path / "out")
    assert "notes.csv" in str(info.value)
    assert events[-1].state == "failed"
    assert not (tmp_path / "out").exists()
    [run] = history.list_runs()
    assert run.state == "failed" and "notes.csv" in (run.error or "")


def test_existing_output_folder_is_refused_before_any_work(
    records_csv: Path, tmp_path: Path
) -> None:
    out = tmp_path / "report"
    out.mkdir()
    (out / "keep.txt").write_text("mine")
    events: list[ProgressEvent] = []
    with pytest.raises(CfoDeskError, match="already exists"):
        run_report([records_csv], FAST, events.append, out_dir=out)
    assert events == [] and (out / "keep.txt").read_text() == "mine"
    run_report([records_csv], FAST, out_dir=out, overwrite=True)
    assert (out / "report.json").is_file() and not (out / "keep.txt").exists()
