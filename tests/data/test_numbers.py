import numpy as np
import pandas as pd
import pytest

from cfodesk.data.numbers import parse_numbers


def parse(cells, **kw):
    return parse_numbers(pd.Series(cells, dtype=object), **kw)


def test_plain_numbers_take_the_fast_path():
    result = parse(["1", "2.5", None, "-3"])
    np.testing.assert_array_equal(result.values[[0, 1, 3]], [1.0, 2.5, -3.0])
    assert np.isnan(result.values[2])
    assert not result.invalid.any()


@pytest.mark.parametrize(
    "text, expected",
    [
        ("1,234,567.89", 1234567.89),
        ("$1,234.50", 1234.5),
        ("€ 2,000", 2000.0),
        ("£75", 75.0),
        ("¥1,000", 1000.0),
        ("USD 1,200", 1200.0),
        ("1200 EUR", 1200.0),
        ("(1,500.25)", -1500.25),
        ("1500-", -1500.0),
        ("-$300", -300.0),
        ("+42", 42.0),
        ("1 234 567", 1234567.0),
        ("12%", 0.12),
        ("(5%)", -0.05),
    ],
)
def test_formatted_numbers(text, expected):
    result = parse([text, "1"])
    assert result.values[0] == pytest.approx(expected)
    assert not result.invalid.any()


def test_european_decimals_decided_for_the_whole_column():
    result = parse(["1.234,56", "1.234", "7,5", "12"])
    assert result.european
    np.testing.assert_allclose(result.values, [1234.56, 1234.0, 7.5, 12.0])


def test_us_column_with_ambiguous_values_stays_us():
    result = parse(["1,234", "2,500.75", "3.5"])
    assert not result.european
    np.testing.assert_allclose(result.values, [1234.0, 2500.75, 3.5])


def test_european_hint_reads_dot_thousands():
    result = parse(["12.500", "3.000"], european_hint=True)
    np.testing.assert_allclose(result.values, [12500.0, 3000.0])


@pytest.mark.parametrize(
    "marker", ["N/A", "NA", "n/a", "-", "—", "#DIV/0!", "#N/A", "#VALUE!", " "]
)
def test_empty_markers_are_missing_and_counted(marker):
    result = parse(["1", marker, "2"])
    assert np.isnan(result.values[1])
    assert not result.invalid.any()
    assert result.empty_markers == 1


def test_text_cells_are_invalid():
    result = parse(["1", "abc", "2", "abc"])
    assert result.invalid.tolist() == [False, True, False, True]
    assert np.isnan(result.values[1])


def test_percent_counted():
    result = parse(["10%", "20 %", "30%"])
    assert result.percent == 3
    np.testing.assert_allclose(result.values, [0.1, 0.2, 0.3])
