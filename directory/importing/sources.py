"""Reading uploaded files as a stream of ``(line_number, cells)``.

Line numbers are those a user sees: 1 for the header, 2 for the first data row
(for CSV, a record spanning several physical lines counts as one line, as in a
spreadsheet program).
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SAMPLE_BYTES = 1 << 20
CSV_FIELD_LIMIT = 1 << 20


class SourceError(ValueError):
    """The file cannot be read at all; nothing is imported."""

    def __init__(self, reason: str, message_zh: str, message_en: str) -> None:
        super().__init__(message_en)
        self.reason = reason
        self.message_zh = message_zh
        self.message_en = message_en


XLSX_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0"


def detect_encoding(sample: bytes) -> str:
    """``utf-8-sig`` when the sample decodes strictly as UTF-8 (with or without BOM), else ``gb18030``.

    GB18030 is a superset of GBK and GB2312, so government exports in any of the
    three decode. A multi-byte character cut at the end of the sample is allowed.
    """
    decoder = codecs.getincrementaldecoder("utf-8-sig")("strict")
    try:
        decoder.decode(sample, final=False)
        return "utf-8-sig"
    except UnicodeDecodeError:
        pass
    decoder = codecs.getincrementaldecoder("gb18030")("strict")
    try:
        decoder.decode(sample, final=False)
    except UnicodeDecodeError as exc:
        raise SourceError(
            "encoding",
            "无法识别文件编码：请另存为 UTF-8 或 GBK 编码的 CSV 文件，或 Excel（.xlsx）文件",
            "Cannot tell the file's text encoding: save it as CSV in UTF-8 or GBK, or as Excel (.xlsx)",
        ) from exc
    return "gb18030"


def _looks_binary(sample: bytes) -> bool:
    return b"\x00" in sample[:8192]


@dataclass
class Source:
    """An opened file: ``rows()`` yields ``(line_number, cells)``, header included."""

    path: Path
    kind: str  # "csv" or "xlsx"
    encoding: str = ""
    size: int = 0
    _handle: Any = None

    def rows(self) -> Iterator[tuple[int, list[str]]]:
        if self.kind == "xlsx":
            yield from _xlsx_rows(self.path)
        else:
            for first, chunk in self._csv_batches(1):
                yield first, chunk[0]

    def batches(self, size: int) -> Iterator[tuple[int, list[list[str]]]]:
        """The rows in lists of up to ``size``, each with the line number of its first row.

        Line numbers are consecutive within a list; the header is the first row of the first list.
        """
        if self.kind == "csv":
            yield from self._csv_batches(size)
            return
        chunk: list[list[str]] = []
        first = 0
        for line, cells in _xlsx_rows(self.path):
            if not chunk:
                first = line
            chunk.append(cells)
            if len(chunk) >= size:
                yield first, chunk
                chunk = []
        if chunk:
            yield first, chunk

    def _csv_batches(self, size: int) -> Iterator[tuple[int, list[list[str]]]]:
        raw = open(self.path, "rb")  # noqa: SIM115 (closed below)
        self._handle = raw
        try:
            text = io.TextIOWrapper(raw, encoding=self.encoding, errors="strict", newline="")
            sample = text.read(65536)
            text.seek(0)
            try:
                dialect = csv.Sniffer().sniff(sample.split("\n", 1)[0], delimiters=",;\t|")
                delimiter = dialect.delimiter
            except csv.Error:
                delimiter = ","
            reader = csv.reader(text, delimiter=delimiter)
            line = 0
            chunk: list[list[str]] = []
            append = chunk.append
            try:
                for cells in reader:
                    append(cells)
                    if len(chunk) >= size:
                        yield line + 1, chunk
                        line += len(chunk)
                        chunk = []
                        append = chunk.append
                if chunk:
                    yield line + 1, chunk
            except UnicodeDecodeError as exc:
                line += len(chunk)
                raise SourceError(
                    "encoding",
                    f"第{line + 1}行附近的字符无法按 {self.encoding} 编码读取，文件可能混用了编码",
                    f"Characters near line {line + 1} cannot be read as {self.encoding}; the file may mix encodings",
                ) from exc
            except csv.Error as exc:
                line += len(chunk)
                raise SourceError(
                    "csv", f"第{line + 1}行不是有效的 CSV：{exc}", f"Line {line + 1} is not valid CSV: {exc}"
                ) from exc
        finally:
            raw.close()

    def position(self) -> int:
        """Bytes read so far (for progress; approximate for CSV, 0 for .xlsx)."""
        handle = self._handle
        if handle is None or handle.closed:
            return 0
        try:
            return handle.tell()
        except (OSError, ValueError):
            return 0


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, dt.datetime):
        if value.time() == dt.time():
            return value.date().isoformat()
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def _xlsx_rows(path: Path) -> Iterator[tuple[int, list[str]]]:
    from python_calamine import CalamineWorkbook

    try:
        workbook = CalamineWorkbook.from_path(str(path))
        sheet = workbook.get_sheet_by_index(0)
    except Exception as exc:  # calamine raises its own error types
        raise SourceError(
            "xlsx", "无法读取该 Excel 文件，文件可能已损坏", "Cannot read this Excel file; it may be damaged"
        ) from exc
    start = sheet.start[0] if sheet.start else 0
    for index, row in enumerate(sheet.iter_rows()):
        yield start + index + 1, [_cell_text(v) for v in row]


NEWLINE = b"\n"
#: The encodings a user may name instead of detection: UTF-8 (with or without BOM), and GBK,
#: read as its superset GB18030.
ENCODINGS = {"utf-8": "utf-8-sig", "utf8": "utf-8-sig", "gbk": "gb18030", "gb2312": "gb18030", "gb18030": "gb18030"}


def given_encoding(sample: bytes, name: str) -> str:
    """The codec for an encoding the user named; ``SourceError`` when it is unknown or the sample
    does not decode with it."""
    codec = ENCODINGS.get(name.strip().lower())
    if codec is None:
        raise SourceError(
            "encoding",
            f"不支持的编码：{name}（可选 utf-8、gbk）",
            f"Unsupported encoding: {name} (choose utf-8 or gbk)",
        )
    try:
        codecs.getincrementaldecoder(codec)("strict").decode(sample, final=False)
    except UnicodeDecodeError as exc:
        line = sample[: exc.start].count(NEWLINE) + 1
        raise SourceError(
            "encoding",
            f"文件不是 {name} 编码：第 {line} 行附近的字符无法读取",
            f"The file is not in {name}: characters near line {line} cannot be read",
        ) from exc
    return codec


def open_source(path: str | Path, filename: str = "", encoding: str | None = None) -> Source:
    """Open an uploaded file; raises ``SourceError`` for empty, binary or unreadable files.

    ``encoding`` (``utf-8`` or ``gbk``; ``None`` or ``auto`` to detect) applies to CSV files."""
    path = Path(path)
    size = path.stat().st_size
    if size == 0:
        raise SourceError("empty", "文件是空的", "The file is empty")
    with open(path, "rb") as fh:
        sample = fh.read(SAMPLE_BYTES)
    name = (filename or path.name).lower()
    if sample.startswith(XLSX_MAGIC) or name.endswith(".xlsx"):
        if not sample.startswith(XLSX_MAGIC):
            raise SourceError(
                "xlsx", "文件扩展名为 .xlsx，但内容不是 Excel 文件", "The file is named .xlsx but is not an Excel file"
            )
        return Source(path, "xlsx", size=size)
    if sample.startswith(OLE_MAGIC) or name.endswith(".xls"):
        raise SourceError(
            "xls",
            "不支持旧版 Excel（.xls）文件，请另存为 .xlsx 或 CSV",
            "Old Excel (.xls) files are not supported; save as .xlsx or CSV",
        )
    if _looks_binary(sample):
        raise SourceError(
            "binary",
            "该文件不是 CSV 或 Excel（.xlsx）文件",
            "This file is neither CSV nor Excel (.xlsx)",
        )
    if encoding and encoding != "auto":
        return Source(path, "csv", encoding=given_encoding(sample, encoding), size=size)
    return Source(path, "csv", encoding=detect_encoding(sample), size=size)


csv.field_size_limit(CSV_FIELD_LIMIT)
