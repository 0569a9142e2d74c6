from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OversightConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "oversight"
    verbose_name = _("Oversight and statistics")

    def ready(self) -> None:
        from core import audit
        from oversight import jobs  # noqa: F401 - registers the scheduled job handler
        from oversight.alerts import register_panel
        from oversight.models import AlertSettings, TaskSummary

        audit.track(TaskSummary)
        audit.track(AlertSettings)
        register_panel()
