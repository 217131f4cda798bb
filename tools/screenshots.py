"""Save a PNG of every view of the window for people to look at (not compared pixel by pixel).

Runs the bundled sample (or the files given) in the real window, offscreen at 1280x800, and
writes ``screenshots/<n>-<view>.png``: the window while the run is in progress, each report tab,
the column review and the history window.

Usage: ``python tools/screenshots.py [--out screenshots] [FILE ...]``
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="*", type=Path, help="data files (default: the sample)")
    parser.add_argument("--out", type=Path, default=Path("screenshots"))
    args = parser.parse_args(argv)
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    os.environ["CFODESK_HOME"] = tempfile.mkdtemp(prefix="cfodesk-shots-")

    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from cfodesk.gui.history_dialog import HistoryDialog
    from cfodesk.gui.main_window import MainWindow
    from cfodesk.gui.theme import apply_theme
    from cfodesk.history import HistoryStore
    from cfodesk.paths import sample_data_path

    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    files = [f.resolve() for f in args.files] or [sample_data_path()]
    app = QApplication([])
    apply_theme(app)
    window = MainWindow()
    window.resize(1280, 800)
    window.show()
    saved: list[Path] = []

    def shoot(widget: object, name: str) -> None:
        path = out / f"{len(saved) + 1:02d}-{name}.png"
        widget.grab().save(str(path))  # type: ignore[attr-defined]
        saved.append(path)

    def during_run(event: object) -> None:
        # One picture mid-forecast, while the bar and the stage list are moving.
        if getattr(event, "stage", "") == "forecast" and not any(
            "running" in p.name for p in saved
        ):
            QTimer.singleShot(0, lambda: shoot(window, "running"))

    def on_ended(outcome: str) -> None:
        if outcome != "done":
            print("run ended:", outcome, window.last_error, file=sys.stderr)
            app.exit(1)
            return
        QTimer.singleShot(100, shoot_tabs)

    tabs: list[str] = []

    def shoot_tabs() -> None:
        view = window.report_view
        assert view is not None
        if not tabs:
            tabs.extend(view.tab_names)
        if tabs:
            name = tabs.pop(0)
            view.show_tab(name)
            QTimer.singleShot(
                150,
                lambda: (
                    shoot(window, name.lower().replace(" ", "-")),
                    QTimer.singleShot(0, next_step),
                ),
            )

    def next_step() -> None:
        if tabs:
            shoot_tabs()
            return
        history = HistoryDialog(HistoryStore(), parent=window)
        history.show()
        history.table.selectRow(0)
        QTimer.singleShot(
            150, lambda: (shoot(history, "history"), history.close(), review_columns())
        )

    def review_columns() -> None:
        window.open_files(files, review=True)
        QTimer.singleShot(100, wait_for_dialog)

    def wait_for_dialog() -> None:
        dialog = window.mapping_dialog
        if dialog is None:
            QTimer.singleShot(100, wait_for_dialog)
            return
        QTimer.singleShot(
            150, lambda: (shoot(dialog, "column-review"), dialog.reject(), app.quit())
        )

    window.progress_shown.connect(during_run)
    window.run_ended.connect(on_ended)
    window.set_sources(files, {})
    QTimer.singleShot(100, window.start_run)
    QTimer.singleShot(300_000, lambda: app.exit(2))
    code = app.exec()
    window.close()
    for path in saved:
        print(path)
    return int(code)


if __name__ == "__main__":  # the report process is spawned and re-imports this file
    sys.exit(main())
