"""/api/oversight/: the dashboard's indicators, a statutory table as JSON, and the caller's deadline alerts."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from ninja import Field, Router, Schema

from oversight import alerts, stats, tables
from suiji.api import ApiError, ensure_perm, not_found

router = Router(tags=["oversight"])


class ScopeOut(Schema):
    organisation: int
    department: int | None
    date_from: dt.date
    date_to: dt.date


class ItemRatioOut(Schema):
    item_id: int
    code: str
    name: str
    department: str
    drawn: int
    candidates: int
    achieved: float
    minimum: float
    meets_minimum: bool


class RatesOut(Schema):
    coverage: float | None
    completion: float | None
    joint_share: float | None
    problem_rate: float | None
    timeliness: float | None
    entry_rate: float | None


class IndicatorsOut(Schema):
    scope: ScopeOut
    counts: dict[str, int]
    planned_targets: int
    declared_staff: int
    rates: RatesOut
    item_ratios: list[ItemRatioOut]
    computed_at: dt.datetime
    compute_seconds: float
    freshness: str = Field(description="computed (in this request), current, or stale (a newer one is being computed)")


class DepartmentRowOut(Schema):
    department_id: int
    department: str
    drawn: int
    checked: int
    published: int


class TableOut(Schema):
    key: str
    title: str
    headers: list[str]
    rows: list[list[Any]]
    total: list[Any] | None


class AlertOut(Schema):
    key: str
    kind: str
    text: str
    due: dt.date
    overdue: bool
    url: str


def _scope(request: HttpRequest) -> stats.Scope:
    ensure_perm(request, "oversight.view")
    try:
        return stats.scope_for(request.user, request.GET)
    except stats.ScopeError as exc:
        if exc.status == 404:
            raise not_found() from exc
        raise ApiError(exc.status, exc.code, exc.message_zh, exc.message_en) from exc


def _scope_out(scope: stats.Scope) -> dict[str, Any]:
    return {
        "organisation": scope.organisation.pk,
        "department": scope.department.pk if scope.department else None,
        "date_from": scope.date_from,
        "date_to": scope.date_to,
    }


@router.get("/indicators", response=IndicatorsOut, summary="Every dashboard number (org, dept, year or from/to)")
def indicators(
    request: HttpRequest,
    org: int | None = None,
    dept: int | None = None,
    year: int | None = None,
    fresh: bool = False,
) -> dict[str, Any]:
    scope = _scope(request)
    return {"scope": _scope_out(scope), **stats.indicators(scope, fresh=fresh)}


@router.get("/departments", response=list[DepartmentRowOut], summary="Drawn, checked, published per lead department")
def departments(request: HttpRequest, org: int | None = None, dept: int | None = None, year: int | None = None):
    return stats.department_breakdown(_scope(request))


@router.get("/tables/{key}", response=TableOut, summary="A statutory table as JSON (same figures as the .xlsx)")
def table(request: HttpRequest, key: str, org: int | None = None, dept: int | None = None, year: int | None = None):
    scope = _scope(request)
    if key not in tables.TABLES:
        raise not_found()
    t = tables.build(key, scope)
    return {"key": t.key, "title": t.title, "headers": t.headers, "rows": t.rows, "total": t.total}


@router.get("/alerts", response=list[AlertOut], summary="The caller's deadline alerts, most urgent first")
def alert_list(request: HttpRequest):
    ensure_perm(request, "oversight.view")
    return alerts.alerts_for(request.user)
