"""Tasks from annual-plan lines, joint tasks (部门联合抽查) and the exclusion of recently inspected firms.

``check_*`` functions validate and raise :class:`draws.services.WorkflowError`
(bilingual, with an HTTP-like status); ``do_*`` functions act in one
transaction with their audit entry and write nothing when refused.

Decisions (see docs/ARCHITECTURE.md, "Tasks from plans and joint tasks"):

* A task is created only from a line of the organisation's *published* plan
  version; a department organiser only from lines its department leads
  (coordinators, approvers and administrators for any department).
* Every item of a task is a published version of the organisation's list (its
  own or an ancestor's). A line that refers to a version revised since is
  refused: the plan must be adjusted first.
* Every explicit ratio of the design is at least each item's lower ratio (and
  never below 5%) and at most the upper ratio of each general item; a count is
  checked the same way against the current pool when the task is created.
* ``exclude_inspected_days`` lives in ``Task.scope`` (the engine's parameters
  accept no unknown key): at commit, firms with a submitted, approved or
  published inspection record checked within that many days are marked
  ``excluded`` with reason ``inspected`` in the frozen CANDIDATES.csv, so the
  manifest lists them and the verifier reproduces the draw; the number of days
  and the number excluded are in the announcement's and manifest's context.
  Firms forced in (complaints) are not excluded.
* Joint tasks: the lead department invites departments of the same
  organisation before the pool is frozen; users of the invited department
  accept or decline (a department that declines takes its items out of the
  task); the lead department and accepted participants add their own
  department's published items until the pool is frozen.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from fractions import Fraction
from typing import Any

import numpy as np
from django.db import transaction
from django.db.models import Count, Q, QuerySet
from django.utils import timezone

import suiji_draw as sd
from accounts.permissions import can_see_org, has_perm, restrict
from catalog.models import RATIO_FLOOR, Category, ItemVersion, VersionStatus
from core import audit
from core.models import AuditAction
from draws.models import DrawState, ParticipantState, Selection, StratifyBy, Task, TaskParticipant
from draws.services import (
    WorkflowError,
    check_can_organise,
    check_params,
    check_ratio_floor,
    check_scope,
    scope_queryset,
)
from orgs.models import Department

ORG_WIDE_ROLES = ("coordinator", "approver", "administrator")
JOINT_ROLES = ("organiser", "participant", "coordinator")
INSPECTED_STATES = ("submitted", "approved", "published")
EXCLUDED_REASON = "inspected"
MAX_EXCLUDE_DAYS = 3650
LINE_OVERRIDES = {
    "name",
    "notice",
    "ratio",
    "count",
    "window_start",
    "window_end",
    "is_public",
    "selection_publication",
    "exclude_inspected_days",
    "class_ratios",
    "class_weights",
    "force_complaints",
}
CLASSES = ("A", "B", "C", "D")


def _refuse(code: str, zh: str, en: str, status: int = 422) -> WorkflowError:
    return WorkflowError(code, zh, en, status)


def _not_found() -> WorkflowError:
    return _refuse("not_found", "未找到该对象，或您无权查看。", "Not found, or not visible to you.", 404)


def _org_wide(user: Any) -> bool:
    return bool(user.is_superuser or user.has_role(*ORG_WIDE_ROLES))


# --- items and ratios ------------------------------------------------------------------------------


def list_items(organisation: Any) -> QuerySet[ItemVersion]:
    """Published item versions of the organisation's list: its own items and those of the levels above."""
    prefixes = [organisation.path[:i] for i in range(1, len(organisation.path) + 1)]
    return (
        ItemVersion.objects.filter(status=VersionStatus.PUBLISHED, item__organisation__path__in=prefixes)
        .select_related("item__organisation", "item__department")
        .order_by("item__code")
    )


def owns_item(department: Any, version: ItemVersion) -> bool:
    """An item is a department's when that department is responsible for it, or the same kind of department
    at a level above is (a county tax bureau checks the province's tax items)."""
    item_dept = version.item.department
    if item_dept.pk == department.pk:
        return True
    return item_dept.organisation_id != department.organisation_id and item_dept.kind == department.kind


def check_items(organisation: Any, items: Any) -> list[ItemVersion]:
    """Every item a published version of the organisation's list; refuses anything else, naming it."""
    ids = sorted({int(getattr(i, "pk", i)) for i in items})
    if not ids:
        raise _refuse("no_items", "请至少选择一个检查事项。", "Choose at least one inspection item.")
    versions = list(ItemVersion.objects.filter(pk__in=ids).select_related("item__organisation", "item__department"))
    path = organisation.path
    if len(versions) != len(ids) or any(not path.startswith(v.item.organisation.path) for v in versions):
        raise _refuse(
            "item_not_in_list",
            "检查事项不在本级随机抽查事项清单中。",
            "An inspection item is not in the organisation's inspection item list.",
        )
    for v in versions:
        if v.status != VersionStatus.PUBLISHED:
            raise _refuse(
                "item_not_published",
                f"检查事项“{v.name}”（第 {v.number} 版）不是现行发布版本，请先调整计划或选择现行事项。",
                f"Inspection item {v.name} (version {v.number}) is not the published version; "
                "adjust the plan or choose the current item.",
            )
    return sorted(versions, key=lambda v: v.pk)


def _ratios(params: sd.DrawParams) -> list[Fraction]:
    out = []
    for part in params.parts:
        allocations = [part.overall] if part.overall else [a for _, a in part.strata]
        out += [Fraction(a.ratio) for a in allocations if a is not None and a.ratio is not None]
    return out


def _counts(params: sd.DrawParams) -> list[int]:
    out = []
    for part in params.parts:
        allocations = [part.overall] if part.overall else [a for _, a in part.strata]
        out += [a.count for a in allocations if a is not None and a.count is not None]
    return out


def _pct(value: Any) -> str:
    return f"{(Decimal(str(value)) * 100).normalize():f}%"


def check_ratio_bounds(ratio: Fraction, versions: list[ItemVersion], what: str = "ratio") -> None:
    """A ratio is at least 5% and each item's lower ratio, and at most each general item's upper ratio."""
    if ratio < Fraction(RATIO_FLOOR):
        raise _refuse("ratio_too_low", "抽查比例不得低于 5%。", "A sampling ratio below 5% is not allowed.")
    for v in versions:
        if ratio < Fraction(v.ratio_min):
            raise _refuse(
                "ratio_below_item_minimum",
                f"抽查比例低于检查事项“{v.name}”规定的最低比例 {_pct(v.ratio_min)}。",
                f"The sampling {what} is below the lower ratio {_pct(v.ratio_min)} of item {v.name}.",
            )
        if v.category == Category.GENERAL and v.ratio_max is not None and ratio > Fraction(v.ratio_max):
            raise _refuse(
                "ratio_above_item_limit",
                f"抽查比例超过一般事项“{v.name}”规定的比例上限 {_pct(v.ratio_max)}。",
                f"The sampling {what} exceeds the upper ratio {_pct(v.ratio_max)} of the general item {v.name}.",
            )


def check_design_against_items(task: Task, params: sd.DrawParams, versions: list[ItemVersion]) -> None:
    """Every explicit ratio within the items' bounds; a count too, as a share of the current pool."""
    for ratio in _ratios(params):
        check_ratio_bounds(ratio, versions)
    counts = _counts(params)
    if counts and versions:
        eligible = preview(task)["eligible"]
        if eligible:
            for count in counts:
                check_ratio_bounds(Fraction(min(count, eligible), eligible), versions, "count (as a share of the pool)")


def check_window(start: dt.date | None, end: dt.date | None, today: dt.date | None = None) -> None:
    if start is None or end is None:
        return
    if end < start:
        raise _refuse("bad_window", "检查时间的结束日期早于开始日期。", "The time window ends before it starts.")
    if end < (today or timezone.localdate()):
        raise _refuse("past_window", "检查时间已经过去。", "The time window is already in the past.")


def check_exclude_days(value: Any) -> int | None:
    if value in (None, "", 0):
        return None
    if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= MAX_EXCLUDE_DAYS:
        raise _refuse(
            "bad_scope",
            f"“近期已检查对象不再抽取”的天数须为 1 至 {MAX_EXCLUDE_DAYS} 的整数。",
            f"exclude_inspected_days must be an integer from 1 to {MAX_EXCLUDE_DAYS}.",
        )
    return value


def check_adhoc(fields: dict[str, Any], params: sd.DrawParams) -> list[ItemVersion]:
    """Called by ``services.do_create_task``: items (the lead department's), window, design against the items."""
    check_window(fields.get("window_start"), fields.get("window_end"))
    raw = fields.pop("items", None)
    if not raw:
        return []
    versions = check_items(fields["organisation"], raw)
    for v in versions:
        if not owns_item(fields["department"], v):
            raise _refuse(
                "other_department_item",
                f"检查事项“{v.name}”不属于牵头部门；其他部门的事项须由该部门参与联合抽查后添加。",
                f"Item {v.name} is not the lead department's; other departments add theirs by joining the task.",
                403,
            )
    probe = Task(organisation=fields["organisation"], scope=fields.get("scope") or {})
    probe.force_complaints = fields.get("force_complaints")
    check_design_against_items(probe, params, versions)
    return versions


# --- recently inspected firms (无事不扰) --------------------------------------------------------------


def exclude_days(task: Task) -> int | None:
    return (task.scope or {}).get("exclude_inspected_days") or None


def _inspected_filter(days: int, on: dt.date) -> Q:
    return Q(
        inspection_records__state__in=INSPECTED_STATES,
        inspection_records__checked_on__gte=on - dt.timedelta(days=days),
        inspection_records__checked_on__lte=on,
    )


def inspected_exclusions(task: Task, keys: Any, forced: Any, on: dt.date | None = None) -> dict[str, str]:
    """``{key: "inspected"}`` for the pool's firms inspected within the task's days (forced firms stay in)."""
    days = exclude_days(task)
    if not days:
        return {}
    on = on or timezone.localdate()
    qs = scope_queryset(task).filter(_inspected_filter(days, on)).values_list("key", flat=True).distinct()
    inspected = set(qs)
    if not inspected:
        return {}
    forced_keys = {keys[i] for i in np.flatnonzero(np.asarray(forced, dtype=bool)).tolist()}
    return {k: EXCLUDED_REASON for k in sorted((inspected & set(keys)) - forced_keys)}


def lines_for_tasks(user: Any) -> list[Any]:
    """Lines of the organisation's published plans the user may turn into tasks (their department leads,
    or any line for an organisation-wide role), the current and next year."""
    from plans.models import PlanLine, PlanStatus

    if user.organisation_id is None:
        return []
    year = timezone.localdate().year
    qs = PlanLine.objects.filter(
        plan__organisation_id=user.organisation_id, plan__status=PlanStatus.PUBLISHED, plan__year__in=[year, year + 1]
    ).select_related("plan", "lead_department")
    if not (user.is_superuser or _org_wide(user)):
        qs = qs.filter(lead_department_id=user.department_id)
    return list(qs.order_by("-plan__year", "order"))


# --- the yearly cap on visits per firm ----------------------------------------------------------------

CAP_REASON = "cap"


def yearly_cap(task: Task) -> int | None:
    from plans.models import PlanSettings

    setting = PlanSettings.objects.filter(organisation_id=task.organisation_id).first()
    return setting.yearly_visit_cap if setting and setting.yearly_visit_cap else None


def visits_this_year(task: Task, year: int) -> QuerySet:
    """Drawn selections of this year's live draws by the tasks of the task's organisation, above and below it."""
    from orgs.models import Organisation

    path = task.organisation.path
    ancestors = [int(x) for x in path.strip("/").split("/") if x]
    branch = Organisation.objects.filter(Q(path__startswith=path) | Q(pk__in=ancestors)).values("pk")
    return Selection.objects.filter(
        draw__state=DrawState.DRAWN, draw__drawn_at__year=year, draw__task__organisation__in=branch
    ).exclude(draw__task=task)


def capped_exclusions(task: Task, keys: Any, forced: Any, on: dt.date | None = None) -> dict[str, str]:
    """``{key: "cap"}`` for the pool's firms already drawn ``yearly_visit_cap`` times this year (forced stay in)."""
    cap = yearly_cap(task)
    if not cap:
        return {}
    on = on or timezone.localdate()
    rows = visits_this_year(task, on.year).values("key").annotate(n=Count("id")).filter(n__gte=cap)
    capped = {r["key"] for r in rows}
    if not capped:
        return {}
    forced_keys = {keys[i] for i in np.flatnonzero(np.asarray(forced, dtype=bool)).tolist()}
    return {k: CAP_REASON for k in sorted((capped & set(keys)) - forced_keys)}


def preview(task: Task, on: dt.date | None = None) -> dict[str, Any]:
    """How many firms the scope gives, how many are excluded as recently inspected, and the expected draw."""
    qs = scope_queryset(task)
    candidates = qs.count()
    excluded = 0
    days = exclude_days(task)
    if days:
        inspected = qs.filter(_inspected_filter(days, on or timezone.localdate()))
        if task.force_complaints is not None:
            inspected = inspected.exclude(complaint_count__gte=task.force_complaints)
        excluded = inspected.values("pk").distinct().count()
    eligible = candidates - excluded
    expected = None
    try:
        params = sd.DrawParams.from_dict(task.params) if task.params else None
    except sd.DrawInputError:
        params = None
    if params is not None and len(params.parts) == 1 and params.parts[0].overall is not None:
        alloc = params.parts[0].overall
        if alloc.count is not None:
            expected = min(alloc.count, eligible)
        elif alloc.ratio is not None:
            import math

            expected = min(eligible, math.ceil(Fraction(alloc.ratio) * eligible))
    return {"candidates": candidates, "excluded_inspected": excluded, "eligible": eligible, "expected": expected}


# --- tasks from plan lines ---------------------------------------------------------------------------


def _risk_policy(ratio: Any, count: Any, overrides: dict[str, Any]) -> tuple[dict[str, Any], str, dict[str, Any]]:
    """The task's design from the line's ratio or count and the organiser's risk policy (draws issue):
    ``class_ratios`` (a ratio per credit class A–D, stratified by class) and/or ``class_weights`` (a risk
    weight per class, weighted selection without replacement)."""
    from draws.services import check_weights

    class_ratios = overrides.get("class_ratios") or None
    class_weights = overrides.get("class_weights") or None
    weights = check_weights({"class": dict(class_weights)}) if class_weights else {}
    method = "weighted" if class_weights else "uniform"
    if class_ratios:
        if not isinstance(class_ratios, dict) or set(class_ratios) - set(CLASSES) or not class_ratios:
            raise _refuse("bad_class_ratios", "分类比例须对应信用风险分类 A–D。", "Class ratios are for classes A–D.")
        strata = []
        for cls in CLASSES:
            if cls in class_ratios:
                value = _line_params(class_ratios[cls], None)["parts"][0]["overall"]["ratio"]
                strata.append({"stratum": cls, "ratio": value})
        part = {"name": "main", "method": method, "recent": "keep", "overall": None, "strata": strata}
        return {"parts": [part]}, StratifyBy.CREDIT_CLASS, weights
    params = _line_params(ratio, count)
    params["parts"][0]["method"] = method
    return params, StratifyBy.NONE, weights


def _line_params(ratio: Any, count: Any) -> dict[str, Any]:
    if ratio not in (None, ""):
        try:
            value = Decimal(str(ratio).strip())
        except ArithmeticError:
            raise _refuse(
                "bad_ratio", "抽查比例须为小数，例如 0.05。", "The ratio must be a decimal such as 0.05."
            ) from None
        overall: dict[str, Any] = {"ratio": format(value.normalize(), "f")}
    elif count not in (None, ""):
        if not isinstance(count, int) or isinstance(count, bool) or count < 1:
            raise _refuse("bad_count", "抽查数量须为正整数。", "The number of targets must be a positive integer.")
        overall = {"count": count}
    else:
        raise _refuse("no_ratio", "请填写抽查比例或抽查数量。", "Give a sampling ratio or a number of targets.")
    part = {"name": "main", "method": "uniform", "recent": "keep", "overall": overall, "strata": []}
    return {"parts": [part]}


def default_notice(line: Any) -> str:
    from plans.models import KIND_NAMES_ZH

    plan = line.plan
    objects = f"，检查对象：{line.objects_text}" if line.objects_text else ""
    kind = KIND_NAMES_ZH.get(line.kind, line.kind)
    return (
        f"根据《{plan.organisation.name}{plan.year}年度随机抽查工作计划》第 {line.order} 批次，"
        f"由{line.lead_department.name}牵头开展“{line.name}”（{kind}抽查）{objects}，"
        f"检查时间：{line.window_start:%Y-%m-%d}至{line.window_end:%Y-%m-%d}。"
        "本次抽查的全部检查事项和参与部门列于下方，一次进门、查多项事。"
    )


def check_line_organiser(user: Any, line: Any) -> None:
    """Organise in the line's organisation (others' lines are 404); a department organiser only its own lines."""
    check_can_organise(user, line.plan.organisation)
    if not _org_wide(user) and user.department_id != line.lead_department_id:
        raise _refuse(
            "not_lead_department",
            "只有该批次的牵头部门可以据此创建抽查任务。",
            "Only the line's lead department may create a task from it.",
            403,
        )


def build_task_from_line(user: Any, line: Any, **overrides: Any) -> tuple[Task, list[ItemVersion], list[Department]]:
    """The unsaved task a line gives (with overrides), its items and its participating departments; checks all."""
    from plans.models import LineKind, PlanStatus

    unknown = set(overrides) - LINE_OVERRIDES
    if unknown:
        raise _refuse("bad_field", "含有不能修改的字段。", f"Fields that cannot be set: {', '.join(sorted(unknown))}")
    check_line_organiser(user, line)
    plan = line.plan
    if plan.status != PlanStatus.PUBLISHED:
        raise _refuse(
            "plan_not_published",
            "只能依据已发布的现行年度计划创建任务。",
            "A task can only be created from the current published plan.",
            409,
        )
    org = plan.organisation
    versions = check_items(org, line.items.all())
    start = overrides.get("window_start") or line.window_start
    end = overrides.get("window_end") or line.window_end
    check_window(start, end)
    if "ratio" in overrides or "count" in overrides:
        ratio, count = overrides.get("ratio"), overrides.get("count")
    else:
        ratio, count = line.ratio, line.count
    params_dict, stratify_by, weights = _risk_policy(ratio, count, overrides)
    params = check_params(params_dict)
    check_ratio_floor(params)
    scope = dict(line.scope or {}) if line.kind != LineKind.UNDIRECTED else {}
    days = check_exclude_days(overrides.get("exclude_inspected_days"))
    if days:
        scope["exclude_inspected_days"] = days
    check_scope(scope)
    name = (overrides.get("name") or line.name).strip()[:200]
    if not name:
        raise _refuse("no_name", "任务须有名称。", "A task needs a name.")
    notice = overrides.get("notice")
    task = Task(
        organisation=org,
        department=line.lead_department,
        name=name,
        notice=default_notice(line) if notice in (None, "") else str(notice)[:20000],
        scope=scope,
        params=params_dict,
        stratify_by=stratify_by,
        weights=weights,
        force_complaints=overrides.get("force_complaints") or None,
        is_public=overrides.get("is_public", True),
        selection_publication=overrides.get("selection_publication") or "with_notice",
        plan_line=line,
        window_start=start,
        window_end=end,
        created_by=user,
    )
    check_design_against_items(task, params, versions)
    departments = [d for d in line.departments.all() if d.pk != line.lead_department_id]
    return task, versions, departments


def do_create_task_from_line(user: Any, line: Any, **overrides: Any) -> Task:
    """Create the task of a published plan line: items, scope, design, window, and invitations to its departments."""
    task, versions, departments = build_task_from_line(user, line, **overrides)
    with transaction.atomic():
        task.save()
        task.items.set(versions)
        for dept in departments:
            TaskParticipant.objects.create(task=task, department=dept)
        audit.record(
            AuditAction.ACTION,
            task,
            actor=user,
            after={
                "created_from_plan_line": str(line.pk),
                "plan": str(line.plan),
                "items": [v.pk for v in versions],
                "invited": [d.pk for d in departments],
            },
        )
    return task


# --- joint tasks -------------------------------------------------------------------------------------


def is_committed(task: Task) -> bool:
    return task.draws.exclude(state=DrawState.VOIDED).exists()


def _check_open(task: Task) -> None:
    if is_committed(task):
        raise _refuse(
            "pool_frozen",
            "该任务的候选名单已冻结，不能再变更参与部门或检查事项。",
            "The candidate list of this task is frozen; departments and items can no longer change.",
            409,
        )


def check_lead(user: Any, task: Task) -> None:
    check_can_organise(user, task.organisation)
    if not _org_wide(user) and user.department_id != task.department_id:
        raise _refuse(
            "not_lead_department", "只有牵头部门可以邀请参与部门。", "Only the lead department may invite.", 403
        )


def do_invite(user: Any, task: Task, department: Department) -> TaskParticipant:
    check_lead(user, task)
    if department.organisation_id != task.organisation_id or not department.is_active:
        raise _refuse(
            "bad_department",
            "受邀部门须为本级政府的在用部门。",
            "The invited department must be an active department of the same organisation.",
        )
    if department.pk == task.department_id:
        raise _refuse("lead_department", "牵头部门无须邀请自己。", "The lead department does not invite itself.")
    with transaction.atomic():
        task = Task.objects.select_for_update().get(pk=task.pk)
        _check_open(task)
        existing = TaskParticipant.objects.filter(task=task, department=department).first()
        if existing is not None and existing.state != ParticipantState.DECLINED:
            raise _refuse("already_invited", "该部门已受邀参与本任务。", "This department is already invited.", 409)
        if existing is not None:
            existing.state = ParticipantState.INVITED
            existing.responded_at = None
            existing.responded_by = None
            existing.save()
            participant = existing
        else:
            participant = TaskParticipant.objects.create(task=task, department=department)
        audit.record(
            AuditAction.TRANSITION, participant, actor=user, after={"state": "invited", "department": department.name}
        )
    return participant


def _check_department_user(user: Any, task: Task, department_id: int) -> None:
    if not can_see_org(user, task.organisation):
        raise _not_found()
    if not user.is_superuser and (user.department_id != department_id or not user.has_role(*JOINT_ROLES)):
        raise _refuse(
            "not_your_department",
            "只有受邀部门的人员可以办理。",
            "Only the invited department's staff may do this.",
            403,
        )


def do_respond(user: Any, participant: TaskParticipant, accept: bool) -> TaskParticipant:
    task = participant.task
    _check_department_user(user, task, participant.department_id)
    with transaction.atomic():
        Task.objects.select_for_update().get(pk=task.pk)
        participant = TaskParticipant.objects.select_for_update().get(pk=participant.pk)
        if participant.state != ParticipantState.INVITED:
            raise _refuse("already_responded", "该邀请已答复。", "This invitation has already been answered.", 409)
        _check_open(task)
        participant.state = ParticipantState.ACCEPTED if accept else ParticipantState.DECLINED
        participant.responded_at = timezone.now()
        participant.responded_by = user
        participant.save()
        removed: list[int] = []
        if not accept:  # a department that declines checks nothing: its items leave the task
            department = participant.department
            removed = [v.pk for v in task.items.select_related("item__department") if owns_item(department, v)]
            task.items.remove(*removed)
        audit.record(
            AuditAction.TRANSITION,
            participant,
            actor=user,
            before={"state": "invited"},
            after={"state": participant.state, "items_removed": removed},
        )
    return participant


def do_add_items(user: Any, task: Task, items: Any) -> Task:
    """The lead department or an accepted participant adds its own department's published items."""
    if not can_see_org(user, task.organisation):
        raise _not_found()
    dept_id = user.department_id
    if dept_id != task.department_id:
        if not task.participants.filter(department_id=dept_id, state=ParticipantState.ACCEPTED).exists():
            raise _refuse(
                "not_participant",
                "只有牵头部门和已接受邀请的参与部门可以添加检查事项。",
                "Only the lead department and departments that accepted may add items.",
                403,
            )
    if not user.is_superuser and not user.has_role(*JOINT_ROLES):
        raise _refuse("forbidden", "您没有添加检查事项的权限。", "You may not add items.", 403)
    department = Department.objects.get(pk=dept_id)
    versions = check_items(task.organisation, items)
    for v in versions:
        if not owns_item(department, v):
            raise _refuse(
                "other_department_item",
                f"检查事项“{v.name}”不属于本部门，只能添加本部门的事项。",
                f"Item {v.name} is not your department's; add only your own department's items.",
                403,
            )
    params = check_params(task.params)
    check_design_against_items(task, params, versions)
    with transaction.atomic():
        task = Task.objects.select_for_update().get(pk=task.pk)
        _check_open(task)
        new = [v for v in versions if not task.items.filter(pk=v.pk).exists()]
        task.items.add(*new)
        audit.record(
            AuditAction.ACTION,
            task,
            actor=user,
            after={"items_added": [v.pk for v in new], "department": department.name},
        )
    return task


# --- reading ---------------------------------------------------------------------------------------


def joint_tasks(user: Any) -> Q:
    """Tasks where the user's department is invited or has accepted (declined invitations show nothing)."""
    return Q(
        pk__in=TaskParticipant.objects.filter(department_id=user.department_id)
        .exclude(state=ParticipantState.DECLINED)
        .values("task_id")
    )


def is_joint_reader(user: Any) -> bool:
    """A participant department's user (role participant) who reads the joint tasks of its department."""
    return bool(user.is_authenticated and user.department_id and has_perm(user, "assignments.confirm"))


def visible_lines(user: Any) -> QuerySet:
    from plans.models import PlanLine

    return restrict(
        PlanLine.objects.select_related("plan__organisation", "lead_department"), user, "plan__organisation"
    )


def items_by_department(task: Task) -> list[tuple[str, list[ItemVersion]]]:
    groups: dict[str, list[ItemVersion]] = {}
    for v in task.items.select_related("item__department").order_by("item__department__name", "item__code"):
        groups.setdefault(v.item.department.name, []).append(v)
    return list(groups.items())


def detail_context(task: Task, user: Any) -> dict[str, Any]:
    """What the task page shows of the line, the items per department and the joint participation."""
    from draws.forms import AddItemsForm, InviteForm

    participants = list(task.participants.select_related("department", "responded_by"))
    mine = next((p for p in participants if p.department_id == user.department_id), None)
    committed = is_committed(task)
    org_wide = _org_wide(user)
    is_lead = user.department_id == task.department_id
    organiser = has_perm(user, "tasks.manage") or has_perm(user, "draws.organise")
    joint_role = user.is_superuser or user.has_role(*JOINT_ROLES)
    ctx: dict[str, Any] = {
        "joint_items": items_by_department(task),
        "joint_participants": participants,
        "joint_mine": mine,
        "joint_committed": committed,
        "joint_pending": any(p.state == ParticipantState.INVITED for p in participants),
        "joint_exclude_days": exclude_days(task),
    }
    if ctx["joint_exclude_days"] and not committed:
        try:
            ctx["joint_excluded_now"] = preview(task)["excluded_inspected"]
        except WorkflowError:
            ctx["joint_excluded_now"] = None
    taken = {p.department_id for p in participants if p.state != ParticipantState.DECLINED} | {task.department_id}
    if not committed and organiser and (org_wide or is_lead):
        invitable = Department.objects.filter(organisation=task.organisation, is_active=True).exclude(pk__in=taken)
        if invitable.exists():
            ctx["invite_form"] = InviteForm(departments=invitable)
    ctx["can_respond"] = bool(
        mine and mine.state == ParticipantState.INVITED and not committed and joint_role and user.department_id
    )
    may_add = is_lead or (mine is not None and mine.state == ParticipantState.ACCEPTED)
    if not committed and may_add and joint_role and user.department_id:
        department = Department.objects.get(pk=user.department_id)
        present = set(task.items.values_list("pk", flat=True))
        own = [v.pk for v in list_items(task.organisation) if owns_item(department, v) and v.pk not in present]
        if own:
            ctx["add_items_form"] = AddItemsForm(items=ItemVersion.objects.filter(pk__in=own))
    if mine is not None and not is_lead and not org_wide:
        ctx["can_organise"] = False  # a participant department reads the lead department's task, it does not run it
    return ctx
