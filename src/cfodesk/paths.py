"""Where CFO Desk finds its bundled resources and keeps its own files."""

from __future__ import annotations

import os
import sys
from pathlib import Path

__all__ = ["resource_path", "sample_data_path", "user_data_dir"]


def resource_path(name: str) -> Path:
    """Give the path of a bundled resource (works from source, installed and frozen)."""
    frozen_root = getattr(sys, "_MEIPASS", None)
    roots = [Path(frozen_root) / "resources"] if frozen_root else []
    # From a checkout (editable install or PYTHONPATH=src) the resources sit at the repo root.
    roots.append(Path(__file__).resolve().parents[2] / "resources")
    for root in roots:
        if (root / name).exists():
            return root / name
    raise FileNotFoundError(f"CFO Desk resource '{name}' is missing from {roots[0]}")


def sample_data_path() -> Path:
    """Give the bundled sample finance export."""
    return resource_path("sample_financial_data.csv")


def user_data_dir() -> Path:
    """Give the folder for history and window runs (``CFODESK_HOME`` overrides it)."""
    override = os.environ.get("CFODESK_HOME")
    if override:
        path = Path(override)
    else:
        from platformdirs import user_data_dir as _platform_dir

        path = Path(_platform_dir("cfodesk", appauthor=False))
    path.mkdir(parents=True, exist_ok=True)
    return path
