from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DrawsConfig(AppConfig):
    name = "draws"
    verbose_name = _("Tasks and draws")

    def ready(self) -> None:
        from core import audit
        from draws.models import Task, TaskParticipant, Witness

        audit.track(Task)
        audit.track(Witness)
        audit.track(TaskParticipant)
