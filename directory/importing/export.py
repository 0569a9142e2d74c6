"""Exporting the target directory in the column layout the import recognises.

Exporting and importing the file again into the same organisation changes
nothing. Text that a spreadsheet program would take for a formula (starting
with ``= + - @``) gets a leading apostrophe in CSV, which the import removes;
in .xlsx such cells are stored as text.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from typing import IO, Any

from django.db.models import QuerySet

from directory.importing.mapping import SYNONYMS

COLUMNS = (
    "key",
    "name",
    "kind",
    "legal_representative",
    "address",
    "business_scope",
    "industry",
    "region",
    "registration_authority",
    "founded",
    "status",
    "credit_class",
    "abnormal_operation",
    "serious_violation",
    "complaint_count",
)
HEADERS = tuple(SYNONYMS[c][0] for c in COLUMNS)
_SOURCE = {c: (c + "_id" if c in ("industry", "region") else c) for c in COLUMNS}
_TEXT = {"name", "legal_representative", "address", "business_scope", "registration_authority"}


def _guard(text: str) -> str:
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text


def export_rows(queryset: QuerySet) -> Iterator[list[Any]]:
    """Rows of cell values (text, numbers, dates as ISO text), header first."""
    yield list(HEADERS)
    fields = [_SOURCE[c] for c in COLUMNS]
    for values in queryset.order_by("key").values_list(*fields).iterator(chunk_size=5000):
        row: list[Any] = []
        for name, value in zip(COLUMNS, values, strict=True):
            if value is None:
                row.append("")
            elif isinstance(value, bool):
                row.append("是" if value else "否")
            elif name == "founded":
                row.append(value.isoformat())
            else:
                row.append(value)
        yield row


def write_csv(queryset: QuerySet, out: IO[str]) -> int:
    writer = csv.writer(out)
    count = -1
    for count, row in enumerate(export_rows(queryset)):  # noqa: B007
        writer.writerow([_guard(v) if isinstance(v, str) and i > 0 else v for i, v in enumerate(row)])
    return max(count, 0)


def write_xlsx(queryset: QuerySet, out: IO[bytes]) -> int:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    wb = Workbook(write_only=True)
    ws = wb.create_sheet("targets")
    count = -1
    for count, row in enumerate(export_rows(queryset)):  # noqa: B007
        cells = []
        for value in row:
            if isinstance(value, str):
                cell = WriteOnlyCell(ws, value=value)
                cell.data_type = "s"
                cells.append(cell)
            else:
                cells.append(value)
        ws.append(cells)
    wb.save(out)
    return max(count, 0)
