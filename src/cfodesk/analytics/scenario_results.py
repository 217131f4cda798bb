"""What a scenario run gives back, and its report.json form.

:class:`ScenarioOutcome` (one scenario's lines with bands, horizon totals, runway and notes) and
:class:`ScenarioSet` (the base case and each scenario on the same dates), with their JSON round
trip. The driver model that computes them lives in :mod:`cfodesk.analytics.scenario`. The seam
is there because the two change for different reasons: the arithmetic changes with the driver
model, this shape changes with the report format, and readers of the results (the narrative,
the report.json writer) need only the shape, not the arithmetic.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from .scenario_parse import Adjustment, Scenario

__all__ = ["ScenarioOutcome", "ScenarioSet"]


@dataclass(frozen=True, eq=False)
class ScenarioOutcome:
    """One scenario's forecast: lines with bands, horizon totals, runway and notes."""

    name: str
    scenario: Scenario
    dates: pd.DatetimeIndex
    series: Mapping[str, Mapping[str, np.ndarray]]
    totals: Mapping[str, Mapping[str, float | None]]
    runway: Mapping[str, Any]
    notes: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        """Give the scenario's results as a JSON-ready dict (dates are in the set)."""
        return {
            "name": self.name,
            "scenario": self.scenario.to_json(),
            "series": {
                m: {b: [_number(v) for v in arr] for b, arr in bands.items()}
                for m, bands in self.series.items()
            },
            "totals": {m: {k: _number(v) for k, v in t.items()} for m, t in self.totals.items()},
            "runway": {
                k: _number(v) if isinstance(v, float) else v for k, v in self.runway.items()
            },
            "notes": list(self.notes),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any], dates: pd.DatetimeIndex) -> ScenarioOutcome:
        """Build an outcome from :meth:`to_json` output and the set's dates."""
        raw = data["scenario"]
        scenario = Scenario(
            raw["name"], tuple(Adjustment(**a) for a in raw["adjustments"]), raw.get("text", "")
        )
        series = {
            m: {
                b: np.array([np.nan if v is None else v for v in arr], float)
                for b, arr in s.items()
            }
            for m, s in data["series"].items()
        }
        return cls(
            data["name"],
            scenario,
            dates,
            series,
            data["totals"],
            data["runway"],
            tuple(data.get("notes", [])),
        )


@dataclass(frozen=True, eq=False)
class ScenarioSet:
    """The base case first, then each scenario, on the same forecast dates."""

    dates: pd.DatetimeIndex
    outcomes: tuple[ScenarioOutcome, ...]
    frequency: str = "M"
    notes: tuple[str, ...] = field(default=())

    @property
    def base(self) -> ScenarioOutcome:
        """The base case (the forecast as it is)."""
        return self.outcomes[0]

    def get(self, name: str) -> ScenarioOutcome | None:
        """Give the outcome of a scenario by name."""
        return next((o for o in self.outcomes if o.name == name), None)

    def to_json(self) -> dict[str, Any]:
        """Give the report.json ``scenarios`` section: scenarios side by side."""
        return {
            "frequency": self.frequency,
            "dates": [d.strftime("%Y-%m-%d") for d in self.dates],
            "scenarios": [o.to_json() for o in self.outcomes],
            "notes": list(self.notes),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ScenarioSet:
        """Build the set from :meth:`to_json` output."""
        dates = pd.DatetimeIndex(pd.to_datetime(data["dates"]))
        outcomes = tuple(ScenarioOutcome.from_json(o, dates) for o in data["scenarios"])
        return cls(dates, outcomes, data.get("frequency", "M"), tuple(data.get("notes", [])))


def _number(value: Any) -> float | None:
    if value is None:
        return None
    number = float(value)
    return float(f"{number:.10g}") if np.isfinite(number) else None
