"""Numbers and dates as people read them."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from cfodesk.analytics.formatting import (
    MISSING,
    format_days,
    format_money,
    format_months,
    format_number,
    format_percent,
    format_period,
    format_period_range,
    format_points,
    format_quarter,
    format_signed_money,
    format_value,
)


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (0, "0"),
        (950, "950"),
        (9876, "9,876"),
        (12_345, "12.3K"),
        (250_000, "250K"),
        (999_960, "1.0M"),  # not '1000K'
        (1_234_567, "1.2M"),
        (-2_500_000_000, "-2.5B"),
        (-0.4, "0"),  # no '-0'
        (None, MISSING),
        (math.nan, MISSING),
        (math.inf, MISSING),
    ],
)
def test_money_is_abbreviated_for_people(value, text) -> None:
    assert format_money(value) == text


def test_money_options_and_signs() -> None:
    assert format_money(1_234_567, abbreviate=False) == "1,234,567"
    assert format_money(250_000, scale="M") == "0.3M"  # halves round up, as in spreadsheets
    assert format_money(1500, currency="$") == "$1,500"
    assert format_money(-1500, currency="$") == "-$1,500"
    assert format_signed_money(1_200_000) == "+1.2M"
    assert format_signed_money(-250_000) == "-250K"
    assert format_signed_money(0) == "0"


def test_percent_points_days_months() -> None:
    assert format_percent(0.084) == "8.4%"
    assert format_percent(0.0845) == "8.5%"
    assert format_percent(0.084, signed=True) == "+8.4%"
    assert format_percent(-0.00001) == "0.0%"
    assert format_points(-0.012) == "-1.2 pts"
    assert format_days(45.4) == "45 days" and format_days(1) == "1 day"
    assert format_months(14.25) == "14.3 months"
    assert format_number(1234567.891, 2) == "1,234,567.89"
    assert format_value(0.2, "percent") == "20.0%" and format_value(12, "count") == "12"


def test_periods_read_as_months_and_quarters() -> None:
    assert format_period(pd.Timestamp("2025-03-01")) == "Mar 2025"
    assert format_period("2025-02-01", "Q") == "Q1 2025"
    assert format_quarter("2025-12-01") == "Q4 2025"
    assert format_period_range("2025-01-01", "2025-12-01") == "Jan 2025 – Dec 2025"
    assert format_period_range("2025-01-01", "2025-01-01") == "Jan 2025"
