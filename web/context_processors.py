from typing import Any

from django.http import HttpRequest

from web.navigation import nav_for


def navigation(request: HttpRequest) -> dict[str, Any]:
    return {"nav_items": nav_for(getattr(request, "user", None))}
