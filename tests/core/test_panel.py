"""build_panel: segment sums and means equal a plain groupby; missing stays missing."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cfodesk.analytics.panel import build_panel
from cfodesk.model import Dataset, SeriesKey


@pytest.fixture
def dataset() -> Dataset:
    rng = np.random.default_rng(3)
    dates = pd.date_range("2022-01-01", periods=10, freq="MS")
    rows = [
        {
            "date": d,
            "region": region,
            "department": dept,
            "revenue": rng.random() * 100 if rng.random() > 0.2 else np.nan,
            "gross_margin_pct": rng.random(),
        }
        for d in dates
        for region in ("Europe", "Asia")
        for dept in ("Sales", "Ops", "R&D")
        if rng.random() > 0.1
    ]
    return Dataset(
        pd.DataFrame(rows), "M", ("region", "department"), ("revenue", "gross_margin_pct")
    )


def test_levels_match_groupby(dataset: Dataset) -> None:
    panel = build_panel(dataset)
    df = dataset.records
    assert panel.levels == ("total", "region", "department", "region/department")
    for level, cols in {
        "total": [],
        "region": ["region"],
        "department": ["department"],
        "region/department": ["region", "department"],
    }.items():
        grouped = df.groupby(["date", *cols])
        revenue = grouped["revenue"].sum(min_count=1)
        margin = grouped["gross_margin_pct"].mean()
        for index, expected in revenue.items():
            date, *parts = index if isinstance(index, tuple) else (index,)
            segment = "total" if not parts else " / ".join(parts)
            got = panel.series(SeriesKey(level, segment, "revenue"))[date]
            assert (np.isnan(got) and np.isnan(expected)) or got == pytest.approx(expected)
            got_margin = panel.series(SeriesKey(level, segment, "gross_margin_pct"))[date]
            assert got_margin == pytest.approx(margin[index])


def test_a_period_without_rows_is_nan_and_levels_follow_dimensions(dataset: Dataset) -> None:
    records = dataset.records[dataset.records["date"] != "2022-03-01"]
    records = records.drop(columns=["department"])
    thin = Dataset(records, "M", ("region",), dataset.metrics)
    panel = build_panel(thin)
    assert panel.levels == ("total", "region")
    assert np.isnan(panel.series(SeriesKey("total", "total", "revenue"))["2022-03-01"])
    assert len(panel.periods) == 10
    only_total = build_panel(dataset, levels=("total",))
    assert {k.level for k in only_total.keys} == {"total"}
