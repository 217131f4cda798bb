"""The command line: no arguments opens the window; `report`, `demo` and `history` run headless.

Exit codes (a contract): 0 report written, 1 internal error, 2 unusable input or bad arguments,
3 cancelled. ``--progress json`` writes one ProgressEvent per line to stdout and nothing else.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import sys
import threading
import time
import traceback
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any, TextIO

from . import __version__
from .config import ALL_FORMATS, ALL_LEVELS, ReportConfig, parse_list
from .errors import CfoDeskError, ConfigError
from .paths import sample_data_path, user_data_dir
from .progress import Cancelled, CancelToken, ProgressEvent, format_duration

__all__ = ["main", "build_parser", "TerminalBar"]

EXIT_OK, EXIT_INTERNAL, EXIT_INPUT, EXIT_CANCELLED = 0, 1, 2, 3
DEMO_OUT = "demo-report"


class _Parser(argparse.ArgumentParser):
    """argparse that reports bad arguments as one paragraph and exit code 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(EXIT_INPUT, f"cfodesk: {message}. Run '{self.prog} --help' for the options.\n")


def build_parser() -> argparse.ArgumentParser:
    """Give the argument parser of the ``cfodesk`` command."""
    parser = _Parser(
        prog="cfodesk",
        description="CFO Desk: forecasts, KPIs, anomalies and drivers from finance exports, "
        "offline. Without a command it opens the window.",
    )
    parser.add_argument("--version", action="version", version=f"CFO Desk {__version__}")
    sub = parser.add_subparsers(dest="command", parser_class=_Parser)

    report = sub.add_parser("report", help="make a report from CSV/XLSX files")
    report.add_argument("inputs", nargs="+", metavar="INPUT", help="CSV or Excel files")
    report.add_argument("--out", required=True, metavar="DIR", help="report folder to create")
    _add_run_options(report)

    demo = sub.add_parser("demo", help="make a report on the bundled sample data")
    demo.add_argument(
        "--out", metavar="DIR", default=None, help=f"report folder (default ./{DEMO_OUT})"
    )
    _add_run_options(demo)

    history = sub.add_parser("history", help="list past runs")
    history.add_argument("--limit", type=int, default=20, help="how many runs (default 20)")
    history.add_argument("--json", action="store_true", help="print JSON instead of a table")
    return parser


def _add_run_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--horizon", type=int, default=12, help="periods to forecast (1-36)")
    p.add_argument(
        "--levels",
        default=",".join(ALL_LEVELS),
        help=f"comma-separated levels (default {','.join(ALL_LEVELS)})",
    )
    p.add_argument("--progress", choices=("bar", "json", "none"), default=None)
    p.add_argument("--jobs", type=int, default=None, help="worker processes for forecasting")
    p.add_argument("--formats", default=",".join(ALL_FORMATS), help="json,csv,xlsx,html,pdf")
    p.add_argument("--overwrite", action="store_true", help="replace a non-empty --out folder")
    p.add_argument("--sheet", default=None, help="Excel sheet to read")
    p.add_argument(
        "--map",
        action="append",
        default=[],
        metavar="'COLUMN=meaning'",
        help="override how a column is understood, e.g. 'Sales=revenue' (repeatable)",
    )
    p.add_argument("--map-file", default=None, help="JSON file of column overrides")
    p.add_argument(
        "--scenario",
        action="append",
        default=[],
        metavar="'name: revenue=+5%%, dso=+5d'",
        help="what-if scenario on the forecast (repeatable)",
    )
    p.add_argument("--page-size", choices=("A4", "Letter"), default="A4")


class TerminalBar:
    """A one-line progress bar on a terminal: percent, stage, item, elapsed, time left."""

    def __init__(self, stream: TextIO = sys.stderr, width: int | None = None) -> None:
        self.stream = stream
        self.width = width or shutil.get_terminal_size((100, 20)).columns
        self._lock = threading.Lock()

    def __call__(self, event: ProgressEvent) -> None:
        with self._lock:
            if event.finished:
                self.stream.write("\r" + " " * (self.width - 1) + "\r")
                self.stream.flush()
                return
            self.stream.write("\r" + self.render(event))
            self.stream.flush()

    def render(self, event: ProgressEvent) -> str:
        """Give the bar line for an event, fitted to the terminal width."""
        cells = 20
        filled = int(event.fraction * cells)
        bar = "█" * filled + "░" * (cells - filled)
        left = "" if event.eta_s is None else f" · {format_duration(event.eta_s)} left"
        head = f"{bar} {event.fraction * 100:3.0f}% "
        stage = f"Step {event.stage_index}/{event.stage_count} {event.stage_label}"
        # The item and its count say more than the message, which repeats the stage name.
        if event.item:
            detail = f"{event.item} ({event.done} of {event.total})" if event.total else event.item
        elif event.message and event.message != event.stage_label:
            detail = event.message
        else:
            detail = f"{event.done} of {event.total}" if event.total else ""
        tail = f" · {format_duration(event.elapsed_s)}{left}"
        text = f"{head}{stage}{' · ' + detail if detail else ''}"
        room = self.width - 1 - len(tail)
        if len(text) > room:
            text = text[: max(room - 1, 0)] + "…"
        return (text + tail).ljust(self.width - 1)


def _json_lines(stream: TextIO) -> Any:
    lock = threading.Lock()

    def write(event: ProgressEvent) -> None:
        line = json.dumps(event.to_json(), allow_nan=False)
        with lock:
            stream.write(line + "\n")
            stream.flush()

    return write


def _config_from(args: argparse.Namespace) -> ReportConfig:
    from .data import load_mapping_file, parse_map_option

    mapping: dict[str, str] = {}
    if args.map_file:
        mapping.update(load_mapping_file(args.map_file))
    for text in args.map:
        mapping.update(parse_map_option(text))
    kwargs: dict[str, Any] = dict(
        horizon=args.horizon,
        levels=parse_list(args.levels),
        formats=parse_list(args.formats),
        sheet=args.sheet,
        mapping=mapping,
        scenarios=tuple(args.scenario),
        page_size=args.page_size,
    )
    if args.jobs is not None:
        kwargs["jobs"] = args.jobs
    return ReportConfig(**kwargs)


def _run(args: argparse.Namespace, inputs: Sequence[str], out: str, overwrite: bool) -> int:
    from .history import HistoryStore
    from .pipeline import run_report

    config = _config_from(args)
    for name in inputs:
        if not Path(name).exists():
            raise CfoDeskError(f"The input file '{name}' does not exist", hint="Check the path")
    mode = args.progress or ("bar" if sys.stderr.isatty() else "none")
    on_progress: Any = {
        "bar": TerminalBar(sys.stderr),
        "json": _json_lines(sys.stdout),
        "none": lambda event: None,
    }[mode]
    cancel = CancelToken()
    outcome: dict[str, Any] = {}

    def work() -> None:
        try:
            outcome["report"] = run_report(
                inputs,
                config,
                on_progress,
                cancel,
                out_dir=out,
                overwrite=overwrite,
                history=HistoryStore(),
            )
        except BaseException as exc:  # crosses the thread as data
            outcome["error"] = exc

    started = time.monotonic()
    finished = threading.Event()

    def guarded() -> None:
        try:
            work()
        finally:
            finished.set()

    worker = threading.Thread(target=guarded, name="cfodesk-report")
    worker.start()
    _wait_cancellable(finished, cancel)
    worker.join()
    if "error" in outcome:
        raise outcome["error"]
    report = outcome["report"]
    total = time.monotonic() - started
    if mode != "json":
        print(
            f"Report written to {Path(out).resolve()} in {format_duration(total)}", file=sys.stderr
        )
        if report.narrative is not None:
            print(report.narrative.headline, file=sys.stderr)
    return EXIT_OK


def _wait_cancellable(finished: threading.Event, cancel: CancelToken) -> None:
    """Wait for the report thread; Ctrl-C or SIGTERM sets the cancel token and waits on.

    The signal handler only sets the token: the run stops itself at its next check and reports
    a cancelled event, so nothing is interrupted half-way.
    """

    def on_signal(signum: int, frame: Any) -> None:
        cancel.cancel()

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        while not finished.wait(0.1):
            pass
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _history(args: argparse.Namespace) -> int:
    from .history import HistoryStore

    runs = HistoryStore().list_runs(limit=args.limit)
    if args.json:
        print(json.dumps([r.to_json() for r in runs], indent=2))
        return EXIT_OK
    if not runs:
        print("No runs yet. Try: cfodesk demo")
        return EXIT_OK
    print(f"{'started':<20} {'state':<12} {'duration':>10}  inputs → report")
    for run in runs:
        started = datetime.fromisoformat(run.started_at).strftime("%Y-%m-%d %H:%M:%S")
        names = ", ".join(Path(p).name for p in run.inputs)
        out = f" → {run.output_dir}" if run.output_dir and run.state == "done" else ""
        error = f"  ({run.error})" if run.error else ""
        print(
            f"{started:<20} {run.state:<12} {format_duration(run.duration_s):>10}  "
            f"{names}{out}{error}"
        )
    return EXIT_OK


def _log_internal_error(exc: BaseException) -> Path | None:
    try:
        log_dir = user_data_dir() / "logs"
        log_dir.mkdir(parents=True, exist_ok=True)
        path = log_dir / f"error-{datetime.now().strftime('%Y%m%d-%H%M%S')}-{os.getpid()}.log"
        path.write_text(
            "".join(traceback.format_exception(type(exc), exc, exc.__traceback__)),
            encoding="utf-8",
        )
        return path
    except OSError:
        return None


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``cfodesk`` command; give its exit code."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv:
        from .gui.app import main as gui_main

        return gui_main([])
    args = build_parser().parse_args(argv)
    try:
        if args.command == "history":
            return _history(args)
        if args.command == "demo":
            out = args.out or DEMO_OUT
            overwrite = args.overwrite or args.out is None
            return _run(args, [str(sample_data_path())], out, overwrite)
        if args.command == "report":
            return _run(args, args.inputs, args.out, args.overwrite)
        build_parser().print_help()
        return EXIT_INPUT
    except Cancelled:
        print("\nCancelled: nothing was written.", file=sys.stderr)
        return EXIT_CANCELLED
    except (CfoDeskError, ConfigError) as exc:
        print(f"cfodesk: {exc}", file=sys.stderr)
        return EXIT_INPUT
    except KeyboardInterrupt:
        print("\nCancelled: nothing was written.", file=sys.stderr)
        return EXIT_CANCELLED
    except Exception as exc:  # anything else is our bug: say so, keep the details
        log = _log_internal_error(exc)
        where = f" Details were saved to {log}." if log else ""
        print(
            f"cfodesk: internal error ({type(exc).__name__}: {exc}).{where} "
            "Please report it with that file.",
            file=sys.stderr,
        )
        return EXIT_INTERNAL
