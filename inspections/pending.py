"""The home page's pending-work panels of the inspection workflow (registered in ``apps.ready``)."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.permissions import has_perm
from inspections import services
from inspections.models import RecordState
from workcal.calendar import add_working_days

LIMIT = 20


def approvals(user: Any) -> list[dict[str, Any]]:
    """Records waiting for my approval (never those I entered myself), soonest deadline first."""
    if not has_perm(user, "approve"):
        return []
    records = (
        services.visible_records(user)
        .filter(state=RecordState.SUBMITTED)
        .exclude(entered_by=user)
        .order_by("publish_deadline", "pk")[:LIMIT]
    )
    return [
        {
            "text": _("%(target)s · %(task)s · publish by %(deadline)s")
            % {"target": r.target.name, "task": r.task.name, "deadline": r.publish_deadline or "—"},
            "url": reverse("inspection-record", args=[r.pk]),
        }
        for r in records
    ]


def publication(user: Any) -> list[dict[str, Any]]:
    """Results not yet published whose publication deadline is near (3 working days) or past."""
    if not services.can_publish(user):
        return []
    today = timezone.localdate()
    horizon = add_working_days(today, services.APPROACHING_DAYS)
    records = (
        services.visible_records(user)
        .filter(
            state__in=[RecordState.SUBMITTED, RecordState.APPROVED, RecordState.RETURNED],
            publish_deadline__lte=horizon,
        )
        .order_by("publish_deadline", "pk")[:LIMIT]
    )
    items = []
    for r in records:
        overdue = r.publish_deadline < today
        template = (
            _("%(target)s · %(task)s · overdue since %(deadline)s")
            if overdue
            else _("%(target)s · %(task)s · publish by %(deadline)s")
        )
        items.append(
            {
                "text": template % {"target": r.target.name, "task": r.task.name, "deadline": r.publish_deadline},
                "url": reverse("inspection-record", args=[r.pk]),
            }
        )
    return items


def register() -> None:
    from django.utils.translation import gettext_lazy

    from web.navigation import register_pending

    register_pending("approvals", gettext_lazy("Waiting for my approval"), "approve", approvals)
    register_pending("publication", gettext_lazy("Results due for publication"), "approve", publication)
