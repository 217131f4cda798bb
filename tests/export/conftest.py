"""Fixtures of the export tests: one sample report and its charts, shared by the session."""

from __future__ import annotations

import pytest
from export_fixtures import make_report

from cfodesk.model import Report


@pytest.fixture(scope="session")
def sample_report() -> Report:
    return make_report()


@pytest.fixture(scope="session")
def charts_dir(tmp_path_factory: pytest.TempPathFactory, sample_report: Report):
    from cfodesk.export.charts import render_charts

    folder = tmp_path_factory.mktemp("charts")
    return folder, render_charts(sample_report, folder)
