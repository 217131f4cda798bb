"""Report files a finance team shares: report.json, CSVs, XLSX, HTML, PDF and chart PNGs.

``render_charts`` (in :mod:`cfodesk.export.charts`) is the pipeline's "charts" stage and
:func:`write_exports` its "write" stage; :func:`export_report` serves the window's Export menu
and :func:`load_report` re-opens a past report. Heavy libraries load only when used.
"""

from __future__ import annotations

from .load import LoadedReport, load_report
from .safe import neutralise_cell
from .writer import export_report, planned_files, write_exports

__all__ = [
    "LoadedReport",
    "export_report",
    "load_report",
    "neutralise_cell",
    "planned_files",
    "write_exports",
]
