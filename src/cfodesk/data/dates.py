"""Read the dates and period labels of finance exports, fast.

Each distinct text is parsed once, by a handful of explicit patterns tried in turn (vectorised
over the distinct values): ISO dates, ``2024-01``, ``Jan 2024`` / ``Jan-24`` / ``January 2024``,
``01/31/2024``, ``31.01.2024``, ``31/01/2024``, Excel serial numbers, and quarters (``2024Q1``,
``Q1 2024``, ``2024-Q1``). Day/month order is decided from the whole column; when every day is 12
or less the order is a guess, and the result says which one was assumed.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

__all__ = ["DateParse", "parse_dates", "parse_period_labels", "MONTHS"]

MONTHS: dict[str, int] = {}
for _i, _names in enumerate(
    [
        ("jan", "january", "janv", "jän", "jaenner"),
        ("feb", "february", "febr", "fév", "fev"),
        ("mar", "march", "mär", "mrz", "märz"),
        ("apr", "april", "avr"),
        ("may", "mai", "mei"),
        ("jun", "june", "juin"),
        ("jul", "july", "juil"),
        ("aug", "august", "aout", "août"),
        ("sep", "sept", "september"),
        ("oct", "october", "okt"),
        ("nov", "november"),
        ("dec", "december", "dez", "déc"),
    ],
    start=1,
):
    for _name in _names:
        MONTHS[_name] = _i

_EXCEL_EPOCH = np.datetime64("1899-12-30")
_TIME = r"(?:[ t]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:\s*[ap]m)?(?:z|[+-]\d{2}:?\d{2})?)?"


@dataclass(frozen=True)
class DateParse:
    """The dates of one column.

    ``dates`` is datetime64[ns] (NaT where not a date); ``grain`` per cell is ``"D"`` (a day),
    ``"M"`` (a month label) or ``"Q"`` (a quarter label), ``""`` where not parsed; ``parsed``
    the share of non-empty cells that are dates; ``order_note`` explains an assumed day/month
    order; ``excel_serial`` says the column held Excel day numbers.
    """

    dates: np.ndarray
    grain: np.ndarray
    parsed: float
    order_note: str | None = None
    excel_serial: bool = False


def parse_dates(cells: pd.Series, *, allow_serial: bool = False) -> DateParse:
    """Give the column's dates (NaT where not a date) with the grain of each label.

    ``allow_serial`` lets plain numbers 20000-60000 be read as Excel serial days (only sensible
    for a column already known to hold dates).
    """
    missing = pd.isna(cells).to_numpy()
    n = len(cells)
    codes, uniques = pd.factorize(cells, use_na_sentinel=True)
    if len(uniques) == 0:
        return DateParse(np.full(n, np.datetime64("NaT"), "M8[ns]"), np.full(n, ""), 0.0)
    texts = pd.Series(uniques, dtype=object).astype(str).str.strip()
    u_dates, u_grain, note, serial = _parse_unique(texts, allow_serial)
    dates = np.full(n, np.datetime64("NaT"), "M8[ns]")
    grain = np.full(n, "", dtype="<U1")
    ok = codes >= 0
    dates[ok] = u_dates[codes[ok]]
    grain[ok] = u_grain[codes[ok]]
    nonempty = int((~missing).sum())
    share = float((~np.isnat(dates)).sum() / nonempty) if nonempty else 0.0
    return DateParse(dates, grain, share, note, serial)


def parse_period_labels(labels: list[str]) -> DateParse:
    """Give the dates of column headers that may be periods ("Jan-24", "2024-01", "Q1 2024")."""
    return parse_dates(pd.Series(labels, dtype=object))


def _parse_unique(
    texts: pd.Series, allow_serial: bool
) -> tuple[np.ndarray, np.ndarray, str | None, bool]:
    n = len(texts)
    out = np.full(n, np.datetime64("NaT"), "M8[ns]")
    grain = np.full(n, "", dtype="<U1")
    low = texts.str.lower()
    note: str | None = None
    plain_numbers = pd.to_numeric(texts, errors="coerce").notna().to_numpy()
    if plain_numbers.all() and not allow_serial:
        return out, grain, None, False
    # Only texts with a digit that are not plain numbers can be dates (serials come last).
    candidates = low.str.contains(r"\d", regex=True).to_numpy(dtype=bool) & ~plain_numbers

    def extract(pattern: str) -> pd.DataFrame | None:
        todo = candidates & np.isnat(out)
        if not todo.any():
            return None
        return low[todo].str.extract(pattern).reindex(low.index)

    def fill(
        mask: np.ndarray, years: pd.Series, months: pd.Series, days: pd.Series | int, g: str
    ) -> None:
        mask = mask & np.isnat(out)
        if not mask.any():
            return
        frame = pd.DataFrame(
            {
                "year": pd.to_numeric(years[mask], errors="coerce"),
                "month": pd.to_numeric(months[mask], errors="coerce"),
                "day": days
                if isinstance(days, int)
                else pd.to_numeric(days[mask], errors="coerce"),
            }
        )
        frame.loc[frame["year"] < 100, "year"] += 2000
        valid = frame.notna().all(axis=1) & frame["year"].between(1900, 2200)
        values = pd.to_datetime(frame[valid].astype("int64"), errors="coerce")
        idx = np.flatnonzero(mask)[valid.to_numpy()]
        out[idx] = values.to_numpy(dtype="M8[ns]")
        grain[idx[~np.isnat(out[idx])]] = g

    # ISO dates with optional time: 2024-01-31, 2024/01/31, 2024.01.31
    iso = extract(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})" + _TIME + "$")
    if iso is not None:
        fill(iso[0].notna().to_numpy(), iso[0], iso[1], iso[2], "D")
    # Year-month 2024-01, 2024/1, 2024.01
    ym = extract(r"^(\d{4})[-/.](\d{1,2})$")
    if ym is not None:
        fill(ym[0].notna().to_numpy(), ym[0], ym[1], 1, "M")
    # Quarters: 2024Q1, 2024-Q1, 2024 Q1, Q1 2024, Q1-24, 1Q24, Q1/2024
    q1 = extract(r"^(\d{4})\s*[-/ ]?\s*q([1-4])$")
    if q1 is not None:
        fill(q1[0].notna().to_numpy(), q1[0], q1[1].astype(float) * 3 - 2, 1, "Q")
    q2 = extract(r"^(?:q([1-4])|([1-4])q)\s*[-/ ']?\s*(?:fy)?(\d{2}|\d{4})$")
    if q2 is not None:
        qn = q2[0].where(q2[0].notna(), q2[1])
        fill(
            qn.notna().to_numpy() & q2[2].notna().to_numpy(),
            q2[2],
            qn.astype(float) * 3 - 2,
            1,
            "Q",
        )
    # Month names: Jan 2024, Jan-24, January 2024, Jan. 2024, 2024-Jan, 2024 January
    mn = extract(r"^([a-zäéû]{3,9})\.?\s*[-/ ,']?\s*'?(\d{2}|\d{4})$")
    if mn is not None:
        months = mn[0].map(MONTHS)
        fill(months.notna().to_numpy(), mn[1], months, 1, "M")
    mn2 = extract(r"^(\d{4})\s*[-/ ]\s*([a-zäéû]{3,9})\.?$")
    if mn2 is not None:
        months2 = mn2[1].map(MONTHS)
        fill(months2.notna().to_numpy(), mn2[0], months2, 1, "M")
    # Day with month name: 31 Jan 2024, 31-Jan-2024, 1-Jan-24, Jan 31, 2024
    dmn = extract(r"^(\d{1,2})[-/ .]([a-zäéû]{3,9})\.?[-/ .,]\s*(\d{2}|\d{4})" + _TIME + "$")
    if dmn is not None:
        months3 = dmn[1].map(MONTHS)
        fill(months3.notna().to_numpy(), dmn[2], months3, dmn[0], "D")
    mdn = extract(r"^([a-zäéû]{3,9})\.?\s+(\d{1,2}),?\s+(\d{4})$")
    if mdn is not None:
        months4 = mdn[0].map(MONTHS)
        fill(months4.notna().to_numpy(), mdn[2], months4, mdn[1], "D")
    # Numeric day and month: 01/31/2024, 31.01.2024, 31/01/2024, 31-01-24
    dm = extract(r"^(\d{1,2})([/.\-])(\d{1,2})[/.\-](\d{4}|\d{2})" + _TIME + "$")
    has_dm = dm[0].notna().to_numpy() & np.isnat(out) if dm is not None else np.zeros(n, bool)
    if dm is not None and has_dm.any():
        first = dm[0].astype(float)[has_dm]
        second = dm[2].astype(float)[has_dm]
        day_first = bool((first > 12).any())
        month_first = bool((second > 12).any())
        if day_first == month_first:
            # Either order fits every value (or neither does): pick the reading that spreads the
            # dates over more months (period-start exports), then the separator's custom.
            months_if_day_first = (dm[3][has_dm] + "-" + dm[2][has_dm]).nunique()
            months_if_month_first = (dm[3][has_dm] + "-" + dm[0][has_dm]).nunique()
            separator = dm[1][has_dm].mode().iloc[0]
            if months_if_day_first != months_if_month_first:
                day_first = months_if_day_first > months_if_month_first
            else:
                day_first = separator != "/"
            if not (first > 12).any() and not (second > 12).any():
                example = texts[has_dm].iloc[0]
                note = "Dates such as '{}' could be day/month or month/day; read as {}".format(
                    example, "day/month/year" if day_first else "month/day/year"
                )
        if day_first:
            fill(has_dm, dm[3], dm[2], dm[0], "D")
        else:
            fill(has_dm, dm[3], dm[0], dm[2], "D")
    serial = False
    if allow_serial:
        numbers = pd.to_numeric(texts, errors="coerce")
        in_range = numbers.between(20000, 60000).to_numpy() & np.isnat(out)
        if in_range.any():
            days = np.floor(numbers[in_range].to_numpy()).astype("int64")
            out[in_range] = (_EXCEL_EPOCH + days.astype("m8[D]")).astype("M8[ns]")
            grain[in_range] = "D"
            serial = True
    return out, grain, note, serial
