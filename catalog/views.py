from __future__ import annotations

from decimal import Decimal

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Prefetch, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.permissions import has_perm, require_perm, restrict
from catalog.excel import ImportRefused, export_xlsx, import_xlsx
from catalog.forms import CheckPointFormSet, ImportForm, ItemForm, VersionForm, ordered_points
from catalog.models import Category, InspectionItem, ItemVersion, VersionStatus
from catalog.services import CatalogConflict, VersionData, do_create_item, do_publish, do_revise_item
from orgs.models import Department

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _visible_items(request: HttpRequest):
    return restrict(InspectionItem.objects.select_related("department", "organisation"), request.user)


def _item_or_404(request: HttpRequest, item_id: int) -> InspectionItem:
    item = _visible_items(request).filter(pk=item_id).first()
    if item is None:
        raise Http404
    return item


def _may_edit(request: HttpRequest, item: InspectionItem | None = None) -> bool:
    if not has_perm(request.user, "catalog.manage"):
        return False
    if item is None or request.user.is_superuser:
        return True
    return item.organisation_id == request.user.organisation_id


def _forbidden(request: HttpRequest) -> HttpResponse:
    return render(request, "403.html", status=403)


def _form_errors(form, exc: ValidationError) -> None:
    mapping = {"ratio_min": "ratio_min_pct", "ratio_max": "ratio_max_pct"}
    for field, errors in exc.message_dict.items():
        name = mapping.get(field, field)
        form.add_error(name if name in form.fields else None, errors)


@require_perm("orgs.view")
def item_list(request: HttpRequest) -> HttpResponse:
    q = request.GET.get("q", "").strip()[:100]
    department = request.GET.get("department", "")
    category = request.GET.get("category", "")
    published = ItemVersion.objects.filter(status=VersionStatus.PUBLISHED)
    latest = ItemVersion.objects.order_by("-number")
    qs = _visible_items(request).prefetch_related(
        Prefetch("versions", queryset=published, to_attr="published_list"),
        Prefetch("versions", queryset=latest, to_attr="version_list"),
    )
    if q:
        qs = qs.filter(Q(code=q) | Q(versions__name__contains=q) | Q(versions__sub_item__contains=q)).distinct()
    if department.isdigit():
        qs = qs.filter(department_id=int(department))
    if category in Category.values:
        qs = qs.filter(versions__category=category).distinct()
    page = Paginator(qs.order_by("organisation__path", "code"), 50).get_page(request.GET.get("page"))
    for item in page:
        item.shown = item.published_list[0] if item.published_list else item.version_list[0]
    context = {
        "page": page,
        "q": q,
        "department": department,
        "category": category,
        "departments": restrict(Department.objects.all(), request.user),
        "categories": Category.choices,
        "can_manage": has_perm(request.user, "catalog.manage"),
        "active": "catalog",
    }
    template = "catalog/_item_rows.html" if request.headers.get("HX-Request") else "catalog/item_list.html"
    return render(request, template, context)


@require_perm("orgs.view")
def item_detail(request: HttpRequest, item_id: int) -> HttpResponse:
    item = _item_or_404(request, item_id)
    versions = item.versions.prefetch_related("expertise", "checkpoints").order_by("-number")
    context = {"item": item, "versions": versions, "can_edit": _may_edit(request, item), "active": "catalog"}
    return render(request, "catalog/item_detail.html", context)


def _initial(version: ItemVersion) -> dict:
    return {
        "field": version.field,
        "name": version.name,
        "sub_item": version.sub_item,
        "object_type": version.object_type,
        "category": version.category,
        "methods": version.methods,
        "legal_basis": version.legal_basis,
        "content": version.content,
        "ratio_min_pct": version.ratio_min * Decimal(100),
        "ratio_max_pct": version.ratio_max * Decimal(100) if version.ratio_max is not None else None,
        "frequency": version.frequency,
        "expertise": list(version.expertise.all()),
        "needs_expert": version.needs_expert,
    }


@require_perm("catalog.manage")
def item_new(request: HttpRequest) -> HttpResponse:
    org = request.user.organisation
    if org is None:
        return _forbidden(request)
    departments = Department.objects.filter(organisation=org, is_active=True)
    form = ItemForm(request.POST or None, departments=departments, initial={"department": request.user.department})
    points = CheckPointFormSet(request.POST or None, prefix="cp")
    if request.method == "POST" and form.is_valid() and points.is_valid():
        data = VersionData(
            fields=form.version_fields(),
            expertise=[e.pk for e in form.cleaned_data["expertise"]],
            checkpoints=ordered_points(points),
            reason=form.cleaned_data["reason"],
        )
        try:
            item = do_create_item(request.user, org, form.cleaned_data["department"], data, form.cleaned_data["code"])
        except ValidationError as exc:
            _form_errors(form, exc)
        else:
            messages.success(request, _("The item was saved as a draft."))
            return redirect("catalog-item", item_id=item.pk)
    context = {"form": form, "points": points, "item": None, "active": "catalog"}
    return render(request, "catalog/item_form.html", context, status=400 if form.errors else 200)


@require_perm("catalog.manage")
def item_revise(request: HttpRequest, item_id: int) -> HttpResponse:
    item = _item_or_404(request, item_id)
    if not _may_edit(request, item):
        return _forbidden(request)
    latest = item.latest_version()
    initial_points = [
        {"order": p.order, "text": p.text, "method": p.method, "finding_criteria": p.finding_criteria}
        for p in latest.checkpoints.all()
    ]
    form = VersionForm(request.POST or None, initial=_initial(latest))
    points = CheckPointFormSet(request.POST or None, prefix="cp", initial=initial_points)
    if request.method == "POST" and form.is_valid() and points.is_valid():
        data = VersionData(
            fields=form.version_fields(),
            expertise=[e.pk for e in form.cleaned_data["expertise"]],
            checkpoints=ordered_points(points),
            reason=form.cleaned_data["reason"],
        )
        try:
            do_revise_item(request.user, item, data)
        except ValidationError as exc:
            _form_errors(form, exc)
        else:
            messages.success(request, _("The change was saved as a draft version."))
            return redirect("catalog-item", item_id=item.pk)
    context = {"form": form, "points": points, "item": item, "latest": latest, "active": "catalog"}
    return render(request, "catalog/item_form.html", context, status=400 if form.errors else 200)


@require_POST
@require_perm("catalog.manage")
def item_publish(request: HttpRequest, item_id: int, number: int) -> HttpResponse:
    item = _item_or_404(request, item_id)
    if not _may_edit(request, item):
        return _forbidden(request)
    version = item.versions.filter(number=number).first()
    if version is None:
        raise Http404
    try:
        do_publish(request.user, version)
    except (CatalogConflict, ValidationError) as exc:
        messages.error(request, str(getattr(exc, "message", exc)))
    else:
        messages.success(request, _("Version %(number)s is published.") % {"number": number})
    return redirect("catalog-item", item_id=item.pk)


@require_perm("orgs.view")
def item_export(request: HttpRequest) -> HttpResponse:
    org = request.user.organisation
    if org is None:
        raise Http404
    department = None
    if request.GET.get("department", "").isdigit():
        department = Department.objects.filter(organisation=org, pk=int(request.GET["department"])).first()
    response = HttpResponse(export_xlsx(org, department), content_type=XLSX)
    response["Content-Disposition"] = 'attachment; filename="inspection-items.xlsx"'
    return response


@require_perm("catalog.manage")
def item_import(request: HttpRequest) -> HttpResponse:
    form = ImportForm(request.POST or None, request.FILES or None)
    errors = []
    if request.method == "POST" and form.is_valid():
        org = request.user.organisation
        if org is None:
            return _forbidden(request)
        try:
            result = import_xlsx(request.user, org, form.cleaned_data["file"].read())
        except ImportRefused as exc:
            errors = [e.as_dict() for e in exc.errors]
        else:
            messages.success(
                request,
                _("Imported: %(created)s new, %(revised)s changed (new drafts), %(unchanged)s unchanged.")
                % {"created": result.created, "revised": result.revised, "unchanged": result.unchanged},
            )
            return redirect("catalog-items")
    context = {"form": form, "errors": errors, "active": "catalog"}
    return render(request, "catalog/item_import.html", context, status=422 if errors else 200)
