"""Recall, precision and false alarms of the anomaly detector on realistic finance exports.

Generates companies of 6 regions x 5 departments, 7 years monthly, built the way finance data is:

- flows: revenue (trend with a change of growth rate, seasonality, noise of 2-6 %), cost of
  goods sold, operating expenses and marketing spend as noisy shares of revenue, and payroll =
  headcount x salary with a raise every January;
- counts: headcount of 2-200 people per team, moving by hires and leavers (+-1 steps);
- stocks: cash balance = previous balance + net cash flow (a running sum), accounts receivable =
  days of revenue, total assets = cash + receivables + fixed assets.

Then anomalies of known size are injected: single-month spikes and dips (x0.4 .. x2.5) and level
shifts of flows, in one segment or company-wide; one-off cash payments and receipts (a step in
the balance); collection problems (receivables up or down for one month, or for good); and
acquisitions or lay-offs (a step in headcount, payroll following). Balances are rebuilt from the
dirty flows, so a revenue spike also moves cash: such knock-on moves are "don't care" (neither
found nor missed). The truth is measured per series after aggregation: a cell is anomalous at a
level when the injection moved it by 20 % or more (a balance: its change, relative to the
balance; a count: also by 4 people or more); other moved cells are don't care; a series no
injection moved is clean.

    nice .venv/bin/python bench/anomaly_recall.py [--seeds 5]

Prints recall by size, level and metric kind (flow, stock, count), precision and F1, false
alarms per 100 series-years on clean series by kind, seconds per run (also for 1,000+ series),
and what the detector reports on the bundled sample, with each of its injected anomalies.
"""

from __future__ import annotations

import argparse
import importlib.util
import time
from collections import defaultdict
from pathlib import Path

import numpy as np
import pandas as pd

from cfodesk.analytics.anomalies import detect_anomalies
from cfodesk.metrics import metric_info
from cfodesk.model import Panel, SeriesKey

REGIONS = ["Europe", "Americas", "Asia", "Africa", "Oceania", "Nordics"]
DEPARTMENTS = ["Sales", "Marketing", "Operations", "Finance", "R&D"]
FLOWS = ["revenue", "cogs", "operating_expenses", "marketing_spend", "payroll"]
STOCKS = ["cash_balance", "accounts_receivable", "total_assets"]
METRICS = FLOWS + ["headcount"] + STOCKS
KINDS = ("flow", "stock", "count")
YEARS = 7
N = 12 * YEARS
SPIKE_FACTORS = [0.4, 0.5, 0.65, 0.8, 1.2, 1.35, 1.5, 1.75, 2.0, 2.5]
SHIFT_FACTORS = [0.6, 0.7, 1.4, 1.6]
CASH_STEPS = [-0.6, -0.45, -0.35, -0.25, 0.3, 0.5]  # share of the balance paid out / received
COLLECTION_FACTORS = [0.5, 0.65, 1.4, 1.7, 2.2]
HEADCOUNT_STEPS = [0.6, 0.7, 1.35, 1.5, 1.8]
TRUTH_MIN = 0.2
CARE_MIN = 0.02
COUNT_TRUTH_MIN = 4  # people
BUCKETS = [
    (0.2, 0.35, "20-35%"),
    (0.35, 0.6, "35-60%"),
    (0.6, 1.0, "60-100%"),
    (1.0, np.inf, ">=100%"),
]
LEVELS = ("total", "region", "department", "region/department")
SAMPLE = Path(__file__).resolve().parents[1] / "tools" / "make_sample.py"


def kind_of(metric: str) -> str:
    """Give flow, stock or count for the figures."""
    info = metric_info(metric)
    return "count" if info.unit == "count" else info.kind


def leaf_drivers(rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Give one team's clean drivers: headcount, salary, revenue and the shares of costs."""
    t = np.arange(N)
    kink = rng.integers(24, 60)
    growth = rng.normal(0.006, 0.004) * t + rng.normal(0, 0.004) * np.maximum(t - kink, 0)
    # Headcount: 2-200 people (log-uniform), hires and leavers one by one, drifting with growth.
    heads = np.empty(N)
    heads[0] = np.round(np.exp(rng.uniform(np.log(2), np.log(200))))
    target = heads[0] * np.exp(0.6 * growth)
    for i in range(1, N):
        leavers = rng.binomial(int(heads[i - 1]), 0.012)
        hires = rng.poisson(max(target[i] - heads[i - 1] + leavers, 0) * 0.5 + 0.012)
        heads[i] = max(heads[i - 1] + hires - leavers, 1)
    salary = rng.uniform(4_000, 9_000) * (1 + rng.uniform(0.02, 0.06)) ** (t // 12)
    phase = rng.uniform(0, 2 * np.pi)
    season = 1 + rng.uniform(0.0, 0.25) * np.sin(2 * np.pi * t / 12 + phase)
    noise = np.exp(rng.normal(0, rng.uniform(0.02, 0.06), N))
    revenue = heads[0] * rng.uniform(12_000, 25_000) * np.exp(growth) * season * noise
    return {
        "revenue": revenue,
        "headcount": heads,
        "salary": salary * rng.normal(1, 0.01, N),
        "cogs_share": rng.uniform(0.25, 0.35) * rng.normal(1, 0.02, N),
        "opex_share": rng.uniform(0.05, 0.10) * rng.normal(1, 0.05, N),
        "marketing_share": rng.uniform(0.03, 0.06) * rng.normal(1, 0.08, N),
        "dso": rng.uniform(35, 60) * rng.normal(1, 0.03, N),
        "start_cash": rng.uniform(2, 5) * revenue[:3].mean(),
        "fixed": rng.uniform(3, 8) * revenue[0] * (1 + rng.uniform(0.0, 0.006) * t),
        "cash_noise": rng.normal(0, 0.02, N) * revenue,
    }


def leaf_series(drivers: dict[str, np.ndarray], events: list[tuple]) -> dict[str, np.ndarray]:
    """Give one team's metrics from its drivers and the events injected into it.

    An event is (metric, t, factor, kind): kind "point" multiplies one month, "level_shift"
    every month from t on, "cash_step" pays out (or receives) factor x the balance at t.
    """
    d = {k: np.array(v, dtype=float, copy=True) for k, v in drivers.items()}
    flows_in = {}

    def apply(metric: str, values: np.ndarray) -> np.ndarray:
        for name, t, factor, kind in events:
            if name != metric:
                continue
            if kind == "point":
                values[t] *= factor
            elif kind == "level_shift":
                values[t:] *= factor
        return values

    heads = apply("headcount", d["headcount"])
    heads = np.round(heads)
    revenue = apply("revenue", d["revenue"])
    flows_in["revenue"] = revenue
    flows_in["cogs"] = apply("cogs", revenue * d["cogs_share"])
    flows_in["operating_expenses"] = apply("operating_expenses", revenue * d["opex_share"])
    flows_in["marketing_spend"] = apply("marketing_spend", revenue * d["marketing_share"])
    flows_in["payroll"] = apply("payroll", heads * d["salary"])
    costs = sum(flows_in[m] for m in FLOWS[1:])
    net_cash = 0.9 * (revenue - costs) + d["cash_noise"]
    for name, t, factor, kind in events:
        if name == "cash_balance" and kind == "cash_step":
            net_cash[t] += factor * (d["start_cash"] + net_cash[:t].sum())
    cash = d["start_cash"] + np.cumsum(net_cash)
    receivable = apply("accounts_receivable", revenue / 30 * d["dso"])
    assets = np.maximum(cash, 0) + receivable + d["fixed"]
    return {
        **flows_in,
        "headcount": heads,
        "cash_balance": cash,
        "accounts_receivable": receivable,
        "total_assets": assets,
    }


def aggregate(leaves: dict[tuple[str, str], dict[str, np.ndarray]]) -> Panel:
    """Give the panel with every level summed from the leaves."""
    sums: dict[SeriesKey, np.ndarray] = {}
    for (region, department), series in leaves.items():
        for level, segment in segments_of(region, department):
            for metric in METRICS:
                key = SeriesKey(level, segment, metric)
                sums[key] = sums.get(key, 0) + series[metric]
    keys = tuple(sums)
    periods = pd.date_range("2018-01-01", periods=N, freq="MS")
    return Panel(periods, "M", keys, np.vstack([sums[k] for k in keys]))


def segments_of(region: str, department: str) -> list[tuple[str, str]]:
    """Give the (level, segment) series a leaf adds into."""
    return [
        ("total", "total"),
        ("region", region),
        ("department", department),
        ("region/department", f"{region} / {department}"),
    ]


def make_company(rng: np.random.Generator, regions=REGIONS, departments=DEPARTMENTS):
    """Give (clean panel, dirty panel, injections); an injection is (leaves, metric, t, kind)."""
    drivers = {(r, d): leaf_drivers(rng) for r in regions for d in departments}
    leaves = list(drivers)
    events: dict[tuple[str, str], list[tuple]] = defaultdict(list)
    injections = []

    def inject(targets, metric, t, factor, kind):
        for leaf in targets:
            events[leaf].append((metric, t, factor, kind))
        injections.append((targets, metric, t, kind))

    # Company-wide: two flow spikes or dips and one flow level shift.
    wide = list(rng.choice(FLOWS[:4], size=3, replace=False))
    for n, metric in enumerate(wide):
        if n < 2:
            inject(leaves, metric, int(rng.integers(12, N - 1)), rng.choice(SPIKE_FACTORS), "point")
        else:
            t = int(rng.integers(18, N - 8))
            inject(leaves, metric, t, rng.choice(SHIFT_FACTORS), "level_shift")
    # Single teams: flow spikes/dips and level shifts, cash steps, collection problems, headcount.
    order = rng.permutation(len(leaves))
    plan = [("flow_point", 20), ("flow_shift", 5), ("cash_step", 6)] + [
        ("collection_point", 4),
        ("collection_shift", 2),
        ("headcount_step", 5),
    ]
    used: set[tuple[tuple[str, str], str]] = set()
    k = 0
    for what, count in plan:
        for _ in range(count):
            leaf = leaves[order[k % len(leaves)]]
            k += 1
            if what.startswith("flow"):
                metric = str(rng.choice([m for m in FLOWS if m not in wide]))
            else:
                metric = {
                    "cash_step": "cash_balance",
                    "collection_point": "accounts_receivable",
                    "collection_shift": "accounts_receivable",
                    "headcount_step": "headcount",
                }[what]
            if (leaf, metric) in used:
                continue
            used.add((leaf, metric))
            if what == "flow_point":
                t, factor, kind = int(rng.integers(12, N - 1)), rng.choice(SPIKE_FACTORS), "point"
            elif what == "flow_shift":
                t, factor, kind = (
                    int(rng.integers(18, N - 8)),
                    rng.choice(SHIFT_FACTORS),
                    "level_shift",
                )
            elif what == "cash_step":
                t, factor, kind = int(rng.integers(12, N - 3)), rng.choice(CASH_STEPS), "cash_step"
            elif what == "collection_point":
                t, factor, kind = (
                    int(rng.integers(12, N - 2)),
                    rng.choice(COLLECTION_FACTORS),
                    "point",
                )
            elif what == "collection_shift":
                t, factor, kind = (
                    int(rng.integers(18, N - 8)),
                    rng.choice(SHIFT_FACTORS),
                    "level_shift",
                )
            else:
                t, factor, kind = (
                    int(rng.integers(18, N - 8)),
                    rng.choice(HEADCOUNT_STEPS),
                    "level_shift",
                )
            inject([leaf], metric, t, factor, kind)
    clean = {leaf: leaf_series(drivers[leaf], []) for leaf in leaves}
    dirty = {leaf: leaf_series(drivers[leaf], events.get(leaf, [])) for leaf in leaves}
    return aggregate(clean), aggregate(dirty), injections


def moved_sizes(clean: Panel, dirty: Panel) -> tuple[np.ndarray, np.ndarray]:
    """Give, per series and period, how far the injections moved it, and the absolute move.

    A flow is measured by its level; a balance or count by its change (relative to the level).
    """
    diff = dirty.values - clean.values
    base = np.abs(clean.values)
    stock = np.array([metric_info(k.metric).kind == "stock" for k in clean.keys])
    step = np.zeros_like(diff)
    step[:, 1:] = diff[:, 1:] - diff[:, :-1]
    previous = np.empty_like(base)
    previous[:, 0] = base[:, 0]
    previous[:, 1:] = base[:, :-1]
    with np.errstate(divide="ignore", invalid="ignore"):
        size = np.where(stock[:, None], np.abs(step) / previous, np.abs(diff) / base)
    absolute = np.where(stock[:, None], np.abs(step), np.abs(diff))
    return np.nan_to_num(size), absolute


def truth_of(clean: Panel, dirty: Panel, injections):
    """Give {(key, t): (kind, size)} of true anomalies, the don't-care cells and clean keys."""
    size, absolute = moved_sizes(clean, dirty)
    truth = {}
    for targets, metric, when, kind in injections:
        keys = {
            SeriesKey(level, segment, metric)
            for region, department in targets
            for level, segment in segments_of(region, department)
        }
        for key in keys:
            row = clean.index_of(key)
            big = size[row, when] >= TRUTH_MIN
            if kind_of(metric) == "count":
                big = big and absolute[row, when] >= COUNT_TRUTH_MIN
            if big:
                truth[(key, when)] = ("point" if kind == "point" else "step", size[row, when])
    moved = size >= CARE_MIN
    dont_care = {
        (clean.keys[r], int(t))
        for r, t in zip(*np.nonzero(moved))
        if (clean.keys[r], t) not in truth
    }
    touched = size > 1e-9
    clean_keys = [k for r, k in enumerate(clean.keys) if not touched[r].any()]
    return truth, dont_care, clean_keys


def evaluate(result, dirty: Panel, truth, dont_care, clean_keys, tally) -> None:
    """Add one company's matches to the tally."""
    table = result.table[result.table["kind"] != "accounting"]
    index = {d: i for i, d in enumerate(dirty.periods)}
    found = set()
    clean_set = set(clean_keys)
    for row in table.itertuples(index=False):
        key, t = SeriesKey(row.level, row.segment, row.metric), index[row.date]
        group = kind_of(key.metric)
        hit = None
        for dt in (0, -1, 1):
            kind = truth.get((key, t + dt), (None,))[0]
            if kind == "point" and dt == 0 and row.kind in ("spike", "dip"):
                hit = (key, t)
            elif kind == "step" and row.kind == "level_shift":
                hit = (key, t + dt)
            if hit:
                break
        if hit:
            found.add(hit)
            tally["tp_rows"] += 1
            tally[f"tp_rows:{group}"] += 1
        elif (key, t) in dont_care or (key, t) in truth:
            continue
        else:
            tally["fp"] += 1
            tally[f"fp:{group}"] += 1
            if key in clean_set:
                tally["fp_clean"] += 1
                tally[f"fp_clean:{group}"] += 1
    for (key, t), (kind, size) in truth.items():
        hit = (key, t) in found
        bucket = next(label for lo, hi, label in BUCKETS if lo <= size < hi)
        group = kind_of(key.metric)
        for name in (f"size:{bucket}", f"level:{key.level}", f"kind:{kind}", f"metric:{group}"):
            for prefix in ("", f"{group}|"):
                tally[f"n:{prefix}{name}"] += 1
                tally[f"hit:{prefix}{name}"] += hit
                if size >= 0.35:
                    tally[f"n35:{prefix}{name}"] += 1
                    tally[f"hit35:{prefix}{name}"] += hit
        tally["n:all"] += 1
        tally["hit:all"] += hit
        if size >= 0.35:
            tally["n35:all"] += 1
            tally["hit35:all"] += hit
    years = len(dirty.periods) / 12
    for key in clean_keys:
        tally["clean_series_years"] += years
        tally[f"clean_series_years:{kind_of(key.metric)}"] += years


def sample_report() -> None:
    """Print what the detector finds on the bundled sample, and each injected anomaly."""
    from cfodesk.analytics.panel import build_panel
    from cfodesk.data import load_dataset
    from cfodesk.paths import sample_data_path

    panel = build_panel(load_dataset(sample_data_path()))
    start = time.perf_counter()
    result = detect_anomalies(panel)
    seconds = time.perf_counter() - start
    table = result.table
    years = len(panel.periods) / 12
    print(
        f"\nBundled sample: {len(panel.keys)} series x {years:.0f} years; {len(table)} anomalies "
        f"({len(result.independent)} not linked to a parent) in {seconds:.2f} s"
    )
    by_metric = table.groupby("metric")["kind"].value_counts().unstack(fill_value=0)
    print("  " + by_metric.to_string().replace("\n", "\n  "))
    spec = importlib.util.spec_from_file_location("make_sample", SAMPLE)
    assert spec is not None and spec.loader is not None
    make_sample = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(make_sample)
    print("Injected anomalies of the sample:")
    own = table[~table["kind"].isin(["multivariate", "accounting"])]
    for name, (region, dept, when, metric, factor) in make_sample.ANOMALIES.items():
        segment = region if dept is None else f"{region} / {dept}"
        level = "region" if dept is None else "region/department"
        hits = own[
            (own["metric"] == metric)
            & (own["segment"] == segment)
            & (own["level"] == level)
            & (own["date"] == pd.Timestamp(when))
        ]
        status = f"found ({hits.iloc[0]['kind']})" if len(hits) else "MISSED"
        print(f"  {name:>20}: {metric} x{factor} in {segment}, {when}: {status}")
        if len(hits):
            print(f"  {'':>20}  {hits.iloc[0]['reason']}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=5)
    args = parser.parse_args()
    tally: dict[str, float] = defaultdict(float)
    seconds = []
    for seed in range(args.seeds):
        rng = np.random.default_rng(1000 + seed)
        clean, dirty, injections = make_company(rng)
        truth, dont_care, clean_keys = truth_of(clean, dirty, injections)
        start = time.perf_counter()
        result = detect_anomalies(dirty)
        seconds.append(time.perf_counter() - start)
        evaluate(result, dirty, truth, dont_care, clean_keys, tally)
        # The detector must not see anything in a company with no injections at all.
        quiet = detect_anomalies(clean).table
        quiet = quiet[quiet["kind"] != "accounting"]
        for key in clean.keys:
            tally[f"quiet_series_years:{kind_of(key.metric)}"] += YEARS
        for metric in quiet["metric"]:
            tally[f"fp_quiet:{kind_of(metric)}"] += 1

    def ratio(a: str, b: str) -> str:
        return f"{tally[a] / tally[b]:.1%} ({int(tally[a])}/{int(tally[b])})" if tally[b] else "–"

    n_series = len(dirty.keys)
    print(f"companies: {args.seeds}, series per company: {n_series}, {YEARS} years monthly")
    print("\nRecall by size of the move (at the series' own level): all | flow | stock | count")
    for _, _, label in BUCKETS:
        parts = [ratio(f"hit:size:{label}", f"n:size:{label}")]
        parts += [ratio(f"hit:{g}|size:{label}", f"n:{g}|size:{label}") for g in KINDS]
        print(f"  {label:>8}: " + " | ".join(parts))
    print("\nRecall by level (all sizes >= 20% | sizes >= 35%)")
    for level in LEVELS:
        print(
            f"  {level:>17}: {ratio(f'hit:level:{level}', f'n:level:{level}')}"
            f" | {ratio(f'hit35:level:{level}', f'n35:level:{level}')}"
        )
    print("\nRecall by metric kind (all sizes >= 20% | sizes >= 35%)")
    for group in KINDS:
        print(
            f"  {group:>17}: {ratio(f'hit:metric:{group}', f'n:metric:{group}')}"
            f" | {ratio(f'hit35:metric:{group}', f'n35:metric:{group}')}"
        )
    print("\nRecall by anomaly (sizes >= 35%)")
    for kind in ("point", "step"):
        print(f"  {kind:>17}: {ratio(f'hit35:kind:{kind}', f'n35:kind:{kind}')}")
    recall35 = tally["hit35:all"] / max(tally["n35:all"], 1)
    recall = tally["hit:all"] / max(tally["n:all"], 1)
    precision = tally["tp_rows"] / max(tally["tp_rows"] + tally["fp"], 1)
    f1 = 2 * precision * recall / max(precision + recall, 1e-9)
    print(f"\nRecall >= 35%: {recall35:.1%}   recall >= 20%: {recall:.1%}")
    print(f"Precision: {precision:.1%} (false rows {int(tally['fp'])})   F1: {f1:.3f}")
    for group in KINDS:
        tp, fp = tally[f"tp_rows:{group}"], tally[f"fp:{group}"]
        print(f"  {group:>6}: precision {tp / max(tp + fp, 1):.1%} ({int(fp)} false rows)")
    print(
        "\nFalse alarms per 100 series-years: untouched series of injected companies | clean companies"
    )
    for group in (*KINDS, "all"):
        if group == "all":
            fp_c, years_c = tally["fp_clean"], tally["clean_series_years"]
            fp_q = sum(tally[f"fp_quiet:{g}"] for g in KINDS)
            years_q = sum(tally[f"quiet_series_years:{g}"] for g in KINDS)
        else:
            fp_c, years_c = tally[f"fp_clean:{group}"], tally[f"clean_series_years:{group}"]
            fp_q, years_q = tally[f"fp_quiet:{group}"], tally[f"quiet_series_years:{group}"]
        print(
            f"  {group:>6}: {100 * fp_c / max(years_c, 1):.2f} ({int(fp_c)} in {years_c:.0f}) | "
            f"{100 * fp_q / max(years_q, 1):.2f} ({int(fp_q)} in {years_q:.0f})"
        )
    print(f"\nSeconds per company ({n_series} series): {np.median(seconds):.2f} (median)")
    rng = np.random.default_rng(7)
    regions = [f"Region {i}" for i in range(12)]
    departments = [f"Dept {i}" for i in range(10)]
    _, big, _ = make_company(rng, regions, departments)
    start = time.perf_counter()
    detect_anomalies(big)
    print(f"Seconds for {len(big.keys)} series: {time.perf_counter() - start:.2f}")
    sample_report()


if __name__ == "__main__":
    main()
