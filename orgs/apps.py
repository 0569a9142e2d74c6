from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OrgsConfig(AppConfig):
    name = "orgs"
    verbose_name = _("Organisations")

    def ready(self) -> None:
        from core import audit
        from orgs.models import Department, Organisation, Unit

        for model in (Organisation, Department, Unit):
            audit.track(model)
