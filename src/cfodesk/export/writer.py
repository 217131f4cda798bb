"""The "write" stage and the window's Export menu: every requested file, atomically.

Heavy writers (openpyxl, reportlab) are imported only when their format is asked for, so
opening the window or writing CSVs does not pay for them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from ..config import ALL_FORMATS
from ..errors import ConfigError
from ..model import Report
from ..progress import CancelToken, StepCallback, no_step
from .atomic import StagingFolder
from .data_files import CSV_FILES, write_contract_csv, write_report_json

__all__ = ["write_exports", "export_report", "planned_files"]


def planned_files(formats: Sequence[str]) -> list[str]:
    """Give the file names ``write_exports`` writes for ``formats`` (report.json always first)."""
    unknown = [f for f in formats if f not in ALL_FORMATS]
    if unknown:
        raise ConfigError(
            f"Unknown report format {', '.join(unknown)}",
            hint=f"Choose from {', '.join(ALL_FORMATS)}",
        )
    files = ["report.json"]
    if "csv" in formats:
        files += list(CSV_FILES)
    files += [f"report.{f}" for f in ("xlsx", "html", "pdf") if f in formats]
    return files


def _writer(name: str, report: Report, dest: Path, charts: Sequence[Path]) -> Callable[[], Path]:
    if name == "report.json":
        return lambda: write_report_json(report, dest)
    if name in CSV_FILES:
        return lambda: write_contract_csv(report, dest, name)
    if name == "report.xlsx":
        from .xlsx import write_xlsx

        return lambda: write_xlsx(report, dest)
    if name == "report.html":
        from .html_report import write_html

        return lambda: write_html(report, dest, charts)
    from .pdf import write_pdf

    return lambda: write_pdf(report, dest, charts)


def write_exports(
    report: Report,
    dest: Path,
    *,
    formats: Sequence[str],
    charts: Sequence[Path] = (),
    on_progress: StepCallback = no_step,
    cancel: CancelToken | None = None,
) -> list[Path]:
    """Give the files written into ``dest``: report.json always, then each format asked for.

    Each file appears whole or not at all (temporary name, then rename); a cancel is honoured
    between files and leaves only complete files behind (the pipeline then discards the folder).
    """
    dest = Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    files = planned_files(formats)
    total = len(files)
    written: list[Path] = []
    for done, name in enumerate(files):
        if cancel is not None:
            cancel.raise_if_cancelled()
        on_progress(done, total, name, f"Writing {name} ({done + 1} of {total})")
        written.append(_writer(name, report, dest, charts)())
    on_progress(total, total, None, f"Wrote {total} files")
    return written


def export_report(
    report: Report,
    out_dir: Path,
    *,
    formats: Sequence[str] = ALL_FORMATS,
    overwrite: bool = False,
    on_progress: StepCallback = no_step,
    cancel: CancelToken | None = None,
) -> Path:
    """Give the final folder after drawing the charts and writing ``formats`` into ``out_dir``.

    The folder is built beside ``out_dir`` and renamed into place only when complete; an error
    or a cancel leaves ``out_dir`` as it was. Progress runs 0..N over charts then files.
    """
    from .charts import render_charts

    files = planned_files(formats)
    with StagingFolder(out_dir, overwrite=overwrite) as staging:
        chart_total = [0]

        def chart_step(done: int, total: int, item: str | None = None, message: str | None = None
                       ) -> None:  # fmt: skip
            chart_total[0] = total
            on_progress(done, total + len(files), item, message)

        def file_step(done: int, total: int, item: str | None = None, message: str | None = None
                      ) -> None:  # fmt: skip
            on_progress(chart_total[0] + done, chart_total[0] + total, item, message)

        charts = render_charts(report, staging.path, on_progress=chart_step, cancel=cancel)
        write_exports(report, staging.path, formats=formats, charts=charts,
                      on_progress=file_step, cancel=cancel)  # fmt: skip
        if cancel is not None:
            cancel.raise_if_cancelled()
        return staging.commit()
