"""``report.html``: one self-contained page (inline CSS, charts as base64 PNG, no scripts).

Every piece of text that comes from the data goes through ``html.escape``; the page carries no
``<script>`` at all, so nothing from a file can run in the reader's browser. It prints cleanly:
charts and tables are kept whole on a page.
"""

from __future__ import annotations

import base64
from collections.abc import Iterable, Sequence
from html import escape
from pathlib import Path
from typing import Any

from ..metrics import metric_label
from ..model import Report
from .atomic import atomic_write_text
from .fmt import format_change, format_number, format_percent, format_value, text
from .report_text import (
    forecast_summary_rows,
    kpi_rows,
    narrative_lines,
    quality_rows,
    report_facts,
    scenario_table,
    top_anomalies,
)
from .tables import correlation_table

__all__ = ["write_html", "html_text"]

_CSS = """
:root { --ink:#1f2937; --muted:#6b7280; --line:#e5e7eb; --accent:#1d4ed8; }
* { box-sizing: border-box; }
body { font: 14px/1.5 -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
       color: var(--ink); margin: 0 auto; max-width: 1100px; padding: 32px 40px; }
h1 { font-size: 26px; margin: 0 0 4px; }
h2 { font-size: 19px; margin: 36px 0 10px; padding-bottom: 4px; border-bottom: 2px solid var(--ink); }
.sub { color: var(--muted); margin: 0 0 20px; }
table { border-collapse: collapse; width: 100%; margin: 8px 0 16px; font-size: 13px; }
th { text-align: left; background: #f3f4f6; border-bottom: 1px solid #d1d5db; padding: 6px 8px; }
td { border-bottom: 1px solid var(--line); padding: 5px 8px; vertical-align: top; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
table.facts td:first-child { color: var(--muted); width: 180px; }
.headline { font-size: 17px; font-weight: 600; }
.sev-high { color: #b91c1c; font-weight: 600; } .sev-medium { color: #c2410c; }
.sev-low { color: #a16207; }
.up { color: #047857; } .down { color: #b91c1c; }
figure { margin: 16px 0; } figure img { width: 100%; height: auto; border: 1px solid var(--line); }
figcaption { color: var(--muted); font-size: 12px; }
.empty { color: var(--muted); font-style: italic; }
footer { margin-top: 40px; color: var(--muted); font-size: 12px; }
@media print {
  body { max-width: none; padding: 0; font-size: 11px; }
  h2 { break-after: avoid; page-break-after: avoid; }
  figure, tr { break-inside: avoid; page-break-inside: avoid; }
  thead { display: table-header-group; }
  a { color: inherit; text-decoration: none; }
  @page { margin: 16mm 14mm; }
}
"""

_ANOMALY_LIMIT = 50
_CORRELATION_LIMIT = 40
_KPI_LIMIT = 400


def _e(value: Any) -> str:
    return escape(text(value), quote=True)


def _table(headers: Sequence[str], rows: Iterable[Sequence[Any]], numeric: Sequence[int] = (),
           row_classes: Sequence[str] | None = None) -> str:  # fmt: skip
    numeric_set = set(numeric)
    head = "".join(
        f'<th class="num">{_e(h)}</th>' if i in numeric_set else f"<th>{_e(h)}</th>"
        for i, h in enumerate(headers)
    )
    body = []
    for r, row in enumerate(rows):
        cells = "".join(
            f'<td class="num">{_e(v)}</td>' if i in numeric_set else f"<td>{_e(v)}</td>"
            for i, v in enumerate(row)
        )
        cls = f' class="{_e(row_classes[r])}"' if row_classes and row_classes[r] else ""
        body.append(f"<tr{cls}>{cells}</tr>")
    if not body:
        return '<p class="empty">Nothing to show.</p>'
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def _summary(report: Report) -> str:
    parts = []
    for kind, line in narrative_lines(report):
        if kind == "headline":
            parts.append(f'<p class="headline">{_e(line)}</p>')
        elif kind == "paragraph":
            parts.append(f"<p>{_e(line)}</p>")
    bullets = [line for kind, line in narrative_lines(report) if kind == "bullet"]
    if bullets:
        parts.append("<ul>" + "".join(f"<li>{_e(b)}</li>" for b in bullets) + "</ul>")
    return "".join(parts) or '<p class="empty">No summary was produced for this run.</p>'


def _kpis(report: Report) -> str:
    rows = kpi_rows(report)[:_KPI_LIMIT]
    body = [
        [r["segment"] if r["level"] != "total" else "Company", r["label"], r["last_period"],
         format_value(r["last"], r["unit"]), format_value(r["ttm"], r["unit"]),
         format_value(r["prior_ttm"], r["unit"]),
         format_change(r["change_pct"], r["change"], r["unit"])]
        for r in rows
    ]  # fmt: skip
    headers = ["Segment", "KPI", "Last period", "Last", "Last 12 months", "Prior 12 months",
               "Change"]  # fmt: skip
    return _table(headers, body, numeric=(3, 4, 5, 6))


def _charts(charts: Sequence[Path]) -> str:
    figures = []
    for chart in charts:
        path = Path(chart)
        if not path.is_file():
            continue
        data = base64.b64encode(path.read_bytes()).decode("ascii")
        caption = path.stem.replace("_", " ")
        figures.append(
            f'<figure><img alt="{_e(caption)}" src="data:image/png;base64,{data}">'
            f"<figcaption>{_e(caption)}</figcaption></figure>"
        )
    return "".join(figures) or '<p class="empty">Charts were not drawn for this export.</p>'


def _models(report: Report) -> str:
    rows = forecast_summary_rows(report, level="total")
    body = [
        [metric_label(r["metric"]), r["model"], format_number(r["mase"], 2),
         format_number(r["smape"], 1), format_percent(r["coverage_80"]),
         format_percent(r["coverage_95"]), r["note"] or ("fallback" if r["fallback"] else "")]
        for r in rows
    ]  # fmt: skip
    headers = ["Metric", "Model", "MASE", "sMAPE %", "80 % coverage", "95 % coverage", "Note"]
    return _table(headers, body, numeric=(2, 3, 4, 5))


def _anomalies(report: Report) -> str:
    top = top_anomalies(report, _ANOMALY_LIMIT)
    if top.empty:
        return '<p class="empty">No anomalies were found.</p>'
    body, classes = [], []
    for rec in top.to_dict(orient="records"):
        segment = "Company" if rec.get("level") == "total" else rec.get("segment")
        date = str(rec.get("date", ""))[:10]
        body.append([date, segment, metric_label(text(rec.get("metric"))),
                     format_value(rec.get("value")), format_value(rec.get("expected")),
                     rec.get("severity"), rec.get("reason")])  # fmt: skip
        classes.append(f"sev-{text(rec.get('severity'))}")
    headers = ["Period", "Segment", "Metric", "Actual", "Expected", "Severity", "Why it stands out"]
    return _table(headers, body, numeric=(3, 4), row_classes=classes)


def _correlations(report: Report) -> str:
    table = correlation_table(report)
    if table.empty:
        return '<p class="empty">No meaningful correlations were found.</p>'
    table = table.reindex(table["correlation"].abs().sort_values(ascending=False).index)
    body = [
        [metric_label(r.metric_a), metric_label(r.metric_b),
         "Company" if r.level == "total" else r.segment, format_number(r.correlation, 2),
         text(r.lag), r.method]
        for r in table.head(_CORRELATION_LIMIT).itertuples()
    ]  # fmt: skip
    return _table(["Metric", "With", "Segment", "Correlation", "Lag (periods)", "Method"], body,
                  numeric=(3, 4))  # fmt: skip


def html_text(report: Report, charts: Sequence[Path] = ()) -> str:
    """Give the whole report page as one HTML string."""
    facts = _table(["", ""], report_facts(report)).replace("<table>", '<table class="facts">', 1)
    scenario_headers, scenario_rows = scenario_table(report)
    quality_headers, quality_body = quality_rows(report)
    title = f"CFO Desk report — {report.created_at[:10]}"
    sections = [
        f'<h1>CFO Desk report</h1><p class="sub">{_e(report.created_at[:16].replace("T", " "))}'
        f" · run {_e(report.run_id)}</p>{facts}",
        f"<h2>Summary</h2>{_summary(report)}",
        f"<h2>Key figures</h2>{_kpis(report)}",
        f"<h2>Charts</h2>{_charts(charts)}",
        f"<h2>Forecast models (company)</h2>{_models(report)}",
        f"<h2>Anomalies</h2>{_anomalies(report)}",
        f"<h2>Correlations</h2>{_correlations(report)}",
    ]
    if scenario_rows:
        sections.append(f"<h2>Scenarios</h2>{_table(scenario_headers, scenario_rows[:200])}")
    sections.append(
        "<h2>Data quality</h2>"
        + (_table(quality_headers, quality_body, numeric=(6,)) if quality_body
           else '<p class="empty">No repairs or warnings: the data was clean.</p>')
    )  # fmt: skip
    footer = f"<footer>Made offline by CFO Desk {_e(report.app_version)}.</footer>"
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{_e(title)}</title><style>{_CSS}</style></head><body>"
        + "".join(f"<section>{s}</section>" for s in sections)
        + footer
        + "</body></html>\n"
    )


def write_html(report: Report, dest: Path, charts: Sequence[Path] = ()) -> Path:
    """Give the path of ``dest/report.html`` after writing it atomically."""
    return atomic_write_text(Path(dest) / "report.html", html_text(report, charts))
