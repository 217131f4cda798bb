"""Whatever a user feeds intake, it parses or says why: never a traceback."""

import csv
import io

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cfodesk.data import load_dataset, propose_mapping, read_sources
from cfodesk.errors import CfoDeskError

FUZZ = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def _intake(path):
    try:
        ds = load_dataset(path)
    except CfoDeskError:
        return None
    assert list(ds.records.columns[:1]) == ["date"]
    assert len(ds.metrics) >= 1
    return ds


@FUZZ
@given(data=st.binary(min_size=0, max_size=2000), suffix=st.sampled_from([".csv", ".xlsx", ".txt"]))
def test_random_bytes(tmp_path_factory, data, suffix):
    path = tmp_path_factory.mktemp("fuzz") / f"input{suffix}"
    path.write_bytes(data)
    _intake(path)


cell = st.one_of(
    st.sampled_from(
        [
            "",
            "N/A",
            "-",
            "Total",
            "2024-01",
            "Jan-24",
            "Q1 2024",
            "31.01.2024",
            "$1,234.50",
            "(12)",
            "12%",
            "1.234,56",
            "Europe",
            "Sales",
            "#DIV/0!",
            "45292",
            '"',
            ";",
            "\n",
        ]
    ),
    st.text(max_size=8),
    st.integers(-(10**6), 10**6).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(str),
)
header = st.sampled_from(
    [
        "Date",
        "Month",
        "Region",
        "Dept",
        "Revenue",
        "Sales",
        "COGS",
        "Cash",
        "Account",
        "Amount",
        "Jan-24",
        "Feb-24",
        "Mar-24",
        "",
        "Notes",
        "ID",
    ]
)


@FUZZ
@given(
    headers=st.lists(header, min_size=1, max_size=6),
    rows=st.lists(st.lists(cell, min_size=0, max_size=7), min_size=0, max_size=15),
    delimiter=st.sampled_from([",", ";", "\t", "|"]),
    encoding=st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "cp1252"]),
)
def test_random_small_tables(tmp_path_factory, headers, rows, delimiter, encoding):
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter)
    writer.writerow(headers)
    writer.writerows(rows)
    path = tmp_path_factory.mktemp("fuzz") / "table.csv"
    path.write_bytes(buffer.getvalue().encode(encoding, errors="replace"))
    try:
        tables = read_sources([path])
        propose_mapping(tables)
    except CfoDeskError:
        return
    _intake(path)


@FUZZ
@given(
    values=st.lists(st.one_of(st.none(), cell), min_size=3, max_size=30),
    dates=st.lists(
        st.sampled_from(["2024-01", "2024-02", "2024-03", "2024-04", "Total", "", "2024-06-15"]),
        min_size=3,
        max_size=30,
    ),
)
def test_random_records_values(tmp_path_factory, values, dates):
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["Month", "Region", "Revenue", "Cash"])
    for i, (d, v) in enumerate(zip(dates, values)):
        writer.writerow([d, "North" if i % 2 else "South", v or "", v or ""])
    path = tmp_path_factory.mktemp("fuzz") / "records.csv"
    path.write_text(buffer.getvalue(), encoding="utf-8")
    _intake(path)
