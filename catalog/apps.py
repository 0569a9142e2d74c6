from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CatalogConfig(AppConfig):
    name = "catalog"
    verbose_name = _("Inspection item list")

    def ready(self) -> None:
        from catalog.models import CheckPoint, InspectionItem, ItemVersion
        from core import audit

        for model in (InspectionItem, ItemVersion, CheckPoint):
            audit.track(model)
