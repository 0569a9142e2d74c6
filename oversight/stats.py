"""The figures of oversight: one scope (organisation subtree, department, period), base querysets, metrics.

Every number on the dashboard, in the API and in the statutory tables is computed
here from the data (never typed in). Each dashboard metric is a queryset; the
number shown is its ``count()`` and the drill-down list is the same queryset, so
the two always agree. The statutory tables group the same querysets by
department. docs/OVERSIGHT.md states every definition in words.
"""

from __future__ import annotations

import datetime as dt
import math
import time
from collections import defaultdict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import connection, connections
from django.db.models import Count, Exists, F, Max, Min, OuterRef, Q, QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.permissions import can_see_org, visible_path
from catalog.models import InspectionItem, ItemVersion, VersionStatus
from core.errors import Refused
from directory.models import Inspector, InspectorStatus, Target
from draws.models import Draw, DrawState, ParticipantState, Selection, Task, TaskParticipant, TaskState
from inspections.models import PROBLEM_CATEGORIES, Record, RecordState, Result
from orgs.models import Department, DepartmentKind, Organisation
from plans.models import PlanLine, PlanStatus

CHECKED_STATES = (RecordState.SUBMITTED, RecordState.APPROVED, RecordState.PUBLISHED)


class ScopeError(Refused):
    """Bad scope parameters, with the message in both languages."""

    default_status = 400


@dataclass(frozen=True)
class Scope:
    organisation: Organisation
    department: Department | None
    date_from: dt.date
    date_to: dt.date

    @property
    def year(self) -> int:
        return self.date_from.year

    @property
    def path(self) -> str:
        return self.organisation.path

    def query(self) -> dict[str, str]:
        out = {"org": str(self.organisation.pk), "from": self.date_from.isoformat(), "to": self.date_to.isoformat()}
        if self.department is not None:
            out["dept"] = str(self.department.pk)
        return out

    def querystring(self) -> str:
        from urllib.parse import urlencode

        return urlencode(self.query())


def _int(value: Any, code: str, zh: str, en: str) -> int | None:
    if value in (None, ""):
        return None
    try:
        return int(str(value).strip())
    except ValueError:
        raise ScopeError(code, zh, en) from None


def _date(value: Any, code: str, zh: str, en: str) -> dt.date | None:
    if value in (None, ""):
        return None
    try:
        return dt.date.fromisoformat(str(value).strip())
    except ValueError:
        raise ScopeError(code, zh, en) from None


def scope_for(user: Any, params: Any) -> Scope:
    """The scope asked for (``org``, ``dept``, ``year`` or ``from``/``to``); invisible objects are 404."""
    org_id = _int(params.get("org"), "org", "组织参数无效。", "The organisation is not valid.")
    if org_id is None:
        organisation = user.organisation if getattr(user, "organisation_id", None) else None
        if organisation is None and visible_path(user) == "":
            organisation = Organisation.objects.filter(parent__isnull=True).order_by("path").first()
        if organisation is None:
            raise ScopeError("no_organisation", "您不属于任何组织。", "You do not belong to an organisation.", 403)
    else:
        organisation = Organisation.objects.filter(pk=org_id).first()
        if organisation is None or not can_see_org(user, organisation):
            raise ScopeError("not_found", "未找到该组织，或您无权查看。", "Organisation not found or not visible.", 404)
    dept_id = _int(params.get("dept"), "dept", "部门参数无效。", "The department is not valid.")
    department = None
    if dept_id is not None:
        department = Department.objects.filter(pk=dept_id, organisation__path__startswith=organisation.path).first()
        if department is None:
            raise ScopeError("not_found", "未找到该部门，或您无权查看。", "Department not found or not visible.", 404)
    year = _int(params.get("year"), "year", "年份无效。", "The year is not valid.")
    if year is not None and not 2000 <= year <= 2100:
        raise ScopeError("year", "年份无效。", "The year is not valid.")
    date_from = _date(params.get("from"), "from", "起始日期无效。", "The start date is not valid.")
    date_to = _date(params.get("to"), "to", "截止日期无效。", "The end date is not valid.")
    if year is None:
        year = (date_from or date_to or timezone.localdate()).year
    date_from = date_from or dt.date(year, 1, 1)
    date_to = date_to or dt.date(date_from.year, 12, 31)
    if date_to < date_from:
        raise ScopeError("period", "截止日期不能早于起始日期。", "The end date is before the start date.")
    if (date_to - date_from).days > 366:
        raise ScopeError("period", "统计期间不能超过一年。", "The period cannot be longer than a year.")
    return Scope(organisation, department, date_from, date_to)


# --- base querysets --------------------------------------------------------------------------------


def period_q(scope: Scope, prefix: str = "") -> Q:
    """A task is in the period by its window's start, or, without a window, by the day it was created."""
    p = prefix
    return Q(**{f"{p}window_start__isnull": False, f"{p}window_start__range": (scope.date_from, scope.date_to)}) | Q(
        **{f"{p}window_start__isnull": True, f"{p}created__date__range": (scope.date_from, scope.date_to)}
    )


def tasks(scope: Scope, department: bool = True) -> QuerySet[Task]:
    """Tasks of the subtree in the period, drafts excluded, of the lead department when one is chosen."""
    qs = Task.objects.filter(organisation__path__startswith=scope.path).exclude(state=TaskState.DRAFT)
    qs = qs.filter(period_q(scope))
    if department and scope.department is not None:
        qs = qs.filter(department=scope.department)
    return qs


def joint_tasks(scope: Scope) -> QuerySet[Task]:
    return tasks(scope).filter(
        Exists(TaskParticipant.objects.filter(task=OuterRef("pk"), state=ParticipantState.ACCEPTED))
    )


def drawn_tasks(scope: Scope) -> QuerySet[Task]:
    return tasks(scope).filter(draws__state=DrawState.DRAWN).distinct()


def selections(scope: Scope) -> QuerySet[Selection]:
    """Drawn targets: the selections of the live (drawn, not voided) draws of the scope's tasks."""
    return Selection.objects.filter(draw__state=DrawState.DRAWN, draw__task__in=tasks(scope).values("pk"))


def records(scope: Scope) -> QuerySet[Record]:
    return Record.objects.filter(task__in=tasks(scope).values("pk"))


def checked(scope: Scope) -> QuerySet[Record]:
    """Checks done: records submitted, approved or published (drafts and returned records are not)."""
    return records(scope).filter(state__in=CHECKED_STATES)


def published(scope: Scope) -> QuerySet[Record]:
    """Complete checks: published records. A check done but not published is not complete."""
    return records(scope).filter(state=RecordState.PUBLISHED)


def problem_q() -> Exists:
    return Exists(
        Result.objects.filter(
            record=OuterRef("pk"), category__in=list(PROBLEM_CATEGORIES), superseded_by__isnull=True
        ).values("pk")
    )


def problems(scope: Scope) -> QuerySet[Record]:
    """Published records with at least one current (not corrected) result in a problem category."""
    return published(scope).filter(problem_q())


def published_late(scope: Scope) -> QuerySet[Record]:
    return published(scope).filter(published_late=True)


def overdue_unpublished(scope: Scope, today: dt.date | None = None) -> QuerySet[Record]:
    today = today or timezone.localdate()
    return checked(scope).exclude(state=RecordState.PUBLISHED).filter(publish_deadline__lt=today)


def not_complete(scope: Scope) -> QuerySet[Selection]:
    """Drawn targets without a published record for their task."""
    done = Record.objects.filter(
        task_id=OuterRef("draw__task_id"), target_id=OuterRef("target_id"), state=RecordState.PUBLISHED
    )
    return selections(scope).exclude(Exists(done))


def joint_checks(scope: Scope) -> QuerySet[Record]:
    return checked(scope).filter(task__in=joint_tasks(scope).values("pk"))


def listed_items(scope: Scope) -> QuerySet[InspectionItem]:
    """Items of the list (清单) with a published version, of the subtree (and department)."""
    qs = InspectionItem.objects.filter(organisation__path__startswith=scope.path).filter(
        Exists(ItemVersion.objects.filter(item=OuterRef("pk"), status=VersionStatus.PUBLISHED))
    )
    if scope.department is not None:
        qs = qs.filter(department=scope.department)
    return qs


def covered_items(scope: Scope) -> QuerySet[InspectionItem]:
    """Listed items with at least one version among the items of a drawn task of the scope (any department)."""
    through = Task.items.through
    used = through.objects.filter(
        task_id__in=tasks(scope, department=False).filter(draws__state=DrawState.DRAWN).values("pk"),
        itemversion__item_id=OuterRef("pk"),
    )
    return listed_items(scope).filter(Exists(used))


def uncovered_items(scope: Scope) -> QuerySet[InspectionItem]:
    return listed_items(scope).exclude(pk__in=covered_items(scope).values("pk"))


def plan_lines(scope: Scope, non_market: bool = False, lead_only: bool = False) -> QuerySet[PlanLine]:
    """Lines of the published plan version of the year, of the subtree, windows overlapping the period.

    With a department: the lines it leads or joins (``lead_only``: the lines it leads).
    """
    qs = PlanLine.objects.filter(
        plan__organisation__path__startswith=scope.path,
        plan__status=PlanStatus.PUBLISHED,
        plan__year=scope.year,
        window_start__lte=scope.date_to,
        window_end__gte=scope.date_from,
    )
    if scope.department is not None and lead_only:
        qs = qs.filter(lead_department=scope.department)
    elif scope.department is not None:
        qs = qs.filter(Q(lead_department=scope.department) | Q(departments=scope.department)).distinct()
    if non_market:
        qs = qs.exclude(lead_department__kind=DepartmentKind.MARKET)
    return qs


def entered_inspectors(scope: Scope, on: dt.date | None = None) -> QuerySet[Inspector]:
    """Inspectors that count for 入库率: on staff, certificate valid, in a unit that declared its staff."""
    on = on or timezone.localdate()
    qs = Inspector.objects.filter(
        organisation__path__startswith=scope.path,
        status__in=[InspectorStatus.ACTIVE, InspectorStatus.LEAVE],
        unit__staffing__isnull=False,
    ).exclude(certificate_no="")
    qs = qs.filter(Q(certificate_expiry__isnull=True) | Q(certificate_expiry__gte=on))
    if scope.department is not None:
        qs = qs.filter(department=scope.department)
    return qs


def declared_staff(scope: Scope) -> int:
    from directory.models import UnitStaffing

    qs = UnitStaffing.objects.filter(unit__department__organisation__path__startswith=scope.path)
    if scope.department is not None:
        qs = qs.filter(unit__department=scope.department)
    return qs.aggregate(n=Sum("enforcement_staff"))["n"] or 0


def _multi_department_groups(scope: Scope) -> QuerySet[Record]:
    """One row per firm checked in the period by tasks of two or more lead departments."""
    base = checked(Scope(scope.organisation, None, scope.date_from, scope.date_to))
    return (
        base.order_by()
        .values("target_id")
        .annotate(lo=Min("task__department_id"), hi=Max("task__department_id"))
        .filter(lo__lt=F("hi"))
    )


def multi_department_count(scope: Scope) -> int:
    """``multi_department_firms(scope).count()``, without the look-up of each firm when no department is chosen."""
    if scope.department is not None:
        return multi_department_firms(scope).count()
    return _multi_department_groups(scope).count()


def multi_department_firms(scope: Scope) -> QuerySet[Target]:
    """Firms checked in the period by tasks of two or more different lead departments (a joint task is one)."""
    base = checked(Scope(scope.organisation, None, scope.date_from, scope.date_to))
    qs = Target.objects.filter(pk__in=_multi_department_groups(scope).values("target_id"))
    if scope.department is not None:
        qs = qs.filter(pk__in=base.filter(task__department=scope.department).values("target_id"))
    return qs


def planned_targets(scope: Scope, lines: QuerySet[PlanLine] | None = None) -> dict[int, int]:
    """Per plan line: its number of targets, or its ratio × the pool of its drawn tasks (rounded up)."""
    lines = lines if lines is not None else plan_lines(scope, lead_only=True)
    rows = list(lines.values("pk", "count", "ratio"))
    pools: dict[int, int] = defaultdict(int)
    for line_id, pool in Task.objects.filter(
        plan_line_id__in=[r["pk"] for r in rows], draws__state=DrawState.DRAWN
    ).values_list("plan_line_id", "draws__pool_size"):
        pools[line_id] += pool or 0
    out = {}
    for r in rows:
        if r["count"]:
            out[r["pk"]] = r["count"]
        elif r["ratio"] is not None:
            out[r["pk"]] = math.ceil(Decimal(r["ratio"]) * pools[r["pk"]])
        else:
            out[r["pk"]] = 0
    return out


def item_ratios(scope: Scope) -> list[dict[str, Any]]:
    """Per listed item covered by a drawn task: drawn ÷ candidates over those draws, against its minimum."""
    draws = list(
        Draw.objects.filter(state=DrawState.DRAWN, task__in=tasks(scope, department=False).values("pk")).values(
            "task_id", "pool_size", "selected"
        )
    )
    by_task = {d["task_id"]: {**d, "n": d["selected"]} for d in draws}
    through = Task.items.through
    links = through.objects.filter(task_id__in=list(by_task)).values_list("task_id", "itemversion__item_id")
    drawn: dict[int, int] = defaultdict(int)
    pool: dict[int, int] = defaultdict(int)
    for task_id, item_id in links:
        drawn[item_id] += by_task[task_id]["n"]
        pool[item_id] += by_task[task_id]["pool_size"]
    items = list(
        listed_items(scope).filter(pk__in=list(drawn)).order_by("code").values("pk", "code", "department__name")
    )
    published = {
        v["item_id"]: v
        for v in ItemVersion.objects.filter(
            item_id__in=[i["pk"] for i in items], status=VersionStatus.PUBLISHED
        ).values("item_id", "name", "ratio_min")
    }
    out = []
    for item in items:
        pk = item["pk"]
        version = published.get(pk)
        minimum = version["ratio_min"] if version else Decimal("0.05")
        achieved = Decimal(drawn[pk]) / pool[pk] if pool[pk] else Decimal(0)
        out.append(
            {
                "item_id": pk,
                "code": item["code"],
                "name": version["name"] if version else item["code"],
                "department": item["department__name"],
                "drawn": drawn[pk],
                "candidates": pool[pk],
                "achieved": float(round(achieved, 4)),
                "minimum": float(minimum),
                "meets_minimum": achieved >= minimum,
            }
        )
    return out


# --- the dashboard's metrics -----------------------------------------------------------------------


@dataclass(frozen=True)
class Metric:
    key: str
    label: Any
    kind: str  # what the drill-down lists: records, selections, items, targets, inspectors, tasks, lines
    queryset: Callable[[Scope], QuerySet]


METRICS: dict[str, Metric] = {
    m.key: m
    for m in [
        Metric("items_listed", _("Listed items"), "items", listed_items),
        Metric("items_covered", _("Items covered by a drawn task"), "items", covered_items),
        Metric("items_uncovered", _("Items not yet covered"), "items", uncovered_items),
        Metric("plan_lines", _("Plan lines led"), "lines", lambda s: plan_lines(s, lead_only=True)),
        Metric("tasks", _("Tasks"), "tasks", tasks),
        Metric("joint_tasks", _("Joint tasks"), "tasks", joint_tasks),
        Metric("drawn", _("Drawn targets"), "selections", selections),
        Metric("checked", _("Checks done"), "records", checked),
        Metric("published", _("Checks published (complete)"), "records", published),
        Metric("not_complete", _("Drawn targets not complete"), "selections", not_complete),
        Metric("joint_checks", _("Checks in joint tasks"), "records", joint_checks),
        Metric("problems", _("Checks that found a problem"), "records", problems),
        Metric("published_late", _("Published after the deadline"), "records", published_late),
        Metric("overdue", _("Not published, deadline passed"), "records", overdue_unpublished),
        Metric("inspectors", _("Inspectors in the directory"), "inspectors", entered_inspectors),
        Metric("multi_firms", _("Firms checked by two or more departments"), "targets", multi_department_firms),
    ]
}


def _rate(part: int, whole: int) -> float | None:
    return None if not whole else round(part / whole, 4)


def task_figures(scope: Scope, today: dt.date | None = None) -> dict[int, dict[str, int]]:
    """Per task of the scope: the record and selection metrics, in a few grouped counts.

    The filters are those of the metric querysets (``checked``, ``published``, ``problems`` …); the
    dashboard's totals and its per-department chart are sums of these rows.
    """
    today = today or timezone.localdate()
    out: dict[int, dict[str, int]] = defaultdict(
        lambda: (
            dict.fromkeys(("checked", "published", "problems", "published_late", "overdue", "drawn"), 0)
            | {"not_complete": 0}
        )
    )
    # One grouped count that the index (task, state, published_late, publish_deadline) answers alone,
    # in its own order: per task, state and lateness, the records and those past their deadline.
    grouped = (
        records(scope)
        .order_by()
        .values_list("task_id", "state", "published_late")
        .annotate(n=Count("pk"), past=Count("pk", filter=Q(publish_deadline__lt=today)))
    )
    for task_id, state, late, n, past in grouped:
        row = out[task_id]
        if state in CHECKED_STATES:
            row["checked"] += n
            if state == RecordState.PUBLISHED:
                row["published"] += n
                if late:
                    row["published_late"] += n
            else:
                row["overdue"] += past
    # Problems: from the results side (a scan of the problem results, not one subquery per record).
    rows = (
        Result.objects.filter(
            category__in=list(PROBLEM_CATEGORIES),
            superseded_by__isnull=True,
            record__state=RecordState.PUBLISHED,
            record__task__in=tasks(scope).values("pk"),
        )
        .order_by()
        .values("record__task_id")
        .annotate(problems=Count("record_id", distinct=True))
    )
    for row in rows:
        out[row.pop("record__task_id")].update(row)
    # A record exists only for a drawn target of the task's live draw (records are entered against the
    # live selection, and a draw with records cannot be voided), one per visit; so the drawn targets
    # without a published record are the drawn ones less the published records.
    # Drawn targets: the number of selections each live draw wrote at its ceremony (``Draw.selected``).
    live = Draw.objects.filter(state=DrawState.DRAWN, task__in=tasks(scope).values("pk"))
    for task_id, n in live.values_list("task_id", "selected"):
        out[task_id]["drawn"] += n
    for row in out.values():
        row["not_complete"] = row["drawn"] - row["published"]
    return dict(out)


def _fast_counts(scope: Scope, per_task: dict[int, dict[str, int]] | None = None) -> dict[str, int]:
    per_task = per_task if per_task is not None else task_figures(scope)
    joint_ids = set(joint_tasks(scope).values_list("pk", flat=True))
    keys = ("checked", "published", "problems", "published_late", "overdue", "drawn", "not_complete")
    totals = {k: sum(row[k] for row in per_task.values()) for k in keys}
    totals["joint_checks"] = sum(row["checked"] for task_id, row in per_task.items() if task_id in joint_ids)
    return totals


FAST = frozenset({"checked", "published", "problems", "published_late", "overdue", "joint_checks", "drawn"})
FAST |= {"not_complete"}


#: Serve a snapshot that is no longer current for at most this long while a new one is computed.
STALE_SECONDS = 3600
#: A queued refresh that has not finished after this long may be queued again.
REFRESH_RETRY = dt.timedelta(minutes=10)
REFRESH_JOB = "oversight.refresh_figures"
DEFAULTS_JOB = "oversight.refresh_default_figures"


def scope_key(scope: Scope) -> str:
    dept = scope.department.pk if scope.department else 0
    return f"{scope.organisation.pk}:{dept}:{scope.date_from}:{scope.date_to}"


def indicators(scope: Scope, fresh: bool = False) -> dict[str, Any]:
    """Every dashboard number for the scope (each equals the count of its drill-down list).

    The figures are kept as a :class:`~oversight.models.FigureSnapshot` per scope. A snapshot
    is *current* while the audit chain's head (any audited write anywhere moves it) and the
    day are those it was computed at, and is then served as it is. One that is no longer
    current but younger than ``SUIJI_OVERSIGHT_STALE_SECONDS`` (3600 by default) is served
    marked ``stale`` with its time, and a background job (``oversight.refresh_figures``,
    queued once) computes the new one; older than that, or with ``fresh=True``, or with the
    setting at 0, the figures are computed in the request. The returned dict carries
    ``computed_at``, ``compute_seconds`` and ``freshness`` (``computed``, ``current`` or
    ``stale``).
    """
    from core.models import AuditHead
    from oversight.models import FigureSnapshot

    head = AuditHead.objects.filter(id=1).values_list("seq", "entry_hash").first() or (0, "")
    today = timezone.localdate()
    key = scope_key(scope)
    if not fresh:
        snap = FigureSnapshot.objects.filter(key=key).first()
        if snap is not None:
            if (snap.audit_seq, snap.audit_hash, snap.day) == (head[0], head[1], today):
                return _served(snap, "current")
            limit = getattr(settings, "SUIJI_OVERSIGHT_STALE_SECONDS", STALE_SECONDS)
            if limit and snap.day == today and timezone.now() - snap.computed_at <= dt.timedelta(seconds=limit):
                _queue_refresh(snap, scope)
                return _served(snap, "stale")
    return _served(refresh(scope, head), "computed")


def refresh(scope: Scope, head: tuple[int, str] | None = None) -> Any:
    """Compute the scope's figures and store them as its snapshot; returns the snapshot."""
    from core.models import AuditHead
    from oversight.models import FigureSnapshot

    if head is None:
        head = AuditHead.objects.filter(id=1).values_list("seq", "entry_hash").first() or (0, "")
    started = time.perf_counter()
    data = _indicators(scope)
    snap, _created = FigureSnapshot.objects.update_or_create(
        key=scope_key(scope),
        defaults={
            "organisation": scope.organisation,
            "audit_seq": head[0],
            "audit_hash": head[1],
            "day": timezone.localdate(),
            "computed_at": data["computed_at"],
            "seconds": round(time.perf_counter() - started, 3),
            "data": data,
            "refresh_queued_at": None,
        },
    )
    return snap


def _served(snap: Any, freshness: str) -> dict[str, Any]:
    data = dict(snap.data)
    data["computed_at"] = snap.computed_at
    data["compute_seconds"] = snap.seconds
    data["freshness"] = freshness
    return data


def _queue_refresh(snap: Any, scope: Scope) -> None:
    """Queue one refresh job for the snapshot (not again while one is pending, unless it is lost)."""
    from jobs.models import Job
    from oversight.models import FigureSnapshot

    now = timezone.now()
    pending = Q(refresh_queued_at__isnull=True) | Q(refresh_queued_at__lt=now - REFRESH_RETRY)
    if not FigureSnapshot.objects.filter(pk=snap.pk).filter(pending).update(refresh_queued_at=now):
        return
    Job.objects.create(
        kind=REFRESH_JOB,
        organisation=scope.organisation,
        params={
            "organisation": scope.organisation.pk,
            "department": scope.department.pk if scope.department else None,
            "date_from": scope.date_from.isoformat(),
            "date_to": scope.date_to.isoformat(),
        },
    )


def default_scopes(year: int | None = None) -> list[Scope]:
    """The scope each organisation's dashboard opens on: the whole organisation, the whole year."""
    year = year or timezone.localdate().year
    return [
        Scope(org, None, dt.date(year, 1, 1), dt.date(year, 12, 31)) for org in Organisation.objects.order_by("path")
    ]


def refresh_defaults(year: int | None = None, progress: Callable[[int, int], None] | None = None) -> int:
    """Compute the default scope of every organisation (run early each day, so the first view is served)."""
    scopes = default_scopes(year)
    for done, scope in enumerate(scopes, start=1):
        refresh(scope)
        if progress:
            progress(done, len(scopes))
    return len(scopes)


def scope_from_params(params: dict[str, Any]) -> Scope:
    """The scope a refresh job was queued for."""
    organisation = Organisation.objects.get(pk=params["organisation"])
    department = Department.objects.get(pk=params["department"]) if params.get("department") else None
    return Scope(
        organisation,
        department,
        dt.date.fromisoformat(params["date_from"]),
        dt.date.fromisoformat(params["date_to"]),
    )


def _in_own_thread(fn: Callable[[Scope], int], scope: Scope) -> int:
    try:
        return fn(scope)
    finally:
        connections.close_all()  # this thread's own connections


def _beside(fn: Callable[[Scope], int], scope: Scope) -> Callable[[], int]:
    """Start ``fn(scope)`` in a second thread with its own database connection; returns its result getter.

    Used for the largest single figure (firms checked by two or more departments) so that the database
    computes it while this thread computes the rest. Inside a transaction (tests, or a caller's
    ``atomic`` block) another connection would not see its uncommitted rows, so it then runs here.
    """
    if connection.in_atomic_block or not getattr(settings, "SUIJI_OVERSIGHT_THREADS", True):
        value = fn(scope)
        return lambda: value
    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="oversight")
    future = pool.submit(_in_own_thread, fn, scope)
    pool.shutdown(wait=False)
    return future.result


def _indicators(scope: Scope) -> dict[str, Any]:
    multi = _beside(multi_department_count, scope)
    per_task = task_figures(scope)
    counts = _fast_counts(scope, per_task)
    for key, m in METRICS.items():
        if key not in FAST and key not in ("items_uncovered", "multi_firms"):
            counts[key] = m.queryset(scope).count()
    counts["multi_firms"] = multi()
    # The covered items are a subset of the listed ones (see ``uncovered_items``).
    counts["items_uncovered"] = counts["items_listed"] - counts["items_covered"]
    counts = {key: counts[key] for key in METRICS}
    planned = sum(planned_targets(scope).values())
    staff = declared_staff(scope)
    on_time = counts["published"] - counts["published_late"]
    return {
        "counts": counts,
        "planned_targets": planned,
        "declared_staff": staff,
        "rates": {
            "coverage": _rate(counts["items_covered"], counts["items_listed"]),
            "completion": _rate(counts["published"], counts["drawn"]),
            "joint_share": _rate(counts["joint_checks"], counts["checked"]),
            "problem_rate": _rate(counts["problems"], counts["published"]),
            "timeliness": _rate(on_time, counts["published"]),
            "entry_rate": _rate(counts["inspectors"], staff),
        },
        "item_ratios": item_ratios(scope),
        "departments": department_breakdown(scope, per_task),
        "computed_at": timezone.now(),
    }


def department_breakdown(scope: Scope, per_task: dict[int, dict[str, int]] | None = None) -> list[dict[str, Any]]:
    """Per lead department of the subtree: drawn, checked, published (for the dashboard's chart)."""
    per_task = per_task if per_task is not None else task_figures(scope)
    dept_of = dict(Task.objects.filter(pk__in=list(per_task)).values_list("pk", "department_id"))
    sums: dict[int, dict[str, int]] = defaultdict(lambda: {"drawn": 0, "checked": 0, "published": 0})
    for task_id, row in per_task.items():
        for k in ("drawn", "checked", "published"):
            sums[dept_of[task_id]][k] += row[k]
    names = dict(Department.objects.filter(pk__in=list(sums)).values_list("pk", "name"))
    return [
        {"department_id": d, "department": names.get(d, ""), **sums[d]}
        for d in sorted(sums, key=lambda i: names.get(i, ""))
    ]


def _group(qs: QuerySet, field: str, distinct: str | None = None) -> dict[Any, int]:
    agg = Count(distinct, distinct=True) if distinct else Count("pk")
    return {row[field]: row["n"] for row in qs.order_by().values(field).annotate(n=agg)}
