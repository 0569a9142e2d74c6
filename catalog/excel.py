"""The item list as a spreadsheet, in the layout departments exchange (随机抽查事项清单).

Export writes the published versions; import reads the same layout (from .xlsx,
or from CSV in UTF-8 or GBK with the same header), checks
every row first and stores nothing if any row is wrong. A row is matched to an
existing item by (抽查事项, 事项子项); a changed row becomes a new draft version.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from openpyxl import Workbook, load_workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

from catalog.models import CATEGORY_NAMES_ZH, METHOD_NAMES_ZH, InspectionItem, ItemVersion, VersionStatus
from catalog.services import CONTENT_FIELDS, VersionData, _normalise, do_create_item, do_revise_item
from directory.models import Expertise

COLUMNS = [
    "序号",
    "抽查领域",
    "抽查事项",
    "事项子项",
    "检查对象",
    "事项类别",
    "检查方式",
    "检查依据",
    "检查内容",
    "抽查比例下限",
    "抽查比例上限",
    "抽查频次",
    "检查人员要求",
    "责任部门",
    "是否需要专家",
]
# Other headers seen in departments' files, and the column they mean.
ALIASES = {"抽查比例": "抽查比例下限", "抽查对象": "检查对象", "检查事项": "抽查事项", "子项": "事项子项"}
REQUIRED = {"抽查事项", "事项类别", "抽查比例下限"}
TEXT_COLUMNS = {
    "抽查领域": "field",
    "抽查事项": "name",
    "事项子项": "sub_item",
    "检查对象": "object_type",
    "检查依据": "legal_basis",
    "检查内容": "content",
    "抽查频次": "frequency",
}
SEPARATORS = re.compile(r"[、,，;；/\n]+")
MAX_ROWS = 5000


def both(message: Any) -> tuple[str, str]:
    """A translatable message in Chinese and in English."""
    with translation.override("zh-hans"):
        zh = str(message)
    with translation.override("en"):
        en = str(message)
    return zh, en


@dataclass
class RowError:
    row: int
    column: str
    message: Any

    def as_dict(self) -> dict[str, Any]:
        zh, en = both(self.message)
        return {"row": self.row, "column": self.column, "message_zh": zh, "message_en": en}


class ImportRefused(Exception):
    """The file was not stored; ``errors`` say where and why."""

    def __init__(self, errors: list[RowError]) -> None:
        super().__init__(f"{len(errors)} error(s)")
        self.errors = errors


@dataclass
class ImportResult:
    created: int = 0
    revised: int = 0
    unchanged: int = 0


# --- export -------------------------------------------------------------------------------------


def _ratio_cell(value: Decimal | None) -> float | None:
    return float(value) if value is not None else None


def published_versions(organisation: Any, department: Any = None):
    qs = ItemVersion.objects.filter(item__organisation=organisation, status=VersionStatus.PUBLISHED)
    if department is not None:
        qs = qs.filter(item__department=department)
    return qs.select_related("item__department").prefetch_related("expertise").order_by("item__code")


def export_xlsx(organisation: Any, department: Any = None) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = "随机抽查事项清单"
    ws.append(COLUMNS)
    for cell in ws[1]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    for index, v in enumerate(published_versions(organisation, department), start=1):
        ws.append(
            [
                index,
                v.field,
                v.name,
                v.sub_item,
                v.object_type,
                CATEGORY_NAMES_ZH.get(v.category, v.category),
                "、".join(METHOD_NAMES_ZH.get(m, m) for m in v.methods),
                v.legal_basis,
                v.content,
                _ratio_cell(v.ratio_min),
                _ratio_cell(v.ratio_max),
                v.frequency,
                "、".join(e.name for e in v.expertise.all()),
                v.item.department.name,
                "是" if v.needs_expert else "否",
            ]
        )
        for col in (10, 11):
            ws.cell(row=index + 1, column=col).number_format = "0.00%"
    for col, width in enumerate([6, 14, 24, 24, 18, 8, 18, 40, 40, 10, 10, 14, 16, 20, 12], start=1):
        ws.column_dimensions[get_column_letter(col)].width = width
    ws.freeze_panes = "A2"
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


# --- import -------------------------------------------------------------------------------------


def parse_ratio(value: Any) -> Decimal | None:
    """``5%``, ``0.05`` and ``5`` all mean five per cent; empty is None. Raises ValueError."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    percent = False
    if isinstance(value, str):
        text = value.strip().replace("％", "%").replace(" ", "")
        if text.endswith("%"):
            percent, text = True, text[:-1]
        try:
            number = Decimal(text)
        except InvalidOperation:
            raise ValueError(value)
    elif isinstance(value, bool):
        raise ValueError(value)
    elif isinstance(value, int | float | Decimal):
        number = Decimal(str(value))
    else:
        raise ValueError(value)
    if not number.is_finite() or number < 0:
        raise ValueError(value)
    if percent or number > 1:
        number = number / 100
    return number.quantize(Decimal("0.0001"))


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def _csv_values(data: bytes, encoding: str | None = None) -> list[list[str]]:
    """The cells of a CSV file in the same layout: UTF-8 (with or without BOM) or GBK/GB18030, as the
    directory imports detect them; anything else is refused."""
    from directory.importing.sources import SAMPLE_BYTES, SourceError, detect_encoding, given_encoding

    if b"\x00" in data[:8192]:
        raise ImportRefused([RowError(0, "", _("The file is neither CSV nor an Excel workbook (.xlsx)."))])
    try:
        sample = data[:SAMPLE_BYTES]
        codec = given_encoding(sample, encoding) if encoding else detect_encoding(sample)
        text = data.decode(codec)
    except (SourceError, UnicodeDecodeError):
        raise ImportRefused(
            [
                RowError(
                    0,
                    "",
                    _("The file's text encoding is not UTF-8 or GBK: save it as CSV in one of them, or as .xlsx."),
                )
            ]
        ) from None
    try:
        return list(csv.reader(io.StringIO(text.lstrip("\ufeff"), newline="")))
    except csv.Error:
        raise ImportRefused([RowError(0, "", _("The file is not valid CSV."))]) from None


def _read_rows(data: bytes, encoding: str | None = None) -> list[tuple[int, dict[str, Any]]]:
    """The rows under the header, from an .xlsx workbook (its first sheet) or a CSV file."""
    wb = None
    if data.startswith(b"PK\x03\x04"):
        try:
            wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        except Exception:
            raise ImportRefused([RowError(0, "", _("The file is not an Excel workbook (.xlsx)."))]) from None
        values_of: Any = wb.worksheets[0].iter_rows(values_only=True)
    else:
        values_of = _csv_values(data, encoding)
    header: dict[int, str] | None = None
    rows: list[tuple[int, dict[str, Any]]] = []
    for number, values in enumerate(values_of, start=1):
        if header is None:
            names = {i: ALIASES.get(_text(v), _text(v)) for i, v in enumerate(values)}
            if REQUIRED <= set(names.values()):
                header = {i: n for i, n in names.items() if n in COLUMNS}
            elif number >= 10:
                break
            continue
        if all(v is None or _text(v) == "" for v in values):
            continue
        rows.append((number, {name: values[i] if i < len(values) else None for i, name in header.items()}))
        if len(rows) > MAX_ROWS:
            raise ImportRefused([RowError(number, "", _("The file has too many rows (at most 5000)."))])
    if wb is not None:
        wb.close()
    if header is None:
        missing = "、".join(sorted(REQUIRED))
        raise ImportRefused([RowError(1, missing, _("The header row was not found: it needs these columns."))])
    return rows


def _parse_row(number: int, row: dict[str, Any], departments: dict[str, Any], default_department: Any):
    errors: list[RowError] = []
    fields: dict[str, Any] = {name: _text(row.get(col)) for col, name in TEXT_COLUMNS.items()}
    if not fields["name"]:
        errors.append(RowError(number, "抽查事项", _("This column must not be empty.")))
    category_text = _text(row.get("事项类别")).replace("检查事项", "").replace("事项", "")
    category = {v: k for k, v in CATEGORY_NAMES_ZH.items()}.get(category_text)
    if category is None and category_text in CATEGORY_NAMES_ZH:
        category = category_text
    if category is None:
        errors.append(RowError(number, "事项类别", _("The category must be 重点 (key) or 一般 (general).")))
    fields["category"] = category or ""
    methods = []
    by_name = {v: k for k, v in METHOD_NAMES_ZH.items()}
    for part in SEPARATORS.split(_text(row.get("检查方式"))):
        part = part.strip()
        if not part:
            continue
        code = by_name.get(part) or (part if part in METHOD_NAMES_ZH else None)
        if code is None:
            errors.append(RowError(number, "检查方式", _("Unknown inspection method.")))
        elif code not in methods:
            methods.append(str(code))
    fields["methods"] = methods
    for col, key in (("抽查比例下限", "ratio_min"), ("抽查比例上限", "ratio_max")):
        try:
            fields[key] = parse_ratio(row.get(col))
        except ValueError:
            errors.append(RowError(number, col, _("The ratio is not a number such as 0.05 or 5%.")))
            fields[key] = None
    if fields["ratio_min"] is None and not any(e.column == "抽查比例下限" for e in errors):
        errors.append(RowError(number, "抽查比例下限", _("This column must not be empty.")))
    expertise: list[int] = []
    for part in SEPARATORS.split(_text(row.get("检查人员要求"))):
        part = part.strip()
        if not part:
            continue
        found = Expertise.objects.filter(name=part).first() or Expertise.objects.filter(code=part).first()
        if found is None:
            errors.append(RowError(number, "检查人员要求", _("Unknown expertise: add it to the directory first.")))
        else:
            expertise.append(found.pk)
    expert_text = _text(row.get("是否需要专家"))
    if expert_text in ("", "否", "不需要", "无", "N", "n", "no", "No", "0"):
        fields["needs_expert"] = False
    elif expert_text in ("是", "需要", "Y", "y", "yes", "Yes", "1"):
        fields["needs_expert"] = True
    else:
        fields["needs_expert"] = False
        errors.append(RowError(number, "是否需要专家", _("Write 是 (yes) or 否 (no).")))
    dept_name = _text(row.get("责任部门"))
    department = departments.get(dept_name) if dept_name else default_department
    if department is None:
        errors.append(RowError(number, "责任部门", _("No such department in this organisation.")))
    version = ItemVersion(**_normalise(fields))
    try:
        version.clean()
    except ValidationError as exc:
        reported = {e.column for e in errors}
        columns = {"ratio_min": "抽查比例下限", "ratio_max": "抽查比例上限", "methods": "检查方式"}
        for key, messages in exc.error_dict.items():
            if columns.get(key, key) in reported:
                continue
            for message in messages:
                errors.append(RowError(number, columns.get(key, key), message.message))
    return fields, expertise, department, errors


def _unchanged(version: ItemVersion, fields: dict[str, Any], expertise: list[int]) -> bool:
    normal = _normalise(fields)
    same = all(getattr(version, name) == normal.get(name) for name in CONTENT_FIELDS)
    return same and set(version.expertise.values_list("pk", flat=True)) == set(expertise)


def import_xlsx(
    actor: Any, organisation: Any, data: bytes, department: Any = None, encoding: str | None = None
) -> ImportResult:
    """Check every row, then store all of them in one transaction, or nothing. ``data`` is an .xlsx
    workbook or a CSV file; ``encoding`` (``utf-8`` or ``gbk``) names a CSV file's encoding instead
    of detecting it."""
    rows = _read_rows(data, encoding)
    departments = {d.name: d for d in organisation.departments.all()}
    if department is not None:
        departments = {department.name: department}
    parsed = []
    errors: list[RowError] = []
    seen: dict[tuple[str, str], int] = {}
    for number, row in rows:
        fields, expertise, dept, row_errors = _parse_row(number, row, departments, department)
        key = (fields["name"], fields["sub_item"])
        if key in seen:
            row_errors.append(RowError(number, "抽查事项", _("The same item and sub-item appear twice in the file.")))
        seen[key] = number
        errors.extend(row_errors)
        parsed.append((fields, expertise, dept))
    if errors:
        raise ImportRefused(errors)
    if not parsed:
        raise ImportRefused([RowError(0, "", _("The file has no item rows."))])
    result = ImportResult()
    with transaction.atomic():
        items = {}
        for item in InspectionItem.objects.filter(organisation=organisation).prefetch_related("versions"):
            latest = item.latest_version()
            if latest is not None:
                items[(latest.name, latest.sub_item)] = (item, latest)
        for fields, expertise, dept in parsed:
            match = items.get((fields["name"], fields["sub_item"]))
            data_in = VersionData(fields=fields, expertise=expertise, reason="Excel import")
            if match is None:
                do_create_item(actor, organisation, dept, data_in)
                result.created += 1
            elif _unchanged(match[1], fields, expertise):
                result.unchanged += 1
            else:
                do_revise_item(actor, match[0], data_in)
                result.revised += 1
    return result
