"""Helpers for intake tests: write small messy exports to a temporary folder."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest


@pytest.fixture
def write_file(tmp_path: Path) -> Callable[..., Path]:
    """Give a function writing text (or bytes) to a file in tmp_path and returning its path."""

    def write(name: str, content: str | bytes, encoding: str = "utf-8") -> Path:
        path = tmp_path / name
        data = content if isinstance(content, bytes) else content.encode(encoding)
        path.write_bytes(data)
        return path

    return write


def monthly_csv(months: int = 12, start: int = 2023, sep: str = ",") -> str:
    """Give a small records CSV with date, region and two metrics."""
    lines = [sep.join(["Month", "Region", "Sales", "COGS"])]
    for m in range(months):
        year, month = start + m // 12, m % 12 + 1
        for region, base in (("Europe", 100), ("Asia", 50)):
            lines.append(sep.join([f"{year}-{month:02d}", region, str(base + m), str(base // 2)]))
    return "\n".join(lines) + "\n"
