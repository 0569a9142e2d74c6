from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("Users and roles")

    def ready(self) -> None:
        from accounts.models import ApiToken, User, UserRole
        from core import audit

        audit.track(User, masked=("password",), excluded=("last_login",))
        audit.track(UserRole)
        audit.track(ApiToken, masked=("key_hash",), excluded=("last_used",))
