"""The run history: every run and its progress events, in SQLite (WAL) in the user data folder.

The history serves three readers: ``cfodesk history`` and the window's History dialog list past
runs; the window replays a run's progress timeline; and the pipeline calibrates each stage's
expected cost from the durations of earlier runs, so the bar tracks elapsed time.
A run still marked "running" whose process is gone is shown as interrupted.
"""

from __future__ import annotations

import json
import os
import socket
import sqlite3
import statistics
from collections.abc import Iterable, Mapping, Sequence
from contextlib import closing
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from .paths import user_data_dir
from .progress import ProgressEvent

__all__ = ["HistoryStore", "RunRecord", "EventRecord", "default_history_path"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    run_id TEXT PRIMARY KEY,
    started_at TEXT NOT NULL,
    finished_at TEXT,
    state TEXT NOT NULL,
    inputs TEXT NOT NULL,
    config TEXT NOT NULL,
    output_dir TEXT,
    error TEXT,
    app_version TEXT,
    pid INTEGER,
    host TEXT,
    stage_durations TEXT,
    stage_items TEXT
);
CREATE TABLE IF NOT EXISTS events (
    run_id TEXT NOT NULL REFERENCES runs(run_id) ON DELETE CASCADE,
    seq INTEGER NOT NULL,
    t REAL NOT NULL,
    stage TEXT NOT NULL,
    fraction REAL NOT NULL,
    message TEXT,
    item TEXT,
    PRIMARY KEY (run_id, seq)
);
CREATE INDEX IF NOT EXISTS runs_started ON runs(started_at);
"""


def default_history_path() -> Path:
    """Give the history database path in the user data folder."""
    return user_data_dir() / "history.sqlite3"


def _now_iso() -> str:
    return datetime.now(UTC).astimezone().isoformat(timespec="seconds")


@dataclass(frozen=True)
class RunRecord:
    """One past run as listed in the history."""

    run_id: str
    started_at: str
    finished_at: str | None
    state: str
    inputs: list[str]
    config: dict[str, Any]
    output_dir: str | None
    error: str | None
    app_version: str | None
    duration_s: float | None
    stage_durations: dict[str, float]

    def to_json(self) -> dict[str, Any]:
        """Give the record as a JSON-ready dict."""
        return dict(self.__dict__)


@dataclass(frozen=True)
class EventRecord:
    """One stored progress event of a run (``t`` is seconds since the run started)."""

    seq: int
    t: float
    stage: str
    fraction: float
    message: str | None
    item: str | None


class HistoryStore:
    """Read and write the run history; safe to use from several threads and processes."""

    def __init__(self, path: str | Path | None = None) -> None:
        self.path = Path(path) if path is not None else default_history_path()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with closing(self._connect()) as conn, conn:
            conn.execute("PRAGMA journal_mode=WAL")
            conn.executescript(_SCHEMA)

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path, timeout=10)
        conn.execute("PRAGMA foreign_keys=ON")
        conn.execute("PRAGMA synchronous=NORMAL")
        return conn

    # -- writing ------------------------------------------------------------------------------
    def start_run(
        self,
        run_id: str,
        inputs: Sequence[str],
        config: Mapping[str, Any],
        app_version: str,
        output_dir: str | None = None,
    ) -> None:
        """Record that a run has started in this process."""
        with closing(self._connect()) as conn, conn:
            conn.execute(
                "INSERT INTO runs (run_id, started_at, state, inputs, config, output_dir,"
                " app_version, pid, host) VALUES (?, ?, 'running', ?, ?, ?, ?, ?, ?)",
                (
                    run_id,
                    _now_iso(),
                    json.dumps(list(inputs)),
                    json.dumps(dict(config)),
                    output_dir,
                    app_version,
                    os.getpid(),
                    socket.gethostname(),
                ),
            )

    def add_events(self, run_id: str, events: Iterable[tuple[int, ProgressEvent]]) -> None:
        """Store progress events (with their sequence numbers) of a run."""
        rows = [
            (run_id, seq, ev.elapsed_s, ev.stage, ev.fraction, ev.message, ev.item)
            for seq, ev in events
        ]
        if not rows:
            return
        with closing(self._connect()) as conn, conn:
            conn.executemany(
                "INSERT OR REPLACE INTO events (run_id, seq, t, stage, fraction, message, item)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)",
                rows,
            )

    def finish_run(
        self,
        run_id: str,
        state: str,
        *,
        output_dir: str | None = None,
        error: str | None = None,
        stage_durations: Mapping[str, float] | None = None,
        stage_items: Mapping[str, float] | None = None,
    ) -> None:
        """Record how a run ended, where its report went and how long each stage took."""
        with closing(self._connect()) as conn, conn:
            conn.execute(
                "UPDATE runs SET finished_at=?, state=?, output_dir=COALESCE(?, output_dir),"
                " error=?, stage_durations=?, stage_items=? WHERE run_id=?",
                (
                    _now_iso(),
                    state,
                    output_dir,
                    error,
                    json.dumps(dict(stage_durations or {})),
                    json.dumps(dict(stage_items or {})),
                    run_id,
                ),
            )

    def delete_run(self, run_id: str) -> None:
        """Forget a run and its events."""
        with closing(self._connect()) as conn, conn:
            conn.execute("DELETE FROM events WHERE run_id=?", (run_id,))
            conn.execute("DELETE FROM runs WHERE run_id=?", (run_id,))

    # -- reading ------------------------------------------------------------------------------
    def list_runs(self, limit: int = 100) -> list[RunRecord]:
        """Give the most recent runs first; dead 'running' runs show as interrupted."""
        return self._select("", (), limit)

    def get_run(self, run_id: str) -> RunRecord | None:
        """Give one run, or None."""
        found = self._select("WHERE run_id = ?", (run_id,), 1)
        return found[0] if found else None

    def _select(self, where: str, params: tuple[Any, ...], limit: int) -> list[RunRecord]:
        # The last event time gives an unfinished run's duration; the (run_id, seq) key indexes it.
        with closing(self._connect()) as conn:
            rows = conn.execute(
                "SELECT run_id, started_at, finished_at, state, inputs, config, output_dir,"
                " error, app_version, pid, host, stage_durations,"
                " (SELECT MAX(t) FROM events WHERE events.run_id = runs.run_id)"
                f" FROM runs {where} ORDER BY started_at DESC, rowid DESC LIMIT ?",
                (*params, int(limit)),
            ).fetchall()
        return [self._record(row[:-1], row[-1]) for row in rows]

    def events(self, run_id: str) -> list[EventRecord]:
        """Give a run's stored progress events in order."""
        with closing(self._connect()) as conn:
            rows = conn.execute(
                "SELECT seq, t, stage, fraction, message, item FROM events"
                " WHERE run_id=? ORDER BY seq",
                (run_id,),
            ).fetchall()
        return [EventRecord(*row) for row in rows]

    def stage_rates(self, limit: int = 20) -> dict[str, tuple[float, float]]:
        """Give, per stage, (seconds per item, fixed seconds) calibrated on recent finished runs.

        Stages that report items get a per-item cost (median over runs); the others a fixed
        duration (median). Used to size each stage's slice of the progress bar.
        """
        with closing(self._connect()) as conn:
            rows = conn.execute(
                "SELECT stage_durations, stage_items FROM runs WHERE state='done'"
                " AND stage_durations IS NOT NULL ORDER BY started_at DESC LIMIT ?",
                (int(limit),),
            ).fetchall()
        per_item: dict[str, list[float]] = {}
        fixed: dict[str, list[float]] = {}
        for durations_json, items_json in rows:
            durations = json.loads(durations_json or "{}")
            items = json.loads(items_json or "{}")
            for stage, seconds in durations.items():
                count = float(items.get(stage) or 0)
                if count > 0:
                    per_item.setdefault(stage, []).append(float(seconds) / count)
                else:
                    fixed.setdefault(stage, []).append(float(seconds))
        stages = set(per_item) | set(fixed)
        return {
            s: (
                statistics.median(per_item[s]) if s in per_item else 0.0,
                statistics.median(fixed[s]) if s in fixed else 0.0,
            )
            for s in stages
        }

    def _record(self, row: tuple[Any, ...], last_t: float | None) -> RunRecord:
        (
            run_id,
            started,
            finished,
            state,
            inputs,
            config,
            out,
            error,
            version,
            pid,
            host,
            durations,
        ) = row
        if state == "running" and not _process_alive(pid, host):
            state = "interrupted"
        duration: float | None = None
        if finished:
            duration = (
                datetime.fromisoformat(finished) - datetime.fromisoformat(started)
            ).total_seconds()
            stage_total = sum(json.loads(durations or "{}").values())
            if stage_total > 0:
                duration = stage_total
        elif last_t is not None:
            duration = float(last_t)
        return RunRecord(
            run_id=run_id,
            started_at=started,
            finished_at=finished,
            state=state,
            inputs=json.loads(inputs),
            config=json.loads(config),
            output_dir=out,
            error=error,
            app_version=version,
            duration_s=duration,
            stage_durations=json.loads(durations or "{}"),
        )


def _process_alive(pid: int | None, host: str | None) -> bool:
    if pid is None:
        return False
    if host and host != socket.gethostname():
        return True  # another machine's run: we cannot tell, so do not call it interrupted
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    except OSError:
        return False
    return _not_zombie(pid)


def _not_zombie(pid: int) -> bool:
    stat = Path(f"/proc/{pid}/stat")
    try:
        return stat.read_text().split(")")[-1].split()[0] != "Z"
    except OSError:
        return True
