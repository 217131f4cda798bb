"""Whole messy exports, the way people really send them."""

import pytest

from cfodesk.data import load_dataset

MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep"]


def test_european_export_with_title_footer_currency_and_percent(write_file):
    text = (
        "Rapport mensuel;;;\n;;;\nMonth;Country;Revenue;Costs;Gross margin\n"
        + "".join(
            f"{m}-24;Deutschland;€ {1000 + i}.234,50;({i},5);{10 + i}%\n"
            for i, m in enumerate(MONTHS)
        )
        + "Total;;€ 99.999,00;;\n"
    )
    ds = load_dataset(write_file("eu.csv", text, encoding="cp1252"))
    assert ds.inputs[0].encoding == "cp1252" and ds.inputs[0].delimiter == ";"
    assert ds.metrics == ("revenue", "operating_expenses", "gross_margin")
    first = ds.records.iloc[0]
    assert first["revenue"] == pytest.approx(1_000_234.5)
    assert first["operating_expenses"] == pytest.approx(-0.5)
    assert first["gross_margin"] == pytest.approx(0.10)  # percent stored as a fraction
    assert len(ds.records) == 9  # the Total row is never summed in
    codes = {q.code for q in ds.quality}
    assert {"total_rows", "european_decimals", "percent", "negative_values"} <= codes
    assert "missing_dimension" not in codes


def test_excel_serial_dates_in_a_csv(write_file):
    text = "Date,Revenue\n" + "".join(f"{45292 + 31 * i},{i + 1}\n" for i in range(9))
    ds = load_dataset(write_file("serial.csv", text))
    assert ds.records["date"].iloc[0].strftime("%Y-%m-%d") == "2024-01-01"
    assert ds.frequency == "M"
    assert any(q.code == "excel_dates" for q in ds.quality)


def test_us_export_with_thousands_and_negatives(write_file):
    text = "Period,Net Sales,Net Income,Cash at bank\n" + "".join(
        f'{m} 2023,"$1,{200 + i}.00",({i + 1}00),"$12,{300 + i}"\n' for i, m in enumerate(MONTHS)
    )
    ds = load_dataset(write_file("us.csv", text))
    assert ds.records["revenue"].iloc[0] == 1200.0
    assert ds.records["net_income"].iloc[0] == -100.0
    assert ds.records["cash_balance"].iloc[-1] == 12308.0
    assert [q for q in ds.quality if q.severity == "warning"] == []
