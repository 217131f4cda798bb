import codecs
import os
import sys
from pathlib import Path

import openpyxl
import pytest

from cfodesk.data import load_dataset, read_sources
from cfodesk.errors import InputError
from cfodesk.progress import Cancelled, CancelToken

from .conftest import monthly_csv

TEXT = (
    "Month,Region,Sales\n2024-01,Zürich Süd,100\n2024-02,Zürich Süd,110\n2024-03,Zürich Süd,120\n"
)


@pytest.mark.parametrize(
    "encoding, bom, expected",
    [
        ("utf-8", b"", "utf-8"),
        ("utf-8", codecs.BOM_UTF8, "utf-8-sig"),
        ("utf-16-le", codecs.BOM_UTF16_LE, "utf-16"),
        ("utf-16-be", codecs.BOM_UTF16_BE, "utf-16"),
        ("cp1252", b"", "cp1252"),
        ("latin-1", b"", None),
    ],
)
def test_encodings(write_file, encoding, bom, expected):
    path = write_file("enc.csv", bom + TEXT.encode(encoding))
    (table,) = read_sources([path])
    if expected:
        assert table.info.encoding == expected
    assert list(table.cells.columns) == ["Month", "Region", "Sales"]
    assert table.cells["Region"].iloc[0] == "Zürich Süd"


def test_utf16_without_bom(write_file):
    path = write_file("u16.csv", TEXT.encode("utf-16-le"))
    (table,) = read_sources([path])
    assert table.info.encoding == "utf-16-le"
    assert table.cells["Region"].iloc[0] == "Zürich Süd"


@pytest.mark.parametrize("sep", [",", ";", "\t", "|"])
def test_delimiters(write_file, sep):
    path = write_file("sep.csv", monthly_csv(sep=sep))
    (table,) = read_sources([path])
    assert table.info.delimiter == sep
    assert list(table.cells.columns) == ["Month", "Region", "Sales", "COGS"]
    assert len(table.cells) == 24


def test_semicolon_with_decimal_commas(write_file):
    text = "Month;Revenue;Costs\n2024-01;1.234,56;2,5\n2024-02;1.300,00;2,6\n2024-03;1.400,10;2,7\n"
    ds = load_dataset(write_file("eu.csv", text))
    assert ds.inputs[0].delimiter == ";"
    assert ds.records["revenue"].tolist() == pytest.approx([1234.56, 1300.0, 1400.1])


def test_quoted_fields_with_newlines_and_title_lines(write_file):
    text = (
        "ACME Corp monthly report\n"
        "Generated 2024-04-02\n"
        "\n"
        "Month,Region,Sales,Comment\n"
        '2024-01,Europe,100,"first line\nsecond line"\n'
        "\n"
        "2024-02,Europe,110,ok\n"
        "2024-03,Europe,120,ok\n"
    )
    (table,) = read_sources([write_file("titled.csv", text)])
    assert table.header_row == 4
    assert list(table.cells.columns) == ["Month", "Region", "Sales", "Comment"]
    assert len(table.cells) == 3  # blank lines dropped
    assert table.cells["Comment"].iloc[0] == "first line\nsecond line"
    # Row numbers as a spreadsheet shows them (blank line 6 skipped).
    assert table.source_rows.tolist() == [5, 7, 8]


def test_ragged_rows(write_file):
    text = "Month,Sales,Costs\n2024-01,1,2\n2024-02,3\n2024-03,5,6,EXTRA\n2024-04,7,8\n"
    (table,) = read_sources([write_file("ragged.csv", text)])
    assert list(table.cells.columns) == ["Month", "Sales", "Costs"]
    assert table.cells["Costs"].isna().tolist() == [False, True, False, False]
    (note,) = [n for n in table.notes if n.code == "ragged_rows"]
    assert note.rows == (4,)


def test_ragged_rows_beyond_the_sample_fall_back(write_file):
    lines = ["Month,Sales"] + [f"2024-{m % 12 + 1:02d},{m}" for m in range(20000)]
    lines.append("2024-01,1,2,3,4")
    (table,) = read_sources([write_file("late_ragged.csv", "\n".join(lines) + "\n")])
    assert len(table.cells) == 20001
    assert any(n.code == "ragged_rows" for n in table.notes)


def make_workbook(path: Path, sheets: dict[str, list[list]]) -> Path:
    workbook = openpyxl.Workbook()
    workbook.remove(workbook.active)
    for name, rows in sheets.items():
        sheet = workbook.create_sheet(name)
        for row in rows:
            sheet.append(row)
    workbook.save(path)
    return path


def data_rows():
    import datetime as dt

    rows = [["Date", "Region", "Revenue"]]
    for m in range(1, 10):
        rows.append([dt.datetime(2024, m, 1), "Europe", 1000.0 + m])
    return rows


def test_xlsx_picks_the_table_sheet(tmp_path):
    path = make_workbook(
        tmp_path / "book.xlsx",
        {"Cover": [["Finance pack"], ["Prepared by", "FP&A"]], "Data": data_rows()},
    )
    (table,) = read_sources([path])
    assert table.info.sheet == "Data"
    ds = load_dataset(path)
    assert ds.records["revenue"].iloc[0] == 1001.0
    assert ds.records["date"].iloc[0].strftime("%Y-%m-%d") == "2024-01-01"


def test_xlsx_sheet_option_and_missing_sheet(tmp_path):
    path = make_workbook(tmp_path / "book.xlsx", {"A": data_rows(), "B": data_rows()[:5]})
    (table,) = read_sources([path], sheet="b")
    assert table.info.sheet == "B"
    with pytest.raises(InputError) as info:
        read_sources([path], sheet="Nope")
    assert "'A'" in str(info.value) and "'B'" in str(info.value) and "Nope" in str(info.value)


def test_xlsx_title_rows(tmp_path):
    rows = [["Board pack 2024"], [], *data_rows()]
    (table,) = read_sources([make_workbook(tmp_path / "t.xlsx", {"S": rows})])
    assert list(table.cells.columns) == ["Date", "Region", "Revenue"]
    assert table.source_rows[0] == 4


def test_unreadable_xlsx(write_file):
    path = write_file("broken.xlsx", b"PK\x03\x04 this is not a zip at all")
    with pytest.raises(InputError, match="Excel"):
        read_sources([path])


def test_old_xls_is_refused_clearly(write_file):
    path = write_file("old.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600)
    with pytest.raises(InputError, match="xlsx"):
        read_sources([path])


def test_missing_file(tmp_path):
    with pytest.raises(InputError, match="does not exist") as info:
        read_sources([tmp_path / "nope.csv"])
    assert "nope.csv" in str(info.value)


def test_empty_file(write_file):
    with pytest.raises(InputError, match="empty"):
        read_sources([write_file("empty.csv", "")])
    with pytest.raises(InputError, match="empty"):
        read_sources([write_file("blank.csv", "\n\n  \n")])


def test_binary_garbage(write_file):
    with pytest.raises(InputError, match="not a text table"):
        read_sources([write_file("garbage.csv", bytes(range(256)) * 20)])


def test_not_a_table(write_file):
    with pytest.raises(InputError, match="does not look like a table"):
        read_sources([write_file("prose.csv", "Dear team\nplease find the numbers\nattached\n")])


def test_headerless_numbers(write_file):
    with pytest.raises(InputError, match="column names"):
        read_sources([write_file("nohead.csv", "1,2,3\n4,5,6\n")])


@pytest.mark.skipif(sys.platform == "win32" or os.geteuid() == 0, reason="needs POSIX non-root")
def test_permission_denied(write_file):
    path = write_file("locked.csv", monthly_csv())
    path.chmod(0)
    try:
        with pytest.raises(InputError, match="not allowed"):
            read_sources([path])
    finally:
        path.chmod(0o644)


def test_inputs_are_never_modified(write_file):
    path = write_file("keep.csv", monthly_csv())
    before = (path.read_bytes(), path.stat().st_mtime_ns)
    (table,) = read_sources([path])
    load_dataset(path)
    assert (path.read_bytes(), path.stat().st_mtime_ns) == before
    import hashlib

    assert table.info.sha256 == hashlib.sha256(before[0]).hexdigest()


def test_progress_is_steady_and_monotonic(write_file):
    lines = ["Month,Region,Sales"] + [f"2024-{m % 12 + 1:02d},R{m % 7},{m}" for m in range(300_000)]
    big = write_file("big.csv", "\n".join(lines) + "\n")
    small = write_file("small.csv", monthly_csv())
    steps = []
    read_sources(
        [big, small], on_progress=lambda d, t, item=None, message=None: steps.append((d, t, item))
    )
    done = [d for d, _, _ in steps]
    assert done == sorted(done)
    assert steps[-1][0] == steps[-1][1]
    assert len({d for d, _, item in steps if item == "big.csv"}) >= 4  # per-chunk steps
    assert {item for _, _, item in steps} == {"big.csv", "small.csv"}


def test_cancel_between_chunks(write_file):
    lines = ["Month,Sales"] + [f"2024-{m % 12 + 1:02d},{m}" for m in range(200_000)]
    path = write_file("big.csv", "\n".join(lines) + "\n")
    token = CancelToken()

    def cancel_after_first_chunk(done, total, item=None, message=None):
        if done > 0:
            token.cancel()

    with pytest.raises(Cancelled):
        read_sources([path], on_progress=cancel_after_first_chunk, cancel=token)


def test_permission_denied_message(write_file, monkeypatch):
    import cfodesk.data.read as read_module

    path = write_file("locked2.csv", monthly_csv())

    def refuse(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(read_module, "open", refuse, raising=False)
    with pytest.raises(InputError, match="not allowed") as info:
        read_sources([path])
    assert "locked2.csv" in str(info.value)
