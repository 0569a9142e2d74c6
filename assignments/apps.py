from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AssignmentsConfig(AppConfig):
    name = "assignments"
    verbose_name = _("Inspector matching and confirmations")

    def ready(self) -> None:
        from assignments import pending
        from assignments.models import Confirmation, Visit
        from core import audit
        from web.navigation import register_pending

        audit.track(Confirmation)
        audit.track(Visit)
        register_pending("assignments", _("Assignments to confirm"), "assignments.confirm", pending.confirmations)
        register_pending("checks", _("My checks"), "checks.enter", pending.checks)
