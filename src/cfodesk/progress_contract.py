"""The progress contract: stage list, events, step callbacks and the cancel token.

These are the few small types the pipeline, the domain code and the views exchange; other tools
rely on them too (``--progress json`` writes :class:`ProgressEvent` s). They live apart from
:class:`~cfodesk.progress.ProgressTracker` because most of the code base needs only the contract
(domain functions take a :data:`StepCallback` and a :class:`CancelToken`, views read
:class:`ProgressEvent` s), while the tracker's bar arithmetic (stage weights, ETA, throttle,
heartbeat) is the pipeline's business alone. Import these names from :mod:`cfodesk.progress`,
which re-exports them.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass
from typing import Any, Literal, Protocol

__all__ = [
    "State",
    "STAGES",
    "STAGE_IDS",
    "STAGE_LABELS",
    "ProgressEvent",
    "ProgressCallback",
    "StepCallback",
    "CancelToken",
    "Cancelled",
    "no_progress",
    "no_step",
]

State = Literal["running", "done", "failed", "cancelled"]

#: Stage ids in order, with the label people read.
STAGES: tuple[tuple[str, str], ...] = (
    ("load", "Reading files"),
    ("validate", "Checking and cleaning data"),
    ("kpis", "Computing KPIs"),
    ("forecast", "Forecasting"),
    ("reconcile", "Reconciling segments"),
    ("anomalies", "Finding anomalies"),
    ("correlations", "Analysing drivers and correlations"),
    ("charts", "Drawing charts"),
    ("write", "Writing the report"),
)
STAGE_IDS: tuple[str, ...] = tuple(s for s, _ in STAGES)
STAGE_LABELS: dict[str, str] = dict(STAGES)


@dataclass(frozen=True)
class ProgressEvent:
    """One report of where a run is; the same keys appear in ``--progress json``."""

    run_id: str
    state: State
    stage: str
    stage_label: str
    stage_index: int
    stage_count: int
    fraction: float
    stage_fraction: float
    message: str
    item: str | None
    done: int
    total: int
    elapsed_s: float
    eta_s: float | None

    def to_json(self) -> dict[str, Any]:
        """Give the event as a JSON-ready dict."""
        data = asdict(self)
        data["fraction"] = round(self.fraction, 5)
        data["stage_fraction"] = round(self.stage_fraction, 5)
        data["elapsed_s"] = round(self.elapsed_s, 3)
        data["eta_s"] = None if self.eta_s is None else round(self.eta_s, 2)
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ProgressEvent:
        """Build an event from :meth:`to_json` output."""
        return cls(**{k: data[k] for k in cls.__dataclass_fields__})

    @property
    def finished(self) -> bool:
        """True for the last event of a run."""
        return self.state != "running"


ProgressCallback = Callable[[ProgressEvent], None]


class StepCallback(Protocol):
    """What domain code calls to report its own progress within its stage."""

    def __call__(
        self, done: int, total: int, item: str | None = None, message: str | None = None
    ) -> None: ...


def no_progress(event: ProgressEvent) -> None:
    """Ignore a progress event (the default callback)."""


def no_step(done: int, total: int, item: str | None = None, message: str | None = None) -> None:
    """Ignore a step report (the default for domain functions)."""


class Cancelled(Exception):
    """Raised inside a run when its cancel token has been set."""


class CancelToken:
    """A flag polled by the work: set it from any thread to stop a run."""

    def __init__(self) -> None:
        self._event = threading.Event()

    def cancel(self) -> None:
        """Ask the run to stop as soon as it next checks."""
        self._event.set()

    @property
    def cancelled(self) -> bool:
        """True once :meth:`cancel` has been called."""
        return self._event.is_set()

    def raise_if_cancelled(self) -> None:
        """Raise :class:`Cancelled` if the run has been asked to stop."""
        if self._event.is_set():
            raise Cancelled()

    def wait(self, timeout: float) -> bool:
        """Sleep up to ``timeout`` seconds, waking early on cancel; give whether cancelled."""
        return self._event.wait(timeout)
