"""Scoped read access to the audit trail."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from accounts.permissions import visible_path
from core.models import AuditEntry


def visible_entries(user: Any) -> QuerySet[AuditEntry]:
    """Administrators see their organisations' entries and sign-ins; auditors their organisations'."""
    from orgs.models import Organisation

    path = visible_path(user)
    if path is None:
        return AuditEntry.objects.none()
    if path == "":
        return AuditEntry.objects.all()
    org_ids = Organisation.objects.filter(path__startswith=path).values_list("id", flat=True)
    scoped = Q(organisation_id__in=org_ids)
    if user.has_role("administrator"):
        scoped |= Q(organisation_id__isnull=True)
    return AuditEntry.objects.filter(scoped)
