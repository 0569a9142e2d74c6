"""Who sees and who changes a plan."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from accounts.permissions import has_perm, restrict
from plans.models import Plan

READ_PERMS = ("plans.manage", "approve")


def may_read(user: Any) -> bool:
    return any(has_perm(user, p) for p in READ_PERMS)


def visible_plans(user: Any) -> QuerySet[Plan]:
    return restrict(Plan.objects.select_related("organisation", "created_by", "approved_by"), user)


def may_manage(user: Any, plan: Plan | None = None) -> bool:
    """Coordinators change the plans of their own organisation."""
    if not has_perm(user, "plans.manage"):
        return False
    if plan is None or user.is_superuser:
        return True
    return plan.organisation_id == user.organisation_id


def may_approve(user: Any, plan: Plan) -> bool:
    if not has_perm(user, "approve"):
        return False
    return user.is_superuser or plan.organisation_id == user.organisation_id
