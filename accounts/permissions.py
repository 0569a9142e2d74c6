"""Who may do what, and which rows they may see.

Every page and API endpoint asks :func:`has_perm` for an action and scopes its
rows with :func:`restrict`; the permission-matrix tests walk every role
through every page and endpoint against this table.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.db.models import Model, QuerySet

from accounts.models import Role

# Permissions, by role. A permission is a plain string; roles add up.
ROLE_PERMISSIONS: dict[str, frozenset[str]] = {
    Role.ADMINISTRATOR: frozenset(
        {
            "orgs.view",
            "orgs.manage",
            "users.manage",
            "calendar.manage",
            "refdata.manage",
            "audit.view",
            "admin.site",
            "directory.view",
        }
    ),
    Role.COORDINATOR: frozenset(
        {
            "orgs.view",
            "directory.view",
            "directory.manage",
            "catalog.manage",
            "plans.manage",
            "draws.organise",
            "tasks.manage",
            "oversight.view",
        }
    ),
    Role.ORGANISER: frozenset({"orgs.view", "directory.view", "tasks.manage"}),
    Role.PARTICIPANT: frozenset({"orgs.view", "directory.view", "assignments.confirm"}),
    Role.INSPECTOR: frozenset({"orgs.view", "checks.enter"}),
    Role.APPROVER: frozenset({"orgs.view", "directory.view", "approve", "oversight.view"}),
    Role.AUDITOR: frozenset({"orgs.view", "directory.view", "audit.view", "draws.witness", "oversight.view"}),
}
ALL_PERMISSIONS = frozenset().union(*ROLE_PERMISSIONS.values())


def permissions_of(user: Any) -> frozenset[str]:
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return frozenset()
    if user.is_superuser:
        return ALL_PERMISSIONS
    perms: set[str] = set()
    for role in user.role_set:
        perms |= ROLE_PERMISSIONS.get(role, frozenset())
    return frozenset(perms)


def has_perm(user: Any, perm: str) -> bool:
    return perm in permissions_of(user)


def visible_path(user: Any) -> str | None:
    """The organisation path prefix a user may see; ``""`` for everything, None for nothing."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return None
    if user.is_superuser:
        return ""
    if user.organisation_id is None:
        return None
    return user.organisation.path


def restrict(queryset: QuerySet, user: Any, org_field: str = "organisation") -> QuerySet:
    """Rows of organisations the user belongs to or oversees (its own and those below it)."""
    path = visible_path(user)
    if path is None:
        return queryset.none()
    if path == "":
        return queryset
    if org_field == "":
        return queryset.filter(path__startswith=path)
    # The subtree's ids (a short list) rather than a join on the path: the filter then
    # combines with the rows' own indexes (e.g. the directory's region + class index).
    from orgs.models import Organisation

    ids = list(Organisation.objects.filter(path__startswith=path).values_list("id", flat=True))
    return queryset.filter(**{f"{org_field}__in": ids})


def can_see_org(user: Any, organisation: Model | None) -> bool:
    path = visible_path(user)
    if path is None or organisation is None:
        return False
    return organisation.path.startswith(path)


def require_perm(perm: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """View decorator: sign-in required, then the permission, else 403."""

    def decorator(view: Callable[..., Any]) -> Callable[..., Any]:
        @wraps(view)
        def wrapped(request: Any, *args: Any, **kwargs: Any) -> Any:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not has_perm(request.user, perm):
                raise PermissionDenied(perm)
            return view(request, *args, **kwargs)

        wrapped.required_permission = perm  # type: ignore[attr-defined]
        return wrapped

    return decorator
