"""The executive summary, written offline from rules and the report's own numbers.

Every number in the text is registered as a :class:`Fact`: its raw value, the text it reads as,
and where it comes from (a path into report.json such as
``kpis.summary[level=total,segment=total,kpi=revenue].ttm``, or ``forecasts.csv[...]`` with the
derivation). :func:`lookup` resolves report.json paths, so a test or a reader can check that
nothing in the summary was made up. No network, no language model. The fact bookkeeping and
:func:`lookup` live in :mod:`cfodesk.analytics.narrative_facts`; this module holds the wording
rules.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

import pandas as pd

from ..model import Panel
from .drivers import DriverResult
from .formatting import format_money, format_period, format_period_range
from .kpis import KpiResult
from .narrative_facts import Fact, _clean, _Writer, lookup
from .scenario_results import ScenarioSet

__all__ = ["Fact", "Bullet", "Narrative", "build_narrative", "lookup"]

#: Runway below this many months is a risk worth a bullet.
SHORT_RUNWAY_MONTHS = 12.0
#: A fall in a margin of more than this (as a fraction) over the last twelve months is erosion.
MARGIN_EROSION = 0.01


@dataclass(frozen=True)
class Bullet:
    """One risk or driver line."""

    kind: str
    text: str

    def __str__(self) -> str:
        return self.text


@dataclass(frozen=True)
class Narrative:
    """Headline, paragraphs, risk and driver bullets, and the facts behind every number."""

    headline: str
    paragraphs: tuple[str, ...]
    bullets: tuple[Bullet, ...]
    facts: tuple[Fact, ...]

    def to_json(self) -> dict[str, Any]:
        """Give the report.json ``narrative`` section."""
        return {
            "headline": self.headline,
            "paragraphs": list(self.paragraphs),
            "bullets": [asdict(b) for b in self.bullets],
            "facts": [_clean(asdict(f)) for f in self.facts],
            "text": self.to_text(),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Narrative:
        """Build a narrative from :meth:`to_json` output."""
        return cls(
            headline=data["headline"],
            paragraphs=tuple(data.get("paragraphs", [])),
            bullets=tuple(Bullet(**b) for b in data.get("bullets", [])),
            facts=tuple(Fact(**f) for f in data.get("facts", [])),
        )

    def to_text(self) -> str:
        """Give the summary as plain text: headline, paragraphs, then risks and drivers."""
        blocks = [self.headline, *self.paragraphs]
        for kind, title in (("risk", "Risks"), ("driver", "Drivers")):
            lines = [f"- {b.text}" for b in self.bullets if b.kind == kind]
            if lines:
                blocks.append("\n".join([f"{title}:", *lines]))
        return "\n\n".join(blocks)


def build_narrative(
    panel: Panel,
    *,
    kpis: KpiResult | None,
    forecast: Any = None,
    anomalies: Any = None,
    drivers: DriverResult | None = None,
    scenarios: ScenarioSet | None = None,
    frequency: str = "M",
) -> Narrative:
    """Give the executive summary of a report from its KPIs, forecast, anomalies and drivers."""
    w = _Writer()
    paragraphs: list[str] = []
    bullets: list[Bullet] = []

    def kpi(name: str) -> dict[str, Any] | None:
        return kpis.get(name) if kpis is not None else None

    def src(name: str, field: str) -> str:
        return f"kpis.summary[level=total,segment=total,kpi={name}].{field}"

    headline = _headline(w, kpi, src)
    paragraphs += [p for p in (_results(w, kpi, src), _cash(w, kpi, src, frequency)) if p]
    outlook = _outlook(w, panel, kpi, src, forecast, scenarios, frequency)
    if outlook:
        paragraphs.append(outlook)
    bullets += _risks(w, kpi, src, anomalies)
    bullets += _drivers(w, drivers)
    return Narrative(headline, tuple(paragraphs), tuple(bullets), tuple(w.facts))


def _headline(w: _Writer, kpi: Any, src: Any) -> str:
    revenue = kpi("revenue")
    if revenue is None or revenue.get("ttm") is None:
        return "Not enough history for a twelve-month summary."
    text = f"Revenue was {w.money('revenue_ttm', revenue['ttm'], src('revenue', 'ttm'))}"
    text += " over the last twelve months"
    if revenue.get("change_pct") is not None:
        change = revenue["change_pct"]
        direction = "up" if change >= 0 else "down"
        amount = w.percent("revenue_ttm_change_pct", abs(change), src("revenue", "change_pct"))
        text += f", {direction} {amount} on the prior twelve"
    margin = kpi("operating_margin")
    if margin is not None and margin.get("ttm") is not None:
        value = w.percent("operating_margin_ttm", margin["ttm"], src("operating_margin", "ttm"))
        text += f", with an operating margin of {value}"
    return text + "."


def _results(w: _Writer, kpi: Any, src: Any) -> str:
    sentences: list[str] = []
    for name, label in (("gross_margin", "Gross margin"), ("operating_margin", "Operating margin")):
        entry = kpi(name)
        if entry is None or entry.get("ttm") is None:
            continue
        value = w.percent(f"{name}_ttm", entry["ttm"], src(name, "ttm"))
        sentence = f"{label} was {value} over the last twelve months"
        if entry.get("change") is not None and entry.get("prior_ttm") is not None:
            if abs(entry["change"]) < 0.0005:  # would read as 0.0 pts
                sentence += " (unchanged on the prior twelve)"
            else:
                change = w.points(f"{name}_ttm_change", entry["change"], src(name, "change"))
                sentence += f" ({change} on the prior twelve)"
        sentences.append(sentence + ".")
    profit = kpi("operating_profit")
    if profit is not None and profit.get("ttm") is not None:
        value = w.money("operating_profit_ttm", profit["ttm"], src("operating_profit", "ttm"))
        sentence = f"Operating profit was {value}"
        if profit.get("prior_ttm") is not None:
            prior = w.money(
                "operating_profit_prior_ttm",
                profit["prior_ttm"],
                src("operating_profit", "prior_ttm"),
            )
            sentence += f" against {prior} a year earlier"
        sentences.append(sentence + ".")
    revenue = kpi("revenue")
    if revenue is not None and revenue.get("last_quarter") is not None:
        label = w.label(
            "last_quarter_label",
            revenue["last_quarter_label"],
            src("revenue", "last_quarter_label"),
        )
        value = w.money(
            "revenue_last_quarter", revenue["last_quarter"], src("revenue", "last_quarter")
        )
        sentence = f"In {label} revenue was {value}"
        if revenue.get("last_quarter_prior") is not None:
            prior = w.money(
                "revenue_last_quarter_prior",
                revenue["last_quarter_prior"],
                src("revenue", "last_quarter_prior"),
            )
            sentence += f", against {prior} in the same quarter a year before"
        sentences.append(sentence + ".")
    return " ".join(sentences)


def _cash(w: _Writer, kpi: Any, src: Any, frequency: str) -> str:
    sentences: list[str] = []
    revenue, growth = kpi("revenue"), kpi("revenue_growth_yoy")
    if revenue is not None and revenue.get("last") is not None and revenue.get("last_period"):
        when = w.add(
            "last_period",
            revenue["last_period"],
            format_period(revenue["last_period"], frequency),
            src("revenue", "last_period"),
        )
        value = w.money("revenue_last", revenue["last"], src("revenue", "last"))
        sentence = f"Revenue in {when} was {value}"
        if growth is not None and growth.get("last") is not None:
            rate = w.percent(
                "revenue_growth_yoy_last",
                growth["last"],
                src("revenue_growth_yoy", "last"),
                signed=True,
            )
            sentence += f" ({rate} year on year)"
        sentences.append(sentence + ".")
    cash, runway, burn = kpi("cash_balance"), kpi("cash_runway"), kpi("net_burn")
    if cash is not None and cash.get("last") is not None:
        sentence = (
            f"Cash stood at {w.money('cash_last', cash['last'], src('cash_balance', 'last'))}"
        )
        if runway is not None and runway.get("not_burning"):
            sentence += " and is not falling"
        elif runway is not None and runway.get("last") is not None and burn is not None:
            rate = w.money("net_burn_last", burn["last"], src("net_burn", "last"))
            months = w.months("cash_runway_last", runway["last"], src("cash_runway", "last"))
            sentence += f"; at the recent net burn of {rate} a month it lasts {months}"
        sentences.append(sentence + ".")
    return " ".join(sentences)


def _outlook(
    w: _Writer,
    panel: Panel,
    kpi: Any,
    src: Any,
    forecast: Any,
    scenarios: ScenarioSet | None,
    frequency: str,
) -> str:
    table = getattr(forecast, "table", forecast)
    if table is None or not len(table):
        return ""
    rows = table[(table["level"] == "total") & (table["segment"] == "total")]
    rows = rows[rows["metric"] == "revenue"].sort_values("date")
    if rows.empty:
        return ""
    dates = pd.DatetimeIndex(rows["date"])
    span = format_period_range(dates[0], dates[-1], frequency)
    where = "forecasts.csv[level=total,segment=total,metric=revenue]"
    how = f"sum over {len(rows)} periods {dates[0]:%Y-%m} to {dates[-1]:%Y-%m}"
    total = float(rows["forecast"].sum())
    low, high = float(rows["lower_80"].sum()), float(rows["upper_80"].sum())
    span = w.label("forecast_span", span, f"{where}.date")
    text = (
        f"The forecast puts revenue for {span} at "
        f"{w.money('forecast_revenue_total', total, f'{where}.forecast', how)} "
        f"({w.label('interval_level', '80%', f'{where}.lower_80')} range {w.money('forecast_revenue_low', low, f'{where}.lower_80', how)} to "
        f"{w.money('forecast_revenue_high', high, f'{where}.upper_80', how)}, the monthly bounds "
        "added up)"
    )
    revenue = kpi("revenue")
    per_year = 4 if frequency == "Q" else 12
    if revenue is not None and revenue.get("ttm") and len(rows) == per_year:
        growth = total / revenue["ttm"] - 1
        derived = "forecast_revenue_total / revenue_ttm - 1"
        rate = w.percent("forecast_revenue_growth", growth, src("revenue", "ttm"), True, derived)
        text += f", a change of {rate} on the last twelve months"
    text += "."
    if scenarios is not None:
        text += _scenario_words(w, scenarios)
    return text


def _scenario_words(w: _Writer, scenarios: ScenarioSet) -> str:
    base = scenarios.base
    base_profit = (base.totals.get("operating_profit") or {}).get("forecast")
    out = ""
    if base_profit is not None:
        where = "scenarios.scenarios[name=Base].totals.operating_profit.forecast"
        out += f" Operating profit over the horizon is forecast at {w.money('forecast_operating_profit', base_profit, where)}."
    for outcome in scenarios.outcomes[1:4]:
        profit = (outcome.totals.get("operating_profit") or {}).get("forecast")
        if profit is None:
            continue
        where = f"scenarios.scenarios[name={outcome.name}].totals.operating_profit.forecast"
        value = w.money(f"scenario_{outcome.name}_operating_profit", profit, where)
        name = w.label(
            f"scenario_{outcome.name}_name",
            outcome.name,
            f"scenarios.scenarios[name={outcome.name}].name",
        )
        out += f" In the scenario “{name}” it would be {value}"
        if base_profit is not None:
            diff = w.add(
                f"scenario_{outcome.name}_difference",
                profit - base_profit,
                _signed_money(profit - base_profit),
                where,
                "scenario operating profit - base operating profit",
            )
            out += f" ({diff} against the base)"
        out += "."
    return out


def _risks(w: _Writer, kpi: Any, src: Any, anomalies: Any) -> list[Bullet]:
    bullets: list[Bullet] = []
    table = getattr(anomalies, "table", anomalies)
    if table is not None and len(table):
        high = table[(table["severity"] == "high")]
        if "linked_to" in high:
            high = high[high["linked_to"].isna()]
        # Recent, company-wide and large first: what a CFO would want to hear about.
        latest = pd.to_datetime(table["date"]).max()
        recent = pd.to_datetime(high["date"]) > latest - pd.DateOffset(years=1)
        rank = high["level"].map({"total": 0, "region": 1, "department": 1}).fillna(2)
        ordered = high.assign(_old=~recent, _rank=rank).sort_values(
            ["_old", "_rank", "score"], ascending=[True, True, False]
        )
        for _, row in ordered.head(3).iterrows():
            where = f"anomalies.items[id={row['id']}].reason"
            reason = w.label(f"anomaly_{row['id']}", str(row["reason"]), where)
            bullets.append(Bullet("risk", reason if reason.endswith(".") else f"{reason}."))
    runway = kpi("cash_runway")
    if (
        runway is not None
        and runway.get("last") is not None
        and runway["last"] < SHORT_RUNWAY_MONTHS
    ):
        months = w.months("cash_runway_risk", runway["last"], src("cash_runway", "last"))
        bullets.append(Bullet("risk", f"Cash runway is short: {months} at the recent net burn."))
    for name, label in (("operating_margin", "Operating margin"), ("gross_margin", "Gross margin")):
        entry = kpi(name)
        if entry is None or entry.get("change") is None or entry.get("ttm") is None:
            continue
        if entry["change"] < -MARGIN_EROSION:
            fall = w.points(f"{name}_erosion", entry["change"], src(name, "change"))
            now = w.percent(f"{name}_erosion_ttm", entry["ttm"], src(name, "ttm"))
            bullets.append(
                Bullet("risk", f"{label} is eroding: {fall} to {now} over the last twelve months.")
            )
    if not bullets:
        bullets.append(
            Bullet("risk", "No high-severity anomalies, short runway or margin erosion.")
        )
    return bullets


def _drivers(w: _Writer, drivers: DriverResult | None) -> list[Bullet]:
    if drivers is None:
        return []
    bullets: list[Bullet] = []
    for bridge in drivers.bridges:
        where = f"drivers.bridges[window={bridge.window}]"
        bullets.append(
            Bullet(
                "driver", w.label(f"bridge_{bridge.window}", bridge.sentence, f"{where}.sentence")
            )
        )
    bridge = drivers.get("ttm")
    if bridge is not None and bridge.change != 0:
        for level, words in (("region", "regions"), ("department", "departments")):
            parts = sorted(
                (c for c in bridge.contributions if c.level == level), key=lambda c: -abs(c.change)
            )
            if len(parts) < 2:
                continue
            named = []
            for c in parts[:2]:
                where = f"drivers.bridges[window=ttm].contributions[level={level},segment={c.segment}].change"
                name = w.label(
                    f"contribution_{level}_{c.segment}",
                    c.segment,
                    where.replace(".change", ".segment"),
                )
                value = w.add(
                    f"contribution_{level}_{c.segment}_change",
                    c.change,
                    _signed_money(c.change),
                    where,
                )
                named.append(f"{name} {value}")
            bullets.append(
                Bullet(
                    "driver",
                    f"Largest {words} behind the change in operating profit: {', '.join(named)}.",
                )
            )
    return bullets


def _signed_money(value: float) -> str:
    text = format_money(value)
    return text if text.startswith("-") else f"+{text}"
