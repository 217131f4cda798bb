import json
import math

import numpy as np
import pandas as pd
import pytest

from cfodesk.export.safe import json_ready, neutralise_cell, neutralise_frame, restore_cell


@pytest.mark.parametrize(
    "hostile",
    ['=HYPERLINK("http://x")', "+cmd", "-2+3+cmd|' /C calc'!A0", "@SUM(A1)", "\t=1+1", "\r=1"],
)
def test_formula_text_gets_an_apostrophe_and_comes_back(hostile: str) -> None:
    safe = neutralise_cell(hostile)
    assert safe == "'" + hostile
    assert restore_cell(safe) == hostile


@pytest.mark.parametrize("value", ["-12.5", "+3", "-1e3", 12, -4.5, None, "Europe", "total", ""])
def test_numbers_and_plain_text_are_left_alone(value: object) -> None:
    assert neutralise_cell(value) == value


def test_apostrophe_text_that_was_not_neutralised_is_kept() -> None:
    assert restore_cell("'quoted'") == "'quoted'"


def test_neutralise_frame_touches_text_columns_only() -> None:
    frame = pd.DataFrame({"segment": ["=x", "Europe"], "value": [-1.0, 2.0]})
    safe = neutralise_frame(frame)
    assert safe["segment"].tolist() == ["'=x", "Europe"]
    assert safe["value"].tolist() == [-1.0, 2.0]
    assert frame["segment"].tolist() == ["=x", "Europe"]  # the input is not changed


def test_json_ready_gives_strict_json() -> None:
    data = {
        "nan": float("nan"),
        "inf": np.float64("inf"),
        "int": np.int64(3),
        "bool": np.bool_(True),
        "day": pd.Timestamp("2024-03-01"),
        "moment": pd.Timestamp("2024-03-01 10:30"),
        "nat": pd.NaT,
        "array": np.array([1.5, np.nan]),
        "tuple": (1, 2),
        1: "int key",
    }
    ready = json_ready(data)
    text = json.dumps(ready, allow_nan=False)
    back = json.loads(text)
    assert back["nan"] is None and back["inf"] is None and back["nat"] is None
    assert back["int"] == 3 and back["bool"] is True
    assert back["day"] == "2024-03-01"
    assert back["moment"].startswith("2024-03-01T10:30")
    assert back["array"] == [1.5, None]
    assert back["tuple"] == [1, 2] and back["1"] == "int key"
    assert not any(isinstance(v, float) and math.isnan(v) for v in back.values())
