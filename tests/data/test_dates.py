import numpy as np
import pandas as pd
import pytest

from cfodesk.data.dates import parse_dates


def first(texts, **kw):
    result = parse_dates(pd.Series(texts, dtype=object), **kw)
    return [str(d)[:10] for d in result.dates], result


@pytest.mark.parametrize(
    "text, expected, grain",
    [
        ("2024-01-31", "2024-01-31", "D"),
        ("2024-01-31 00:00:00", "2024-01-31", "D"),
        ("2024-01-31T00:00:00", "2024-01-31", "D"),
        ("2024-01", "2024-01-01", "M"),
        ("Jan 2024", "2024-01-01", "M"),
        ("Jan-24", "2024-01-01", "M"),
        ("January 2024", "2024-01-01", "M"),
        ("Sept 2023", "2023-09-01", "M"),
        ("31-Jan-2024", "2024-01-31", "D"),
        ("2024Q1", "2024-01-01", "Q"),
        ("Q2 2024", "2024-04-01", "Q"),
        ("2024-Q3", "2024-07-01", "Q"),
        ("Q4-23", "2023-10-01", "Q"),
    ],
)
def test_formats(text, expected, grain):
    dates, result = first([text])
    assert dates == [expected]
    assert result.grain[0] == grain


def test_month_first_decided_from_the_column():
    dates, result = first(["01/31/2024", "02/29/2024", "03/01/2024"])
    assert dates == ["2024-01-31", "2024-02-29", "2024-03-01"]
    assert result.order_note is None


def test_day_first_decided_from_the_column():
    dates, _ = first(["31.01.2024", "29.02.2024", "01.03.2024"])
    assert dates == ["2024-01-31", "2024-02-29", "2024-03-01"]
    dates, _ = first(["31/01/2024", "01/02/2024"])
    assert dates == ["2024-01-31", "2024-02-01"]


def test_ambiguous_order_is_reported():
    dates, result = first(["01/02/2024", "01/03/2024", "01/04/2024"])
    # Reading as day/month spreads the dates over three months: the period-start reading.
    assert dates == ["2024-02-01", "2024-03-01", "2024-04-01"]
    assert result.order_note and "day/month/year" in result.order_note


def test_excel_serials_only_when_allowed():
    dates, result = first(["45292", "45323"], allow_serial=True)
    assert dates == ["2024-01-01", "2024-02-01"]
    assert result.excel_serial
    _, plain = first(["45292", "45323"])
    assert plain.parsed == 0.0


def test_unreadable_and_missing():
    _, result = first(["Total", None, "2024-01"])
    assert np.isnat(result.dates[0]) and np.isnat(result.dates[1])
    assert result.parsed == pytest.approx(0.5)


def test_large_column_parses_by_distinct_values():
    texts = pd.Series([f"2024-{m:02d}" for m in range(1, 13)] * 50_000, dtype=object)
    result = parse_dates(texts)
    assert result.parsed == 1.0
    assert len(result.dates) == 600_000
