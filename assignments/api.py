"""JSON API under /api/assignments/: matching runs, redraws, confirmations, my visits."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import Router, Schema, Status
from pydantic import Field

from accounts.permissions import has_perm
from assignments import services
from assignments.models import MatchRun, Pooling, Redraw, RedrawReason, Visit
from draws.access import can_read_tasks, visible_tasks
from suiji.api import ApiError, forbidden, not_found

router = Router(tags=["inspector matching"])


def _raise(exc: services.AssignmentError) -> None:
    raise ApiError(exc.status, exc.code, exc.message_zh, exc.message_en)


def _task(request: HttpRequest, task_id: int):  # type: ignore[no-untyped-def]
    if not can_read_tasks(request.user):
        raise forbidden()
    task = visible_tasks(request.user).filter(pk=task_id).first()
    if task is None:
        raise not_found()
    return task


def _run(request: HttpRequest, run_id: int) -> MatchRun:
    run = MatchRun.objects.filter(pk=run_id).first()
    if run is None:
        raise not_found()
    _task(request, run.task_id)
    return run


class RunIn(Schema):
    mode: str = Field(default="pool", max_length=10)
    team_size: int = 2
    cap: int | None = None
    leader: bool = True
    pooling: Pooling = Pooling.NONE
    recuse_last_time: bool = True


class MemberOut(Schema):
    slot: int
    person_id: str
    name: str
    role: str
    department: str | None
    ticket: str


class RedrawOut(Schema):
    id: int
    visit_id: int
    number: int
    slot: int
    old: str
    new: str
    reason_kind: str
    reason: str
    ticket: str
    eligible: int
    record_digest: str
    by: str
    at: dt.datetime


class VisitOut(Schema):
    id: int
    key: str
    position: int
    target_name: str | None
    team: str
    members: list[MemberOut]
    notice_issued_at: dt.datetime | None


class UnmatchedOut(Schema):
    key: str
    code: str
    item: str
    cause: str
    message_zh: str
    message_en: str


class ConfirmationOut(Schema):
    id: int
    task_id: int
    run_id: int
    department_id: int
    department: str
    deadline: dt.date
    status: str
    claimed_by: str | None
    confirmed_by: str | None
    confirmed_at: dt.datetime | None


class RunOut(Schema):
    id: int
    task_id: int
    draw_id: int
    number: int
    mode: str
    team_size: int
    cap: int | None
    leader: bool
    pooling: str
    recuse_last_time: bool
    seed: str
    match_seed: str
    manifest_digest: str
    matched: int
    unmatched_count: int
    created_at: dt.datetime


class RunDetailOut(RunOut):
    visits: list[VisitOut]
    unmatched: list[UnmatchedOut]
    confirmations: list[ConfirmationOut]


class RedrawIn(Schema):
    slot: int = Field(ge=0, le=64)
    reason_kind: RedrawReason
    reason: str = Field(min_length=1, max_length=300)


class ConfirmIn(Schema):
    note: str = Field(default="", max_length=300)


class MyVisitOut(Schema):
    id: int
    task_id: int
    task: str
    key: str
    target_name: str | None
    window_start: dt.date | None
    window_end: dt.date | None
    members: list[MemberOut]
    items: list[str]
    record_form: str


def _member(m: Any) -> dict[str, Any]:
    person = m.inspector or m.expert
    return {
        "slot": m.slot,
        "person_id": m.person_id,
        "name": person.name if person else "",
        "role": m.role,
        "department": m.department.name if m.department_id else None,
        "ticket": m.ticket,
    }


def _visit(v: Visit) -> dict[str, Any]:
    target = v.selection.target
    return {
        "id": v.pk,
        "key": v.key,
        "position": v.position,
        "target_name": target.name if target else None,
        "team": v.team,
        "members": [_member(m) for m in v.current_members()],
        "notice_issued_at": v.notice_issued_at,
    }


def _confirmation(c: Any) -> dict[str, Any]:
    return {
        "id": c.pk,
        "task_id": c.run.task_id,
        "run_id": c.run_id,
        "department_id": c.department_id,
        "department": c.department.name,
        "deadline": c.deadline,
        "status": services.confirmation_status(c),
        "claimed_by": str(c.claimed_by) if c.claimed_by_id else None,
        "confirmed_by": str(c.confirmed_by) if c.confirmed_by_id else None,
        "confirmed_at": c.confirmed_at,
    }


def _detail(run: MatchRun) -> dict[str, Any]:
    out = {f: getattr(run, f) for f in RunOut.model_fields}
    out["visits"] = [_visit(v) for v in run.visits.select_related("selection__target").order_by("position")]
    out["unmatched"] = [
        {f: getattr(u, f) for f in UnmatchedOut.model_fields}
        for u in run.unmatched.all().order_by("selection__position")
    ]
    out["confirmations"] = [_confirmation(c) for c in run.confirmations.select_related("department", "run")]
    return out


def _redraw(r: Redraw) -> dict[str, Any]:
    return {
        "id": r.pk,
        "visit_id": r.visit_id,
        "number": r.number,
        "slot": r.slot,
        "old": r.old.certificate_no,
        "new": r.new.certificate_no,
        "reason_kind": r.reason_kind,
        "reason": r.reason,
        "ticket": r.ticket,
        "eligible": r.eligible,
        "record_digest": r.record_digest,
        "by": str(r.by),
        "at": r.at,
    }


@router.get("/tasks/{task_id}/runs", response=list[RunOut], summary="Matching runs of a task")
def list_runs(request: HttpRequest, task_id: int) -> Any:
    task = _task(request, task_id)
    return list(task.match_runs.order_by("number"))


@router.post("/tasks/{task_id}/runs", response={201: RunDetailOut}, summary="Run the matching")
def run_match(request: HttpRequest, task_id: int, body: RunIn) -> Any:
    task = _task(request, task_id)
    try:
        run = services.do_run_match(request.user, task, **body.dict())
    except services.AssignmentError as exc:
        _raise(exc)
    return Status(201, _detail(run))


@router.get("/runs/{run_id}", response=RunDetailOut, summary="A matching run with its visits, unmatched and shares")
def get_run(request: HttpRequest, run_id: int) -> Any:
    return _detail(_run(request, run_id))


@router.get("/runs/{run_id}/manifest.json", summary="MATCH_MANIFEST.json of a run")
def run_manifest(request: HttpRequest, run_id: int) -> HttpResponse:
    run = _run(request, run_id)
    return HttpResponse(run.manifest.encode("utf-8"), content_type="application/json")


@router.post("/visits/{visit_id}/redraw", response={201: RedrawOut}, summary="Redraw one slot of a team")
def redraw(request: HttpRequest, visit_id: int, body: RedrawIn) -> Any:
    visit = Visit.objects.select_related("run").filter(pk=visit_id).first()
    if visit is None:
        raise not_found()
    _task(request, visit.run.task_id)
    try:
        r = services.do_redraw(request.user, visit, body.slot, body.reason_kind, body.reason)
    except services.AssignmentError as exc:
        _raise(exc)
    return Status(201, _redraw(r))


@router.get("/visits/{visit_id}/redraws", response=list[RedrawOut], summary="Redraws of a visit (the trace)")
def list_redraws(request: HttpRequest, visit_id: int) -> Any:
    visit = Visit.objects.select_related("run").filter(pk=visit_id).first()
    if visit is None:
        raise not_found()
    _task(request, visit.run.task_id)
    return [_redraw(r) for r in visit.redraws.select_related("old", "new", "by")]


@router.get("/redraws/{redraw_id}/record.json", summary="REDRAW.json of one redraw")
def redraw_record(request: HttpRequest, redraw_id: int) -> HttpResponse:
    r = Redraw.objects.select_related("visit__run").filter(pk=redraw_id).first()
    if r is None:
        raise not_found()
    _task(request, r.visit.run.task_id)
    return HttpResponse(r.record.encode("utf-8"), content_type="application/json")


@router.get("/confirmations", response=list[ConfirmationOut], summary="My department's shares to confirm")
def list_confirmations(request: HttpRequest) -> Any:
    if not (has_perm(request.user, "assignments.confirm") or has_perm(request.user, "tasks.manage")):
        raise forbidden()
    return [_confirmation(c) for c in services.latest_only(services.confirmations_for(request.user))]


def _my_confirmation(request: HttpRequest, confirmation_id: int) -> Any:
    if not (has_perm(request.user, "assignments.confirm") or has_perm(request.user, "tasks.manage")):
        raise forbidden()
    c = services.confirmations_for(request.user).filter(pk=confirmation_id).first()
    if c is None:
        raise not_found()
    return c


@router.post("/confirmations/{confirmation_id}/claim", response=ConfirmationOut, summary="Claim my department's share")
def claim(request: HttpRequest, confirmation_id: int) -> Any:
    try:
        return _confirmation(services.do_claim(request.user, _my_confirmation(request, confirmation_id)))
    except services.AssignmentError as exc:
        _raise(exc)


@router.post(
    "/confirmations/{confirmation_id}/confirm", response=ConfirmationOut, summary="Confirm my department's share"
)
def confirm(request: HttpRequest, confirmation_id: int, body: ConfirmIn) -> Any:
    try:
        return _confirmation(services.do_confirm(request.user, _my_confirmation(request, confirmation_id), body.note))
    except services.AssignmentError as exc:
        _raise(exc)


@router.get("/my-visits", response=list[MyVisitOut], summary="The visits I am on (inspector)")
def my_visits(request: HttpRequest) -> Any:
    from django.urls import reverse

    if not has_perm(request.user, "checks.enter"):
        raise forbidden()
    out = []
    for v in services.my_visits(request.user):
        task = v.run.task
        out.append(
            {
                "id": v.pk,
                "task_id": task.pk,
                "task": task.name,
                "key": v.key,
                "target_name": v.selection.target.name if v.selection.target else None,
                "window_start": task.window_start,
                "window_end": task.window_end,
                "members": [_member(m) for m in v.current_members()],
                "items": [str(i.name) for i in services.visit_items(task)],
                "record_form": reverse("inspection-record-form", args=[task.pk, v.key]),
            }
        )
    return out
