"""The statutory tables of seed 001 (附件1–5), computed from the data for a scope, and their .xlsx form.

Column definitions, in words, are in docs/OVERSIGHT.md; each figure is a count
over the querysets of :mod:`oversight.stats`, grouped by department, task or
plan line.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from io import BytesIO
from typing import Any

from django.db.models import Count, QuerySet, Sum
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

from catalog.models import METHOD_NAMES_ZH
from draws.models import ParticipantState, TaskParticipant
from orgs.models import Department, DepartmentKind
from oversight import stats
from oversight.stats import Scope
from plans.models import KIND_NAMES_ZH, PlanLine


@dataclass
class Table:
    key: str
    title: str
    headers: list[str]
    rows: list[list[Any]] = field(default_factory=list)
    total: list[Any] | None = None


def _pct(part: int, whole: int) -> str:
    return f"{100 * part / whole:.1f}%" if whole else "—"


def _g(qs: QuerySet, by: str) -> dict[Any, int]:
    return stats._group(qs, by)


# --- 附件1 / 附件4: the plan tables ---------------------------------------------------------------

PLAN_HEADERS = [
    "序号",
    "组织",
    "抽查任务",
    "检查事项",
    "检查对象",
    "抽查类型",
    "检查方式",
    "检查比例（数量）",
    "检查时间",
    "牵头部门",
    "配合部门",
    "已建任务数",
    "计划抽查户数",
    "已抽取户数",
    "已检查户数",
    "已完成（已公示）户数",
]


def _share(line: PlanLine) -> str:
    parts = []
    if line.ratio is not None:
        parts.append(f"{(line.ratio * 100).normalize():f}%")
    if line.count:
        parts.append(f"{line.count}户")
    return "，".join(parts)


def _methods(line: PlanLine, versions: list[Any]) -> str:
    if line.method:
        return line.method
    seen: list[str] = []
    for v in versions:
        for m in v.methods or []:
            name = METHOD_NAMES_ZH.get(m, m)
            if name not in seen:
                seen.append(name)
    return "、".join(seen)


def plan_table(scope: Scope, non_market: bool = False) -> Table:
    lines = (
        stats.plan_lines(scope, non_market=non_market)
        .select_related("plan__organisation", "lead_department")
        .prefetch_related("items", "departments")
        .order_by("plan__organisation__path", "order")
    )
    planned = stats.planned_targets(scope, lines)
    line_ids = list(planned)
    base = stats.tasks(Scope(scope.organisation, None, scope.date_from, scope.date_to))
    tasks_n = _g(base.filter(plan_line_id__in=line_ids), "plan_line_id")
    whole = Scope(scope.organisation, None, scope.date_from, scope.date_to)
    drawn = _g(stats.selections(whole).filter(draw__task__plan_line_id__in=line_ids), "draw__task__plan_line_id")
    recs = stats.records(whole)
    done = _g(recs.filter(state__in=stats.CHECKED_STATES, task__plan_line_id__in=line_ids), "task__plan_line_id")
    pub = _g(recs.filter(state="published", task__plan_line_id__in=line_ids), "task__plan_line_id")
    if non_market:
        title = f"{scope.organisation.name}{scope.year}年度非市场监管领域抽查工作计划表"
    else:
        title = f"{scope.organisation.name}{scope.year}年度行政执法检查计划表"
    table = Table("nonmarket_plan" if non_market else "plan", title, PLAN_HEADERS)
    totals = [0, 0, 0, 0, 0]
    for n, line in enumerate(lines, start=1):
        versions = list(line.items.all())
        figures = [
            tasks_n.get(line.pk, 0),
            planned.get(line.pk, 0),
            drawn.get(line.pk, 0),
            done.get(line.pk, 0),
            pub.get(line.pk, 0),
        ]
        totals = [a + b for a, b in zip(totals, figures, strict=True)]
        table.rows.append(
            [
                n,
                line.plan.organisation.name,
                line.name,
                "；".join(v.name for v in versions),
                line.objects_text,
                KIND_NAMES_ZH.get(line.kind, line.kind),
                _methods(line, versions),
                _share(line),
                f"{line.window_start:%Y-%m-%d}至{line.window_end:%Y-%m-%d}",
                line.lead_department.name,
                "、".join(d.name for d in line.departments.all()),
                *figures,
            ]
        )
    table.total = ["合计", "", "", "", "", "", "", "", "", "", "", *totals]
    return table


# --- 附件2: progress of random checks, per department ------------------------------------------

PROGRESS_HEADERS = [
    "序号",
    "组织",
    "部门",
    "清单事项数",
    "已抽查事项数",
    "事项覆盖率",
    "抽查任务数",
    "其中联合抽查任务数",
    "计划抽查户数",
    "已抽取户数",
    "已检查户数",
    "已完成（已公示）户数",
    "未完成户数",
    "完成率",
    "发现问题户数",
    "问题发现率",
    "逾期公示户数",
    "按时公示率",
]


def _departments(scope: Scope, non_market: bool = False) -> QuerySet[Department]:
    qs = Department.objects.filter(organisation__path__startswith=scope.path).select_related("organisation")
    if scope.department is not None:
        qs = qs.filter(pk=scope.department.pk)
    if non_market:
        qs = qs.exclude(kind=DepartmentKind.MARKET)
    return qs.order_by("organisation__path", "kind", "name")


def _by_department(scope: Scope) -> dict[str, dict[Any, int]]:
    lines = stats.plan_lines(scope, lead_only=True)
    planned_by_line = stats.planned_targets(scope, lines)
    lead = dict(PlanLine.objects.filter(pk__in=list(planned_by_line)).values_list("pk", "lead_department_id"))
    planned: dict[Any, int] = defaultdict(int)
    for line_id, n in planned_by_line.items():
        planned[lead[line_id]] += n
    return {
        "listed": _g(stats.listed_items(scope), "department_id"),
        "covered": _g(stats.covered_items(scope), "department_id"),
        "tasks": _g(stats.tasks(scope), "department_id"),
        "joint": _g(stats.joint_tasks(scope), "department_id"),
        "planned": planned,
        "lines": _g(lines, "lead_department_id"),
        "drawn": _g(stats.selections(scope), "draw__task__department_id"),
        "checked": _g(stats.checked(scope), "task__department_id"),
        "published": _g(stats.published(scope), "task__department_id"),
        "not_complete": _g(stats.not_complete(scope), "draw__task__department_id"),
        "problems": _g(stats.problems(scope), "task__department_id"),
        "late": _g(stats.published_late(scope), "task__department_id"),
        "inspectors": _g(stats.entered_inspectors(scope), "department_id"),
    }


def progress_table(scope: Scope) -> Table:
    f = _by_department(scope)
    title = f"{scope.organisation.name}{scope.year}年度随机抽查工作进展情况统计表"
    table = Table("progress", title, PROGRESS_HEADERS)
    keys = ["listed", "covered", "tasks", "joint", "planned", "drawn", "checked", "published", "not_complete"]
    keys += ["problems", "late"]
    sums = dict.fromkeys(keys, 0)
    for n, d in enumerate(_departments(scope), start=1):
        v = {k: f[k].get(d.pk, 0) for k in keys}
        for k in keys:
            sums[k] += v[k]
        table.rows.append(_progress_row(n, d.organisation.name, d.name, v))
    table.total = _progress_row("合计", "", "", sums)
    return table


def _progress_row(n: Any, org: str, dept: str, v: dict[str, int]) -> list[Any]:
    return [
        n,
        org,
        dept,
        v["listed"],
        v["covered"],
        _pct(v["covered"], v["listed"]),
        v["tasks"],
        v["joint"],
        v["planned"],
        v["drawn"],
        v["checked"],
        v["published"],
        v["not_complete"],
        _pct(v["published"], v["drawn"]),
        v["problems"],
        _pct(v["problems"], v["published"]),
        v["late"],
        _pct(v["published"] - v["late"], v["published"]),
    ]


# --- 附件3: joint inspections, per joint task --------------------------------------------------

JOINT_HEADERS = [
    "序号",
    "组织",
    "联合抽查任务",
    "牵头部门",
    "参与部门",
    "参与部门数",
    "检查事项数",
    "检查时间",
    "已抽取户数",
    "已检查户数",
    "已完成（已公示）户数",
    "未完成户数",
    "发现问题户数",
]


def joint_table(scope: Scope) -> Table:
    joint = stats.joint_tasks(scope).select_related("organisation", "department").order_by("organisation__path", "pk")
    ids = list(joint.values_list("pk", flat=True))
    drawn = _g(stats.selections(scope).filter(draw__task_id__in=ids), "draw__task_id")
    done = _g(stats.checked(scope).filter(task_id__in=ids), "task_id")
    pub = _g(stats.published(scope).filter(task_id__in=ids), "task_id")
    open_ = _g(stats.not_complete(scope).filter(draw__task_id__in=ids), "draw__task_id")
    prob = _g(stats.problems(scope).filter(task_id__in=ids), "task_id")
    items = dict(
        joint.model.objects.filter(pk__in=ids).annotate(n=Count("items", distinct=True)).values_list("pk", "n")
    )
    parts: dict[int, list[str]] = defaultdict(list)
    for task_id, name in (
        TaskParticipant.objects.filter(task_id__in=ids, state=ParticipantState.ACCEPTED)
        .order_by("department__name")
        .values_list("task_id", "department__name")
    ):
        parts[task_id].append(name)
    title = f"{scope.organisation.name}{scope.year}年度联合检查工作进展情况统计表"
    table = Table("joint", title, JOINT_HEADERS)
    totals = [0, 0, 0, 0, 0]
    for n, t in enumerate(joint, start=1):
        window = f"{t.window_start:%Y-%m-%d}至{t.window_end:%Y-%m-%d}" if t.window_start and t.window_end else ""
        figures = [drawn.get(t.pk, 0), done.get(t.pk, 0), pub.get(t.pk, 0), open_.get(t.pk, 0), prob.get(t.pk, 0)]
        totals = [a + b for a, b in zip(totals, figures, strict=True)]
        table.rows.append(
            [
                n,
                t.organisation.name,
                t.name,
                t.department.name,
                "、".join(parts[t.pk]),
                len(parts[t.pk]) + 1,
                items.get(t.pk, 0),
                window,
                *figures,
            ]
        )
    table.total = ["合计", "", "", "", "", "", "", "", *totals]
    return table


# --- 附件5: adoption of 双随机、一公开 in the non-market fields, per department ----------------------

ADOPTION_HEADERS = [
    "序号",
    "组织",
    "部门",
    "是否建立随机抽查事项清单",
    "清单事项数",
    "执法检查人员入库数",
    "执法人员数",
    "入库率",
    "年度计划抽查批次",
    "抽查任务数",
    "其中联合抽查任务数",
    "已抽取户数",
    "已完成（已公示）户数",
    "结果公示率",
    "逾期公示户数",
    "按时公示率",
]


def adoption_table(scope: Scope) -> Table:
    from directory.models import UnitStaffing

    f = _by_department(scope)
    staff = {
        row["unit__department_id"]: row["n"]
        for row in UnitStaffing.objects.filter(unit__department__organisation__path__startswith=scope.path)
        .values("unit__department_id")
        .annotate(n=Sum("enforcement_staff"))
    }
    title = f"{scope.organisation.name}{scope.year}年度非市场监管领域推行“双随机、一公开”情况统计表"
    table = Table("adoption", title, ADOPTION_HEADERS)
    keys = ["listed", "inspectors", "staff", "lines", "tasks", "joint", "drawn", "published", "late"]
    sums = dict.fromkeys(keys, 0)
    for n, d in enumerate(_departments(scope, non_market=True), start=1):
        v = {k: (staff.get(d.pk, 0) or 0) if k == "staff" else f[k].get(d.pk, 0) for k in keys}
        for k in keys:
            sums[k] += v[k]
        table.rows.append(_adoption_row(n, d.organisation.name, d.name, v))
    table.total = _adoption_row("合计", "", "", sums)
    table.total[3] = ""
    return table


def _adoption_row(n: Any, org: str, dept: str, v: dict[str, int]) -> list[Any]:
    return [
        n,
        org,
        dept,
        "是" if v["listed"] else "否",
        v["listed"],
        v["inspectors"],
        v["staff"],
        _pct(v["inspectors"], v["staff"]),
        v["lines"],
        v["tasks"],
        v["joint"],
        v["drawn"],
        v["published"],
        _pct(v["published"], v["drawn"]),
        v["late"],
        _pct(v["published"] - v["late"], v["published"]),
    ]


TABLES = {
    "plan": ("年度行政执法检查计划表", lambda s: plan_table(s)),
    "progress": ("随机抽查工作进展情况统计表", progress_table),
    "joint": ("联合检查工作进展情况统计表", joint_table),
    "nonmarket_plan": ("非市场监管领域抽查工作计划表", lambda s: plan_table(s, non_market=True)),
    "adoption": ("推行“双随机、一公开”情况统计表", adoption_table),
}


def build(key: str, scope: Scope) -> Table:
    return TABLES[key][1](scope)


def to_xlsx(table: Table, scope: Scope) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = table.key
    width = len(table.headers)
    ws.cell(row=1, column=1, value=table.title).font = Font(bold=True, size=14)
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=width)
    ws.cell(row=1, column=1).alignment = Alignment(horizontal="center")
    period = f"统计期间：{scope.date_from:%Y-%m-%d}至{scope.date_to:%Y-%m-%d}"
    dept = f"　部门：{scope.department.name}" if scope.department else ""
    ws.cell(row=2, column=1, value=f"填报单位：{scope.organisation.name}{dept}　{period}")
    ws.merge_cells(start_row=2, start_column=1, end_row=2, end_column=width)
    for col, header in enumerate(table.headers, start=1):
        cell = ws.cell(row=3, column=col, value=header)
        cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=True, vertical="center", horizontal="center")
        ws.column_dimensions[get_column_letter(col)].width = max(8, min(30, len(header) * 2 + 2))
    for r, row in enumerate(table.rows, start=4):
        for col, value in enumerate(row, start=1):
            ws.cell(row=r, column=col, value=value)
    if table.total is not None:
        r = 4 + len(table.rows)
        for col, value in enumerate(table.total, start=1):
            ws.cell(row=r, column=col, value=value).font = Font(bold=True)
    ws.cell(
        row=6 + len(table.rows),
        column=1,
        value="说明：本表数据由系统按 docs/OVERSIGHT.md 的口径自动计算；已检查但未公示的不计为完成。",
    )
    ws.freeze_panes = "A4"
    out = BytesIO()
    wb.save(out)
    return out.getvalue()
