"""Write resources/sample_financial_data.csv: the bundled demo finance export.

Records layout, 84 months (2019-01 .. 2025-12) x 6 regions x 5 departments = 2,520 rows, seed 20240.
Columns: date, region, department, revenue, cogs, operating_expenses, marketing_spend, payroll,
headcount, cash_balance, accounts_receivable, accounts_payable, total_assets, total_liabilities.

Injected anomalies (tests check them; keep this list in step with ANOMALIES below):
- marketing campaign: marketing_spend x2.4 in Europe / Marketing, 2023-03-01
- revenue dip: revenue -45% in Latin America (every department), 2022-08-01
- booking error: operating_expenses x2 in Asia Pacific / Operations, 2024-06-01
- acquisition: headcount level shift +35% in North America / Engineering from 2021-07-01 on
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

SEED = 20240
START_YEAR, YEARS = 2019, 7
REGIONS = ("North America", "Europe", "Asia Pacific", "Latin America", "Middle East", "Africa")
DEPARTMENTS = ("Sales", "Marketing", "Engineering", "Operations", "Finance")
COLUMNS = (
    "date",
    "region",
    "department",
    "revenue",
    "cogs",
    "operating_expenses",
    "marketing_spend",
    "payroll",
    "headcount",
    "cash_balance",
    "accounts_receivable",
    "accounts_payable",
    "total_assets",
    "total_liabilities",
)
ANOMALIES = {
    "marketing_campaign": ("Europe", "Marketing", "2023-03-01", "marketing_spend", 2.4),
    "revenue_dip": ("Latin America", None, "2022-08-01", "revenue", 0.55),
    "booking_error": ("Asia Pacific", "Operations", "2024-06-01", "operating_expenses", 2.0),
    "acquisition": ("North America", "Engineering", "2021-07-01", "headcount", 1.35),
}

# Yearly revenue growth and base monthly revenue per region (segment bases scale below).
_REGION_GROWTH = {
    "North America": 0.08,
    "Europe": 0.05,
    "Asia Pacific": 0.14,
    "Latin America": 0.03,
    "Middle East": 0.10,
    "Africa": 0.12,
}
_REGION_BASE = {
    "North America": 900_000,
    "Europe": 700_000,
    "Asia Pacific": 500_000,
    "Latin America": 280_000,
    "Middle East": 320_000,
    "Africa": 240_000,
}
_DEPT_SHARE = {
    "Sales": 1.0,
    "Marketing": 0.45,
    "Engineering": 0.8,
    "Operations": 0.6,
    "Finance": 0.3,
}
_DEPT_HEADS = {"Sales": 40, "Marketing": 18, "Engineering": 40, "Operations": 26, "Finance": 12}
_SEASON = np.array([0.92, 0.90, 0.98, 0.97, 0.99, 1.00, 0.96, 0.95, 1.01, 1.04, 1.09, 1.19])


def build_rows(seed: int = SEED) -> list[list[object]]:
    """Give the sample rows (header excluded), in date, region, department order."""
    rng = np.random.default_rng(seed)
    months = YEARS * 12
    dates = [f"{START_YEAR + m // 12}-{m % 12 + 1:02d}-01" for m in range(months)]
    t = np.arange(months)
    series: dict[tuple[str, str], dict[str, np.ndarray]] = {}
    for region in REGIONS:
        for dept in DEPARTMENTS:
            scale = _REGION_BASE[region] * _DEPT_SHARE[dept] * rng.uniform(0.85, 1.15)
            trend = (1 + _REGION_GROWTH[region] + rng.normal(0, 0.01)) ** (t / 12)
            revenue = scale * trend * _SEASON[t % 12] * rng.normal(1, 0.04, months)
            cogs = revenue * rng.uniform(0.35, 0.45) * rng.normal(1, 0.02, months)
            region_heads = _REGION_BASE[region] / 900_000
            heads = np.maximum(
                np.round(
                    _DEPT_HEADS[dept] * region_heads * 0.8 * trend**0.6 + rng.normal(0, 0.6, months)
                ),
                1,
            )
            salary = 6_500 * (1.035 ** (t // 12)) * rng.uniform(0.6, 1.1)
            payroll = heads * salary * rng.normal(1, 0.01, months)
            marketing = revenue * rng.uniform(0.04, 0.09) * rng.normal(1, 0.08, months)
            opex = revenue * rng.uniform(0.10, 0.16) * rng.normal(1, 0.05, months)
            series[(region, dept)] = {
                "revenue": revenue,
                "cogs": cogs,
                "operating_expenses": opex,
                "marketing_spend": marketing,
                "payroll": payroll,
                "headcount": heads,
            }
    for name, (region, dept, when, metric, factor) in ANOMALIES.items():
        index = dates.index(when)
        for d in DEPARTMENTS if dept is None else (dept,):
            values = series[(region, d)][metric]
            if name == "acquisition":
                values[index:] = np.round(values[index:] * factor)
                series[(region, d)]["payroll"][index:] *= factor
            else:
                values[index] *= factor
    rows: list[list[object]] = []
    balances = {}
    for key, s in series.items():
        revenue, costs = s["revenue"], s["cogs"] + s["operating_expenses"] + s["marketing_spend"]
        costs = costs + s["payroll"]
        profit = revenue - costs
        cash = 0.6 * revenue[0] * 3 + np.cumsum(profit * 0.85)
        receivable = revenue / 30 * rng.uniform(40, 55) * rng.normal(1, 0.03, months)
        payable = (costs - s["payroll"]) / 30 * rng.uniform(30, 45) * rng.normal(1, 0.03, months)
        fixed = revenue[0] * 4 * (1 + 0.004 * t)
        assets = np.maximum(cash, 0) + receivable + fixed
        liabilities = payable + fixed * 0.45
        balances[key] = (cash, receivable, payable, assets, liabilities)
    for m, date in enumerate(dates):
        for region in REGIONS:
            for dept in DEPARTMENTS:
                s = series[(region, dept)]
                cash, receivable, payable, assets, liabilities = balances[(region, dept)]
                rows.append(
                    [
                        date,
                        region,
                        dept,
                        round(float(s["revenue"][m]), 2),
                        round(float(s["cogs"][m]), 2),
                        round(float(s["operating_expenses"][m]), 2),
                        round(float(s["marketing_spend"][m]), 2),
                        round(float(s["payroll"][m]), 2),
                        int(s["headcount"][m]),
                        round(float(cash[m]), 2),
                        round(float(receivable[m]), 2),
                        round(float(payable[m]), 2),
                        round(float(assets[m]), 2),
                        round(float(liabilities[m]), 2),
                    ]
                )
    return rows


def write_sample(path: Path) -> int:
    """Write the sample CSV; give the number of data rows."""
    rows = build_rows()
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8", newline="") as handle:
        handle.write(",".join(COLUMNS) + "\n")
        for row in rows:
            handle.write(",".join(str(v) for v in row) + "\n")
    return len(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    default = Path(__file__).resolve().parents[1] / "resources" / "sample_financial_data.csv"
    parser.add_argument("--out", type=Path, default=default)
    args = parser.parse_args()
    count = write_sample(args.out)
    print(f"wrote {count} rows to {args.out}")


if __name__ == "__main__":
    main()
