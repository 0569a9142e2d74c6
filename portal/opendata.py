"""Open data: the portal's content as documented JSON and CSV, with a JSON Schema per dataset.

A dataset is a list of fields (name, JSON type, meaning, example) and a row
generator reading through ``portal.sections``, so open data never shows more
than the pages. JSON is an array of objects with exactly the documented keys;
CSV has one column per field in the same order, UTF-8 with a byte-order mark
(so spreadsheet programs read the Chinese text), and every text cell that a
spreadsheet would take for a formula (leading ``=``, ``+``, ``-``, ``@``, tab
or carriage return) is prefixed with an apostrophe.

The firm directory itself is not a dataset: firms are found one at a time by
the firm search, and appear in open data only where they were drawn in a
public draw (``selections``) or in published results (``results``).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from portal import sections


@dataclass(frozen=True)
class Field:
    name: str
    type: str | tuple[str, ...]  # a JSON Schema type, or several (e.g. ("string", "null"))
    description: Any
    example: Any

    @property
    def types(self) -> tuple[str, ...]:
        return (self.type,) if isinstance(self.type, str) else self.type

    @property
    def type_label(self) -> str:
        return " | ".join(self.types)


@dataclass(frozen=True)
class Dataset:
    name: str
    title: Any
    description: Any
    fields: tuple[Field, ...]
    rows: Callable[[], Iterator[dict[str, Any]]]


def _iso(value: Any) -> str | None:
    return value.isoformat() if value else None


# --- rows ----------------------------------------------------------------------------------------------


def item_rows() -> Iterator[dict[str, Any]]:
    for v in sections.items_section().iterator(chunk_size=500):
        yield {
            "item_code": v.item.code,
            "organisation": v.item.organisation.name,
            "department": v.item.department.name,
            "version": v.number,
            "field": v.field,
            "name": v.name,
            "sub_item": v.sub_item,
            "legal_basis": v.legal_basis,
            "object_type": v.object_type,
            "content": v.content,
            "methods": ";".join(v.methods or []),
            "category": v.category,
            "ratio_min": str(v.ratio_min),
            "ratio_max": None if v.ratio_max is None else str(v.ratio_max),
            "frequency": v.frequency,
            "published_at": _iso(v.published_at),
            "url": reverse("portal-item", args=[v.pk]),
        }


def task_rows() -> Iterator[dict[str, Any]]:
    for t in sections.tasks_section():
        yield {
            "task_id": t.pk,
            "organisation": t.organisation.name,
            "department": t.department.name,
            "name": t.name,
            "notice": t.notice,
            "state": t.state,
            "created_at": _iso(t.created),
            "selection_public": t.selection_is_public(),
            "draws": len(t.draws.all()),
        }


def draw_rows() -> Iterator[dict[str, Any]]:
    for d in sections.public_draws_section().iterator(chunk_size=500):
        visible = sections.result_visible(d)
        yield {
            "draw_id": d.pk,
            "task_id": d.task_id,
            "task_name": d.task.name,
            "organisation": d.task.organisation.name,
            "number": d.number,
            "state": d.state,
            "candidates": d.pool_size,
            "pool_digest": d.pool_digest,
            "params_digest": d.params_digest,
            "commitment": d.commitment,
            "committed_at": _iso(d.committed_at),
            "drawn_at": _iso(d.drawn_at),
            "seed": d.seed if visible else None,
            "manifest_digest": d.manifest_digest if visible else None,
            "void_reason": d.void_reason,
            "page_url": reverse("public-draw", args=[d.pk]),
            "manifest_url": f"/api/draws/public/draws/{d.pk}/manifest.json" if visible else None,
            "candidates_url": f"/api/draws/public/draws/{d.pk}/candidates.csv",
        }


def selection_rows() -> Iterator[dict[str, Any]]:
    for s in sections.public_selections().iterator(chunk_size=2000):
        if not sections.result_visible(s.draw):
            continue
        yield {
            "draw_id": s.draw_id,
            "task_id": s.draw.task_id,
            "position": s.position,
            "key": s.key,
            "name": s.target.name if s.target_id else None,
            "stratum": s.stratum,
            "forced": s.forced,
        }


def plan_rows() -> Iterator[dict[str, Any]]:
    """One row per line of every published or superseded plan version (a version without lines: one row)."""
    groups = sections.plan_versions() or []
    for group in groups:
        for plan in group["versions"]:
            head = {
                "plan_id": plan.pk,
                "organisation": plan.organisation.name,
                "year": plan.year,
                "version": plan.number,
                "status": plan.status,
                "title": plan.display_title,
                "reason": plan.reason,
                "published_at": _iso(plan.published_at),
            }
            lines = list(plan.lines.all())
            if not lines:
                yield {**head, **dict.fromkeys(PLAN_LINE_FIELDS)}
            for line in lines:
                yield {
                    **head,
                    "line": line.order,
                    "line_name": line.name,
                    "kind": line.kind,
                    "item_codes": ";".join(v.item.code for v in line.items.all()),
                    "objects": line.objects_text,
                    "ratio": None if line.ratio is None else str(line.ratio),
                    "count": line.count,
                    "window_start": _iso(line.window_start),
                    "window_end": _iso(line.window_end),
                    "departments": ";".join([line.lead_department.name] + [d.name for d in line.departments.all()]),
                }


PLAN_LINE_FIELDS = (
    "line",
    "line_name",
    "kind",
    "item_codes",
    "objects",
    "ratio",
    "count",
    "window_start",
    "window_end",
    "departments",
)


def result_rows() -> Iterator[dict[str, Any]]:
    """Every published result version; nothing about the people who entered or approved it."""
    found = sections.results_section()
    if found is None:
        return
    labels = sections.result_category_labels()
    for r in found.select_related("item_version__item").iterator(chunk_size=2000):
        yield {
            "result_id": r.pk,
            "task_id": r.record.task_id,
            "task_name": r.record.task.name,
            "organisation": r.organisation.name,
            "key": r.target.key,
            "name": r.target.name,
            "item_code": r.item_version.item.code,
            "item_name": r.item_version.name,
            "category": r.category,
            "category_label": labels.get(r.category, r.category),
            "version": r.version,
            "correction_reason": r.correction_reason,
            "superseded_by": r.superseded_by_id,
            "checked_on": _iso(r.record.checked_on),
            "published_at": _iso(r.published_at),
            "firm_url": reverse("portal-firm", args=[r.target.key]),
        }


def _f(name: str, type_: Any, description: Any, example: Any) -> Field:
    return Field(name, type_, description, example)


OPT_STR = ("string", "null")
DATASETS: dict[str, Dataset] = {
    d.name: d
    for d in (
        Dataset(
            "items",
            _("Inspection item list"),
            _("The published version of every item of the inspection item lists (随机抽查事项清单)."),
            (
                _f("item_code", "string", _("Item code, unique within its organisation"), "SC-0001"),
                _f("organisation", "string", _("Organisation that owns the list"), "上蔡县"),
                _f("department", "string", _("Responsible department"), "上蔡县市场监督管理局"),
                _f("version", "integer", _("Number of the published version"), 2),
                _f("field", "string", _("Field of supervision"), "食品安全"),
                _f("name", "string", _("Inspection item"), "食品生产企业监督检查"),
                _f("sub_item", "string", _("Sub-item"), "生产环境条件"),
                _f("legal_basis", "string", _("Legal basis"), "《中华人民共和国食品安全法》第一百一十条"),
                _f("object_type", "string", _("Kind of object inspected"), "食品生产企业"),
                _f("content", "string", _("What is inspected"), "生产场所、设备设施"),
                _f("methods", "string", _("Check methods, codes separated by ';'"), "onsite;sampling"),
                _f("category", "string", _("'key' (重点) or 'general' (一般)"), "key"),
                _f("ratio_min", "string", _("Lowest sampling ratio, a decimal fraction"), "0.0500"),
                _f("ratio_max", OPT_STR, _("Highest sampling ratio; null means no upper limit"), "0.2000"),
                _f("frequency", "string", _("Frequency"), "每年不少于1次"),
                _f(
                    "published_at",
                    OPT_STR,
                    _("When this version was published (ISO 8601)"),
                    "2026-01-10T09:00:00+00:00",
                ),
                _f("url", "string", _("Path of the item's public page"), "/portal/items/12/"),
            ),
            item_rows,
        ),
        Dataset(
            "tasks",
            _("Task notices"),
            _("Public tasks announced before their checks (任务公告); drafts are never included."),
            (
                _f("task_id", "integer", _("Task number"), 7),
                _f("organisation", "string", _("Organisation running the task"), "上蔡县"),
                _f("department", "string", _("Lead department"), "上蔡县市场监督管理局"),
                _f("name", "string", _("Task name"), "2026年食品经营者随机抽查"),
                _f("notice", "string", _("Text of the task notice"), "本次抽查……"),
                _f("state", "string", _("announced, drawn or closed"), "drawn"),
                _f("created_at", "string", _("When the task was created (ISO 8601)"), "2026-03-01T08:00:00+00:00"),
                _f("selection_public", "boolean", _("Whether the selected firms are public now"), True),
                _f("draws", "integer", _("Number of draws, voided ones included"), 1),
            ),
            task_rows,
        ),
        Dataset(
            "draws",
            _("Draws"),
            _(
                "Every draw of a public task with its commitment; seed and manifest once the selection is "
                "public. Verify a draw with verify_draw.py, its manifest and its candidate list."
            ),
            (
                _f("draw_id", "integer", _("Draw number"), 15),
                _f("task_id", "integer", _("Task number"), 7),
                _f("task_name", "string", _("Task name"), "2026年食品经营者随机抽查"),
                _f("organisation", "string", _("Organisation running the task"), "上蔡县"),
                _f("number", "integer", _("Number of the draw within its task"), 1),
                _f("state", "string", _("committed, drawing, drawn or voided"), "drawn"),
                _f("candidates", "integer", _("Number of candidates in the frozen list"), 5000),
                _f("pool_digest", "string", _("SHA-256 of the frozen candidate list"), "9f86d08…"),
                _f("params_digest", "string", _("SHA-256 of the selection parameters"), "3a7bd3e…"),
                _f("commitment", "string", _("SHA-256 commitment to the agency secret, published before"), "2c26b46…"),
                _f("committed_at", "string", _("When the list was frozen (ISO 8601)"), "2026-03-02T08:00:00+00:00"),
                _f("drawn_at", OPT_STR, _("When the draw took place (ISO 8601)"), "2026-03-05T02:00:00+00:00"),
                _f("seed", OPT_STR, _("Seed of the draw; null while the selection is not public"), "fcde2b2…"),
                _f("manifest_digest", OPT_STR, _("SHA-256 of the manifest; null while not public"), "b5bb9d8…"),
                _f("void_reason", "string", _("Why the draw was voided; empty if it was not"), ""),
                _f("page_url", "string", _("Path of the draw's public page"), "/public/draws/15/"),
                _f("manifest_url", OPT_STR, _("Path of manifest.json; null while not public"), "/api/draws/…"),
                _f("candidates_url", "string", _("Path of the frozen candidate list (CSV)"), "/api/draws/…"),
            ),
            draw_rows,
        ),
        Dataset(
            "selections",
            _("Selected firms"),
            _("The firms selected by each draw whose selection is public, in draw order."),
            (
                _f("draw_id", "integer", _("Draw number"), 15),
                _f("task_id", "integer", _("Task number"), 7),
                _f("position", "integer", _("Position in the draw's ordered selection, from 1"), 1),
                _f("key", "string", _("USCC or registration number"), "91411722MA00000012"),
                _f("name", OPT_STR, _("Firm name; null if the firm is no longer in the directory"), "上蔡县某某店"),
                _f("stratum", "string", _("Stratum the firm was drawn in"), "B"),
                _f("forced", "string", _("Why the firm was included without chance; empty if drawn"), ""),
            ),
            selection_rows,
        ),
        Dataset(
            "plans",
            _("Annual plans"),
            _(
                "Every published version of the annual random-inspection plans (计划公告), one row per line; "
                "an adjusted plan is a new version with its reason, and superseded versions stay listed."
            ),
            (
                _f("plan_id", "integer", _("Number of the plan version"), 3),
                _f("organisation", "string", _("Organisation whose plan it is"), "上蔡县"),
                _f("year", "integer", _("Year of the plan"), 2026),
                _f("version", "integer", _("Version number; each adjustment adds one"), 2),
                _f("status", "string", _("published (in force) or superseded"), "published"),
                _f("title", "string", _("Title of the plan"), "2026年度双随机抽查工作计划"),
                _f("reason", "string", _("Reason for the adjustment; empty for the first version"), "新增联合抽查"),
                _f(
                    "published_at",
                    OPT_STR,
                    _("When this version was published (ISO 8601)"),
                    "2026-01-15T08:00:00+00:00",
                ),
                _f("line", ("integer", "null"), _("Number of the line in the plan; null if it has none"), 1),
                _f("line_name", OPT_STR, _("Name of the line"), "食品经营者随机抽查"),
                _f("kind", OPT_STR, _("directed, undirected or combined"), "undirected"),
                _f("item_codes", OPT_STR, _("Codes of the line's inspection items, separated by ';'"), "SC-0001"),
                _f("objects", OPT_STR, _("Objects to be inspected"), "食品经营者"),
                _f("ratio", OPT_STR, _("Sampling ratio, a decimal fraction; null if a number is given"), "0.0500"),
                _f("count", ("integer", "null"), _("Number of targets; null if a ratio is given"), None),
                _f("window_start", OPT_STR, _("First day of the period (ISO 8601)"), "2026-03-01"),
                _f("window_end", OPT_STR, _("Last day of the period (ISO 8601)"), "2026-06-30"),
                _f(
                    "departments",
                    OPT_STR,
                    _("Lead department, then participating ones, separated by ';'"),
                    "上蔡县市场监督管理局",
                ),
            ),
            plan_rows,
        ),
        Dataset(
            "results",
            _("Inspection results"),
            _(
                "Every published result (结果公告) per firm and inspection item; a correction is a new version "
                "and the corrected version stays, with the number of the version that corrected it."
            ),
            (
                _f("result_id", "integer", _("Number of the result version"), 120),
                _f("task_id", "integer", _("Task number"), 7),
                _f("task_name", "string", _("Task name"), "2026年食品经营者随机抽查"),
                _f("organisation", "string", _("Organisation that published the result"), "上蔡县"),
                _f("key", "string", _("USCC or registration number of the firm"), "91411722MA00000012"),
                _f("name", "string", _("Firm name"), "上蔡县某某店"),
                _f("item_code", "string", _("Code of the inspection item"), "SC-0001"),
                _f("item_name", "string", _("Inspection item"), "食品经营许可情况检查"),
                _f("category", "string", _("Result category code (see the result notices)"), "no_problem"),
                _f("category_label", "string", _("Result category as published"), "未发现问题"),
                _f("version", "integer", _("Version of the result; above 1 for a correction"), 1),
                _f("correction_reason", "string", _("Reason for the correction; empty for a first version"), ""),
                _f(
                    "superseded_by",
                    ("integer", "null"),
                    _("result_id of the correcting version; null if current"),
                    None,
                ),
                _f("checked_on", OPT_STR, _("Date of the check (ISO 8601)"), "2026-04-02"),
                _f(
                    "published_at", "string", _("When the result was published (ISO 8601)"), "2026-04-20T08:00:00+00:00"
                ),
                _f("firm_url", "string", _("Path of the firm's public page"), "/portal/firms/91411722MA00000012/"),
            ),
            result_rows,
        ),
    )
}


# --- schema and output ---------------------------------------------------------------------------------


def schema(dataset: Dataset) -> dict[str, Any]:
    properties = {}
    for f in dataset.fields:
        types = list(f.types)
        properties[f.name] = {"type": types[0] if len(types) == 1 else types, "description": str(f.description)}
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": reverse("portal-data-schema", args=[dataset.name]),
        "title": str(dataset.title),
        "description": str(dataset.description),
        "type": "array",
        "items": {
            "type": "object",
            "properties": properties,
            "required": [f.name for f in dataset.fields],
            "additionalProperties": False,
        },
    }


def json_chunks(dataset: Dataset) -> Iterator[bytes]:
    """The dataset as one JSON array, produced row by row."""
    yield b"["
    first = True
    for row in dataset.rows():
        yield (b"\n" if first else b",\n") + json.dumps(row, ensure_ascii=False).encode("utf-8")
        first = False
    yield b"\n]\n"


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: Any) -> str:
    """A cell as text; booleans as true/false, null as empty, formula-like text neutralised."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    text = str(value)
    if text.startswith(FORMULA_STARTS):
        return "'" + text
    return text


def csv_chunks(dataset: Dataset) -> Iterator[bytes]:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    names = [f.name for f in dataset.fields]
    writer.writerow(names)
    yield "\ufeff".encode() + _drain(buffer)
    for i, row in enumerate(dataset.rows(), 1):
        writer.writerow([csv_cell(row[n]) for n in names])
        if i % 500 == 0:
            yield _drain(buffer)
    yield _drain(buffer)


def _drain(buffer: io.StringIO) -> bytes:
    data = buffer.getvalue().encode("utf-8")
    buffer.seek(0)
    buffer.truncate()
    return data
