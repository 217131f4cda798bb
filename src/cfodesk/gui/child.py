"""The report run in its own process, so its numeric work never holds the window's GIL.

Deliberately free of Qt: the spawned process imports only this module and the pipeline. Every
message to the window goes through one queue as ``(kind, payload)``: ``progress`` with a
:class:`~cfodesk.progress.ProgressEvent`, then exactly one of ``finished`` (the Report),
``failed`` ((message, details)) or ``cancelled``.
"""

from __future__ import annotations

import multiprocessing
import pickle
import time
import traceback
from collections.abc import Callable, Sequence
from dataclasses import fields
from pathlib import Path
from typing import Any

from ..config import ReportConfig
from ..errors import CfoDeskError
from ..progress import Cancelled, CancelToken

__all__ = [
    "ProcessCancelToken",
    "run_report_in_child",
    "report_in_parts",
    "report_from_parts",
    "INTERNAL_ERROR",
    "SPAWN",
]

INTERNAL_ERROR = "Internal error"
SPAWN = multiprocessing.get_context("spawn")


def report_in_parts(report: Any) -> list[tuple[str, bytes]]:
    """Give the report as (field, pickled value) pairs.

    The window unpickles them one at a time, so it never holds its GIL for the whole report
    at once (a large report takes a few hundred milliseconds to rebuild under load).
    """
    return [
        (f.name, pickle.dumps(getattr(report, f.name), protocol=pickle.HIGHEST_PROTOCOL))
        for f in fields(report)
    ]


def report_from_parts(parts: list[tuple[str, bytes]]) -> Any:
    """Rebuild the report from :func:`report_in_parts`, yielding the GIL between parts."""
    from ..model import Report

    values = {}
    for name, data in parts:
        values[name] = pickle.loads(data)
        time.sleep(0)  # let the GUI thread in
    return Report(**values)


class ProcessCancelToken(CancelToken):
    """A cancel token that a child process sees too (a multiprocessing event underneath)."""

    def __init__(self) -> None:
        super().__init__()
        self._event = SPAWN.Event()  # type: ignore[assignment]


def run_report_in_child(
    queue: Any,
    token: CancelToken,
    sources: Sequence[str | Path],
    config: ReportConfig,
    out_dir: str | Path | None,
    run_id: str | None,
    history_factory: Callable[[], Any] | None,
) -> None:
    """Run the report and put its progress and outcome on ``queue`` (the child's entry point)."""
    from ..pipeline import run_report

    def send(event: Any) -> None:
        queue.put(("progress", event))

    try:
        history = history_factory() if history_factory is not None else None
        report = run_report(
            sources, config, send, token, out_dir=out_dir, history=history, run_id=run_id
        )
    except Cancelled:
        queue.put(("cancelled", None))
    except CfoDeskError as exc:
        queue.put(("cancelled", None) if token.cancelled else ("failed", (str(exc), "")))
    except BaseException as exc:  # noqa: BLE001 - everything must reach the window
        details = "".join(traceback.format_exception(exc))
        queue.put(("failed", (f"{INTERNAL_ERROR}: {exc}", details)))
    else:
        if token.cancelled:
            queue.put(("cancelled", None))
        else:
            queue.put(("finished", report_in_parts(report)))
    finally:
        queue.close()
        queue.join_thread()  # flush every message before the process ends
