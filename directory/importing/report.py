"""The error report of an import as a spreadsheet (.xlsx) or CSV, for download."""

from __future__ import annotations

import csv
import io
from pathlib import Path

HEADERS_ZH = ("行号", "列", "原因代码", "说明", "Message", "内容")
EXCEL_MAX_ROWS = 1_048_575


def _rows(path: Path):
    with open(path, encoding="utf-8-sig", newline="") as fh:
        reader = csv.reader(fh)
        next(reader, None)
        yield from reader


def errors_csv(path: Path) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(HEADERS_ZH)
    for row in _rows(path):
        writer.writerow(_guard_row(row))
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def _guard(text: str) -> str:
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text


def _guard_row(row: list[str]) -> list:
    return [int(row[0]) if row and row[0].isdigit() else row[0], *(_guard(c) for c in row[1:])]


def errors_xlsx(path: Path) -> bytes:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    wb = Workbook(write_only=True)
    ws = wb.create_sheet("errors")
    ws.append(HEADERS_ZH)
    for n, row in enumerate(_rows(path)):
        if n >= EXCEL_MAX_ROWS:
            break
        cells = []
        for i, value in enumerate(row):
            if i == 0 and value.isdigit():
                cells.append(int(value))
                continue
            cell = WriteOnlyCell(ws, value=value)
            cell.data_type = "s"  # text, never a formula
            cells.append(cell)
        ws.append(cells)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
