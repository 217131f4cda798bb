import json

import pytest

from cfodesk.data import (
    headers_signature,
    load_dataset,
    load_mapping_file,
    parse_map_option,
    read_sources,
)
from cfodesk.data.mapping import fold, match_header, match_role, snake_case
from cfodesk.errors import ConfigError


@pytest.mark.parametrize(
    "header, target",
    [
        ("Sales Revenue", "revenue"),
        ("SALES", "revenue"),
        ("turnover", "revenue"),
        ("Net Sales", "revenue"),
        ("Income", "revenue"),
        ("Revenue (USD)", "revenue"),
        ("Total Revenue", "revenue"),
        ("COGS", "cogs"),
        ("Cost of Sales", "cogs"),
        ("Operating Costs", "operating_expenses"),
        ("Opex", "operating_expenses"),
        ("SG&A", "operating_expenses"),
        ("Marketing", "marketing_spend"),
        ("Salaries", "payroll"),
        ("Wages", "payroll"),
        ("Net Income", "net_income"),
        ("Net Profit", "net_income"),
        ("A/R", "accounts_receivable"),
        ("Receivables", "accounts_receivable"),
        ("Debtors", "accounts_receivable"),
        ("A/P", "accounts_payable"),
        ("Payables", "accounts_payable"),
        ("Creditors", "accounts_payable"),
        ("Cash at bank", "cash_balance"),
        ("Cash", "cash_balance"),
        ("Total Assets", "total_assets"),
        ("Total Liabilities", "total_liabilities"),
        ("FTE", "headcount"),
        ("Employees", "headcount"),
        ("Head count", "headcount"),
        ("accounts_receivable", "accounts_receivable"),
    ],
)
def test_metric_synonyms(header, target):
    match = match_header(header)
    assert match is not None and match.target == target
    assert match.confidence >= 0.85


@pytest.mark.parametrize(
    "header, role",
    [
        ("Month", "date"),
        ("Period", "date"),
        ("Date", "date"),
        ("Region", "region"),
        ("Country", "region"),
        ("Market", "region"),
        ("Territory", "region"),
        ("Geography", "region"),
        ("Department", "department"),
        ("Dept", "department"),
        ("Cost center", "department"),
        ("Business unit", "department"),
        ("Division", "department"),
    ],
)
def test_role_synonyms(header, role):
    assert match_role(header, role) is not None


def test_fuzzy_fallback_has_lower_confidence():
    match = match_header("Reveneus")
    assert match is not None and match.target == "revenue" and match.method == "fuzzy"
    assert 0 < match.confidence < 0.85
    assert match_header("Widget colour") is None


def test_fold_and_snake_case():
    assert fold(" Sales-Revenue ") == fold("sales_revenue") == "salesrevenue"
    assert snake_case("Gross Margin %") == "gross_margin_pct"
    assert snake_case("2024 plan") == "m_2024_plan"


def test_unknown_numeric_column_is_a_custom_metric(write_file):
    text = "Month,Widgets shipped\n" + "".join(f"2024-{m:02d},{m}\n" for m in range(1, 10))
    ds = load_dataset(write_file("custom.csv", text))
    assert ds.metrics == ("widgets_shipped",)


def test_two_columns_for_one_target_keep_the_closer(write_file):
    text = "Month,Revenue,Sales\n" + "".join(f"2024-{m:02d},{m},{m * 2}\n" for m in range(1, 10))
    ds = load_dataset(write_file("dup.csv", text))
    assert ds.metrics == ("revenue",)
    assert ds.records["revenue"].iloc[0] == 1.0
    (issue,) = [q for q in ds.quality if q.code == "duplicate_mapping"]
    assert issue.severity == "warning" and issue.column == "Sales"


def test_user_overrides(write_file):
    text = "When,Zone,Amount A,Amount B,Junk\n" + "".join(
        f"2024-{m:02d},Z{m % 2},{m},{m},x\n" for m in range(1, 10)
    )
    path = write_file("over.csv", text)
    ds = load_dataset(
        path,
        mapping={
            "When": "date",
            "zone": "department",
            "Amount A": "revenue",
            "Amount B": "Net Income",
            "Junk": "ignore",
            "Ghost": "revenue",
        },
    )
    assert ds.dimensions == ("department",)
    assert ds.metrics == ("revenue", "net_income")
    assert all(m.method == "user" for m in ds.mapping if m.column != "Ghost")
    assert any(q.code == "unused_mapping" and q.column == "Ghost" for q in ds.quality)


def test_override_renames_accounts_in_a_statement(write_file):
    months = [f"2024-{m:02d}" for m in range(1, 10)]
    text = "Account," + ",".join(months) + "\nWidget income," + ",".join("5" for _ in months) + "\n"
    ds = load_dataset(write_file("st.csv", text), mapping={"Widget income": "revenue"})
    assert ds.metrics == ("revenue",)


def test_load_mapping_file(tmp_path):
    good = tmp_path / "map.json"
    good.write_text(json.dumps({"Sales": "revenue", "Dept": "department"}))
    assert load_mapping_file(good) == {"Sales": "revenue", "Dept": "department"}
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(ConfigError, match="not valid JSON"):
        load_mapping_file(bad)
    wrong = tmp_path / "list.json"
    wrong.write_text("[1, 2]")
    with pytest.raises(ConfigError, match="one JSON object"):
        load_mapping_file(wrong)
    typed = tmp_path / "typed.json"
    typed.write_text('{"Sales": 3}')
    with pytest.raises(ConfigError, match="Sales"):
        load_mapping_file(typed)
    with pytest.raises(ConfigError, match="does not exist"):
        load_mapping_file(tmp_path / "none.json")


def test_parse_map_option():
    assert parse_map_option("Sales=revenue") == {"Sales": "revenue"}
    assert parse_map_option(" Sales = revenue , Dept=department ") == {
        "Sales": "revenue",
        "Dept": "department",
    }
    with pytest.raises(ConfigError, match="SOURCE=TARGET"):
        parse_map_option("Sales")
    with pytest.raises(ConfigError):
        parse_map_option("=revenue")


def test_headers_signature_is_stable(write_file):
    a = write_file("a.csv", "Month,Sales\n2024-01,1\n")
    b = write_file("b.csv", "Sales,Month\n1,2024-01\n")
    c = write_file("c.csv", "Month,Revenue\n2024-01,1\n")
    sig_a = headers_signature(read_sources([a]))
    assert sig_a == headers_signature(read_sources([b]))
    assert sig_a != headers_signature(read_sources([c]))
    assert len(sig_a) == 16
