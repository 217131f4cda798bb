"""Facts: each number the executive summary uses, with where it comes from, and a check.

:class:`Fact` records a number's raw value, the text it reads as and its source (a report.json
path, or ``forecasts.csv[...]`` with the derivation); the writer formats a number for the text
and registers it in one step; :func:`lookup` resolves a report.json path so a test or a reader can
check that nothing in the summary was made up. The wording rules live in
:mod:`cfodesk.analytics.narrative`. The seam is there because this bookkeeping does not depend on
what the summary says: new sentences reuse it unchanged, and the check must stay independent of
the rules it checks.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from .formatting import format_money, format_months, format_percent, format_points

__all__ = ["Fact", "lookup"]


@dataclass(frozen=True)
class Fact:
    """One number (or label) used in the text, and where it comes from."""

    name: str
    value: float | str | None
    text: str
    source: str
    derivation: str | None = None


class _Writer:
    """Formats numbers for the text and remembers each as a fact."""

    def __init__(self) -> None:
        self.facts: list[Fact] = []

    def add(self, name: str, value: Any, text: str, source: str, how: str | None = None) -> str:
        self.facts.append(Fact(name, _plain(value), text, source, how))
        return text

    def money(self, name: str, value: float, source: str, how: str | None = None) -> str:
        return self.add(name, value, format_money(value), source, how)

    def percent(
        self, name: str, value: float, source: str, signed: bool = False, how: str | None = None
    ) -> str:
        return self.add(name, value, format_percent(value, signed=signed), source, how)

    def points(self, name: str, value: float, source: str) -> str:
        return self.add(name, value, format_points(value), source)

    def months(self, name: str, value: float, source: str) -> str:
        return self.add(name, value, format_months(value), source)

    def label(self, name: str, text: str, source: str) -> str:
        return self.add(name, text, text, source)


# -- checking facts ---------------------------------------------------------------------------

_STEP = re.compile(r"([A-Za-z_]\w*)(?:\[([^\]]*)\])?")


def lookup(report: Mapping[str, Any], source: str) -> Any:
    """Give the value at a report.json path like ``kpis.summary[kpi=revenue].ttm``.

    A ``[key=value,...]`` selector picks the first list item whose fields match.
    """
    node: Any = report
    for name, selector in _STEP.findall(source):
        node = node[name]
        if selector:
            wanted = dict(part.split("=", 1) for part in selector.split(","))
            node = next(
                item for item in node if all(str(item.get(k)) == v for k, v in wanted.items())
            )
    return node


def _plain(value: Any) -> Any:
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not np.isfinite(value):
        return None
    return value


def _clean(data: dict[str, Any]) -> dict[str, Any]:
    return {k: _plain(v) for k, v in data.items()}
