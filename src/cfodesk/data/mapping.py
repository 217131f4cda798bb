"""What a column header (or an account name) means: synonyms, fuzzy matching, user overrides.

Headers are compared after folding case, spacing and punctuation ("Sales Revenue", "sales_revenue"
and "SALES-REVENUE" are the same); units in brackets ("Revenue (USD)") and a leading "Total" are
set aside. Anything unknown falls back to difflib similarity, and a numeric column that matches
nothing is still a metric under its own snake_case name.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from ..errors import ConfigError
from ..metrics import KNOWN_METRICS
from .synonyms import ID_WORDS, METRIC_SYNONYMS, ROLE_SYNONYMS, TOTAL_LABELS

__all__ = [
    "Match",
    "ROLE_TARGETS",
    "fold",
    "snake_case",
    "match_header",
    "match_role",
    "is_total_label",
    "is_id_like",
    "resolve_override",
    "load_mapping_file",
    "parse_map_option",
    "headers_signature",
]

#: Override targets that are not metrics.
ROLE_TARGETS = ("date", "region", "department", "ignore")


_UNITS = re.compile(
    r"\((?:[^)]*)\)|\[(?:[^]]*)\]|\bin\s+(?:usd|eur|gbp|\$|€|£|k|m|thousands|millions)\b|"
    r"\b(?:usd|eur|gbp|chf|jpy|k|000s?|'000|thousands|millions|mn|m|amount|\$|€|£)$"
)


@dataclass(frozen=True)
class Match:
    """A header understood as ``target`` with a ``confidence`` (0..1) found by ``method``."""

    target: str
    confidence: float
    method: str


def fold(text: str) -> str:
    """Give a header folded for comparison: lower case, '&' as 'and', no punctuation or spaces."""
    lowered = str(text).lower().replace("&", " and ")
    return re.sub(r"[^a-z0-9%]+", "", lowered)


def _strip_units(text: str) -> str:
    lowered = str(text).lower().strip()
    previous = None
    while previous != lowered:
        previous = lowered
        lowered = _UNITS.sub("", lowered).strip(" -_:.,")
    return lowered


def snake_case(text: str) -> str:
    """Give a custom metric name from a header: 'Gross Margin %' -> 'gross_margin_pct'."""
    lowered = str(text).strip().lower().replace("%", " pct ").replace("&", " and ")
    name = re.sub(r"[^a-z0-9]+", "_", lowered).strip("_")
    if not name:
        return "metric"
    if name[0].isdigit():
        name = f"m_{name}"
    if name in ("date", "region", "department", "ignore"):
        name = f"{name}_value"
    return name


def _table(synonyms: Mapping[str, Iterable[str]]) -> dict[str, str]:
    return {fold(s): target for target, words in synonyms.items() for s in (*words, target)}


_METRIC_TABLE = _table(METRIC_SYNONYMS)
_ROLE_TABLE = {role: _table({role: words}) for role, words in ROLE_SYNONYMS.items()}


def _lookup(header: str, table: Mapping[str, str], fuzzy: bool) -> Match | None:
    key = fold(header)
    if not key:
        return None
    if key in table:
        method = "exact" if key == fold(table[key]) else "synonym"
        return Match(table[key], 1.0 if method == "exact" else 0.95, method)
    bare = fold(_strip_units(header))
    if bare and bare in table:
        return Match(table[bare], 0.9, "synonym")
    if bare.startswith("total") and bare[5:] in table:
        return Match(table[bare[5:]], 0.85, "synonym")
    if fuzzy and len(bare) >= 4:
        close = difflib.get_close_matches(bare, list(table), n=1, cutoff=0.84)
        if close:
            ratio = difflib.SequenceMatcher(None, bare, close[0]).ratio()
            return Match(table[close[0]], round(0.8 * ratio, 3), "fuzzy")
    return None


def match_header(header: str, *, fuzzy: bool = True) -> Match | None:
    """Give the canonical metric a header or account name means, or None when unknown."""
    return _lookup(header, _METRIC_TABLE, fuzzy)


def match_role(header: str, role: str, *, fuzzy: bool = False) -> Match | None:
    """Give a match when a header names ``role`` (date, region, department, metric_name, value)."""
    return _lookup(header, _ROLE_TABLE[role], fuzzy)


def is_total_label(text: object) -> bool:
    """Give True for footer/subtotal labels such as 'Total', 'Grand total', 'Sum:'."""
    if text is None or not isinstance(text, str):
        return False
    lowered = re.sub(r"[^a-z ]+", " ", text.lower())
    return " ".join(lowered.split()) in TOTAL_LABELS


def is_id_like(header: str) -> bool:
    """Give True for headers naming identifiers or notes rather than values."""
    words = re.sub(r"[^a-z0-9 ]+", " ", str(header).lower()).split()
    if not words:
        return False
    return " ".join(words) in ID_WORDS or words[-1] in {"id", "code", "no", "nr", "ref"}


def resolve_override(target: str) -> tuple[str, str]:
    """Give (role, target) for a user override target ('Revenue' -> ('metric', 'revenue'))."""
    cleaned = target.strip()
    key = cleaned.lower()
    if key in ("ignore", "ignored", "skip", "none"):
        return "ignored", "ignore"
    if key in ("date", "region", "department"):
        return key, key
    if key in KNOWN_METRICS:
        return "metric", key
    known = match_header(cleaned, fuzzy=False)
    if known is not None and known.confidence >= 0.95:
        return "metric", known.target
    return "metric", snake_case(cleaned)


def find_override(header: str, overrides: Mapping[str, str]) -> str | None:
    """Give the user's target for a header (exact first, then folded), or None."""
    if header in overrides:
        return overrides[header]
    folded = fold(header)
    for source, target in overrides.items():
        if fold(source) == folded and folded:
            return target
    return None


def load_mapping_file(path: str | Path) -> dict[str, str]:
    """Give the overrides of a JSON mapping file (an object: source header -> target).

    Raises :class:`ConfigError` when the file is missing, not JSON, or not such an object.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise ConfigError("The mapping file does not exist", file=path) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"The mapping file cannot be read: {exc}", file=path) from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ConfigError(
            f"The mapping file is not valid JSON: {exc.msg}",
            file=path,
            row=exc.lineno,
            hint='Write it as {"Source header": "revenue", "Dept": "department"}',
        ) from None
    if not isinstance(data, dict):
        raise ConfigError(
            "The mapping file must hold one JSON object (source header -> meaning)",
            file=path,
            hint='Write it as {"Source header": "revenue", "Dept": "department"}',
        )
    bad = [k for k, v in data.items() if not isinstance(v, str) or not v.strip() or not k.strip()]
    if bad:
        raise ConfigError(
            f"In the mapping file, '{bad[0]}' must map to a non-empty text target",
            file=path,
            hint="Targets are metric names, date, region, department or ignore",
        )
    return {str(k).strip(): str(v).strip() for k, v in data.items()}


def parse_map_option(text: str) -> dict[str, str]:
    """Give the overrides of one ``--map`` value: 'Sales=revenue' or 'Sales=revenue,Dept=department'."""
    result: dict[str, str] = {}
    for part in str(text).split(","):
        if not part.strip():
            continue
        source, sep, target = part.partition("=")
        if not sep or not source.strip() or not target.strip():
            raise ConfigError(
                f"--map expects SOURCE=TARGET pairs, got '{part.strip()}'",
                hint='For example --map "Sales=revenue" --map "Dept=department"',
            )
        result[source.strip()] = target.strip()
    return result


def headers_signature(header_sets: Sequence[Sequence[str]]) -> str:
    """Give a stable hash of the header sets (order of files and columns does not matter)."""
    folded = sorted("\x1f".join(sorted(fold(h) for h in headers)) for headers in header_sets)
    return hashlib.sha256("\x1e".join(folded).encode("utf-8")).hexdigest()[:16]
