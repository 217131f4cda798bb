"""The validate stage reports progress and honours cancel; the bundled sample reads cleanly."""

import numpy as np
import pandas as pd
import pytest

from cfodesk.data import load_dataset, prepare_dataset, read_sources
from cfodesk.metrics import KNOWN_METRICS
from cfodesk.paths import sample_data_path
from cfodesk.progress import Cancelled, CancelToken

from .conftest import monthly_csv


def test_prepare_reports_progress_per_file(write_file):
    a = write_file("a.csv", monthly_csv())
    b = write_file("b.csv", monthly_csv(start=2024))
    tables = read_sources([a, b])
    steps = []
    ds = prepare_dataset(
        tables, on_progress=lambda d, t, item=None, message=None: steps.append((d, t, item))
    )
    assert [d for d, _, _ in steps] == sorted(d for d, _, _ in steps)
    assert steps[-1][0] == steps[-1][1]
    assert {"a.csv", "b.csv"} <= {item for _, _, item in steps}
    assert len(ds.records) == 48
    assert [i.path for i in ds.inputs] == [str(a), str(b)]


def test_prepare_cancel(write_file):
    tables = read_sources([write_file("a.csv", monthly_csv())])
    token = CancelToken()
    token.cancel()
    with pytest.raises(Cancelled):
        prepare_dataset(tables, cancel=token)


def test_free_text_column_ignored_with_note(write_file):
    text = "Month,Region,Sales,Comment\n" + "".join(
        f"2024-{m:02d},North,{m},remark number {m} about things\n" for m in range(1, 10)
    )
    ds = load_dataset(write_file("ft.csv", text))
    assert any(q.code == "ignored_column" and q.column == "Comment" for q in ds.quality)


@pytest.fixture(scope="module")
def sample():
    return load_dataset(sample_data_path())


def test_sample_shape(sample):
    assert len(sample.records) == 2520
    assert sample.frequency == "M"
    assert sample.dimensions == ("region", "department")
    assert set(sample.metrics) <= set(KNOWN_METRICS)
    assert len(sample.metrics) == 11
    assert sample.records["date"].min() == pd.Timestamp("2019-01-01")
    assert sample.records["date"].max() == pd.Timestamp("2025-12-01")
    assert [q for q in sample.quality if q.severity != "info"] == []
    revenue = sample.records["revenue"]
    assert revenue.quantile(0.01) > 50_000 and revenue.max() < 2_000_000


def _segment(sample, region, department, metric):
    rows = sample.records
    if department is not None:
        rows = rows[(rows["region"] == region) & (rows["department"] == department)]
    else:
        rows = rows[rows["region"] == region].groupby("date", as_index=False)[metric].sum()
    return rows.set_index("date")[metric]


@pytest.mark.parametrize(
    "region, department, when, metric, low, high",
    [
        ("Europe", "Marketing", "2023-03-01", "marketing_spend", 1.9, 3.0),
        ("Latin America", None, "2022-08-01", "revenue", 0.4, 0.7),
        ("Asia Pacific", "Operations", "2024-06-01", "operating_expenses", 1.7, 2.4),
    ],
)
def test_sample_anomalies(sample, region, department, when, metric, low, high):
    series = _segment(sample, region, department, metric)
    at = series.index.get_loc(pd.Timestamp(when))
    neighbours = np.r_[series.iloc[at - 2 : at].to_numpy(), series.iloc[at + 1 : at + 3].to_numpy()]
    assert low < series.iloc[at] / neighbours.mean() < high


def test_sample_acquisition_level_shift(sample):
    heads = _segment(sample, "North America", "Engineering", "headcount")
    before = heads["2021-01-01":"2021-06-01"].mean()
    after = heads["2021-07-01":"2021-12-01"].mean()
    assert after / before > 1.25


def test_sample_relations(sample):
    r = sample.records
    ratio = (r["cogs"] / r["revenue"]).median()
    assert 0.33 < ratio < 0.47
    dso = (r["accounts_receivable"] / r["revenue"] * 30).median()
    assert 35 < dso < 60
    assert (r["total_assets"] > r["total_liabilities"]).all()
