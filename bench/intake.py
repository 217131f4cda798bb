"""Intake benchmark: seconds and peak memory to read + prepare 10k, 100k and 1M-row exports.

Each size runs in a fresh subprocess so peak RSS is its own. Run with
``.venv/bin/python bench/intake.py`` (``--sizes 10000,100000`` to choose sizes).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

METRICS = (
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
    "other_income",
)


def write_records(path: Path, rows: int, seed: int = 7) -> None:
    """Write a records CSV of about ``rows`` rows: months x regions x departments, 12 metrics."""
    rng = np.random.default_rng(seed)
    months = 120
    segments = max(rows // months, 1)
    regions = [f"Region {i:03d}" for i in range(max(int(np.sqrt(segments)), 1))]
    departments = [f"Dept {i:03d}" for i in range(max(segments // len(regions), 1))]
    dates = np.array([f"{2015 + m // 12}-{m % 12 + 1:02d}-01" for m in range(months)])
    date_col = np.repeat(dates, len(regions) * len(departments))
    region_col = np.tile(np.repeat(regions, len(departments)), months)
    dept_col = np.tile(departments, months * len(regions))
    n = len(date_col)
    values = np.round(rng.lognormal(11, 1, size=(n, len(METRICS))), 2)
    with open(path, "w", encoding="utf-8", newline="") as handle:
        handle.write(",".join(["date", "region", "department", *METRICS]) + "\n")
        block = 100_000
        for start in range(0, n, block):
            stop = min(start + block, n)
            numbers = [np.char.mod("%.2f", values[start:stop, j]) for j in range(len(METRICS))]
            columns = [date_col[start:stop], region_col[start:stop], dept_col[start:stop], *numbers]
            lines = [",".join(cells) for cells in zip(*columns)]
            handle.write("\n".join(lines) + "\n")


def measure(path: Path) -> dict:
    """Read + prepare one file (and KPIs when available); give seconds and peak RSS."""
    from cfodesk.data import prepare_dataset, read_sources

    t0 = time.perf_counter()
    tables = read_sources([path])
    t1 = time.perf_counter()
    dataset = prepare_dataset(tables)
    t2 = time.perf_counter()
    result = {
        "rows": int(tables[0].info.rows),
        "read_s": round(t1 - t0, 2),
        "prepare_s": round(t2 - t1, 2),
        "read_prepare_s": round(t2 - t0, 2),
        "kpis_s": None,
        "intake_peak_rss_mb": round(_peak_rss_mb(), 1),
    }
    try:
        from cfodesk.analytics.kpis import compute_kpis
        from cfodesk.analytics.panel import build_panel

        t3 = time.perf_counter()
        panel = build_panel(dataset, ("total", "region", "department", "region/department"))
        compute_kpis(panel)
        result["kpis_s"] = round(time.perf_counter() - t3, 2)
    except ImportError:
        pass
    except Exception as exc:  # noqa: BLE001 - the bench reports, it does not fail
        result["kpis_error"] = f"{type(exc).__name__}: {exc}"
    result["peak_rss_mb"] = round(_peak_rss_mb(), 1)
    return result


def _peak_rss_mb() -> float:
    import resource

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 1024 / 1024 if sys.platform == "darwin" else peak / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(measure(args.child)))
        return
    with tempfile.TemporaryDirectory(prefix="cfodesk-bench-") as folder:
        for size in (int(s) for s in args.sizes.split(",")):
            path = Path(folder) / f"records_{size}.csv"
            t = time.perf_counter()
            write_records(path, size)
            made = time.perf_counter() - t
            out = subprocess.run(
                [sys.executable, __file__, "--child", str(path)],
                capture_output=True,
                text=True,
                check=False,
            )
            if out.returncode != 0:
                print(f"{size:>9,} rows: failed\n{out.stderr[-2000:]}")
                continue
            r = json.loads(out.stdout.strip().splitlines()[-1])
            kpis = "n/a" if r["kpis_s"] is None else f"{r['kpis_s']:.2f} s"
            if "kpis_error" in r:
                kpis = f"error ({r['kpis_error'][:80]})"
            size_mb = path.stat().st_size / 1e6
            print(
                f"{r['rows']:>9,} rows x {len(METRICS)} metrics ({size_mb:.0f} MB, made in "
                f"{made:.1f} s): read {r['read_s']:.2f} s + prepare {r['prepare_s']:.2f} s = "
                f"{r['read_prepare_s']:.2f} s, peak RSS {r['intake_peak_rss_mb']:.0f} MB; kpis: {kpis}, "
                f"peak RSS with kpis {r['peak_rss_mb']:.0f} MB",
                flush=True,
            )


if __name__ == "__main__":
    main()
