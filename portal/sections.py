"""The portal's sections, one function each; a section whose app is not installed returns None.

Each function returns only what is published. Pages and open data both read
through here, so a rule about what the public may see lives in one place.

Hooks: ``plans`` (annual plans and their versions) and ``inspections``
(published results) are other apps; their sections call
``plans.services.published_plans(organisation=None)`` and
``inspections.services.published_results(target=None)`` when the app is
installed, and the portal hides their tabs otherwise.
"""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.db.models import Prefetch, Q, QuerySet

SECTION_APPS = {"plans": "plans", "results": "inspections"}


def section_enabled(section: str) -> bool:
    app = SECTION_APPS.get(section)
    return app is None or apps.is_installed(app)


def enabled_sections() -> dict[str, bool]:
    return {name: section_enabled(name) for name in ("items", "plans", "tasks", "results")}


# --- 事项清单: the published inspection item list ---------------------------------------------------


def items_section() -> QuerySet:
    """Published item versions (one per item at most), with their item, organisation and department."""
    from catalog.models import ItemVersion, VersionStatus

    return (
        ItemVersion.objects.filter(status=VersionStatus.PUBLISHED)
        .select_related("item", "item__organisation", "item__department")
        .order_by("item__organisation__name", "item__code")
    )


# --- 计划公告: annual plans (hook) -----------------------------------------------------------------------


def plans_section(organisation: Any = None) -> Any:
    """Published annual plans with their versions, or None when the plans app is not installed."""
    if not section_enabled("plans"):
        return None
    from plans import services  # type: ignore[import-not-found]

    return services.published_plans(organisation=organisation)


def plan_versions(organisation: Any = None) -> Any:
    """Published plan versions with their lines, grouped per organisation and year (newest version first).

    A list of ``{"organisation", "year", "versions": [plan, ...]}``; each plan carries its ``lines``
    (items and departments prefetched) and, for an adjustment, its ``reason``. None without the plans app.
    """
    found = plans_section(organisation)
    if found is None:
        return None
    from catalog.models import ItemVersion

    found = found.prefetch_related(
        Prefetch("lines__items", ItemVersion.objects.select_related("item")),
        "lines__lead_department",
        "lines__departments",
    )
    groups: dict[tuple[int, int], dict[str, Any]] = {}
    for plan in found:
        group = groups.setdefault(
            (plan.organisation_id, plan.year), {"organisation": plan.organisation, "year": plan.year, "versions": []}
        )
        group["versions"].append(plan)
    return list(groups.values())


# --- 任务公告: task notices --------------------------------------------------------------------------------


def tasks_section() -> QuerySet:
    """Public tasks past the draft stage, or back in it after a voided draw, newest first."""
    from draws.models import Draw, Task, TaskState

    return (
        Task.objects.filter(is_public=True)
        .filter(~Q(state=TaskState.DRAFT) | Q(pk__in=Draw.objects.values("task_id")))
        .select_related("organisation", "department")
        .prefetch_related(
            Prefetch("draws", Draw.objects.defer(*HEAVY_DRAW_FIELDS).order_by("number")),
            Prefetch("items", _task_items()),
        )
        .order_by("-created", "-id")
    )


def _task_items() -> QuerySet:
    """A task's items (every department's in a joint task), with the department responsible for each."""
    from catalog.models import ItemVersion

    return ItemVersion.objects.select_related("item", "item__department").order_by("item__department_id", "item__code")


def public_draws_section() -> QuerySet:
    """Every draw of a public task (voided ones included), as the draws app publishes them."""
    from draws.access import public_draws

    return public_draws().defer(*HEAVY_DRAW_FIELDS).order_by("-committed_at", "-id")


HEAVY_DRAW_FIELDS = ("manifest", "announcement", "secret")


def result_visible(draw: Any) -> bool:
    """``draws.access.public_result_visible`` without loading the manifest text.

    The manifest and its digest are written together by the ceremony, so a
    non-empty digest stands for a non-empty manifest; a draw whose manifest is
    already loaded is judged by the draws app's own rule.
    """
    from draws.access import public_result_visible
    from draws.models import DrawState

    if "manifest" in draw.__dict__:
        return public_result_visible(draw)
    return (
        draw.state in (DrawState.DRAWN, DrawState.VOIDED)
        and draw.task.selection_is_public()
        and bool(draw.manifest_digest)
    )


def visible_selection_filter(prefix: str = "draw__") -> Q:
    """The rows of ``draws.access.public_result_visible`` as a query (checked again per row)."""
    from draws.models import DrawState, SelectionPublication

    return (
        Q(**{f"{prefix}task__is_public": True})
        & Q(**{f"{prefix}state__in": [DrawState.DRAWN, DrawState.VOIDED]})
        & ~Q(**{f"{prefix}manifest": ""})
        & (
            Q(**{f"{prefix}task__selection_publication": SelectionPublication.WITH_NOTICE})
            | Q(**{f"{prefix}task__checks_done": True})
        )
    )


def public_selections() -> QuerySet:
    """Selected firms of draws whose selection is public, in draw order."""
    from draws.models import Selection

    return (
        Selection.objects.filter(visible_selection_filter())
        .select_related("draw", "draw__task", "draw__task__organisation", "target")
        .defer(*(f"draw__{name}" for name in HEAVY_DRAW_FIELDS))
        .order_by("draw_id", "position")
    )


def firm_draws(target_id: int) -> list[Any]:
    """The draws a firm was selected in, where the selection is public."""
    rows = public_selections().filter(target_id=target_id).order_by("-draw__drawn_at", "-draw_id")[:100]
    return [s for s in rows if result_visible(s.draw)]


# --- 结果公告: published results (hook) --------------------------------------------------------------------


def results_section(target: Any = None, task: Any = None) -> Any:
    """Published inspection results (optionally of one firm or one task), or None without the inspections app.

    Only published versions are returned; a corrected version stays, marked by its ``superseded_by``.
    Nothing about the people who entered or approved a result is selected.
    """
    if not section_enabled("results"):
        return None
    from inspections import services  # type: ignore[import-not-found]

    qs = services.published_results(target=target)
    if task is not None:
        qs = qs.filter(record__task=task)
    return qs


def result_category_labels() -> dict[str, str]:
    """Result category labels in the current language, built once (``get_category_display`` per row is slow)."""
    from inspections.models import ResultCategory  # type: ignore[import-not-found]

    return {value: str(label) for value, label in ResultCategory.choices}


def with_labels(results: Any) -> list[Any]:
    """The results as a list, each with ``category_label`` set."""
    labels = result_category_labels()
    rows = list(results)
    for r in rows:
        r.category_label = labels.get(r.category, r.category)
    return rows
