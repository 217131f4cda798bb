"""Guess how a text export was written: its encoding, its delimiter and where its header is."""

from __future__ import annotations

import codecs
import csv
import io
import math
from collections import Counter
from pathlib import Path

from ..errors import InputError

__all__ = ["detect_encoding", "sniff_delimiter", "find_header", "header_names"]

DELIMITERS = (",", ";", "\t", "|")
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


def detect_encoding(head: bytes, path: Path) -> str:
    """Give the text encoding of a file from its first bytes (BOM, UTF-8 check, then guess).

    Raises :class:`InputError` when the bytes are not text at all.
    """
    for bom, name in _BOMS:
        if head.startswith(bom):
            return name
    if b"\x00" in head:
        # UTF-16 without a BOM puts a zero byte beside every ASCII character.
        even = head[0::2].count(0)
        odd = head[1::2].count(0)
        half = max(len(head) // 2, 1)
        if odd > 0.3 * half and even < 0.05 * half:
            return "utf-16-le"
        if even > 0.3 * half and odd < 0.05 * half:
            return "utf-16-be"
        raise _not_text(path)
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        text = decoder.decode(head, final=False)
        encoding = "utf-8"
    except UnicodeDecodeError:
        encoding = _guess_legacy(head)
        text = head.decode(encoding, errors="replace")
    controls = sum(1 for ch in text[:20000] if ord(ch) < 32 and ch not in "\t\r\n\f")
    if controls > max(3, len(text[:20000]) * 0.01):
        raise _not_text(path)
    return encoding


def _guess_legacy(head: bytes) -> str:
    try:
        from charset_normalizer import from_bytes

        best = from_bytes(head[:65536]).best()
        guess = best.encoding if best is not None else None
    except Exception:  # noqa: BLE001 - a failed guess falls back to the Windows default
        guess = None
    # Finance exports without UTF-8 are nearly always Windows western (cp1252); single-byte
    # guesses (cp850, cp775, ...) "fit" any bytes, so only other scripts override it.
    other_scripts = {
        "cp1251",
        "koi8_r",
        "shift_jis",
        "cp932",
        "euc_jp",
        "gb2312",
        "gbk",
        "gb18030",
        "big5",
        "euc_kr",
        "cp949",
        "cp1253",
        "cp1255",
        "cp1256",
        "iso2022_jp",
        "tis_620",
        "cp874",
    }
    candidates = ["cp1252", "latin-1"]
    if guess and guess.lower().replace("-", "_") in other_scripts:
        candidates.insert(0, guess)
    for candidate in candidates:
        try:
            head.decode(candidate)
            return candidate
        except (UnicodeDecodeError, LookupError):
            continue
    return "latin-1"


def _not_text(path: Path) -> InputError:
    return InputError(
        "The file is not a text table (it looks like binary data)",
        file=path,
        hint="Export the data as CSV or Excel (.xlsx)",
    )


def sniff_delimiter(sample: str) -> str:
    """Give the delimiter that splits the sample into the most consistent rows."""
    best, best_score = ",", -1.0
    for delimiter in DELIMITERS:
        try:
            rows = [r for r in csv.reader(io.StringIO(sample), delimiter=delimiter) if r][:200]
        except csv.Error:
            continue
        widths = [len(r) for r in rows]
        if not widths:
            continue
        modal, frequency = Counter(widths).most_common(1)[0]
        if modal < 2:
            continue
        # Rows agreeing on the modal width, weighted a little by width (more columns wins ties).
        score = frequency + math.log(modal) * 0.01
        if score > best_score + 1e-9:
            best, best_score = delimiter, score
    return best


def find_header(records: list[list[str]], path: Path) -> int:
    """Give the index of the header row: the first wide, mostly-text row (titles skipped).

    Raises :class:`InputError` when no row has two or more filled cells (not a table) or
    when the first wide row is numbers (no header row).
    """
    filled = [sum(1 for c in r if c is not None and str(c).strip()) for r in records]
    wide = [f for f in filled if f >= 2]
    if not wide:
        if not any(filled):
            raise InputError("The file is empty", file=path, hint="Export the data again")
        raise InputError(
            "The file does not look like a table: no row has two or more filled cells",
            file=path,
            hint="A CFO Desk input needs a header row and one column per metric or period",
        )
    modal = Counter(wide).most_common(1)[0][0]
    target = max(2, math.ceil(0.7 * max(modal, max(wide[:5]) if wide else modal)))
    target = min(target, max(wide))
    for index, count in enumerate(filled):
        if count >= target:
            if _mostly_numbers(records[index]):
                raise InputError(
                    "The first row of the table holds numbers, not column names",
                    file=path,
                    row=index + 1,
                    hint="Add a header row naming each column (e.g. Date, Region, Revenue)",
                )
            return index
    return filled.index(max(filled))


def _mostly_numbers(record: list[str]) -> bool:
    cells = [str(c).strip() for c in record if c is not None and str(c).strip()]
    numeric = 0
    for cell in cells:
        try:
            float(cell.replace(",", ""))
            numeric += 1
        except ValueError:
            pass
    return numeric * 2 > len(cells)


def header_names(header: list, width: int) -> list[str]:
    """Give unique, trimmed column names (blank cells become 'Column 3', repeats get '(2)')."""
    names: list[str] = []
    seen: Counter[str] = Counter()
    for index in range(width):
        raw = header[index] if index < len(header) else None
        name = " ".join(str(raw).split()) if raw is not None else ""
        if not name:
            name = f"Column {index + 1}"
        seen[name] += 1
        if seen[name] > 1:
            name = f"{name} ({seen[name]})"
        names.append(name)
    return names
