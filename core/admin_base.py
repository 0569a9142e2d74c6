"""Admin site access by role: only administrators, and only their organisations' rows."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from accounts.permissions import has_perm, restrict


def _admin_has_permission(request: HttpRequest) -> bool:
    return bool(request.user.is_active and has_perm(request.user, "admin.site"))


admin.site.has_permission = _admin_has_permission  # type: ignore[method-assign]
admin.site.site_header = "Suiji"
admin.site.site_title = "Suiji"


class RoleAdmin(admin.ModelAdmin):
    """Administrators manage these rows; ``org_field`` scopes them ("" for the organisation itself)."""

    org_field: str | None = "organisation"

    def _allowed(self, request: HttpRequest) -> bool:
        return has_perm(request.user, "admin.site")

    def has_module_permission(self, request: HttpRequest) -> bool:
        return self._allowed(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._allowed(request)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return self._allowed(request)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._allowed(request)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._allowed(request)

    def get_queryset(self, request: HttpRequest):  # type: ignore[no-untyped-def]
        qs = super().get_queryset(request)
        if self.org_field is None:
            return qs
        return restrict(qs, request.user, org_field=self.org_field)


class ReferenceAdmin(RoleAdmin):
    """Shared reference rows (not owned by an organisation)."""

    org_field = None
