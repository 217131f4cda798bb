import numpy as np
import pytest

from cfodesk.data import load_dataset, propose_mapping, read_sources


def test_records_layout(write_file):
    text = "Period,Country,Dept,Net Sales,Cost of Sales,Head count\n" + "".join(
        f"2024-{m:02d},{c},{d},{100 * m},{40 * m},{5}\n"
        for m in range(1, 10)
        for c in ("France", "Spain")
        for d in ("Sales", "Ops")
    )
    ds = load_dataset(write_file("records.csv", text))
    assert ds.inputs[0].layout == "records"
    assert ds.dimensions == ("region", "department")
    assert ds.metrics == ("revenue", "cogs", "headcount")
    assert list(ds.records.columns) == [
        "date",
        "region",
        "department",
        "revenue",
        "cogs",
        "headcount",
    ]
    assert len(ds.records) == 36
    assert ds.frequency == "M"


def test_long_layout(write_file):
    rows = ["Date,Region,Account,Amount"]
    for m in range(1, 10):
        for region in ("North", "South"):
            rows.append(f"2024-{m:02d}-01,{region},Revenue,{1000 + m}")
            rows.append(f"2024-{m:02d}-01,{region},COGS,{400 + m}")
            rows.append(f"2024-{m:02d}-01,{region},Cloud hosting,{50 + m}")
    path = write_file("long.csv", "\n".join(rows) + "\n")
    (table,) = read_sources([path])
    assert table.info.layout == "long"
    ds = load_dataset(path)
    assert ds.inputs[0].layout == "long"
    assert ds.metrics == ("revenue", "cogs", "cloud_hosting")
    assert ds.dimensions == ("region",)
    north = ds.records[ds.records["region"] == "North"]
    assert north["revenue"].tolist() == [1000.0 + m for m in range(1, 10)]
    roles = {m.column: m.role for m in ds.mapping}
    assert roles["Account"] == "metric_name" and roles["Amount"] == "value"


@pytest.mark.parametrize(
    "periods",
    [
        ["Jan-24", "Feb-24", "Mar-24", "Apr-24", "May-24", "Jun-24", "Jul-24", "Aug-24"],
        ["2024-01", "2024-02", "2024-03", "2024-04", "2024-05", "2024-06", "2024-07", "2024-08"],
    ],
)
def test_statement_layout_monthly(write_file, periods):
    header = ",".join(["Account", *periods])
    lines = [
        header,
        "Income statement," + "," * (len(periods) - 1),
        "Sales," + ",".join(str(100 + i) for i in range(len(periods))),
        "Cost of sales," + ",".join(f"({40 + i})" for i in range(len(periods))),
        "Salaries," + ",".join(str(30) for _ in periods),
        "Total," + ",".join("999" for _ in periods),
    ]
    path = write_file("statement.csv", "\n".join(lines) + "\n")
    ds = load_dataset(path)
    assert ds.inputs[0].layout == "statement"
    assert ds.metrics == ("revenue", "cogs", "payroll")
    assert ds.records["revenue"].tolist() == [100.0 + i for i in range(8)]
    assert ds.records["cogs"].iloc[0] == -40.0
    assert ds.records["date"].iloc[1].strftime("%Y-%m-%d") == "2024-02-01"
    codes = {q.code for q in ds.quality}
    assert "total_rows" in codes
    assert 999.0 not in ds.records.to_numpy()


def test_statement_layout_quarterly_with_regions(write_file):
    quarters = [
        "Q1 2023",
        "Q2 2023",
        "Q3 2023",
        "Q4 2023",
        "Q1 2024",
        "Q2 2024",
        "Q3 2024",
        "Q4 2024",
    ]
    lines = ["Region,Line item," + ",".join(quarters)]
    for region in ("EMEA", "APAC"):
        lines.append(f"{region},Revenue," + ",".join(str(1000 + i) for i in range(8)))
        lines.append(f"{region},Opex," + ",".join(str(300) for _ in range(8)))
    ds = load_dataset(write_file("q.csv", "\n".join(lines) + "\n"))
    assert ds.frequency == "Q"
    assert ds.dimensions == ("region",)
    assert ds.metrics == ("revenue", "operating_expenses")
    assert len(ds.records) == 16
    assert ds.records["date"].iloc[-1].strftime("%Y-%m-%d") == "2024-10-01"


def test_propose_mapping_matches_prepare(write_file):
    text = "Month,Territory,Turnover,Opex,Invoice ID,Notes\n" + "".join(
        f"2024-{m:02d},West,{m * 10},{m},{1000 + m},hello {m}\n" for m in range(1, 10)
    )
    path = write_file("m.csv", text)
    tables = read_sources([path])
    proposal = {m.column: (m.role, m.target) for m in propose_mapping(tables)}
    assert proposal["Month"] == ("date", "date")
    assert proposal["Territory"] == ("region", "region")
    assert proposal["Turnover"] == ("metric", "revenue")
    assert proposal["Opex"] == ("metric", "operating_expenses")
    assert proposal["Invoice ID"][0] == "ignored"
    assert proposal["Notes"][0] == "ignored"
    ds = load_dataset(path)
    assert {m.column: (m.role, m.target) for m in ds.mapping} == proposal
    assert ds.metrics == ("revenue", "operating_expenses")


def test_unnamed_low_cardinality_text_becomes_a_dimension(write_file):
    text = "Date,Where,Value of sales\n" + "".join(
        f"2024-{m:02d}-01,{w},{m}\n" for m in range(1, 10) for w in ("Lyon", "Nice")
    )
    ds = load_dataset(write_file("dim.csv", text))
    assert ds.dimensions == ("region",)
    (entry,) = [m for m in ds.mapping if m.column == "Where"]
    assert entry.method == "inferred" and entry.confidence < 1


def test_records_keep_nan_for_empty_cells(write_file):
    text = "Month,Revenue,Cash\n2024-01,1,5\n2024-02,,6\n2024-03,3,7\n"
    ds = load_dataset(write_file("nan.csv", text))
    assert np.isnan(ds.records["revenue"].iloc[1])
