"""The navigation bar and the home page's pending-work panels, by role.

An entry is shown when the user holds its permission (``None``: any signed-in
user). Apps add pending-work providers with :func:`register_pending`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from accounts.permissions import has_perm


@dataclass(frozen=True)
class NavItem:
    key: str
    label: Any
    url_name: str
    perm: str | tuple[str, ...] | None


NAV_ITEMS: list[NavItem] = [
    NavItem("home", _("Workbench"), "home", None),
    NavItem("orgs", _("Organisations"), "orgs", "orgs.view"),
    NavItem("targets", _("Target directory"), "targets", "directory.view"),
    NavItem("imports", _("Import targets"), "target-imports", "directory.manage"),
    NavItem("inspectors", _("Inspectors and experts"), "inspectors", "directory.view"),
    NavItem("catalog", _("Inspection items"), "catalog-items", "orgs.view"),
    NavItem("plans", _("Annual plans"), "plans", ("plans.manage", "approve")),
    NavItem(
        "tasks",
        _("Tasks and draws"),
        "tasks",
        ("tasks.manage", "draws.organise", "draws.witness", "approve", "audit.view"),
    ),
    NavItem("inspections", _("Inspection records"), "inspections", ("checks.enter", "approve", "draws.organise")),
    NavItem("checks", _("My checks"), "my-checks", "checks.enter"),
    NavItem("confirmations", _("Confirmations"), "assignment-confirmations", "assignments.confirm"),
    NavItem("oversight", _("Oversight"), "oversight", "oversight.view"),
    NavItem("calendar", _("Calendar"), "calendar", None),
    NavItem("refdata", _("Reference data"), "refdata", None),
    NavItem("audit", _("Audit trail"), "audit", "audit.view"),
    NavItem("admin", _("Administration"), "admin:index", "admin.site"),
]


def nav_for(user: Any) -> list[dict[str, Any]]:
    if not getattr(user, "is_authenticated", False):
        return []
    return [
        {"key": item.key, "label": item.label, "url": reverse(item.url_name)}
        for item in NAV_ITEMS
        if item.perm is None
        or any(has_perm(user, p) for p in ((item.perm,) if isinstance(item.perm, str) else item.perm))
    ]


@dataclass(frozen=True)
class PendingPanel:
    key: str
    title: Any
    perm: str
    provider: Callable[[Any], list[dict[str, Any]]]


_PANELS: list[PendingPanel] = []


def register_pending(key: str, title: Any, perm: str, provider: Callable[[Any], list[dict[str, Any]]]) -> None:
    if any(p.key == key for p in _PANELS):
        return
    _PANELS.append(PendingPanel(key, title, perm, provider))


def _nothing(user: Any) -> list[dict[str, Any]]:
    return []


def _calendar_years(user: Any) -> list[dict[str, Any]]:
    """Years, this one and the next, whose official schedule is not known and has no overrides."""
    import datetime as dt

    from django.utils.translation import gettext

    from workcal.calendar import coverage
    from workcal.models import CalendarOverride

    this_year = dt.date.today().year
    items = []
    for year in (this_year, this_year + 1):
        if coverage(year) != "chinese_calendar" and not CalendarOverride.objects.filter(date__year=year).exists():
            items.append(
                {
                    "text": gettext("%(year)s: enter the official holidays and make-up working days") % {"year": year},
                    "url": reverse("calendar") + f"?year={year}",
                }
            )
    return items


# The panels every role will fill as the workflow is built; empty until then.
for _key, _title, _perm in [
    ("plans", _("Annual plans to draft or adjust"), "plans.manage"),
    ("tasks", _("Tasks to organise"), "tasks.manage"),
    # "assignments" and "checks" are registered by assignments.apps with their providers.
    # "approvals" (records waiting for my approval) is registered by inspections.apps with its provider.
    ("witness", _("Draws to witness"), "draws.witness"),
]:
    register_pending(_key, _title, _perm, _nothing)
register_pending("calendar", _("Calendar years to review"), "calendar.manage", _calendar_years)


def pending_for(user: Any) -> list[dict[str, Any]]:
    return [{"key": p.key, "title": p.title, "items": p.provider(user)} for p in _PANELS if has_perm(user, p.perm)]
