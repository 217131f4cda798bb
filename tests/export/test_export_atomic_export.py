from pathlib import Path

import pandas as pd
import pytest
from export_fixtures import HOSTILE_SEGMENT

from cfodesk.errors import CfoDeskError, ConfigError, InputError, OutputError
from cfodesk.export import export_report, load_report, write_exports
from cfodesk.export.atomic import StagingFolder
from cfodesk.model import Report
from cfodesk.progress import Cancelled, CancelToken


def test_cancel_during_write_leaves_only_whole_files(sample_report: Report, tmp_path: Path) -> None:
    token = CancelToken()

    def step(done: int, total: int, item: str | None = None, message: str | None = None) -> None:
        if item == "report.xlsx":
            token.cancel()

    with pytest.raises(Cancelled):
        write_exports(sample_report, tmp_path, formats=["csv", "xlsx", "html", "pdf"],
                      on_progress=step, cancel=token)  # fmt: skip
    left = sorted(p.name for p in tmp_path.iterdir())
    # The file being written when cancel came is finished; nothing after it is started.
    assert left == ["anomalies.csv", "correlations.csv", "forecasts.csv", "report.json",
                    "report.xlsx"]  # fmt: skip


def test_a_failing_writer_leaves_no_temporary_file(
    sample_report: Report, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import cfodesk.export.xlsx as xlsx

    def broken(_report: Report) -> bytes:
        raise RuntimeError("disk full")

    monkeypatch.setattr(xlsx, "xlsx_bytes", broken)
    with pytest.raises(RuntimeError):
        write_exports(sample_report, tmp_path, formats=["xlsx"])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.json"]


def test_export_report_commits_a_whole_folder(sample_report: Report, tmp_path: Path) -> None:
    steps: list[tuple[int, int]] = []
    out = export_report(sample_report, tmp_path / "out", formats=["csv", "html"],
                        on_progress=lambda d, t, item=None, message=None: steps.append((d, t)))  # fmt: skip
    assert out == (tmp_path / "out").resolve()
    names = {p.name for p in out.iterdir()}
    assert {"report.json", "forecasts.csv", "report.html", "charts"} <= names
    assert [p.name for p in tmp_path.iterdir()] == ["out"]  # no staging folder left
    assert steps[-1][0] == steps[-1][1]
    assert all(b[0] >= a[0] for a, b in zip(steps, steps[1:]))


def test_export_report_cancelled_leaves_nothing(sample_report: Report, tmp_path: Path) -> None:
    token = CancelToken()

    def step(done: int, total: int, item: str | None = None, message: str | None = None) -> None:
        if item == "report.pdf":
            token.cancel()

    with pytest.raises(Cancelled):
        export_report(sample_report, tmp_path / "out", formats=["pdf"], on_progress=step,
                      cancel=token)  # fmt: skip
    assert list(tmp_path.iterdir()) == []


def test_export_refuses_a_non_empty_folder_unless_overwriting(
    sample_report: Report, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "keep.txt").write_text("mine")
    with pytest.raises(OutputError):
        export_report(sample_report, out, formats=["json"])
    assert (out / "keep.txt").read_text() == "mine"
    export_report(sample_report, out, formats=["json"], overwrite=True)
    assert sorted(p.name for p in out.iterdir()) == ["charts", "report.json"]


def test_unknown_format_is_a_config_error(sample_report: Report, tmp_path: Path) -> None:
    with pytest.raises(ConfigError):
        write_exports(sample_report, tmp_path, formats=["docx"])


def test_staging_folder_is_discarded_on_error(tmp_path: Path) -> None:
    with pytest.raises(ValueError), StagingFolder(tmp_path / "out") as staging:
        (staging.path / "half.csv").write_text("a,b")
        raise ValueError("boom")
    assert list(tmp_path.iterdir()) == []


def test_load_report_round_trip(sample_report: Report, tmp_path: Path) -> None:
    out = export_report(sample_report, tmp_path / "out", formats=["csv"])
    loaded = load_report(out)
    assert loaded.run_id == "run-test"
    assert loaded.panel is not None and loaded.panel.keys == sample_report.panel.keys
    assert len(loaded.forecasts) == len(sample_report.forecast.table)
    assert pd.api.types.is_datetime64_any_dtype(loaded.forecasts["date"])
    assert HOSTILE_SEGMENT in set(loaded.forecasts["segment"])  # neutralising undone
    assert "'+cmd" not in set(loaded.correlations["method"])
    assert loaded.charts and all(p.suffix == ".png" for p in loaded.charts)
    assert loaded.documents == {}


def test_load_report_rejects_other_folders(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="does not exist"):
        load_report(tmp_path / "missing")
    with pytest.raises(InputError, match="no report.json"):
        load_report(tmp_path)
    (tmp_path / "report.json").write_text("{not json")
    with pytest.raises(InputError, match="damaged"):
        load_report(tmp_path)
    (tmp_path / "report.json").write_text('{"hello": 1}')
    with pytest.raises(CfoDeskError, match="not written by CFO Desk"):
        load_report(tmp_path)
