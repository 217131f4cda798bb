"""Turn the number cells of finance exports into floats.

Handles thousands separators, European decimals (``1.234,56``, decided per column), currency
symbols and codes, parentheses and trailing-minus negatives, percent signs and the many ways
spreadsheets write "no value". Percent cells are stored as fractions: ``12%`` becomes ``0.12``.

Clean columns take a fast path (one ``pd.to_numeric``); only the cells that need work are cleaned,
and only once per distinct text, so a million-row column costs about as much as its distinct
formatted values.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

__all__ = ["NumberParse", "parse_numbers", "EMPTY_MARKERS", "is_empty_marker"]

#: Texts that mean "no value" in finance exports (compared lower-cased, trimmed).
EMPTY_MARKERS: frozenset[str] = frozenset(
    {
        "",
        "n/a",
        "na",
        "n.a.",
        "n.a",
        "#n/a",
        "-",
        "--",
        "—",
        "–",
        "..",
        "...",
        "#div/0!",
        "#value!",
        "#ref!",
        "#num!",
        "#name?",
        "#null!",
        "null",
        "none",
        "nan",
        "nil",
        "missing",
        "?",
    }
)

_CURRENCY = re.compile(
    r"(?i)(?:[$€£¥₹₩₽₺₪฿]|\b(?:usd|eur|gbp|jpy|cny|rmb|chf|cad|aud|nzd|sek|nok|dkk|pln|czk|"
    r"huf|inr|brl|mxn|zar|sgd|hkd|krw|try|rub|ils|aed|sar)\b|\bus\$|\bfr\.?)"
)
_SPACES = re.compile(r"[\s\u00a0\u202f\u2009']")
_US = re.compile(r"^[+-]?\d{1,3}(,\d{3})+(\.\d+)?$|^[+-]?\d*\.\d+$")
_EU = re.compile(r"^[+-]?\d{1,3}(\.\d{3})+(,\d+)?$|^[+-]?\d*,\d+$")
_EU_THOUSANDS_ONLY = re.compile(r"^[+-]?\d{1,3}(\.\d{3})+$")


@dataclass(frozen=True)
class NumberParse:
    """The floats of one column and what it took to get them.

    ``invalid`` marks non-empty cells that are not numbers; ``empty_markers`` counts cells such
    as ``N/A`` or ``#DIV/0!`` read as missing; ``european`` says the column used ``1.234,56``;
    ``percent`` counts cells written with ``%`` (stored divided by 100).
    """

    values: np.ndarray
    invalid: np.ndarray
    empty_markers: int
    european: bool
    percent: int
    currency: int


def is_empty_marker(text: object) -> bool:
    """Give True when a cell means 'no value'."""
    if text is None or (isinstance(text, float) and np.isnan(text)):
        return True
    return str(text).strip().lower() in EMPTY_MARKERS


def parse_numbers(cells: pd.Series, *, european_hint: bool = False) -> NumberParse:
    """Give the column's floats (NaN where empty or not a number) with a parse summary.

    ``european_hint`` says other columns of the same table used European decimals, so a column
    holding only ``12.500``-style values is read as thousands, not decimals.
    """
    n = len(cells)
    if pd.api.types.is_numeric_dtype(cells.dtype) and not european_hint:
        # Typed by the CSV parser already: nothing to clean.
        values = cells.to_numpy(dtype=float, na_value=np.nan)
        return NumberParse(values, np.zeros(n, bool), 0, False, 0, 0)
    raw = cells.to_numpy(dtype=object, na_value=None)
    missing = pd.isna(cells).to_numpy()
    fast = pd.to_numeric(cells, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    hard = np.isnan(fast) & ~missing
    if not hard.any() and not european_hint:
        return NumberParse(fast, np.zeros(n, bool), 0, False, 0, 0)
    if european_hint:
        hard = ~missing
    parsed, codes, counts = _parse_cells(raw[hard], european_hint, None)
    if parsed.european and not hard[~missing].all():
        # Cells the fast path took ("1.234") mean thousands in a European column: redo them all.
        hard = ~missing
        parsed, codes, counts = _parse_cells(raw[hard], european_hint, True)
    values = fast.copy()
    values[hard] = parsed.values[codes]
    invalid = np.zeros(n, bool)
    invalid[hard] = parsed.invalid[codes]
    return NumberParse(
        values=values,
        invalid=invalid,
        empty_markers=int(counts[parsed.empty].sum()),
        european=parsed.european,
        percent=int(counts[parsed.percent].sum()),
        currency=int(counts[parsed.currency].sum()),
    )


def _parse_cells(
    cells: np.ndarray, european_hint: bool, european: bool | None
) -> tuple[_UniqueParse, np.ndarray, np.ndarray]:
    texts = pd.Series(cells, dtype=object).astype(str)
    codes, uniques = pd.factorize(texts)
    parsed = _parse_unique(pd.Series(uniques, dtype=object), european_hint, european)
    counts = np.bincount(codes, minlength=len(uniques))
    return parsed, codes, counts


@dataclass(frozen=True)
class _UniqueParse:
    values: np.ndarray
    invalid: np.ndarray
    empty: np.ndarray
    percent: np.ndarray
    currency: np.ndarray
    european: bool


def _parse_unique(texts: pd.Series, european_hint: bool, european: bool | None) -> _UniqueParse:
    stripped = texts.str.strip()
    empty = stripped.str.lower().isin(EMPTY_MARKERS).to_numpy()
    work = stripped.copy()
    currency = work.str.contains(_CURRENCY, na=False).to_numpy()
    work = work.str.replace(_CURRENCY, "", regex=True)
    work = work.str.replace(_SPACES, "", regex=True)
    paren = work.str.match(r"^\(.*\)$").to_numpy()
    work = work.where(~paren, work.str.slice(1, -1))
    percent = work.str.endswith("%").to_numpy() | work.str.startswith("%").to_numpy()
    work = work.str.strip("%")
    trailing = work.str.match(r"^[^-].*\d-$").to_numpy()
    work = work.where(~trailing, work.str.slice(0, -1))
    negative = paren | trailing
    # Currency after a minus sign ("-$1,200") leaves "-1,200": fine; "$-1,200" likewise.
    if european is None:
        us_like = work.str.match(_US).to_numpy()
        eu_like = work.str.match(_EU).to_numpy()
        # Values like "1,234" or "1.234" fit both readings; only the unambiguous ones vote.
        us_votes = int((us_like & ~eu_like).sum())
        eu_votes = int((eu_like & ~us_like).sum())
        european = eu_votes > us_votes
        if european_hint and not european and us_votes == 0:
            # Another column of this table is European: "12.500" means twelve thousand five hundred.
            european = bool(work.str.match(_EU_THOUSANDS_ONLY).any())
    if european:
        work = work.str.replace(".", "", regex=False).str.replace(",", ".", regex=False)
    else:
        work = work.str.replace(",", "", regex=False)
    values = pd.to_numeric(work, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    values = np.where(negative, -np.abs(values), values)
    values = np.where(percent, values / 100.0, values)
    values[empty] = np.nan
    invalid = np.isnan(values) & ~empty
    return _UniqueParse(values, invalid, empty, percent & ~invalid, currency & ~invalid, european)
