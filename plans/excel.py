"""A plan as the annexed tables of seed 001 (.xlsx): 年度行政执法检查计划表 (every line) and, on a second
sheet, the joint plan table 年度联合抽查工作计划表 (the lines with participating departments, each
department's items listed under it)."""

from __future__ import annotations

from io import BytesIO

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font

from catalog.models import METHOD_NAMES_ZH
from plans.models import KIND_NAMES_ZH, Plan

HEADERS = [
    "序号",
    "抽查任务",
    "检查事项",
    "检查对象",
    "抽查类型",
    "检查方式",
    "检查比例（数量）",
    "检查时间",
    "牵头部门",
    "配合部门",
]
WIDTHS = [6, 24, 36, 24, 12, 20, 14, 24, 22, 30]
JOINT_HEADERS = [
    "序号",
    "联合抽查任务",
    "牵头部门",
    "配合部门",
    "各部门检查事项",
    "检查对象",
    "抽查类型",
    "检查比例（数量）",
    "检查方式",
    "检查时间",
]
JOINT_WIDTHS = [6, 24, 22, 30, 48, 24, 12, 14, 20, 24]


def _share(line) -> str:
    parts = []
    if line.ratio is not None:
        parts.append(f"{(line.ratio * 100).normalize():f}%")
    if line.count:
        parts.append(f"{line.count}户")
    return "，".join(parts)


def _method(line) -> str:
    if line.method:
        return line.method
    methods: list[str] = []
    for version in line.items.all():
        for m in version.methods or []:
            name = METHOD_NAMES_ZH.get(m, m)
            if name not in methods:
                methods.append(name)
    return "、".join(methods)


def export_plan(plan: Plan) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = f"{plan.year}年度检查计划"[:31]
    ws.append([f"{plan.year}年度行政执法检查计划表"])
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(HEADERS))
    ws["A1"].font = Font(bold=True, size=14)
    ws["A1"].alignment = Alignment(horizontal="center")
    ws.append([f"填报单位：{plan.organisation.name}　　版本：第{plan.number}版"])
    ws.merge_cells(start_row=2, start_column=1, end_row=2, end_column=len(HEADERS))
    ws.append(HEADERS)
    for cell in ws[3]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    lines = plan.lines.select_related("lead_department").prefetch_related("items", "departments")
    for index, line in enumerate(lines, start=1):
        items = "；".join(str(v.name if not v.sub_item else f"{v.name}/{v.sub_item}") for v in line.items.all())
        ws.append(
            [
                index,
                line.name,
                items,
                line.objects_text,
                KIND_NAMES_ZH.get(line.kind, line.kind),
                _method(line),
                _share(line),
                f"{line.window_start:%Y年%m月%d日}至{line.window_end:%Y年%m月%d日}",
                line.lead_department.name,
                "、".join(d.name for d in line.departments.all()),
            ]
        )
    for row in ws.iter_rows(min_row=4):
        for cell in row:
            cell.alignment = Alignment(vertical="top", wrap_text=True)
    for i, width in enumerate(WIDTHS, start=1):
        ws.column_dimensions[ws.cell(row=3, column=i).column_letter].width = width
    _joint_sheet(wb, plan, lines)
    out = BytesIO()
    wb.save(out)
    return out.getvalue()


def _joint_sheet(wb: Workbook, plan: Plan, lines) -> None:  # type: ignore[no-untyped-def]
    ws = wb.create_sheet(f"{plan.year}年度联合抽查计划"[:31])
    ws.append([f"{plan.year}年度联合抽查工作计划表"])
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(JOINT_HEADERS))
    ws["A1"].font = Font(bold=True, size=14)
    ws["A1"].alignment = Alignment(horizontal="center")
    ws.append([f"牵头单位：{plan.organisation.name}　　版本：第{plan.number}版"])
    ws.merge_cells(start_row=2, start_column=1, end_row=2, end_column=len(JOINT_HEADERS))
    ws.append(JOINT_HEADERS)
    for cell in ws[3]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    joint = [line for line in lines if line.departments.all()]
    for index, line in enumerate(joint, start=1):
        by_department: dict[str, list[str]] = {}
        for v in line.items.select_related("item__department"):
            name = v.name if not v.sub_item else f"{v.name}/{v.sub_item}"
            by_department.setdefault(v.item.department.name, []).append(name)
        items = "\n".join(f"{dept}：{'；'.join(names)}" for dept, names in by_department.items())
        ws.append(
            [
                index,
                line.name,
                line.lead_department.name,
                "、".join(d.name for d in line.departments.all()),
                items,
                line.objects_text,
                KIND_NAMES_ZH.get(line.kind, line.kind),
                _share(line),
                _method(line),
                f"{line.window_start:%Y年%m月%d日}至{line.window_end:%Y年%m月%d日}",
            ]
        )
    for row in ws.iter_rows(min_row=4):
        for cell in row:
            cell.alignment = Alignment(vertical="top", wrap_text=True)
    for i, width in enumerate(JOINT_WIDTHS, start=1):
        ws.column_dimensions[ws.cell(row=3, column=i).column_letter].width = width
