from __future__ import annotations

from datetime import timedelta
from typing import Any

from django import forms
from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core import audit
from core.models import AuditAction, AuditEntry


def recent_failures(username: str, ip: str) -> tuple[int, int]:
    """Failed sign-ins in the throttling window, by user name and by address."""
    since = timezone.now() - timedelta(seconds=settings.LOGIN_FAILURE_WINDOW_SECONDS)
    failed = AuditEntry.objects.filter(action=AuditAction.LOGIN_FAILED, at__gte=since)
    by_name = failed.filter(object_repr=username[:300]).count() if username else 0
    by_ip = failed.filter(ip=ip).count() if ip else 0
    return by_name, by_ip


class ThrottledAuthenticationForm(AuthenticationForm):
    """Sign-in that locks a user name (or an address) after repeated failures.

    The failures are the audit trail's own ``login_failed`` entries, so the
    lock holds across server processes and every refused attempt is logged.
    """

    error_messages = {
        **AuthenticationForm.error_messages,
        "throttled": _("Too many failed sign-ins. Try again in %(minutes)s minutes."),
    }

    def clean(self) -> dict[str, Any]:
        username = (self.data.get("username") or "").strip()
        ip = audit.client_ip(self.request)
        by_name, by_ip = recent_failures(username, ip)
        limit = settings.LOGIN_FAILURE_LIMIT
        if by_name >= limit or by_ip >= limit * 4:
            audit.record(
                AuditAction.LOGIN_FAILED,
                None,
                object_type="accounts.User",
                object_repr=username[:150],
                ip=ip,
                reason="throttled",
            )
            raise forms.ValidationError(
                self.error_messages["throttled"],
                code="throttled",
                params={"minutes": settings.LOGIN_FAILURE_WINDOW_SECONDS // 60},
            )
        return super().clean()
