"""The public portal (一公开): no sign-in, nothing that is not published.

Pages extend ``portal/base.html``, which carries no form and no CSRF token, so
a public response sets no cookie and may be cached for a short while
(``Cache-Control: public, max-age=60``) by browsers and proxies.
"""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.cache import cache_control, cache_page
from django.views.decorators.http import require_safe

from portal import opendata, sections
from portal.search import search_firms

PUBLIC_MAX_AGE = 60
RESULTS_PER_PAGE = 50
FIRM_RESULTS_LIMIT = 1000


def public_page(view):  # type: ignore[no-untyped-def]
    """Cacheable by anyone for a minute; pages are also kept that long in the server's cache.

    The server-side cache (Django's cache, local memory per worker unless
    configured otherwise) keys on the full URL and the varying headers, so a
    page is never shared between languages. Streaming responses (open data) are
    not stored, only marked cacheable.
    """
    return cache_control(public=True, max_age=PUBLIC_MAX_AGE)(cache_page(PUBLIC_MAX_AGE, key_prefix="portal")(view))


def _render(request: HttpRequest, template: str, context: dict, tab: str = "") -> HttpResponse:
    context = {**context, "tab": tab, "sections": sections.enabled_sections()}
    return render(request, f"portal/{template}", context)


def _page_number(request: HttpRequest) -> int:
    try:
        return max(int(request.GET.get("page", "1")), 1)
    except ValueError:
        return 1


@require_safe
@public_page
def home(request: HttpRequest) -> HttpResponse:
    tasks = list(sections.tasks_section()[:5])
    return _render(request, "home.html", {"tasks": tasks, "items_count": sections.items_section().count()})


@require_safe
@public_page
def items(request: HttpRequest) -> HttpResponse:
    page = Paginator(sections.items_section(), 50).get_page(request.GET.get("page"))
    return _render(request, "items.html", {"page": page}, "items")


@require_safe
@public_page
def item(request: HttpRequest, version_id: int) -> HttpResponse:
    version = get_object_or_404(sections.items_section().prefetch_related("checkpoints"), pk=version_id)
    return _render(request, "item.html", {"version": version}, "items")


@require_safe
@public_page
def plans(request: HttpRequest) -> HttpResponse:
    groups = sections.plan_versions()
    if groups is None:
        raise Http404
    return _render(request, "plans.html", {"groups": groups}, "plans")


@require_safe
@public_page
def tasks(request: HttpRequest) -> HttpResponse:
    page = Paginator(sections.tasks_section(), 20).get_page(request.GET.get("page"))
    return _render(request, "tasks.html", {"page": page}, "tasks")


@require_safe
@public_page
def results(request: HttpRequest) -> HttpResponse:
    task = None
    task_id = request.GET.get("task", "")
    if task_id:
        if not task_id.isdigit():
            raise Http404
        from draws.models import Task

        task = get_object_or_404(Task.objects.select_related("organisation"), pk=int(task_id))
    found = sections.results_section(task=task)
    if found is None or (task is not None and not found.exists()):
        raise Http404  # a task without published results is not named here (it may be a draft)
    page = Paginator(found, RESULTS_PER_PAGE).get_page(request.GET.get("page"))
    page.object_list = sections.with_labels(page.object_list)
    return _render(request, "results.html", {"page": page, "task": task}, "results")


@require_safe
@public_page
def firms(request: HttpRequest) -> HttpResponse:
    found = search_firms(request.GET.get("q", ""), _page_number(request), request.GET.get("mode") == "contains")
    return _render(request, "firms.html", {"found": found}, "firms")


@require_safe
@public_page
def firm(request: HttpRequest, key: str) -> HttpResponse:
    from portal.search import firm_by_key

    target = firm_by_key(key.strip().upper())
    if target is None:
        raise Http404
    results = sections.results_section(target=target["id"])
    from directory.models import TargetKind, TargetStatus

    labels = {"kind_label": dict(TargetKind.choices).get(target["kind"], ""), "status_label": ""}
    labels["status_label"] = dict(TargetStatus.choices).get(target["status"], "")
    context = {
        **labels,
        "firm": target,
        "draws": sections.firm_draws(target["id"]),
        "results": None if results is None else sections.with_labels(results[:FIRM_RESULTS_LIMIT]),
    }
    return _render(request, "firm.html", context, "firms")


@require_safe
@public_page
def data_index(request: HttpRequest) -> HttpResponse:
    return _render(request, "data.html", {"datasets": opendata.DATASETS.values()}, "data")


def _dataset(name: str) -> opendata.Dataset:
    try:
        return opendata.DATASETS[name]
    except KeyError:
        raise Http404 from None


@require_safe
@public_page
def data_json(request: HttpRequest, dataset: str) -> StreamingHttpResponse:
    ds = _dataset(dataset)
    response = StreamingHttpResponse(opendata.json_chunks(ds), content_type="application/json; charset=utf-8")
    response["Access-Control-Allow-Origin"] = "*"
    return response


@require_safe
@public_page
def data_csv(request: HttpRequest, dataset: str) -> StreamingHttpResponse:
    ds = _dataset(dataset)
    response = StreamingHttpResponse(opendata.csv_chunks(ds), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{ds.name}.csv"'
    response["Access-Control-Allow-Origin"] = "*"
    return response


@require_safe
@public_page
def data_schema(request: HttpRequest, dataset: str) -> JsonResponse:
    response = JsonResponse(opendata.schema(_dataset(dataset)), json_dumps_params={"ensure_ascii": False})
    response["Access-Control-Allow-Origin"] = "*"
    return response
