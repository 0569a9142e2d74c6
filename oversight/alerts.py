"""Deadline alerts: one function, :func:`alerts_for`, behind the home page panel, the list page and the e-mails.

An alert is a dict ``{key, kind, text, due, overdue, url}``; ``key`` names the
thing and the deadline so that :func:`send_alerts` sends each alert to a user
at most once a day (``AlertSent``).
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from django.apps import apps
from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import Count, Exists, Min, OuterRef, Q
from django.urls import NoReverseMatch, reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.permissions import has_perm, visible_path
from draws.models import Draw, DrawState, ParticipantState, Task, TaskParticipant, TaskState
from inspections.models import FollowUp, FollowUpState, Record, RecordState
from orgs.models import Organisation
from plans.models import Plan, PlanStatus
from plans.services import filing_deadline
from workcal.calendar import add_working_days, current

log = logging.getLogger("suiji.oversight")

PLAN_LEAD_DAYS = 30  # calendar days before the filing deadline
LEAD_WORKING_DAYS = 3  # working days before the other deadlines
SUMMARY_WORKING_DAYS = 10  # 004 三(三): the summary within 10 working days after the task ends
KIND_LABELS = {
    "plan_filing": gettext_lazy("Plan filing"),
    "plan_republish": gettext_lazy("Plan re-publication"),
    "claim": gettext_lazy("Claim"),
    "entry": gettext_lazy("Result entry"),
    "publication": gettext_lazy("Publication"),
    "follow_up": gettext_lazy("Follow-up"),
    "summary": gettext_lazy("Task summary"),
}


def _alert(key: str, kind: str, text: str, due: dt.date, today: dt.date, url: str) -> dict[str, Any]:
    overdue = today > due
    prefix = _("Overdue") if overdue else _("Due")
    return {
        "key": f"{key}:{due.isoformat()}",
        "kind": kind,
        "kind_label": str(KIND_LABELS.get(kind, kind)),
        "text": f"{prefix} {due:%Y-%m-%d} · {text}",
        "due": due,
        "overdue": overdue,
        "url": url,
    }


def _orgs(user: Any) -> Any:
    path = visible_path(user)
    if path is None:
        return Organisation.objects.none()
    return Organisation.objects.filter(path__startswith=path)


def _tasks(user: Any) -> Any:
    path = visible_path(user)
    if path is None:
        return Task.objects.none()
    qs = Task.objects.filter(organisation__path__startswith=path).exclude(state=TaskState.DRAFT)
    org_wide = any(has_perm(user, p) for p in ("draws.organise", "approve", "audit.view", "plans.manage"))
    if not org_wide and not user.is_superuser and user.department_id:
        joined = TaskParticipant.objects.filter(
            task=OuterRef("pk"), department_id=user.department_id, state=ParticipantState.ACCEPTED
        )
        qs = qs.filter(Q(department_id=user.department_id) | Exists(joined))
    return qs


def plan_alerts(user: Any, today: dt.date) -> list[dict[str, Any]]:
    out = []
    orgs = list(_orgs(user).filter(is_active=True).order_by("path")[:200])
    published = set(
        Plan.objects.filter(
            organisation__in=orgs, status__in=[PlanStatus.PUBLISHED, PlanStatus.SUPERSEDED]
        ).values_list("organisation_id", "year")
    )
    for org in orgs:
        for year in (today.year, today.year + 1):
            if (org.pk, year) in published:
                continue
            due = filing_deadline(org, year)
            if today >= due - dt.timedelta(days=PLAN_LEAD_DAYS) and today <= dt.date(year, 12, 31):
                text = _("%(org)s: publish and file the %(year)s annual plan") % {"org": org.name, "year": year}
                out.append(_alert(f"plan-filing:{org.pk}:{year}", "plan_filing", text, due, today, reverse("plans")))
    for plan in Plan.objects.filter(
        organisation__in=orgs, status__in=[PlanStatus.DRAFT, PlanStatus.APPROVED], republish_deadline__isnull=False
    ).select_related("organisation"):
        text = _("%(org)s: re-publish the adjusted %(year)s plan (version %(n)s)") % {
            "org": plan.organisation.name,
            "year": plan.year,
            "n": plan.number,
        }
        url = reverse("plan-detail", args=[plan.pk])
        out.append(_alert(f"plan-republish:{plan.pk}", "plan_republish", text, plan.republish_deadline, today, url))
    return out


def claim_alerts(user: Any, today: dt.date) -> list[dict[str, Any]]:
    """Claims (认领/确认) of the assignments app, when it is installed.

    Uses ``assignments.services.claim_deadlines(user, today)`` (dicts with key, text, due, url) if the app
    provides it, else its ``confirmations_for(user)``: unconfirmed shares with their ``deadline``.
    """
    if not apps.is_installed("assignments"):
        return []
    try:
        from assignments import services as assignment_services  # type: ignore[import-not-found]
    except ImportError:
        return []
    out = []
    try:
        provider = getattr(assignment_services, "claim_deadlines", None)
        if callable(provider):
            for row in provider(user, today) or []:
                out.append(
                    _alert(f"claim:{row['key']}", "claim", str(row["text"]), row["due"], today, row.get("url", ""))
                )
            return out
        confirmations_for = getattr(assignment_services, "confirmations_for", None)
        if not callable(confirmations_for):
            return []
        latest_only = getattr(assignment_services, "latest_only", lambda rows: rows)
        try:
            url = reverse("assignment-confirmations")
        except NoReverseMatch:
            url = ""
        horizon = add_working_days(today, LEAD_WORKING_DAYS)
        for c in latest_only(confirmations_for(user)):
            if getattr(c, "confirmed_at", None) is not None or c.deadline > horizon:
                continue
            text = _("%(task)s: confirm the share of %(dept)s") % {"task": c.run.task.name, "dept": c.department.name}
            out.append(_alert(f"claim:{c.pk}", "claim", text, c.deadline, today, url))
    except Exception:  # noqa: BLE001 - a neighbour's data must not break the home page
        log.exception("claim deadlines failed")
        return []
    return out


def entry_alerts(user: Any, today: dt.date) -> list[dict[str, Any]]:
    """Drawn targets not yet checked (no submitted record) when the task's window closes soon or has closed."""
    horizon = add_working_days(today, LEAD_WORKING_DAYS)
    tasks = _tasks(user).filter(window_end__isnull=False, window_end__lte=horizon, state=TaskState.DRAWN)
    # A record exists only for a drawn target of the task's live draw, one per visit (a draw with
    # records cannot be voided), so the targets not yet checked are the drawn ones less the checked
    # records: two grouped counts instead of one subquery per drawn target.
    checked = dict(
        Record.objects.filter(
            task__in=tasks.values("pk"),
            state__in=[RecordState.SUBMITTED, RecordState.APPROVED, RecordState.PUBLISHED],
        )
        .order_by()
        .values("task_id")
        .annotate(n=Count("pk"))
        .values_list("task_id", "n")
    )
    # Drawn targets per live draw: the number its ceremony wrote (``Draw.selected``).
    live = Draw.objects.filter(state=DrawState.DRAWN, task__in=tasks.values("pk"), selected__gt=0)
    rows = [
        {"draw__task_id": task_id, "draw__task__name": name, "draw__task__window_end": end, "n": n}
        for task_id, name, end, n in live.values_list("task_id", "task__name", "task__window_end", "selected")
    ]
    out = []
    for row in sorted(rows, key=lambda r: (r["draw__task__window_end"], r["draw__task_id"])):
        due = row["draw__task__window_end"]
        missing = row["n"] - checked.get(row["draw__task_id"], 0)
        if missing <= 0:
            continue
        text = _("%(task)s: %(n)s checks not entered") % {"task": row["draw__task__name"], "n": missing}
        url = reverse("inspection-task", args=[row["draw__task_id"]])
        out.append(_alert(f"entry:{row['draw__task_id']}", "entry", text, due, today, url))
    return out


def publication_alerts(user: Any, today: dt.date) -> list[dict[str, Any]]:
    """Checks done but not published whose publication deadline is near or past, per task."""
    horizon = add_working_days(today, LEAD_WORKING_DAYS)
    rows = (
        Record.objects.filter(
            task__in=_tasks(user).values("pk"),
            state__in=[RecordState.SUBMITTED, RecordState.APPROVED],
            publish_deadline__lte=horizon,
        )
        .values("task_id", "task__name")
        .annotate(n=Count("pk"), due=Min("publish_deadline"))
    )
    out = []
    for row in rows:
        text = _("%(task)s: %(n)s results to publish") % {"task": row["task__name"], "n": row["n"]}
        url = reverse("inspection-publication")
        out.append(_alert(f"publication:{row['task_id']}", "publication", text, row["due"], today, url))
    return out


def follow_up_alerts(user: Any, today: dt.date) -> list[dict[str, Any]]:
    path = visible_path(user)
    if path is None:
        return []
    horizon = add_working_days(today, LEAD_WORKING_DAYS)
    qs = FollowUp.objects.filter(
        Q(organisation__path__startswith=path) | Q(owner__path__startswith=path),
        state=FollowUpState.OPEN,
        deadline__lte=horizon,
    ).select_related("result__target")
    out = []
    for fu in qs.order_by("deadline", "pk")[:200]:
        text = _("Follow-up of %(firm)s: %(kind)s") % {"firm": fu.result.target.name, "kind": fu.get_kind_display()}
        out.append(
            _alert(f"follow-up:{fu.pk}", "follow_up", text, fu.deadline, today, reverse("inspection-follow-ups"))
        )
    return out


def summary_alerts(user: Any, today: dt.date) -> list[dict[str, Any]]:
    from oversight.models import SummaryState, TaskSummary

    filed = TaskSummary.objects.filter(task=OuterRef("pk"), state=SummaryState.FILED)
    tasks = (
        _tasks(user)
        .filter(window_end__isnull=False, window_end__lt=today, state__in=[TaskState.DRAWN, TaskState.CLOSED])
        .exclude(Exists(filed))
    )
    out = []
    cal = current()  # one read of the calendar's overrides for every task
    horizon = cal.add_working_days(today, LEAD_WORKING_DAYS)
    for task in tasks.order_by("window_end", "pk")[:200]:
        due = cal.add_working_days(task.window_end, SUMMARY_WORKING_DAYS)
        if due > horizon:
            continue
        text = _("%(task)s: write and file the task summary") % {"task": task.name}
        out.append(
            _alert(f"summary:{task.pk}", "summary", text, due, today, reverse("oversight-summary", args=[task.pk]))
        )
    return out


def alerts_for(user: Any, today: dt.date | None = None) -> list[dict[str, Any]]:
    """Every deadline alert for this user, most urgent first."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return []
    today = today or timezone.localdate()
    out: list[dict[str, Any]] = []
    if has_perm(user, "plans.manage") or has_perm(user, "approve"):
        out += plan_alerts(user, today)
    out += claim_alerts(user, today)
    if any(has_perm(user, p) for p in ("checks.enter", "tasks.manage", "draws.organise")):
        out += entry_alerts(user, today)
    if has_perm(user, "approve") or has_perm(user, "draws.organise"):
        out += publication_alerts(user, today)
    if any(has_perm(user, p) for p in ("tasks.manage", "draws.organise", "approve")):
        out += follow_up_alerts(user, today)
    if has_perm(user, "draws.organise") or has_perm(user, "tasks.manage"):
        out += summary_alerts(user, today)
    out.sort(key=lambda a: (a["due"], a["key"]))
    return out


def register_panel() -> None:
    from web.navigation import register_pending

    register_pending("deadlines", gettext_lazy("Deadlines"), "orgs.view", lambda user: alerts_for(user)[:20])


# --- e-mail ------------------------------------------------------------------------------------


def email_enabled(organisation_id: int | None) -> bool:
    from oversight.models import AlertSettings

    return bool(
        organisation_id and AlertSettings.objects.filter(organisation_id=organisation_id, email_enabled=True).exists()
    )


def send_alerts(today: dt.date | None = None) -> dict[str, int]:
    """E-mail each user the alerts not yet sent to them today; only users with an address, organisations enabled."""
    from accounts.models import User
    from oversight.models import AlertSent, AlertSettings

    today = today or timezone.localdate()
    enabled = AlertSettings.objects.filter(email_enabled=True).values("organisation_id")
    users = User.objects.filter(is_active=True, organisation_id__in=enabled).exclude(email="").order_by("pk")
    sent_mails = sent_alerts = 0
    for user in users:
        alerts = alerts_for(user, today)
        seen = set(AlertSent.objects.filter(user=user, day=today).values_list("key", flat=True))
        fresh = [a for a in alerts if a["key"][:120] not in seen]
        if not fresh:
            continue
        with translation.override("zh-hans"):
            subject = _("Suiji: %(n)s deadline alerts") % {"n": len(fresh)}
            body = "\n".join(f"- [{a['kind_label']}] {a['text']}" for a in fresh)
        try:
            with transaction.atomic():
                for a in fresh:
                    AlertSent.objects.create(user=user, key=a["key"][:120], day=today)
                send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [user.email])
        except IntegrityError:
            continue  # another run sent them in the meantime
        sent_mails += 1
        sent_alerts += len(fresh)
    return {"emails": sent_mails, "alerts": sent_alerts}
