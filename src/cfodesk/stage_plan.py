"""The stage plan: which stages a run does and how many seconds each is expected to take.

The plan is pure arithmetic on the options and the size of the input: no files, no threads, no
run state. It is what sizes each stage's slice of the progress bar, what the history's measured
rates calibrate, and what the window needs to lay out the stage list before a run starts, so it
stands apart from :mod:`cfodesk.pipeline`, which runs the stages.
"""

from __future__ import annotations

from collections.abc import Sequence

from .config import ReportConfig
from .progress import STAGE_IDS

__all__ = ["DEFAULT_RATES", "CHART_FORMATS", "plan_stages", "planned_stages", "stage_units"]

#: Seconds per planning unit and fixed seconds per stage, before history calibrates them
#: (measured on the sample with 2 workers). Units: load/validate = MB of input; charts = charts
#: drawn; forecast = series per worker; the other stages = series.
DEFAULT_RATES: dict[str, tuple[float, float]] = {
    "load": (0.3, 0.2),
    "validate": (0.15, 0.2),
    "kpis": (0.0002, 0.15),
    "forecast": (0.028, 0.5),
    "reconcile": (0.0004, 0.02),
    "anomalies": (0.0016, 0.05),
    "correlations": (0.0002, 0.05),
    "charts": (0.09, 0.3),
    "write": (0.003, 0.3),
}


#: Formats that show the static charts; without them the charts stage is skipped.
CHART_FORMATS = frozenset({"html", "pdf"})


def plan_stages(units: dict[str, float], rates: dict[str, tuple[float, float]]) -> dict[str, float]:
    """Give the expected seconds of each stage: units times per-unit cost plus a fixed cost."""
    plan = {}
    for stage, count in units.items():
        per_unit, fixed = rates.get(stage, DEFAULT_RATES.get(stage, (0.0, 0.1)))
        plan[stage] = per_unit * count + fixed
    return plan


def planned_stages(config: ReportConfig, *, writes: bool) -> tuple[str, ...]:
    """Give the stages a run really does: none that write without a folder, no charts unless
    a format shows them."""
    stages = STAGE_IDS if writes else STAGE_IDS[:-2]
    if not CHART_FORMATS & set(config.formats):
        stages = tuple(s for s in stages if s != "charts")
    return stages


def stage_units(
    stages: Sequence[str], input_mb: float, series: float, config: ReportConfig, n_metrics: int
) -> dict[str, float]:
    """Give the planning units of each of ``stages`` (see :data:`DEFAULT_RATES` for the units)."""
    jobs = max(1, config.jobs)
    units = {
        "load": input_mb,
        "validate": input_mb,
        "kpis": series,
        "forecast": series / min(jobs, max(1.0, series / 30)),
        "reconcile": series,
        "anomalies": series,
        "correlations": series,
        "charts": float(n_metrics) + 4,
        "write": series * max(1, len(config.formats)) / 5,
    }
    return {s: units[s] for s in stages}
