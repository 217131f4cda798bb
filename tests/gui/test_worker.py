"""The QThread bridge: signals in order, one outcome, cancel never reports success."""

from __future__ import annotations

from typing import Any

import pytest

from cfodesk.config import ReportConfig
from cfodesk.errors import InputError
from cfodesk.gui.worker import INTERNAL_ERROR, FunctionTask, ReportWorker, start_in_thread

from .conftest import FakePipeline


class Outcomes:
    """Records every signal a task emits, in order."""

    def __init__(self, task: Any) -> None:
        self.events: list[Any] = []
        self.finished: list[Any] = []
        self.failed: list[tuple[str, str]] = []
        self.cancelled = 0
        task.progress.connect(self.events.append)
        task.finished.connect(self.finished.append)
        task.failed.connect(lambda m, d: self.failed.append((m, d)))
        task.cancelled.connect(self._on_cancelled)

    def _on_cancelled(self) -> None:
        self.cancelled += 1


def run_worker(qtbot: Any, worker: ReportWorker) -> Outcomes:
    outcomes = Outcomes(worker)
    with qtbot.waitSignal(worker.done, timeout=10_000):
        thread = start_in_thread(worker)
    thread.wait(2000)
    qtbot.wait(20)  # let queued signals land
    return outcomes


def test_progress_arrives_in_order_and_finished_once(qtbot: Any) -> None:
    fake = FakePipeline(per_item_s=0.002, items=10)
    worker = ReportWorker(["x.csv"], ReportConfig(), run_id="r1", run_fn=fake)
    outcomes = run_worker(qtbot, worker)
    fractions = [e.fraction for e in outcomes.events]
    assert len(fractions) >= 5
    assert fractions == sorted(fractions)
    assert outcomes.events[-1].state == "done"
    assert len(outcomes.finished) == 1
    assert outcomes.finished[0].run_id == "r1"
    assert outcomes.failed == [] and outcomes.cancelled == 0


def test_cancel_mid_run_never_emits_finished(qtbot: Any) -> None:
    fake = FakePipeline(per_item_s=0.05, items=50)
    worker = ReportWorker(["x.csv"], ReportConfig(), run_fn=fake)
    outcomes = Outcomes(worker)
    thread = start_in_thread(worker)
    qtbot.waitUntil(lambda: len(outcomes.events) >= 2, timeout=5000)
    with qtbot.waitSignal(worker.done, timeout=5000):
        worker.cancel()  # from the GUI thread, as the Cancel button does
    thread.wait(2000)
    qtbot.wait(20)
    assert outcomes.cancelled == 1
    assert outcomes.finished == [] and outcomes.failed == []


def test_cancel_after_the_work_returned_is_still_cancelled(qtbot: Any) -> None:
    def returns_despite_cancel(sources, config, on_progress, cancel, **kwargs):
        cancel.cancel()  # the user pressed Cancel just as the last stage ended
        return "a report"

    worker = ReportWorker(["x.csv"], run_fn=returns_despite_cancel)
    outcomes = run_worker(qtbot, worker)
    assert outcomes.cancelled == 1 and outcomes.finished == []


def test_user_error_crosses_threads_as_its_message(qtbot: Any) -> None:
    fake = FakePipeline(per_item_s=0.001, items=3, fail=InputError("No date column", file="a.csv"))
    worker = ReportWorker(["a.csv"], run_fn=fake)
    outcomes = run_worker(qtbot, worker)
    assert outcomes.failed == [("No date column (file 'a.csv')", "")]
    assert outcomes.finished == [] and outcomes.cancelled == 0


def test_internal_error_gives_traceback_details(qtbot: Any) -> None:
    fake = FakePipeline(per_item_s=0.001, items=3, fail=ZeroDivisionError("boom"))
    worker = ReportWorker(["a.csv"], run_fn=fake)
    outcomes = run_worker(qtbot, worker)
    ((message, details),) = outcomes.failed
    assert message.startswith(INTERNAL_ERROR) and "boom" in message
    assert "Traceback" in details and "ZeroDivisionError" in details


@pytest.mark.parametrize("cancel_first", [False, True])
def test_function_task_outcome(qtbot: Any, cancel_first: bool) -> None:
    def work(token):
        if cancel_first:
            token.cancel()
            token.raise_if_cancelled()
        return 42

    task = FunctionTask(work)
    outcomes = Outcomes(task)
    with qtbot.waitSignal(task.done, timeout=5000):
        thread = start_in_thread(task)
    thread.wait(2000)
    qtbot.wait(20)
    if cancel_first:
        assert outcomes.cancelled == 1 and outcomes.finished == []
    else:
        assert outcomes.finished == [42] and outcomes.cancelled == 0
