from pathlib import Path

import pytest
from export_fixtures import METRICS, make_report

from cfodesk.export.charts import chart_file_name, render_charts
from cfodesk.model import Report
from cfodesk.progress import Cancelled, CancelToken


def test_every_company_metric_gets_a_forecast_chart(charts_dir) -> None:
    folder, charts = charts_dir
    names = [p.name for p in charts]
    for metric in METRICS:
        assert chart_file_name("forecast", metric) in names
    assert {"kpi_margins.png", "correlation_heatmap.png", "scenarios.png"} <= set(names)
    assert "regions_revenue.png" in names
    for path in charts:
        assert path.parent == folder / "charts"
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert sorted(p.name for p in (folder / "charts").iterdir()) == sorted(names)  # no temp files


def test_hostile_names_make_safe_file_names() -> None:
    assert (
        chart_file_name("forecast", "<script>alert(1)</script>")
        == "forecast_script_alert_1_script.png"
    )
    assert chart_file_name("forecast", "../../etc/passwd") == "forecast_etc_passwd.png"
    assert chart_file_name("forecast", "$$$") == "forecast.png"


def test_progress_names_each_chart(sample_report: Report, tmp_path: Path) -> None:
    steps: list[tuple[int, int, str | None]] = []
    charts = render_charts(sample_report, tmp_path,
                           on_progress=lambda d, t, item=None, message=None: steps.append((d, t, item)))  # fmt: skip
    assert steps[-1][:2] == (len(charts), len(charts))
    items = [s[2] for s in steps if s[2]]
    assert items == [p.name for p in charts]
    assert [s[0] for s in steps] == sorted(s[0] for s in steps)


def test_cancel_stops_between_charts(sample_report: Report, tmp_path: Path) -> None:
    token = CancelToken()

    def step(done: int, total: int, item: str | None = None, message: str | None = None) -> None:
        if done == 2:
            token.cancel()

    with pytest.raises(Cancelled):
        render_charts(sample_report, tmp_path, on_progress=step, cancel=token)
    assert len(list((tmp_path / "charts").iterdir())) <= 3


def test_report_without_sections_draws_history_only(tmp_path: Path) -> None:
    charts = render_charts(make_report(sections=False), tmp_path)
    names = {p.name for p in charts}
    assert "forecast_revenue.png" in names
    assert not names & {"kpi_margins.png", "correlation_heatmap.png", "scenarios.png"}
