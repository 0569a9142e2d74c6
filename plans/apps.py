from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PlansConfig(AppConfig):
    name = "plans"
    verbose_name = _("Annual plans")

    def ready(self) -> None:
        from core import audit
        from plans.models import Plan, PlanLine, PlanSettings

        for model in (Plan, PlanLine, PlanSettings):
            audit.track(model)
