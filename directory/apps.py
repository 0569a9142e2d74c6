from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DirectoryConfig(AppConfig):
    name = "directory"
    verbose_name = _("Directories")

    def ready(self) -> None:
        from core import audit
        from directory.models import Conflict, Expert, Expertise, Inspector, Tag, Target, UnitStaffing

        for model in (Target, Inspector, Expertise, Expert, Conflict, UnitStaffing, Tag):
            audit.track(model)
