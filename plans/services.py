"""Drafting, approving, publishing and adjusting annual plans.

``check_*`` functions validate and raise :class:`PlanError`; ``do_*`` functions
change the database, each in one transaction, and record state transitions in
the audit trail.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from accounts.permissions import has_perm
from catalog.models import RATIO_FLOOR, Category, ItemVersion, VersionStatus
from core import audit
from core.errors import Refused
from core.models import AuditAction
from orgs.models import Department
from plans.models import LineKind, Plan, PlanLine, PlanSettings, PlanStatus
from workcal.calendar import add_working_days

REPUBLISH_WORKING_DAYS = 10
DEFAULT_FILING = (1, 15)


class PlanError(Refused):
    """A refused action of annual plans."""

    @property
    def message(self) -> str:
        lang = translation.get_language() or "zh-hans"
        return self.message_en if lang.startswith("en") else self.message_zh


def _refuse(code: str, message: Any, status: int = 422) -> PlanError:
    with translation.override("zh-hans"):
        zh = str(message)
    with translation.override("en"):
        en = str(message)
    return PlanError(code, zh, en, status)


@dataclass
class LineData:
    name: str
    window_start: dt.date
    window_end: dt.date
    lead_department: int
    items: list[int]
    kind: str = LineKind.UNDIRECTED
    objects_text: str = ""
    scope: dict[str, Any] = field(default_factory=dict)
    ratio: str | Decimal | None = None
    count: int | None = None
    method: str = ""
    departments: list[int] = field(default_factory=list)


# --- reading ----------------------------------------------------------------------------------


def filing_deadline(organisation: Any, year: int) -> dt.date:
    settings = PlanSettings.objects.filter(organisation=organisation).first()
    if settings is None:
        settings = PlanSettings(organisation=organisation, filing_month=DEFAULT_FILING[0], filing_day=DEFAULT_FILING[1])
    return settings.deadline(year)


def overdue(plan: Plan, today: dt.date | None = None) -> bool:
    """A version not yet published after its deadline: re-publication for an adjustment, filing for the first."""
    if plan.status not in (PlanStatus.DRAFT, PlanStatus.APPROVED):
        return False
    today = today or timezone.localdate()
    if plan.republish_deadline is not None:
        return today > plan.republish_deadline
    return today > filing_deadline(plan.organisation, plan.year)


def published_plans(organisation: Any = None) -> QuerySet[Plan]:
    """Published and superseded versions (the public record), optionally of one organisation and those below."""
    qs = Plan.objects.filter(status__in=[PlanStatus.PUBLISHED, PlanStatus.SUPERSEDED]).select_related("organisation")
    if organisation is not None:
        qs = qs.filter(organisation__path__startswith=organisation.path)
    return qs.order_by("organisation__path", "-year", "-number")


# --- creating ---------------------------------------------------------------------------------


def check_create(actor: Any, organisation: Any, year: int) -> None:
    if organisation is None:
        raise _refuse("no_organisation", _("You do not belong to an organisation."), 403)
    if not 2000 <= int(year) <= 2100:
        raise _refuse("bad_year", _("The year is not valid."))
    if Plan.objects.filter(organisation=organisation, year=year).exists():
        raise _refuse("plan_exists", _("This year already has a plan; adjust the published version instead."), 409)


def do_create_plan(actor: Any, organisation: Any, year: int, title: str = "") -> Plan:
    with transaction.atomic():
        check_create(actor, organisation, year)
        plan = Plan.objects.create(
            organisation=organisation, year=year, number=1, title=title.strip()[:200], created_by=actor
        )
    return plan


# --- lines ------------------------------------------------------------------------------------


def _ratio(value: Any) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        ratio = Decimal(str(value).strip()).quantize(Decimal("0.0001"))
    except (InvalidOperation, ValueError):
        raise _refuse("bad_ratio", _("The sampling ratio must be a decimal such as 0.05."))
    return ratio


def check_line(plan: Plan, data: LineData, today: dt.date | None = None) -> dict[str, Any]:
    """Validate a line for a draft plan; returns the cleaned values."""
    from draws.services import WorkflowError, check_scope

    if plan.status != PlanStatus.DRAFT:
        raise _refuse("not_draft", _("Only a draft plan can be changed."), 409)
    name = (data.name or "").strip()
    if not name:
        raise _refuse("no_name", _("A plan line needs a name."))
    if data.kind not in LineKind.values:
        raise _refuse("bad_kind", _("Unknown kind of draw."))
    try:
        scope = check_scope(data.scope or {})
    except WorkflowError as exc:
        raise PlanError(exc.code, exc.message_zh, exc.message_en, 422)
    if data.kind == LineKind.UNDIRECTED and any(scope.get(k) not in (None, [], "") for k in scope):
        raise _refuse("bad_scope", _("An undirected line has no scope conditions."))
    if data.kind == LineKind.DIRECTED and not any(scope.get(k) not in (None, [], "") for k in scope):
        raise _refuse("bad_scope", _("A directed line needs at least one scope condition."))
    today = today or timezone.localdate()
    if data.window_end < data.window_start:
        raise _refuse("bad_window", _("The time window ends before it starts."))
    if data.window_end < today:
        raise _refuse("past_window", _("The time window has already ended."))
    ratio = _ratio(data.ratio)
    count = data.count
    if ratio is None and not count:
        raise _refuse("no_ratio", _("Give a sampling ratio or a number of targets."))
    if count is not None and count < 1:
        raise _refuse("bad_count", _("The number of targets must be positive."))
    if ratio is not None and ratio < RATIO_FLOOR:
        raise _refuse("ratio_too_low", _("The sampling ratio may not be below 5%."))
    if ratio is not None and ratio > 1:
        raise _refuse("ratio_too_high", _("The sampling ratio may not exceed 100%."))
    ids = sorted({int(i) for i in data.items})
    if not ids:
        raise _refuse("no_items", _("A plan line needs at least one inspection item."))
    versions = list(ItemVersion.objects.filter(pk__in=ids).select_related("item__organisation"))
    path = plan.organisation.path
    if len(versions) != len(ids) or any(not path.startswith(v.item.organisation.path) for v in versions):
        raise _refuse("unknown_item", _("An inspection item was not found."), 404)
    if any(v.status != VersionStatus.PUBLISHED for v in versions):
        raise _refuse("item_not_published", _("Only published inspection items may be planned."))
    for v in versions:
        if ratio is not None and v.category == Category.GENERAL and v.ratio_max is not None and ratio > v.ratio_max:
            raise _refuse(
                "ratio_above_item_limit",
                _("The sampling ratio exceeds the upper limit of the general item %(name)s.") % {"name": v.name},
            )
    depts = Department.objects.filter(organisation=plan.organisation)
    lead = depts.filter(pk=data.lead_department).first()
    if lead is None:
        raise _refuse("unknown_department", _("The lead department was not found."), 404)
    dept_ids = sorted({int(d) for d in data.departments} - {lead.pk})
    participants = list(depts.filter(pk__in=dept_ids))
    if len(participants) != len(dept_ids):
        raise _refuse("unknown_department", _("A participating department was not found."), 404)
    return {
        "name": name[:200],
        "kind": data.kind,
        "objects_text": (data.objects_text or "").strip()[:300],
        "scope": scope,
        "ratio": ratio,
        "count": count,
        "method": (data.method or "").strip()[:300],
        "window_start": data.window_start,
        "window_end": data.window_end,
        "lead_department": lead,
        "_items": versions,
        "_departments": participants,
    }


def _save_line(line: PlanLine, values: dict[str, Any]) -> PlanLine:
    items = values.pop("_items")
    departments = values.pop("_departments")
    for key, value in values.items():
        setattr(line, key, value)
    line.save()
    line.items.set(items)
    line.departments.set(departments)
    return line


def do_add_line(actor: Any, plan: Plan, data: LineData) -> PlanLine:
    with transaction.atomic():
        plan = Plan.objects.select_for_update().select_related("organisation").get(pk=plan.pk)
        values = check_line(plan, data)
        order = (plan.lines.order_by("-order").values_list("order", flat=True).first() or 0) + 1
        return _save_line(PlanLine(plan=plan, order=order), values)


def do_edit_line(actor: Any, line: PlanLine, data: LineData) -> PlanLine:
    with transaction.atomic():
        plan = Plan.objects.select_for_update().select_related("organisation").get(pk=line.plan_id)
        line = PlanLine.objects.get(pk=line.pk)
        return _save_line(line, check_line(plan, data))


# --- transitions ------------------------------------------------------------------------------


def _transition(actor: Any, plan: Plan, before: str, after: dict[str, Any], reason: str = "") -> None:
    audit.record(
        AuditAction.TRANSITION,
        plan,
        before={"status": before},
        after={k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in after.items()},
        reason=reason,
        actor=actor,
    )


def check_approve(actor: Any, plan: Plan) -> None:
    if not has_perm(actor, "approve"):
        raise _refuse("forbidden", _("You may not approve plans."), 403)
    if plan.status != PlanStatus.DRAFT:
        raise _refuse("not_draft", _("Only a draft plan can be approved."), 409)
    if plan.created_by_id is not None and plan.created_by_id == getattr(actor, "pk", None):
        raise _refuse("own_plan", _("The person who drafted a plan may not approve it."), 403)
    if not plan.lines.exists():
        raise _refuse("no_lines", _("A plan needs at least one line before approval."))


def do_approve(actor: Any, plan: Plan) -> Plan:
    with transaction.atomic():
        plan = Plan.objects.select_for_update().get(pk=plan.pk)
        check_approve(actor, plan)
        plan.status = PlanStatus.APPROVED
        plan.approved_by = actor
        plan.approved_at = timezone.now()
        plan.save(update_fields=["status", "approved_by", "approved_at"])
        _transition(actor, plan, PlanStatus.DRAFT, {"status": plan.status, "approved_at": plan.approved_at})
    return plan


def check_publish(actor: Any, plan: Plan) -> None:
    if plan.status != PlanStatus.APPROVED:
        raise _refuse("not_approved", _("Only an approved plan can be published."), 409)


def do_publish(actor: Any, plan: Plan) -> Plan:
    with transaction.atomic():
        plan = Plan.objects.select_for_update().get(pk=plan.pk)
        check_publish(actor, plan)
        previous = (
            Plan.objects.select_for_update()
            .filter(organisation_id=plan.organisation_id, year=plan.year, status=PlanStatus.PUBLISHED)
            .first()
        )
        if previous is not None:
            previous.status = PlanStatus.SUPERSEDED
            previous.save(update_fields=["status"])
            _transition(actor, previous, PlanStatus.PUBLISHED, {"status": previous.status})
        plan.status = PlanStatus.PUBLISHED
        plan.published_at = timezone.now()
        plan.save(update_fields=["status", "published_at"])
        _transition(actor, plan, PlanStatus.APPROVED, {"status": plan.status, "published_at": plan.published_at})
    return plan


def check_adjust(actor: Any, plan: Plan, reason: str) -> None:
    if plan.status != PlanStatus.PUBLISHED:
        raise _refuse("not_published", _("Only the published version can be adjusted."), 409)
    if not (reason or "").strip():
        raise _refuse("no_reason", _("Give the reason for the adjustment."))
    pending = Plan.objects.filter(
        organisation_id=plan.organisation_id, year=plan.year, status__in=[PlanStatus.DRAFT, PlanStatus.APPROVED]
    )
    if pending.exists():
        raise _refuse("adjustment_pending", _("An adjustment of this plan is already in progress."), 409)


def do_adjust(actor: Any, plan: Plan, reason: str, today: dt.date | None = None) -> Plan:
    """Copy the published version and its lines into a new draft, due for re-publication in 10 working days."""
    today = today or timezone.localdate()
    with transaction.atomic():
        plan = Plan.objects.select_for_update().get(pk=plan.pk)
        check_adjust(actor, plan, reason)
        number = Plan.objects.filter(organisation_id=plan.organisation_id, year=plan.year).count() + 1
        draft = Plan.objects.create(
            organisation_id=plan.organisation_id,
            year=plan.year,
            number=number,
            title=plan.title,
            reason=reason.strip()[:300],
            created_by=actor,
            republish_deadline=add_working_days(today, REPUBLISH_WORKING_DAYS),
        )
        for line in plan.lines.prefetch_related("items", "departments"):
            copy = PlanLine.objects.create(
                plan=draft,
                order=line.order,
                name=line.name,
                kind=line.kind,
                objects_text=line.objects_text,
                scope=line.scope,
                ratio=line.ratio,
                count=line.count,
                method=line.method,
                window_start=line.window_start,
                window_end=line.window_end,
                lead_department_id=line.lead_department_id,
            )
            copy.items.set(line.items.all())
            copy.departments.set(line.departments.all())
        audit.record(
            AuditAction.TRANSITION,
            draft,
            before={"from_version": plan.number},
            after={"status": draft.status, "republish_deadline": draft.republish_deadline.isoformat()},
            reason=draft.reason,
            actor=actor,
        )
    return draft
