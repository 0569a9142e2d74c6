"""Who may see which task and draw, and what the public may see."""

from typing import Any

from django.db.models import Q, QuerySet

from accounts.permissions import has_perm, restrict
from draws.models import Draw, DrawState, Task, TaskState

READ_PERMS = ("tasks.manage", "draws.organise", "draws.witness", "approve", "audit.view")


def can_read_tasks(user: Any) -> bool:
    return any(has_perm(user, p) for p in READ_PERMS)


def can_organise(user: Any) -> bool:
    return has_perm(user, "tasks.manage") or has_perm(user, "draws.organise")


ORG_WIDE_ROLES = ("coordinator", "approver", "auditor", "administrator")


def visible_tasks(user: Any) -> QuerySet[Task]:
    """Tasks of the user's organisations; a department's drafts only to that department.

    Coordinators, approvers, auditors and administrators see every task of their
    organisations. A department organiser sees its own department's tasks, the
    joint tasks its department is invited to or takes part in, and, of other
    departments, only those past the draft stage. A participant (role) sees only
    its department's joint tasks, read-only.
    """
    from draws.planning import is_joint_reader, joint_tasks

    if not can_read_tasks(user):
        if is_joint_reader(user):  # a participant department's staff: its joint tasks only (draws/planning.py)
            return restrict(Task.objects.select_related("organisation", "department"), user).filter(joint_tasks(user))
        return Task.objects.none()
    qs = restrict(Task.objects.select_related("organisation", "department"), user)
    if user.is_superuser or user.has_role(*ORG_WIDE_ROLES):
        return qs
    return qs.filter(Q(department_id=user.department_id) | ~Q(state=TaskState.DRAFT) | joint_tasks(user))


def public_draws() -> QuerySet[Draw]:
    """Draws of public tasks; every state is shown, voided ones included."""
    return Draw.objects.select_related("task", "task__organisation").filter(task__is_public=True)


def public_result_visible(draw: Draw) -> bool:
    return draw.state in (DrawState.DRAWN, DrawState.VOIDED) and draw.task.selection_is_public() and bool(draw.manifest)
