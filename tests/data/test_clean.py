import numpy as np
import pandas as pd
import pytest

from cfodesk.data import load_dataset
from cfodesk.errors import CfoDeskError, InputError

from .conftest import monthly_csv


def issues(ds, code):
    return [q for q in ds.quality if q.code == code]


def months(n, start="2023-01"):
    return [d.strftime("%Y-%m") for d in pd.date_range(start, periods=n, freq="MS")]


def test_clean_file_has_no_warnings(write_file):
    ds = load_dataset(write_file("ok.csv", monthly_csv()))
    assert [q for q in ds.quality if q.severity == "warning"] == []
    assert ds.records["date"].dtype == "datetime64[ns]"
    assert ds.records["revenue"].dtype == "float64"
    assert ds.records.groupby(["date", "region"]).size().max() == 1


def test_quarterly_dates_at_quarter_end(write_file):
    text = "Date,Sales\n" + "".join(
        f"{d.strftime('%Y-%m-%d')},{i}\n"
        for i, d in enumerate(pd.date_range("2022-03-31", periods=9, freq="QE"))
    )
    ds = load_dataset(write_file("q.csv", text))
    assert ds.frequency == "Q"
    assert ds.records["date"].iloc[0] == pd.Timestamp("2022-01-01")


def test_month_end_dates_snap_to_month_start(write_file):
    text = "Date,Sales\n" + "".join(
        f"{d.strftime('%m/%d/%Y')},{i}\n"
        for i, d in enumerate(pd.date_range("2023-01-31", periods=10, freq="ME"))
    )
    ds = load_dataset(write_file("me.csv", text))
    assert ds.frequency == "M"
    assert ds.records["date"].dt.day.unique().tolist() == [1]


def test_daily_data_aggregated_by_kind(write_file):
    days = pd.date_range("2024-01-01", "2024-09-30", freq="D")
    text = "Date,Revenue,Cash,Gross margin\n" + "".join(
        f"{d.strftime('%Y-%m-%d')},1,{i},0.5\n" for i, d in enumerate(days)
    )
    ds = load_dataset(write_file("daily.csv", text))
    assert ds.frequency == "M"
    assert len(ds.records) == 9
    assert ds.records["revenue"].iloc[0] == 31.0  # flows sum
    assert ds.records["cash_balance"].iloc[0] == 30.0  # stocks: last value
    assert ds.records["gross_margin"].iloc[0] == pytest.approx(0.5)  # ratios: mean
    assert issues(ds, "aggregated")


def test_yearly_data_is_refused(write_file):
    text = "Year end,Sales\n2019-12-31,1\n2020-12-31,2\n2021-12-31,3\n2022-12-31,4\n"
    with pytest.raises(InputError, match="a year or more apart"):
        load_dataset(write_file("y.csv", text))


def test_irregular_data_is_refused(write_file):
    text = "Date,Sales\n2024-01-01,1\n2024-03-01,2\n2024-05-01,3\n2024-09-01,4\n"
    with pytest.raises(InputError, match="irregular"):
        load_dataset(write_file("irr.csv", text))


def test_exact_and_conflicting_duplicates(write_file):
    rows = [f"{m},10" for m in months(9)]
    rows.insert(2, rows[1])  # exact duplicate of 2023-02
    rows.append("2023-03,99")  # conflicting: same date, other value
    ds = load_dataset(write_file("dup.csv", "Month,Sales\n" + "\n".join(rows) + "\n"))
    (exact,) = issues(ds, "duplicate_rows")
    assert exact.count == 1 and exact.rows == (4,)
    (conflict,) = issues(ds, "conflicting_rows")
    assert conflict.severity == "warning" and conflict.rows == (5,)
    march = ds.records.loc[ds.records["date"] == "2023-03-01", "revenue"]
    assert march.tolist() == [99.0]  # last kept, never summed


def test_unsorted_rows_are_sorted(write_file):
    rows = [f"{m},{i}" for i, m in enumerate(months(9))]
    rows = rows[::-1]
    ds = load_dataset(write_file("uns.csv", "Month,Sales\n" + "\n".join(rows) + "\n"))
    assert ds.records["date"].is_monotonic_increasing
    assert ds.records["revenue"].tolist() == list(map(float, range(9)))
    assert issues(ds, "unsorted")[0].severity == "info"


def test_non_numeric_cells_reported_with_rows(write_file):
    rows = [f"{m},{i}" for i, m in enumerate(months(9))]
    rows[3] = f"{months(9)[3]},see note"
    rows[5] = f"{months(9)[5]},N/A"
    ds = load_dataset(write_file("nn.csv", "Month,Sales\n" + "\n".join(rows) + "\n"))
    (bad,) = issues(ds, "non_numeric")
    assert bad.rows == (5,) and bad.column == "Sales" and "see note" in bad.message
    (marker,) = issues(ds, "empty_marker")
    assert marker.count == 1
    assert np.isnan(ds.records["revenue"].iloc[3]) and np.isnan(ds.records["revenue"].iloc[5])


def test_negative_values_kept_with_warning(write_file):
    rows2 = [f"{m},{-1 if i == 2 else 1}" for i, m in enumerate(months(9))]
    ds2 = load_dataset(write_file("neg2.csv", "Month,Revenue\n" + "\n".join(rows2) + "\n"))
    (neg2,) = issues(ds2, "negative_values")
    assert neg2.rows == (4,)
    assert ds2.records["revenue"].iloc[2] == -1.0  # sign kept


def test_net_income_may_be_negative(write_file):
    rows = [f"{m},{-3}" for m in months(9)]
    ds = load_dataset(write_file("ni.csv", "Month,Net income\n" + "\n".join(rows) + "\n"))
    assert issues(ds, "negative_values") == []


def test_empty_column_dropped(write_file):
    rows = [f"{m},{i}," for i, m in enumerate(months(9))]
    ds = load_dataset(write_file("empty_col.csv", "Month,Sales,Cash\n" + "\n".join(rows) + "\n"))
    assert ds.metrics == ("revenue",)
    assert issues(ds, "empty_column")[0].severity == "info"


def test_short_series_and_gaps(write_file):
    dates = months(6)
    rows = [f"{m},{i}" for i, m in enumerate(dates) if i != 2]
    ds = load_dataset(write_file("short.csv", "Month,Sales\n" + "\n".join(rows) + "\n"))
    assert issues(ds, "short_series")[0].severity == "warning"
    (gap,) = issues(ds, "gap")
    assert "2023-03" in gap.message and gap.count == 1
    assert len(ds.records) == 5  # nothing fabricated


def test_segment_gap(write_file):
    rows = []
    for i, m in enumerate(months(10)):
        rows.append(f"{m},North,{i}")
        if i != 4:
            rows.append(f"{m},South,{i}")
    ds = load_dataset(write_file("sgap.csv", "Month,Region,Sales\n" + "\n".join(rows) + "\n"))
    (gap,) = issues(ds, "segment_gap")
    assert gap.count == 1


def test_too_few_periods(write_file):
    with pytest.raises(InputError, match="at least 3"):
        load_dataset(write_file("two.csv", "Month,Sales\n2024-01,1\n2024-02,2\n"))


def test_no_date_column(write_file):
    with pytest.raises(InputError, match="No date column") as info:
        load_dataset(write_file("nodate.csv", "Name,Sales\nA,1\nB,2\nC,3\n"))
    assert "nodate.csv" in str(info.value)


def test_no_numeric_column(write_file):
    text = "Month,Region\n" + "".join(f"{m},North\n" for m in months(5))
    with pytest.raises(InputError, match="No numeric column"):
        load_dataset(write_file("nonum.csv", text))


def test_total_rows_dropped_not_summed(write_file):
    rows = [f"{m},North,{10}" for m in months(9)] + [f"{m},South,{20}" for m in months(9)]
    rows += [f"{m},Total,30" for m in months(9)]
    rows += ["Grand total,,270", "Sum,,270"]
    ds = load_dataset(write_file("tot.csv", "Month,Region,Sales\n" + "\n".join(rows) + "\n"))
    assert set(ds.records["region"]) == {"North", "South"}
    assert ds.records["revenue"].sum() == 9 * 30
    (note,) = issues(ds, "total_rows")
    assert note.count == 11


def test_ambiguous_dates_warn(write_file):
    rows = [f"01/{m:02d}/2024,{m}" for m in range(1, 10)]
    ds = load_dataset(write_file("amb.csv", "Date,Sales\n" + "\n".join(rows) + "\n"))
    (note,) = issues(ds, "date_order")
    assert note.severity == "warning" and "day/month/year" in note.message
    assert ds.frequency == "M" and len(ds.records) == 9


def test_missing_dimension_grouped(write_file):
    rows = [f"{m},{'' if i == 1 else 'North'},{i}" for i, m in enumerate(months(9))]
    ds = load_dataset(write_file("md.csv", "Month,Region,Sales\n" + "\n".join(rows) + "\n"))
    assert "Unassigned" in set(ds.records["region"])
    assert issues(ds, "missing_dimension")[0].rows == (3,)


def test_several_files_merged_with_overlap_reported(write_file):
    a = write_file("jan_jun.csv", "Month,Sales,Cash\n" + "".join(f"{m},1,5\n" for m in months(6)))
    b = write_file(
        "may_dec.csv", "Month,Sales\n" + "".join(f"{m},2\n" for m in months(8, "2023-05"))
    )
    ds = load_dataset([a, b])
    assert len(ds.records) == 12
    assert len(ds.inputs) == 2
    may = ds.records[ds.records["date"] == "2023-05-01"].iloc[0]
    assert may["revenue"] == 2.0  # later file wins
    assert may["cash_balance"] == 5.0  # only the first file has cash
    (overlap,) = issues(ds, "overlap")
    assert overlap.count == 2 and "may_dec.csv" in overlap.message and overlap.severity == "warning"


def test_files_with_different_segments_refused(write_file):
    a = write_file("a.csv", "Month,Region,Sales\n" + "".join(f"{m},N,1\n" for m in months(5)))
    b = write_file("b.csv", "Month,Sales\n" + "".join(f"{m},1\n" for m in months(5)))
    with pytest.raises(CfoDeskError, match="segment columns"):
        load_dataset([a, b])


def test_monthly_and_quarterly_files_merge_as_quarters(write_file):
    a = write_file("m.csv", "Month,Sales\n" + "".join(f"{m},1\n" for m in months(12, "2022-01")))
    b = write_file("q.csv", "Quarter,Sales\n" + "".join(f"2023Q{q},5\n" for q in range(1, 5)))
    ds = load_dataset([a, b])
    assert ds.frequency == "Q"
    assert ds.records["revenue"].tolist() == [3.0] * 4 + [5.0] * 4
    assert issues(ds, "to_quarters")
