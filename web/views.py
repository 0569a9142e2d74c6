from __future__ import annotations

import calendar as pycalendar
import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db import IntegrityError, transaction
from django.db.models import Prefetch, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from accounts.permissions import has_perm, require_perm, restrict
from core.audit import verify_chain
from core.queries import visible_entries
from directory.models import CreditClass, Target
from orgs.models import Department, Organisation
from refdata.models import Division, Industry
from web.forms import AddWorkingDaysForm, OverrideForm
from web.navigation import pending_for
from workcal import calendar
from workcal.models import CalendarOverride


@login_required
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "web/home.html", {"panels": pending_for(request.user), "active": "home"})


@require_perm("orgs.view")
def orgs(request: HttpRequest) -> HttpResponse:
    departments = Department.objects.prefetch_related("units").order_by("kind", "name")
    org_list = restrict(Organisation.objects.all(), request.user, org_field="").prefetch_related(
        Prefetch("departments", queryset=departments)
    )
    return render(request, "web/orgs.html", {"orgs": org_list, "active": "orgs"})


@require_perm("directory.view")
def targets(request: HttpRequest) -> HttpResponse:
    from directory import search
    from directory.models import Tag, TargetKind, TargetStatus
    from orgs.models import Department

    filters, bad = search.parse(request.GET)
    qs = restrict(Target.objects.select_related("region", "industry"), request.user)
    exact = request.GET.get("exact") == "1"
    page = search.CappedPaginator(search.apply(qs, filters).order_by("key"), 50, exact=exact).get_page(
        request.GET.get("page")
    )
    context = {
        "page": page,
        "f": filters,
        "raw": request.GET,
        "bad": bad,
        "q": filters.get("q", ""),
        "credit_class": filters.get("credit_class", ""),
        "classes": CreditClass.choices,
        "kinds": TargetKind.choices,
        "statuses": TargetStatus.choices,
        "departments": restrict(Department.objects.all(), request.user),
        "tags": Tag.objects.all()[:200],
        "active": "targets",
    }
    template = "web/_targets_rows.html" if request.headers.get("HX-Request") else "web/targets.html"
    return render(request, template, context)


@login_required
def refdata(request: HttpRequest) -> HttpResponse:
    q = request.GET.get("q", "").strip()[:50]
    kind = request.GET.get("kind", "division")
    model = Industry if kind == "industry" else Division
    results = []
    if q:
        results = list(model.objects.filter(Q(code__startswith=q) | Q(name__contains=q)).order_by("code")[:100])
    context = {"q": q, "kind": kind, "results": results, "active": "refdata"}
    template = "web/_refdata_results.html" if request.headers.get("HX-Request") else "web/refdata.html"
    return render(request, template, context)


def _year_grid(cal: calendar.WorkCalendar, year: int) -> list[dict]:
    months = []
    for month in range(1, 13):
        weeks = []
        for week in pycalendar.Calendar(firstweekday=0).monthdatescalendar(year, month):
            weeks.append(
                [
                    {"date": d, "in_month": d.month == month, "work": cal.is_workday(d), "override": d in cal.overrides}
                    for d in week
                ]
            )
        months.append({"month": month, "weeks": weeks})
    return months


@login_required
def calendar_page(request: HttpRequest) -> HttpResponse:
    today = dt.date.today()
    try:
        year = int(request.GET.get("year", today.year))
    except ValueError:
        year = today.year
    year = min(max(year, 2004), 2100)
    can_manage = has_perm(request.user, "calendar.manage")
    override_form = OverrideForm()
    if request.method == "POST":
        if not can_manage:
            return render(request, "403.html", status=403)
        override_form = OverrideForm(request.POST)
        if override_form.is_valid():
            try:
                with transaction.atomic():
                    obj = override_form.save(commit=False)
                    obj.created_by = request.user
                    obj.save()
            except IntegrityError:
                override_form.add_error("date", _("This date already has an override."))
            else:
                messages.success(request, _("Calendar override saved."))
                return redirect(f"{request.path}?year={obj.date.year}")
    cal = calendar.current()
    context = {
        "year": year,
        "months": _year_grid(cal, year),
        "source": calendar.coverage(year),
        "overrides": CalendarOverride.objects.filter(date__year=year),
        "override_form": override_form,
        "add_form": AddWorkingDaysForm(initial={"start": today, "days": 20}),
        "can_manage": can_manage,
        "active": "calendar",
    }
    return render(request, "web/calendar.html", context, status=400 if override_form.errors else 200)


@login_required
@require_GET
def calendar_add(request: HttpRequest) -> HttpResponse:
    form = AddWorkingDaysForm(request.GET)
    result = None
    if form.is_valid():
        result = calendar.add_working_days(form.cleaned_data["start"], form.cleaned_data["days"])
    return render(request, "web/_calendar_add.html", {"form": form, "result": result}, status=200 if result else 400)


@require_perm("audit.view")
def audit(request: HttpRequest) -> HttpResponse:
    report = verify_chain() if request.GET.get("verify") else None
    page = Paginator(visible_entries(request.user).order_by("-seq"), 50).get_page(request.GET.get("page"))
    return render(request, "web/audit.html", {"page": page, "report": report, "active": "audit"})
