"""The "load" stage: read CSV and Excel exports into tables of text cells.

Nothing is interpreted here beyond what a spreadsheet would show: the encoding, the delimiter,
where the header row is (title lines above it are skipped) and which sheet holds the data. The
cells stay text so the validate stage can decide, per column, what they mean. Input files are only
ever opened for reading.
"""

from __future__ import annotations

import csv
import hashlib
import io
import math
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import CfoDeskError, InputError
from ..model import InputInfo, QualityIssue
from ..progress import CancelToken, StepCallback, no_step
from .layout import ColumnProfile, guess_layout, profile_columns
from .sniff import detect_encoding, find_header, header_names, sniff_delimiter

__all__ = ["RawTable", "read_sources", "read_table"]

_SAMPLE_BYTES = 256 * 1024
_CHUNK_ROWS = 50_000
_XLSX_PROGRESS_ROWS = 5_000
_MAGIC_ZIP = b"PK\x03\x04"
_MAGIC_OLE = b"\xd0\xcf\x11\xe0"


@dataclass(frozen=True, eq=False)
class RawTable:
    """The cells of one file (or sheet) under its header row, still as text.

    ``cells`` has one column per header cell (text or NaN); ``source_rows`` gives, for each row
    of ``cells``, its 1-based row number in the file as a spreadsheet shows it; ``notes`` are
    repairs made while reading (extra cells on ragged rows, ...); ``profiles`` summarise each
    column (from a sample) so the validate stage does not look twice.
    """

    cells: pd.DataFrame
    info: InputInfo
    source_rows: np.ndarray
    header_row: int
    notes: tuple[QualityIssue, ...] = field(default=())
    profiles: Mapping[str, ColumnProfile] | None = field(default=None, repr=False)

    @property
    def name(self) -> str:
        """The file name (with the sheet for workbooks) used in messages."""
        base = Path(self.info.path).name
        return f"{base} [{self.info.sheet}]" if self.info.sheet else base


def read_sources(
    paths: Sequence[str | Path],
    *,
    sheet: str | None = None,
    on_progress: StepCallback = no_step,
    cancel: CancelToken | None = None,
) -> list[RawTable]:
    """Give the tables of every input file, reporting progress in bytes read.

    Raises :class:`InputError` for a missing, unreadable or non-table file and
    :class:`~cfodesk.progress.Cancelled` when ``cancel`` is set.
    """
    if not paths:
        raise InputError("No input file was given", hint="Choose at least one CSV or Excel file")
    sizes = [_file_size(Path(p)) for p in paths]
    total = max(sum(sizes), 1)
    tables: list[RawTable] = []
    done_before = 0
    for index, (source, size) in enumerate(zip(paths, sizes), start=1):
        path = Path(source)
        label = f"Reading {path.name} ({index} of {len(paths)})"

        def step(
            done_in_file: int, _base: int = done_before, _name: str = path.name, _label: str = label
        ) -> None:
            on_progress(min(_base + done_in_file, total), total, _name, _label)

        step(0)
        tables.append(read_table(path, sheet=sheet, on_bytes=step, cancel=cancel))
        done_before += size
        on_progress(done_before, total, path.name, label)
    return tables


def read_table(
    path: str | Path,
    *,
    sheet: str | None = None,
    on_bytes: object = None,
    cancel: CancelToken | None = None,
) -> RawTable:
    """Give the table of one file; ``on_bytes(n)`` is called with the bytes read so far."""
    path = Path(path)
    report = on_bytes if callable(on_bytes) else (lambda n: None)
    head = _read_head(path)
    try:
        if head.startswith(_MAGIC_ZIP) or path.suffix.lower() in (".xlsx", ".xlsm"):
            table = _read_xlsx(path, sheet, report, cancel)
        elif head.startswith(_MAGIC_OLE) or path.suffix.lower() == ".xls":
            raise InputError(
                "This is an old-style Excel file (.xls), which CFO Desk cannot read",
                file=path,
                hint="Open it in Excel and save it as .xlsx or .csv",
            )
        else:
            table = _read_csv(path, head, report, cancel)
    except CfoDeskError:
        raise
    except (MemoryError, RecursionError):
        raise
    except Exception as exc:  # noqa: BLE001 - any parser failure is a bad file, not a bug
        if type(exc).__name__ == "Cancelled":
            raise
        raise InputError(
            f"The file could not be read as a table: {exc}",
            file=path,
            hint="Check that it is a CSV or Excel export",
        ) from exc
    profiles = profile_columns(table.cells)
    layout = guess_layout(table.cells, profiles)
    return replace(table, info=replace(table.info, layout=layout), profiles=profiles)


# -- files ------------------------------------------------------------------------------------


def _file_size(path: Path) -> int:
    try:
        return path.stat().st_size
    except FileNotFoundError:
        raise InputError("The file does not exist", file=path, hint="Check the path") from None
    except OSError as exc:
        raise InputError(f"The file cannot be opened: {exc.strerror}", file=path) from None


def _read_head(path: Path) -> bytes:
    if not path.exists():
        raise InputError("The file does not exist", file=path, hint="Check the path")
    if path.is_dir():
        raise InputError("This is a folder, not a file", file=path, hint="Choose the file itself")
    try:
        with open(path, "rb") as handle:
            return handle.read(_SAMPLE_BYTES)
    except PermissionError:
        raise InputError(
            "CFO Desk is not allowed to read this file",
            file=path,
            hint="Close it in other programs or check its permissions",
        ) from None
    except OSError as exc:
        raise InputError(f"The file cannot be opened: {exc.strerror}", file=path) from None


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


# -- CSV --------------------------------------------------------------------------------------


def _read_csv(path: Path, head: bytes, report, cancel: CancelToken | None) -> RawTable:
    if not head.strip():
        raise InputError("The file is empty", file=path, hint="Export the data again")
    encoding = detect_encoding(head, path)
    sample = head.decode(encoding, errors="replace")
    if len(head) == _SAMPLE_BYTES and "\n" in sample:
        sample = sample[: sample.rfind("\n") + 1]  # drop the partial last line
    delimiter = sniff_delimiter(sample)
    records = list(csv.reader(io.StringIO(sample), delimiter=delimiter))[:400]
    header_index = find_header(records, path)
    header = records[header_index]
    width = max(len(header), max((len(r) for r in records[header_index:]), default=0))
    names = header_names(header, width)
    try:
        cells, source_rows = _read_csv_pandas(
            path, encoding, delimiter, header_index, names, report, cancel
        )
    except pd.errors.ParserError:
        cells, source_rows = _read_csv_python(path, encoding, delimiter, header_index, cancel)
        width = max(cells.shape[1], len(header))
        cells.columns = header_names(header, width)
    report(path.stat().st_size)
    cells, source_rows, notes = _tidy(cells, source_rows, len(header), path.name)
    info = InputInfo(
        path=str(path),
        sha256=_sha256(path),
        rows=len(cells),
        encoding=encoding,
        delimiter=delimiter,
    )
    return RawTable(cells, info, source_rows, header_index + 1, tuple(notes))


def _read_csv_pandas(
    path: Path,
    encoding: str,
    delimiter: str,
    header_index: int,
    names: list[str],
    report,
    cancel: CancelToken | None,
) -> tuple[pd.DataFrame, np.ndarray]:
    chunks: list[pd.DataFrame] = []
    with open(path, "rb") as handle:
        reader = pd.read_csv(
            handle,
            sep=delimiter,
            header=None,
            names=names,
            skiprows=header_index + 1,
            # Let the C parser type clean numeric columns (fast); anything else stays text. With
            # ';' (European exports) every cell stays text so "12.500" can be read as thousands.
            dtype=object if delimiter == ";" else None,
            skip_blank_lines=False,
            keep_default_na=False,
            na_values=[""],
            encoding=encoding,
            encoding_errors="replace",
            chunksize=_CHUNK_ROWS,
            engine="c",
            index_col=False,
            quotechar='"',
        )
        with reader:
            for chunk in reader:
                chunks.append(chunk)
                report(handle.tell())
                if cancel is not None:
                    cancel.raise_if_cancelled()
    cells = pd.concat(chunks, ignore_index=True) if chunks else pd.DataFrame(columns=names)
    # Row numbers as a spreadsheet shows them: the header is row header_index + 1.
    source_rows = np.arange(len(cells), dtype=np.int64) + header_index + 2
    return cells, source_rows


def _read_csv_python(
    path: Path, encoding: str, delimiter: str, header_index: int, cancel: CancelToken | None
) -> tuple[pd.DataFrame, np.ndarray]:
    # Ragged rows wider than the sample showed: the csv module takes them as they come.
    with open(path, encoding=encoding, errors="replace", newline="") as handle:
        rows = list(csv.reader(handle, delimiter=delimiter))[header_index + 1 :]
    if cancel is not None:
        cancel.raise_if_cancelled()
    width = max((len(r) for r in rows), default=0)
    padded = [r + [""] * (width - len(r)) for r in rows]
    cells = pd.DataFrame(padded, dtype=object).replace("", np.nan)
    source_rows = np.arange(len(cells), dtype=np.int64) + header_index + 2
    return cells, source_rows


def _tidy(
    cells: pd.DataFrame, source_rows: np.ndarray, header_width: int, file_name: str
) -> tuple[pd.DataFrame, np.ndarray, list[QualityIssue]]:
    """Drop blank rows and the stray cells of ragged rows beyond the header."""
    notes: list[QualityIssue] = []
    blank = cells.isna().all(axis=1).to_numpy()
    if blank.any():
        cells = cells.loc[~blank].reset_index(drop=True)
        source_rows = source_rows[~blank]
    extra = list(cells.columns[header_width:])
    if extra:
        filled = cells[extra].notna().any(axis=1).to_numpy()
        share = filled.mean() if len(filled) else 0.0
        if filled.any() and share < 0.5:
            rows = source_rows[filled]
            notes.append(
                QualityIssue(
                    "warning",
                    "ragged_rows",
                    f"{int(filled.sum())} rows have more cells than the header; the extra "
                    "cells were ignored",
                    file=file_name,
                    rows=tuple(int(r) for r in rows[:20]),
                    count=int(filled.sum()),
                )
            )
        if share < 0.5:
            cells = cells.drop(columns=extra)
    return cells, source_rows, notes


# -- Excel ------------------------------------------------------------------------------------


def _read_xlsx(path: Path, sheet: str | None, report, cancel: CancelToken | None) -> RawTable:
    import openpyxl

    try:
        workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, TypeError) as exc:
        raise InputError(
            "The file cannot be opened as an Excel workbook",
            file=path,
            hint=f"It may be damaged or not really .xlsx ({type(exc).__name__})",
        ) from None
    except Exception as exc:  # noqa: BLE001 - openpyxl raises its own types for bad files
        raise InputError(
            f"The file cannot be opened as an Excel workbook ({type(exc).__name__})",
            file=path,
        ) from None
    try:
        names = [ws.title for ws in workbook.worksheets]
        if not names:
            raise InputError("The workbook has no worksheets", file=path)
        if sheet is not None:
            chosen = _match_sheet(sheet, names, path)
        else:
            chosen = _most_table_like(workbook, names)
        worksheet = workbook[chosen]
        size = max(path.stat().st_size, 1)
        expected_rows = max(int(getattr(worksheet, "max_row", 0) or 0), 1)
        records: list[list[str | None]] = []
        for number, row in enumerate(worksheet.iter_rows(values_only=True), start=1):
            records.append([_cell_text(v) for v in row])
            if number % _XLSX_PROGRESS_ROWS == 0:
                report(int(size * min(number / expected_rows, 1.0)))
                if cancel is not None:
                    cancel.raise_if_cancelled()
    finally:
        workbook.close()
    trimmed = [[c or "" for c in r] for r in records]
    header_index = find_header(trimmed[:400], path)
    header = trimmed[header_index]
    body = records[header_index + 1 :]
    width = max([len(header)] + [len(r) for r in body[:1000]])
    padded = [r[:width] + [None] * (width - len(r)) for r in body]
    cells = pd.DataFrame(padded, columns=header_names(header, width), dtype=object)
    source_rows = np.arange(len(cells), dtype=np.int64) + header_index + 2
    cells, source_rows, notes = _tidy(cells, source_rows, len(header), path.name)
    info = InputInfo(path=str(path), sha256=_sha256(path), rows=len(cells), sheet=chosen)
    return RawTable(cells, info, source_rows, header_index + 1, tuple(notes))


def _match_sheet(sheet: str, names: list[str], path: Path) -> str:
    if sheet in names:
        return sheet
    for name in names:
        if name.strip().lower() == sheet.strip().lower():
            return name
    raise InputError(
        f"The workbook has no sheet named '{sheet}'",
        file=path,
        hint="Sheets in this workbook: " + ", ".join(f"'{n}'" for n in names),
    )


def _most_table_like(workbook, names: list[str]) -> str:
    """Give the sheet with the most cells in rows at least two cells wide."""
    best, best_score = names[0], -1
    for name in names:
        score = 0
        for number, row in enumerate(workbook[name].iter_rows(values_only=True)):
            filled = sum(1 for v in row if v is not None and str(v).strip() != "")
            if filled >= 2:
                score += filled
            if number >= 300:
                break
        if score > best_score:
            best, best_score = name, score
    return best


def _cell_text(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value) or math.isinf(value):
            return None
        return repr(value)
    if hasattr(value, "isoformat"):
        return value.isoformat(sep=" ") if hasattr(value, "hour") else value.isoformat()
    return str(value)
