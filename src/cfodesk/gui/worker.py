"""The bridge between a long run and the window: a QObject living in its own QThread.

The window never waits on the work. The worker calls a plain function (by default
:func:`cfodesk.pipeline.run_report`) in its thread and turns what happens into signals, which
Qt queues to the GUI thread: ``progress`` for each :class:`~cfodesk.progress.ProgressEvent`
(they come from the pipeline thread *and* its heartbeat thread, so signals are the only way out),
then exactly one of ``finished``, ``failed`` or ``cancelled``. A cancelled run never emits
``finished``, even when the work returned before it noticed the cancel. Exceptions cross threads
as data: a :class:`~cfodesk.errors.CfoDeskError` gives its message for the user, anything else
gives "Internal error" and the traceback as details.
"""

from __future__ import annotations

import traceback
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from queue import Empty
from typing import Any

from PySide6.QtCore import QObject, Qt, QThread, Signal, Slot

from ..config import ReportConfig
from ..errors import CfoDeskError
from ..progress import Cancelled, CancelToken, ProgressEvent
from .child import (
    INTERNAL_ERROR,
    SPAWN,
    ProcessCancelToken,
    report_from_parts,
    run_report_in_child,
)

__all__ = [
    "BackgroundTask",
    "ReportWorker",
    "FunctionTask",
    "start_in_thread",
    "disconnect_task",
    "INTERNAL_ERROR",
]


class ChildFailed(Exception):
    """The report process failed; carries the message and details it sent."""

    def __init__(self, message: str, details: str) -> None:
        super().__init__(message)
        self.message, self.details = message, details


RunFunction = Callable[..., Any]


class BackgroundTask(QObject):
    """One piece of work run off the GUI thread, reporting through signals.

    Subclasses implement :meth:`work`; call :func:`start_in_thread` to run it. ``cancel()`` is
    safe from any thread: it only sets the token the work polls.
    """

    progress = Signal(object)
    finished = Signal(object)
    failed = Signal(str, str)
    cancelled = Signal()
    done = Signal()  # after any of finished/failed/cancelled: the thread may stop

    def __init__(self) -> None:
        super().__init__()
        self.token = CancelToken()
        self.thread_: QThread | None = None

    def cancel(self) -> None:
        """Ask the work to stop at its next check (thread-safe)."""
        self.token.cancel()

    def work(self) -> Any:
        """Give the result of the work (runs in the worker thread)."""
        raise NotImplementedError

    def _emit_progress(self, event: ProgressEvent) -> None:
        # Called from the pipeline and heartbeat threads: a signal is queued to the GUI thread.
        self.progress.emit(event)

    @Slot()
    def run(self) -> None:
        """Do the work and emit exactly one outcome signal."""
        try:
            result = self.work()
        except Cancelled:
            self.cancelled.emit()
        except ChildFailed as exc:
            self.failed.emit(exc.message, exc.details)
        except CfoDeskError as exc:
            if self.token.cancelled:
                self.cancelled.emit()
            else:
                self.failed.emit(str(exc), "")
        except Exception as exc:  # noqa: BLE001 - every failure must reach the user
            if self.token.cancelled:
                self.cancelled.emit()
            else:
                details = "".join(traceback.format_exception(exc))
                self.failed.emit(f"{INTERNAL_ERROR}: {exc}", details)
        else:
            if self.token.cancelled:
                self.cancelled.emit()
            else:
                self.finished.emit(result)
        finally:
            self.cleanup()  # after the outcome: the window is idle while this tidies up
            self.done.emit()

    def cleanup(self) -> None:
        """Release what the work held (runs in the worker thread, after the outcome)."""


class ReportWorker(BackgroundTask):
    """Run one report in a background thread.

    Parameters
    ----------
    sources
        Input files.
    config
        Options of the run (the user's column mapping included).
    out_dir, run_id
        Passed on to the run function; the window writes each run under its data folder.
    run_fn
        The pipeline entry point; defaults to :func:`cfodesk.pipeline.run_report`. Tests inject
        a fake to exercise the Qt wiring quickly.
    history_factory
        Builds the history store where the run happens; ``None`` records nothing.
    isolate
        Run in a child process (the default for the real pipeline): its numeric work then never
        holds the GIL the window needs to repaint. Injected run functions run in this thread.
    """

    #: Seconds a child that has sent its outcome may take to exit before it is terminated. Its
    #: work is over by then (history written, folder committed or discarded); what is left is
    #: interpreter shutdown, which can take a second and must not leave a process behind.
    CHILD_GRACE_S = 0.3

    def __init__(
        self,
        sources: Sequence[str | Path],
        config: ReportConfig | None = None,
        *,
        out_dir: str | Path | None = None,
        run_id: str | None = None,
        run_fn: RunFunction | None = None,
        history_factory: Callable[[], Any] | None = None,
        isolate: bool | None = None,
    ) -> None:
        super().__init__()
        self.isolate = run_fn is None if isolate is None else isolate
        if self.isolate:
            self.token = ProcessCancelToken()
        self._process: Any = None
        self.sources = [str(s) for s in sources]
        self.config = config or ReportConfig()
        self.out_dir = Path(out_dir) if out_dir is not None else None
        self.run_id = run_id
        self._run_fn = run_fn
        self._history_factory = history_factory

    def work(self) -> Any:
        """Give the finished :class:`~cfodesk.model.Report`."""
        if self.isolate:
            return self._work_in_child()
        run_fn = self._run_fn
        if run_fn is None:
            from ..pipeline import run_report

            run_fn = run_report
        history = self._history_factory() if self._history_factory else None
        try:
            return run_fn(
                self.sources,
                self.config,
                self._emit_progress,
                self.token,
                out_dir=self.out_dir,
                history=history,
                run_id=self.run_id,
            )
        finally:
            close = getattr(history, "close", None)
            if callable(close):
                close()

    def _work_in_child(self) -> Any:
        queue = SPAWN.Queue()
        process = SPAWN.Process(
            target=run_report_in_child,
            args=(
                queue,
                self.token,
                self.sources,
                self.config,
                self.out_dir,
                self.run_id,
                self._history_factory,
            ),
            name=f"cfodesk-report-{self.run_id or 'run'}",
        )
        self._process = process
        process.start()
        while True:
            try:
                kind, payload = queue.get(timeout=0.1)
            except Empty:
                if not process.is_alive():
                    raise ChildFailed(
                        f"{INTERNAL_ERROR}: the report process stopped unexpectedly "
                        f"(exit code {process.exitcode})",
                        "",
                    ) from None
                continue
            if kind == "progress":
                self.progress.emit(payload)
            elif kind == "finished":
                return report_from_parts(payload)
            elif kind == "cancelled":
                raise Cancelled()
            else:
                raise ChildFailed(*payload)

    def cleanup(self) -> None:
        """Wait for the child process to end (terminate it if it lingers)."""
        process, self._process = self._process, None
        if process is None or process.pid is None:  # never started (start() itself failed)
            return
        process.join(self.CHILD_GRACE_S)
        if process.is_alive():
            process.terminate()
            process.join(1.0)


class FunctionTask(BackgroundTask):
    """Run ``fn(token)`` in the background (reading files, exporting): the same four signals."""

    def __init__(self, fn: Callable[[CancelToken], Any]) -> None:
        super().__init__()
        self._fn = fn

    def work(self) -> Any:
        """Give what the function returns."""
        return self._fn(self.token)


def start_in_thread(task: BackgroundTask, parent: QObject | None = None) -> QThread:
    """Move ``task`` to a new QThread, start it and give the thread.

    The thread quits when the task is done and deletes itself afterwards; connect to the
    task's signals *before* calling this.
    """
    thread = QThread(parent)
    thread.setObjectName(f"cfodesk-{type(task).__name__}")
    task.moveToThread(thread)
    task.thread_ = thread
    thread.started.connect(task.run)
    # quit() is thread-safe: call it directly so the thread ends even while the GUI thread waits.
    task.done.connect(thread.quit, Qt.ConnectionType.DirectConnection)
    thread.start()
    return thread


def disconnect_task(task: BackgroundTask) -> None:
    """Cut every outcome and progress connection of a task being replaced."""
    for signal in (task.progress, task.finished, task.failed, task.cancelled):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # nothing was connected
            try:
                signal.disconnect()
            except (RuntimeError, TypeError):
                pass
