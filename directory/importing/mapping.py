"""Recognising the columns of an import file.

Each target field has a list of header synonyms found in the exports of the
registration systems and in hand-made spreadsheets. Headers are compared after
NFKC folding (full-width brackets become ASCII), with spaces and a trailing
``*`` or ``(必填)`` marker removed. A user may name the field of any header
explicitly; explicit choices win over recognition, and ``"-"`` ignores a column.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

#: field -> header synonyms (first one is what the export writes).
SYNONYMS: dict[str, tuple[str, ...]] = {
    "key": ("统一社会信用代码", "统一社会信用代码(注册号)", "信用代码", "注册号", "统一代码", "uscc", "key"),
    "name": ("主体名称", "企业名称", "名称", "单位名称", "市场主体名称", "name"),
    "kind": ("主体类型", "市场主体类型", "企业类型", "kind"),
    "legal_representative": ("法定代表人", "负责人", "经营者", "法定代表人(负责人)", "legal_representative"),
    "address": ("住所", "经营场所", "地址", "住所(经营场所)", "address"),
    "business_scope": ("经营范围", "business_scope"),
    "industry": ("行业代码", "国民经济行业代码", "所属行业代码", "industry"),
    "region": ("所属区域", "行政区划代码", "区域代码", "所属区域代码", "region"),
    "registration_authority": ("登记机关", "registration_authority"),
    "founded": ("成立日期", "注册日期", "founded"),
    "status": ("登记状态", "经营状态", "status"),
    "credit_class": ("信用风险分类", "风险等级", "信用风险等级", "credit_class"),
    "abnormal_operation": ("是否列入经营异常名录", "经营异常名录", "abnormal_operation"),
    "serious_violation": ("是否列入严重违法失信名单", "严重违法失信名单", "serious_violation"),
    "complaint_count": ("投诉举报次数", "投诉次数", "complaint_count"),
}
FIELDS = tuple(SYNONYMS)
REQUIRED = ("key", "name")
IGNORE = "-"

_MARKERS = re.compile(r"(\*|＊|\(必填\)|\(选填\))")


def normalise_header(text: str) -> str:
    # A byte-order mark carried into another encoding (a UTF-8 export converted to GBK with its BOM)
    # arrives as a character at the start of the first header: it is not part of the name.
    text = unicodedata.normalize("NFKC", (text or "").replace("\ufeff", "")).strip().lower()
    text = _MARKERS.sub("", text)
    return "".join(text.split())


_LOOKUP: dict[str, str] = {normalise_header(s): f for f, syns in SYNONYMS.items() for s in syns}


class MappingError(ValueError):
    def __init__(self, reason: str, message_zh: str, message_en: str) -> None:
        super().__init__(message_en)
        self.reason = reason
        self.message_zh = message_zh
        self.message_en = message_en


@dataclass
class Mapping:
    """Column index -> field, and the headers as read (for error messages)."""

    headers: list[str]
    columns: dict[str, int] = field(default_factory=dict)  # field -> column index
    ignored: list[str] = field(default_factory=list)

    def header_of(self, field_name: str) -> str:
        index = self.columns.get(field_name)
        return self.headers[index] if index is not None else field_name

    @property
    def width(self) -> int:
        """The number of cells a row needs to reach every mapped column."""
        return max(self.columns.values()) + 1 if self.columns else 0


def parse_overrides(items: list[str] | None) -> dict[str, str]:
    """``["header=field", …]`` (command line) -> ``{header: field}``."""
    result: dict[str, str] = {}
    for item in items or []:
        header, sep, target = item.partition("=")
        if not sep:
            raise MappingError("override", f"映射“{item}”应写成 表头=字段", f"Mapping {item!r} must be header=field")
        result[header.strip()] = target.strip()
    return result


def build_mapping(headers: list[str], overrides: dict[str, str] | None = None) -> Mapping:
    """Map each header to a field; raises ``MappingError`` when the key or name column is missing."""
    overrides = {normalise_header(h): f for h, f in (overrides or {}).items()}
    for target in overrides.values():
        if target != IGNORE and target not in SYNONYMS:
            raise MappingError(
                "override",
                f"字段“{target}”不存在；可用字段：{', '.join(FIELDS)}",
                f"There is no field {target!r}; fields: {', '.join(FIELDS)}",
            )
    mapping = Mapping(headers=[h.replace("\ufeff", "").strip() for h in headers])
    for index, header in enumerate(headers):
        norm = normalise_header(header)
        if not norm:
            continue
        target = overrides.get(norm) or _LOOKUP.get(norm)
        if target is None or target == IGNORE:
            mapping.ignored.append(header)
            continue
        if target in mapping.columns:
            raise MappingError(
                "duplicate_column",
                f"有两列都对应“{SYNONYMS[target][0]}”：“{mapping.header_of(target)}”和“{header}”",
                f"Two columns map to {target}: {mapping.header_of(target)!r} and {header!r}",
            )
        mapping.columns[target] = index
    for required in REQUIRED:
        if required not in mapping.columns:
            label = SYNONYMS[required][0]
            raise MappingError(
                f"missing_{required}_column",
                f"找不到“{label}”列：请检查表头，或指定哪一列是{label}",
                f"No {label} ({required}) column: check the header row or map a column to {required!r}",
            )
    return mapping
