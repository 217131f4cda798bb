import csv
import json
from pathlib import Path

from export_fixtures import HOSTILE_METRIC, HOSTILE_SEGMENT, make_report

from cfodesk.export import write_exports
from cfodesk.export.tables import ANOMALY_COLUMNS, CORRELATION_COLUMNS, FORECAST_COLUMNS
from cfodesk.model import Report

CONTRACT = {
    "forecasts.csv": FORECAST_COLUMNS,
    "anomalies.csv": ANOMALY_COLUMNS,
    "correlations.csv": CORRELATION_COLUMNS,
}


def _rows(path: Path) -> list[list[str]]:
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.reader(handle))


def test_contract_columns_are_exact_and_in_order(sample_report: Report, tmp_path: Path) -> None:
    write_exports(sample_report, tmp_path, formats=["csv"])
    assert CONTRACT["forecasts.csv"] == (
        "level", "segment", "metric", "date", "forecast",
        "lower_80", "upper_80", "lower_95", "upper_95", "model",
    )  # fmt: skip
    assert CONTRACT["anomalies.csv"] == (
        "level", "segment", "metric", "date", "value", "expected",
        "lower", "upper", "score", "severity", "reason",
    )  # fmt: skip
    assert CONTRACT["correlations.csv"] == (
        "metric_a", "metric_b", "level", "segment", "correlation", "lag", "method",
    )  # fmt: skip
    for name, columns in CONTRACT.items():
        rows = _rows(tmp_path / name)
        assert tuple(rows[0]) == columns, name
        assert len(rows) > 1


def test_csv_dates_numbers_and_row_count(sample_report: Report, tmp_path: Path) -> None:
    write_exports(sample_report, tmp_path, formats=["csv"])
    rows = _rows(tmp_path / "forecasts.csv")
    assert len(rows) - 1 == len(sample_report.forecast.table)
    first = dict(zip(rows[0], rows[1]))
    assert first["date"] == "2025-01-01"
    assert len(first["forecast"].split(".")[-1]) <= 4  # rounded
    float(first["lower_95"])
    correlations = _rows(tmp_path / "correlations.csv")
    assert correlations[1][4] == "0.9123" and correlations[1][5] == "0"


def test_no_formula_can_start_a_csv_cell(sample_report: Report, tmp_path: Path) -> None:
    write_exports(sample_report, tmp_path, formats=["csv"])
    cells = [c for name in CONTRACT for row in _rows(tmp_path / name)[1:] for c in row]
    risky = [c for c in cells if c[:1] in ("=", "+", "@", "\t", "\r")]
    risky += [c for c in cells if c.startswith("-") and not _is_number(c)]
    assert risky == []
    assert "'" + HOSTILE_SEGMENT in cells
    assert "'@SUM(A1) fell to 100" in cells
    assert "'+cmd" in cells


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def test_empty_sections_still_write_headers(tmp_path: Path) -> None:
    report = make_report(sections=False)
    files = write_exports(report, tmp_path, formats=["csv"])
    assert [f.name for f in files] == ["report.json", *CONTRACT]
    for name, columns in CONTRACT.items():
        assert _rows(tmp_path / name) == [list(columns)]


def test_report_json_is_strict_and_has_contract_keys(sample_report: Report, tmp_path: Path) -> None:
    write_exports(sample_report, tmp_path, formats=["json"])
    text = (tmp_path / "report.json").read_text(encoding="utf-8")
    data = json.loads(text, parse_constant=lambda name: (_ for _ in ()).throw(ValueError(name)))
    for key in ("schema_version", "app_version", "inputs", "mapping", "data_quality", "frequency",
                "kpis", "forecast_summary", "anomalies", "correlations", "narrative", "run"):  # fmt: skip
        assert key in data, key
    assert data["run"]["run_id"] == "run-test"
    assert data["run"]["stage_durations"]["forecast"] == 1.5  # numpy float made plain
    change = [s["change_pct"] for s in data["kpis"]["summary"]]
    assert change[2] is None  # infinity became null
    assert HOSTILE_METRIC in data["metrics"]  # JSON keeps the data's own text


def test_json_only_writes_just_report_json(sample_report: Report, tmp_path: Path) -> None:
    files = write_exports(sample_report, tmp_path, formats=["json"])
    assert [p.name for p in files] == ["report.json"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.json"]
