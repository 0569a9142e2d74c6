from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InspectionsConfig(AppConfig):
    name = "inspections"
    verbose_name = _("Inspection records and results")

    def ready(self) -> None:
        from core import audit
        from inspections.models import Attachment, FollowUp, Record, Result, RiskRule

        audit.track(Record)
        audit.track(Result)
        audit.track(Attachment)
        audit.track(FollowUp)
        audit.track(RiskRule)

        from django.apps import apps

        if apps.is_installed("web"):
            from inspections import pending

            pending.register()
