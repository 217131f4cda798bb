"""ReportConfig: the options of one report run, validated once, shared by CLI and window."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from .errors import ConfigError

__all__ = ["ReportConfig", "ALL_LEVELS", "ALL_FORMATS", "parse_list"]

ALL_LEVELS: tuple[str, ...] = ("total", "region", "department", "region/department")
ALL_FORMATS: tuple[str, ...] = ("json", "csv", "xlsx", "html", "pdf")


def _default_jobs() -> int:
    return max(1, min(os.cpu_count() or 1, 8))


@dataclass(frozen=True)
class ReportConfig:
    """What to compute and write.

    ``levels`` names the hierarchy levels wanted; a level whose dimension the data lacks is
    skipped with a note. ``mapping`` holds the user's column overrides (source header -> meaning).
    ``scenarios`` are ``"name: revenue=+5%, dso=+5d"`` strings parsed by the scenario module.
    """

    horizon: int = 12
    levels: tuple[str, ...] = ALL_LEVELS
    interval_levels: tuple[int, ...] = (80, 95)
    jobs: int = field(default_factory=_default_jobs)
    formats: tuple[str, ...] = ALL_FORMATS
    sheet: str | None = None
    mapping: Mapping[str, str] = field(default_factory=dict)
    scenarios: tuple[str, ...] = ()
    page_size: str = "A4"

    def __post_init__(self) -> None:
        if not 1 <= self.horizon <= 36:
            raise ConfigError(
                f"The forecast horizon must be between 1 and 36 periods, not {self.horizon}"
            )
        bad = [lv for lv in self.levels if lv not in ALL_LEVELS]
        if bad or not self.levels:
            raise ConfigError(
                f"Unknown level {', '.join(bad) or '(none)'}",
                hint=f"Choose from {', '.join(ALL_LEVELS)}",
            )
        if "total" not in self.levels:
            object.__setattr__(self, "levels", ("total", *self.levels))
        bad = [f for f in self.formats if f not in ALL_FORMATS]
        if bad or not self.formats:
            raise ConfigError(
                f"Unknown report format {', '.join(bad) or '(none)'}",
                hint=f"Choose from {', '.join(ALL_FORMATS)}",
            )
        if self.jobs < 1:
            raise ConfigError(f"--jobs must be 1 or more, not {self.jobs}")
        if self.page_size not in ("A4", "Letter"):
            raise ConfigError(f"Page size must be A4 or Letter, not {self.page_size}")
        # Keep the canonical order whatever order the user typed.
        object.__setattr__(self, "levels", tuple(lv for lv in ALL_LEVELS if lv in self.levels))
        object.__setattr__(self, "formats", tuple(f for f in ALL_FORMATS if f in self.formats))
        object.__setattr__(self, "mapping", dict(self.mapping))

    def to_json(self) -> dict[str, Any]:
        """Give the config as a JSON-ready dict."""
        data = asdict(self)
        data["levels"] = list(self.levels)
        data["formats"] = list(self.formats)
        data["interval_levels"] = list(self.interval_levels)
        data["scenarios"] = list(self.scenarios)
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ReportConfig:
        """Build a config from :meth:`to_json` output (unknown keys ignored)."""
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        for key in ("levels", "formats", "interval_levels", "scenarios"):
            if key in known:
                known[key] = tuple(known[key])
        return cls(**known)


def parse_list(text: str | Sequence[str]) -> tuple[str, ...]:
    """Split a comma-separated option into trimmed, non-empty parts."""
    parts = text.split(",") if isinstance(text, str) else list(text)
    return tuple(p.strip() for p in parts if p and p.strip())
