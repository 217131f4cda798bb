"""Reading scenarios written as text: ``"Hiring: revenue=+5%, headcount=+10, dso=+5d"``.

See :mod:`cfodesk.analytics.scenario` for what each driver change does to the forecast.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import pandas as pd

from ..errors import ConfigError
from .kpi_arrays import COST_LINES

__all__ = ["Adjustment", "Scenario", "parse_scenario", "PERCENT_TARGETS"]

PERCENT_TARGETS = ("revenue", *COST_LINES)
_ACCEPTED = (
    "Write it as 'name: change, change, ...' with changes like revenue=+5%, "
    "marketing_spend=-10%, payroll=+3%@2026-06, headcount=+10, dso=+5d, dpo=-3d, "
    "one_off=-250000@2026-03 (amounts may end in k or m)"
)
_NUMBER = r"[+-]?\d+(?:\.\d+)?"
_DATE = r"(?:\s*@\s*(?P<date>\S+))?"
_FORMS = {
    "percent": re.compile(rf"^(?P<n>{_NUMBER})\s*%{_DATE}$"),
    "days": re.compile(rf"^(?P<n>{_NUMBER})\s*d(?:ays?)?{_DATE}$", re.I),
    "count": re.compile(rf"^(?P<n>{_NUMBER}){_DATE}$"),
    "money": re.compile(rf"^(?P<n>{_NUMBER})\s*(?P<unit>[kmb]?)\s*@\s*(?P<date>\S+)$", re.I),
}


@dataclass(frozen=True)
class Adjustment:
    """One driver change: ``kind`` percent (fraction), headcount (people), days or one_off."""

    kind: str
    target: str
    amount: float
    start: str | None = None
    text: str = ""


@dataclass(frozen=True)
class Scenario:
    """A named set of driver changes."""

    name: str
    adjustments: tuple[Adjustment, ...] = ()
    text: str = ""

    def to_json(self) -> dict[str, Any]:
        """Give the scenario as a JSON-ready dict."""
        return {
            "name": self.name,
            "text": self.text,
            "adjustments": [a.__dict__.copy() for a in self.adjustments],
        }


def parse_scenario(text: str) -> Scenario:
    """Give the scenario written as ``"name: revenue=+5%, dso=+5d, one_off=-250000@2026-03"``.

    Raises
    ------
    ConfigError
        Naming the part that cannot be read and the accepted forms.
    """
    cleaned = text.replace("\u2212", "-").strip()
    head, colon, rest = cleaned.partition(":")
    if colon and "=" not in head:
        name, body = head.strip(), rest
    else:
        name, body = "", cleaned
    parts = [p.strip() for p in re.split(r"[,;]", body) if p.strip()]
    if not parts:
        raise ConfigError(f"Scenario '{text}' has no changes", hint=_ACCEPTED)
    adjustments = tuple(_parse_part(part, text) for part in parts)
    return Scenario(name or body.strip(), adjustments, text)


def _parse_part(part: str, text: str) -> Adjustment:
    key, equals, value = (s.strip() for s in part.partition("="))
    key = key.lower().replace("-", "_").replace(" ", "_")
    key = {"oneoff": "one_off", "one_off_item": "one_off"}.get(key, key)

    def fail(why: str) -> ConfigError:
        return ConfigError(f"Cannot read '{part}' in scenario '{text}': {why}", hint=_ACCEPTED)

    if not equals or not value:
        raise fail("a change is written name=value")
    forms = {
        "dso": ("days",),
        "dpo": ("days",),
        "headcount": ("percent", "count"),
        "one_off": ("money",),
    }.get(key, ("percent",) if key in PERCENT_TARGETS else ())
    if not forms:
        known = ", ".join((*PERCENT_TARGETS, "headcount", "dso", "dpo", "one_off"))
        raise fail(f"'{key}' is not a driver; use one of {known}")
    for form in forms:
        match = _FORMS[form].match(value.replace(",", ""))
        if match:
            break
    else:
        example = {"days": "+5d", "percent": "+5%", "count": "+10", "money": "-250000@2026-03"}
        raise fail(f"{key} takes a value like {' or '.join(example[f] for f in forms)}")
    amount = float(match.group("n"))
    start = _parse_date(match.group("date"), fail) if match.group("date") else None
    if form == "percent":
        if amount <= -100:
            raise fail("a cut of 100 % or more leaves nothing")
        return Adjustment("percent", key, amount / 100, start, part)
    if form == "days":
        return Adjustment("days", key, amount, start, part)
    if form == "count":
        return Adjustment("headcount", key, amount, start, part)
    unit = {"": 1.0, "k": 1e3, "m": 1e6, "b": 1e9}[match.group("unit").lower()]
    return Adjustment("one_off", key, amount * unit, start, part)


def _parse_date(value: str, fail: Any) -> str:
    try:
        stamp = pd.Timestamp(value)
    except (ValueError, TypeError):
        raise fail(f"'{value}' is not a date; write it as 2026-03") from None
    return stamp.strftime("%Y-%m-%d")
