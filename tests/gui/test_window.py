"""The window end to end: real runs, cancel, a bad file, the column review, history."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from cfodesk.gui.history_dialog import HistoryDialog
from cfodesk.gui.main_window import MainWindow
from cfodesk.gui.report_view import TAB_NAMES
from cfodesk.gui.theme import configure_charts
from cfodesk.history import HistoryStore

from .conftest import FakePipeline


@pytest.fixture
def window(qtbot: Any) -> MainWindow:
    configure_charts()
    win = MainWindow()
    qtbot.addWidget(win)
    win.resize(1280, 800)
    win.show()
    return win


class RunWatch:
    """What the window got from its worker during one run."""

    def __init__(self, win: MainWindow) -> None:
        self.win = win
        self.fractions: list[float] = []
        self.finished = 0
        self.ended: list[str] = []
        win.run_started.connect(self._hook)
        win.progress_shown.connect(lambda e: self.fractions.append(e.fraction))
        win.run_ended.connect(self.ended.append)

    def _hook(self, _run_id: str) -> None:
        worker = self.win.worker
        assert worker is not None
        worker.finished.connect(self._count)  # runs in the worker thread: only counts

    def _count(self, _report: Any) -> None:
        self.finished += 1


def run_and_wait(qtbot: Any, win: MainWindow, timeout: int = 60_000) -> str:
    with qtbot.waitSignal(win.run_ended, timeout=timeout) as blocker:
        win.start_run()
    return str(blocker.args[0])


def test_full_real_run_populates_every_view(
    qtbot: Any, window: MainWindow, small_csv: Path, private_home: Path
) -> None:
    watch = RunWatch(window)
    window.set_sources([small_csv], {})
    assert run_and_wait(qtbot, window) == "done"
    qtbot.wait(50)
    assert watch.finished == 1
    assert len(watch.fractions) >= 3
    assert watch.fractions == sorted(watch.fractions)
    assert not window.running and window.run_button.isEnabled()
    assert window.windowTitle() == "CFO Desk"
    # Every stage ticked off with a duration.
    texts = [window.panel.stage_list.item(i).text() for i in range(window.panel.stage_list.count())]
    assert all(t.startswith("✓") for t in texts), texts

    view = window.report_view
    assert view is not None and view.tab_names[0] == "Overview"
    assert set(view.tab_names) >= set(TAB_NAMES) - {"Scenarios"}
    overview = view.show_tab("Overview")
    assert len(overview.cards) >= 4
    overview.show_narrative()
    assert "<p>" in overview.narrative_label.text()  # the narrative section is shown
    assert any(c.value_label.text() not in ("", "–") for c in overview.cards)
    forecasts = view.show_tab("Forecasts")
    assert forecasts.chart.item_count >= 2  # actuals and forecast at least
    assert forecasts.select("region", "Europe", "revenue")
    readout = forecasts.chart.hover_at(forecasts.chart._x[-1])
    assert "Forecast" in readout and any(ch.isdigit() for ch in readout)
    segments = view.show_tab("Segments")
    assert set(segments.plots) == {"region", "department"}
    labels, values = segments.values("region", "revenue")
    assert sorted(labels) == ["Americas", "Europe"] and all(v > 0 for v in values)
    anomalies = view.show_tab("Anomalies")
    assert anomalies.model.rowCount() == len(window.report_data.anomalies)
    correlations = view.show_tab("Correlations")
    assert correlations.model.rowCount() > 0
    quality = view.show_tab("Data quality")
    assert quality.model.columnCount() > 0
    if "Scenarios" in view.tab_names:
        scenarios = view.show_tab("Scenarios")
        base_revenue = scenarios.base_outcome.totals["revenue"]["forecast"]
        scenarios.set_values(revenue=-10)
        assert scenarios.outcome.totals["revenue"]["forecast"] == pytest.approx(0.9 * base_revenue)
        assert "revenue=-10%" in scenarios.summary.text()
    run_view = view.show_tab("This run")
    assert run_view.timeline.getPlotItem().listDataItems()

    # The run is in the history, with its report folder, and History can re-open it.
    (record,) = HistoryStore().list_runs()
    assert record.state == "done" and record.inputs == [str(small_csv.resolve())]
    assert record.output_dir and (Path(record.output_dir) / "report.json").is_file()
    assert Path(record.output_dir).parent == private_home / "reports"
    dialog = HistoryDialog(HistoryStore(), parent=window)
    qtbot.addWidget(dialog)
    assert dialog.table.rowCount() == 1 and "Done" in dialog.table.item(0, 2).text()
    dialog.table.selectRow(0)
    assert dialog.open_button.isEnabled() and dialog.plot.getPlotItem().listDataItems()
    with qtbot.waitSignal(dialog.report_opened, timeout=5000) as opened:
        dialog.open_selected()
    data = opened.args[0]
    assert data.run_id == record.run_id and not data.forecasts.empty


def test_cancel_mid_run_leaves_nothing_and_goes_idle(
    qtbot: Any, window: MainWindow, small_csv: Path, private_home: Path
) -> None:
    watch = RunWatch(window)
    window.set_sources([small_csv], {})
    with qtbot.waitSignal(window.run_ended, timeout=30_000) as blocker:
        window.start_run()
        qtbot.waitUntil(lambda: window.panel.bar.value() > 0, timeout=20_000)
        window.panel.cancel_button.click()
        assert window.panel.cancel_button.text() == "Cancelling…"
    assert blocker.args == ["cancelled"]
    qtbot.wait(50)
    assert watch.finished == 0
    assert window.report_view is None
    reports = private_home / "reports"
    assert not reports.exists() or list(reports.iterdir()) == []
    assert window.run_button.isEnabled() and not window.running
    assert window.windowTitle() == "CFO Desk"
    assert HistoryStore().list_runs()[0].state == "cancelled"


def test_bad_file_shows_the_message_and_the_next_run_works(
    qtbot: Any, window: MainWindow, small_csv: Path, tmp_path: Path
) -> None:
    bad = tmp_path / "notes.csv"
    bad.write_text("comment,author\nhello,me\nworld,you\n", encoding="utf-8")
    window.set_sources([bad], {})
    assert run_and_wait(qtbot, window) == "failed"
    message, details = window.last_error
    assert "notes.csv" in message and not message.startswith("Internal error")
    assert details == ""
    assert window.error_box is not None and window.error_box.text() == message
    window.error_box.close()
    assert window.run_button.isEnabled()
    for level in ("region", "department", "region/department"):  # a quicker second run
        window.level_boxes[level].setChecked(False)
    window.set_sources([small_csv], {})
    assert run_and_wait(qtbot, window) == "done"
    assert window.report_view is not None


def test_mapping_change_reaches_the_pipeline_and_is_remembered(qtbot: Any, small_csv: Path) -> None:
    fake = FakePipeline(per_item_s=0.001, items=3)
    win = MainWindow(run_fn=fake, history_factory=None)
    qtbot.addWidget(win)
    win.open_files([small_csv], review=True)
    qtbot.waitUntil(lambda: win.mapping_dialog is not None, timeout=10_000)
    dialog = win.mapping_dialog
    columns = [p.column for p in dialog.proposals]
    assert {"date", "region", "revenue", "headcount"} <= set(columns)
    dialog.set_target("operating_expenses", "marketing_spend")
    dialog.set_target("headcount", "ignore")
    with qtbot.waitSignal(win.run_ended, timeout=10_000):
        dialog.accept()
    config = fake.calls[-1]["config"]
    assert dict(config.mapping) == {"operating_expenses": "marketing_spend", "headcount": "ignore"}
    assert fake.calls[-1]["sources"] == [str(small_csv)]
    # Files with the same headers come back with the same choices.
    win.mapping_dialog = None
    win.open_files([small_csv], review=True)
    qtbot.waitUntil(lambda: win.mapping_dialog is not None, timeout=10_000)
    assert win.mapping_dialog.overrides() == dict(config.mapping)
    assert json.loads(win.settings.value("recent/files"))[0] == [str(small_csv)]


def test_a_replaced_worker_is_disconnected(qtbot: Any, small_csv: Path) -> None:
    slow = FakePipeline(per_item_s=0.02, items=20)
    win = MainWindow(run_fn=slow, history_factory=None)
    qtbot.addWidget(win)
    win.set_sources([small_csv], {})
    ended: list[str] = []
    win.run_ended.connect(ended.append)
    win.start_run()
    first = win.worker
    qtbot.waitUntil(lambda: win.panel.bar.value() > 0, timeout=5000)
    win.start_run()  # e.g. Run pressed again through the menu while running
    assert win.worker is not first and first.token.cancelled
    qtbot.waitUntil(lambda: bool(ended), timeout=20_000)
    qtbot.wait(200)
    assert ended == ["done"]  # the old run's cancel never reached the window


def test_dropped_data_files_open_and_others_are_ignored(
    qtbot: Any, small_csv: Path, tmp_path: Path
) -> None:
    from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
    from PySide6.QtGui import QDropEvent

    fake = FakePipeline(per_item_s=0.001, items=2)
    win = MainWindow(run_fn=fake, history_factory=None)
    qtbot.addWidget(win)
    picture = tmp_path / "logo.png"
    picture.write_bytes(b"\x89PNG")

    def drop(*paths: Path) -> None:
        mime = QMimeData()
        mime.setUrls([QUrl.fromLocalFile(str(p)) for p in paths])
        event = QDropEvent(
            QPointF(5, 5),
            Qt.DropAction.CopyAction,
            mime,
            Qt.MouseButton.LeftButton,
            Qt.KeyboardModifier.NoModifier,
        )
        win.dropEvent(event)

    drop(picture)
    qtbot.wait(100)
    assert win.mapping_dialog is None and fake.calls == []
    drop(small_csv, picture)
    qtbot.waitUntil(lambda: win.mapping_dialog is not None, timeout=10_000)
    with qtbot.waitSignal(win.run_ended, timeout=10_000):
        win.mapping_dialog.accept()
    assert fake.calls[-1]["sources"] == [str(small_csv)]
    assert [a.text() for a in win.recent_menu.actions()] == [small_csv.name]
