"""Recall, precision and false alarms of the anomaly detector on generated data with a known truth.

Generates companies of 6 regions x 5 departments x 6 metrics, 7 years monthly (trend with a
change of growth rate, seasonality, noise of 2-6 %), then injects anomalies of known size:
single-month spikes and dips (x0.4 .. x2.5) in one segment or company-wide, and level shifts.
The truth is measured per series after aggregation: a period is anomalous at a level when the
injection moved that series by 20 % or more; moves of 2-20 % are "don't care" (neither found nor
missed); a series no injection touched is clean.

    .venv/bin/python bench/anomaly_recall.py [--seeds 5]

Prints recall by size bucket and by level, precision and F1, false alarms per 100 series-years on
the clean series, and seconds per run (also for a 1,000-series panel).
"""

from __future__ import annotations

import argparse
import time
from collections import defaultdict

import numpy as np
import pandas as pd

from cfodesk.analytics.anomalies import detect_anomalies
from cfodesk.model import Panel, SeriesKey

REGIONS = ["Europe", "Americas", "Asia", "Africa", "Oceania", "Nordics"]
DEPARTMENTS = ["Sales", "Marketing", "Operations", "Finance", "R&D"]
METRICS = ["revenue", "cogs", "operating_expenses", "marketing_spend", "payroll", "headcount"]
YEARS = 7
N = 12 * YEARS
SPIKE_FACTORS = [0.4, 0.5, 0.65, 0.8, 1.2, 1.35, 1.5, 1.75, 2.0, 2.5]
SHIFT_FACTORS = [0.6, 0.7, 1.4, 1.6]
TRUTH_MIN = 0.2
CARE_MIN = 0.02
BUCKETS = [
    (0.2, 0.35, "20-35%"),
    (0.35, 0.6, "35-60%"),
    (0.6, 1.0, "60-100%"),
    (1.0, np.inf, ">=100%"),
]


def leaf_series(rng: np.random.Generator, metric: str) -> np.ndarray:
    """Give one clean leaf series: trend with a growth change, season, noise."""
    t = np.arange(N)
    kink = rng.integers(24, 60)
    growth = rng.normal(0.006, 0.004) * t + rng.normal(0, 0.004) * np.maximum(t - kink, 0)
    if metric == "headcount":
        level = rng.uniform(40, 200)
        return np.round(level * np.exp(0.5 * growth) * np.exp(rng.normal(0, 0.01, N)))
    level = rng.uniform(5e4, 5e5) if metric == "revenue" else rng.uniform(1e4, 2e5)
    phase = rng.uniform(0, 2 * np.pi)
    season = 1 + rng.uniform(0.0, 0.25) * np.sin(2 * np.pi * t / 12 + phase)
    noise = np.exp(rng.normal(0, rng.uniform(0.02, 0.06), N))
    return level * np.exp(growth) * season * noise


def aggregate(leaves: dict[tuple[str, str], dict[str, np.ndarray]], regions, departments) -> Panel:
    """Give the panel with every level summed from the leaves."""
    sums: dict[SeriesKey, np.ndarray] = {}
    for (region, department), series in leaves.items():
        for level, segment in (
            ("total", "total"),
            ("region", region),
            ("department", department),
            ("region/department", f"{region} / {department}"),
        ):
            for metric, values in series.items():
                key = SeriesKey(level, segment, metric)
                sums[key] = sums.get(key, 0) + values
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
    """Give (clean panel, dirty panel, injections); an injection is (leaves, metric, t, factor, kind)."""
    clean = {
        (r, d): {m: leaf_series(rng, m) for m in METRICS} for r in regions for d in departments
    }
    dirty = {leaf: {m: v.copy() for m, v in s.items()} for leaf, s in clean.items()}
    leaves = list(clean)
    injections = []
    # Company-wide events take three metrics; single-segment events the others' distinct series.
    wide = list(rng.choice(METRICS[:-1], size=3, replace=False))
    for n, metric in enumerate(wide):
        if n < 2:
            injections.append(
                (leaves, metric, int(rng.integers(12, N - 1)), rng.choice(SPIKE_FACTORS), "point")
            )
        else:
            injections.append(
                (
                    leaves,
                    metric,
                    int(rng.integers(18, N - 8)),
                    rng.choice(SHIFT_FACTORS),
                    "level_shift",
                )
            )
    own = [(leaf, m) for leaf in leaves for m in METRICS if m not in wide]
    for n, code in enumerate(rng.choice(len(own), size=40, replace=False)):
        leaf, metric = own[code]
        if n < 30:
            injections.append(
                ([leaf], metric, int(rng.integers(12, N - 1)), rng.choice(SPIKE_FACTORS), "point")
            )
        else:
            injections.append(
                (
                    [leaf],
                    metric,
                    int(rng.integers(18, N - 8)),
                    rng.choice(SHIFT_FACTORS),
                    "level_shift",
                )
            )
    for targets, metric, when, factor, kind in injections:
        for leaf in targets:
            if kind == "point":
                dirty[leaf][metric][when] *= factor
            else:
                dirty[leaf][metric][when:] *= factor
    return (
        aggregate(clean, regions, departments),
        aggregate(dirty, regions, departments),
        injections,
    )


def truth_of(clean: Panel, dirty: Panel, injections):
    """Give {(key, t): (kind, size)} of true anomalies, the don't-care cells and clean keys."""
    truth, dont_care, touched = {}, set(), set()
    for targets, metric, when, factor, kind in injections:
        moved: dict[SeriesKey, float] = defaultdict(float)
        for region, department in targets:
            leaf = SeriesKey("region/department", f"{region} / {department}", metric)
            amount = clean.values[clean.index_of(leaf), when] * (factor - 1)
            for level, segment in segments_of(region, department):
                moved[SeriesKey(level, segment, metric)] += amount
        for key, amount in moved.items():
            touched.add(key)
            size = abs(amount / clean.values[clean.index_of(key), when])
            if size >= TRUTH_MIN:
                truth[(key, when)] = (kind, size)
            elif size >= CARE_MIN:
                dont_care.add((key, when))
            if kind == "level_shift":  # after a step only the step itself is judged
                dont_care.update((key, t) for t in range(when - 1, N) if t != when)
    clean_keys = [k for k in clean.keys if k not in touched]
    return truth, dont_care, clean_keys


def evaluate(result, dirty: Panel, truth, dont_care, clean_keys, tally) -> None:
    """Add one company's matches to the tally."""
    table = result.table[result.table["kind"] != "accounting"]
    index = {d: i for i, d in enumerate(dirty.periods)}
    found = set()
    clean_set = set(clean_keys)
    for row in table.itertuples(index=False):
        key, t = SeriesKey(row.level, row.segment, row.metric), index[row.date]
        hit = None
        for dt in (0, -1, 1):
            kind = truth.get((key, t + dt), (None,))[0]
            if kind == "point" and dt == 0 and row.kind in ("spike", "dip"):
                hit = (key, t)
            elif kind == "level_shift" and row.kind == "level_shift":
                hit = (key, t + dt)
            if hit:
                break
        if hit:
            found.add(hit)
            tally["tp_rows"] += 1
            tally[f"tp_rows:{key.level}"] += 1
        elif (key, t) in dont_care or (key, t) in truth:
            continue
        else:
            tally["fp"] += 1
            tally[f"fp:{key.level}"] += 1
            if key in clean_set:
                tally["fp_clean"] += 1
    for (key, _t), (kind, size) in truth.items():
        hit = (key, _t) in found
        bucket = next(label for lo, hi, label in BUCKETS if lo <= size < hi)
        for group in (f"size:{bucket}", f"level:{key.level}", f"kind:{kind}", "all"):
            tally[f"n:{group}"] += 1
            tally[f"hit:{group}"] += hit
            if size >= 0.35:
                tally[f"n35:{group}"] += 1
                tally[f"hit35:{group}"] += hit
    tally["clean_series_years"] += len(clean_keys) * len(dirty.periods) / 12


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
        quiet = detect_anomalies(clean)
        quiet_rows = quiet.table[quiet.table["kind"] != "accounting"]
        tally["fp_quiet"] += len(quiet_rows)
        tally["quiet_series_years"] += len(clean.keys) * YEARS

    def ratio(a: str, b: str) -> str:
        return f"{tally[a] / tally[b]:.1%} ({int(tally[a])}/{int(tally[b])})" if tally[b] else "–"

    n_series = len(dirty.keys)
    print(f"companies: {args.seeds}, series per company: {n_series}, {YEARS} years monthly")
    print("\nRecall by size of the move (at the series' own level)")
    for _, _, label in BUCKETS:
        print(f"  {label:>8}: {ratio(f'hit:size:{label}', f'n:size:{label}')}")
    print("\nRecall by level (all sizes >= 20% | sizes >= 35%)")
    for level in ("total", "region", "department", "region/department"):
        print(
            f"  {level:>17}: {ratio(f'hit:level:{level}', f'n:level:{level}')}"
            f" | {ratio(f'hit35:level:{level}', f'n35:level:{level}')}"
        )
    print("\nRecall by kind (sizes >= 35%)")
    for kind in ("point", "level_shift"):
        print(f"  {kind:>17}: {ratio(f'hit35:kind:{kind}', f'n35:kind:{kind}')}")
    recall35 = tally["hit35:all"] / max(tally["n35:all"], 1)
    recall = tally["hit:all"] / max(tally["n:all"], 1)
    precision = tally["tp_rows"] / max(tally["tp_rows"] + tally["fp"], 1)
    f1 = 2 * precision * recall / max(precision + recall, 1e-9)
    print(f"\nRecall >= 35%: {recall35:.1%}   recall >= 20%: {recall:.1%}")
    print(f"Precision: {precision:.1%} (false rows {int(tally['fp'])})   F1: {f1:.3f}")
    print("Precision by level:")
    for level in ("total", "region", "department", "region/department"):
        tp, fp = tally[f"tp_rows:{level}"], tally[f"fp:{level}"]
        print(f"  {level:>17}: {tp / max(tp + fp, 1):.1%} ({int(fp)} false)")
    per_100 = 100 * tally["fp_clean"] / max(tally["clean_series_years"], 1)
    quiet_100 = 100 * tally["fp_quiet"] / max(tally["quiet_series_years"], 1)
    print(
        f"\nFalse alarms per 100 series-years: {per_100:.2f} on untouched series of injected "
        f"companies ({int(tally['fp_clean'])} in {tally['clean_series_years']:.0f} series-years); "
        f"{quiet_100:.2f} on fully clean companies ({int(tally['fp_quiet'])} in "
        f"{tally['quiet_series_years']:.0f})"
    )
    print(f"\nSeconds per company ({n_series} series): {np.median(seconds):.2f} (median)")
    rng = np.random.default_rng(7)
    regions = [f"Region {i}" for i in range(12)]
    departments = [f"Dept {i}" for i in range(12)]
    _, big, _ = make_company(rng, regions, departments)
    start = time.perf_counter()
    detect_anomalies(big)
    print(f"Seconds for {len(big.keys)} series: {time.perf_counter() - start:.2f}")


if __name__ == "__main__":
    main()
