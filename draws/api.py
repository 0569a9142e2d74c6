import datetime as dt
from typing import Any

from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from ninja import Router, Schema, Status
from pydantic import Field

from accounts.permissions import can_see_org, has_perm
from draws import planning, services
from draws.access import can_read_tasks, public_draws, public_result_visible, visible_tasks
from draws.models import Draw, SelectionPublication, StratifyBy, Task, TaskParticipant
from orgs.models import Department, Organisation
from suiji.api import ApiError, forbidden, not_found

router = Router(tags=["tasks and draws"])


def _raise(exc: services.WorkflowError) -> None:
    raise ApiError(exc.status, exc.code, exc.message_zh, exc.message_en)


class TaskIn(Schema):
    organisation_id: int
    department_id: int
    name: str = Field(min_length=1, max_length=200)
    notice: str = Field(default="", max_length=20000)
    scope: dict[str, Any] = Field(default_factory=dict)
    params: dict[str, Any]
    stratify_by: StratifyBy = StratifyBy.CREDIT_CLASS
    weights: dict[str, Any] = Field(default_factory=dict)
    force_complaints: int | None = Field(default=None, ge=1, le=1000)
    is_public: bool = True
    selection_publication: SelectionPublication = SelectionPublication.WITH_NOTICE
    item_ids: list[int] = Field(default_factory=list, max_length=200)


class TaskOut(Schema):
    id: int
    organisation_id: int
    department_id: int
    name: str
    notice: str
    scope: dict[str, Any]
    params: dict[str, Any]
    stratify_by: str
    weights: dict[str, Any]
    force_complaints: int | None
    is_public: bool
    selection_publication: str
    state: str
    created: dt.datetime


class DrawOut(Schema):
    id: int
    task_id: int
    number: int
    state: str
    pool_size: int
    pool_digest: str
    params_digest: str
    commitment: str
    seed: str
    manifest_digest: str
    committed_at: dt.datetime
    drawn_at: dt.datetime | None
    void_reason: str
    voided_at: dt.datetime | None


class PreviewOut(Schema):
    candidates: int


class WitnessSchema(Schema):
    name: str = Field(min_length=1, max_length=100)
    role: str = Field(min_length=1, max_length=100)
    affiliation: str = Field(default="", max_length=200)


class InputSchema(Schema):
    label: str = Field(min_length=1, max_length=100)
    value: str = Field(min_length=1, max_length=500)


class RunIn(Schema):
    witnesses: list[WitnessSchema] = Field(min_length=1, max_length=50)
    inputs: list[InputSchema] = Field(min_length=1, max_length=20)


class VoidIn(Schema):
    reason: str = Field(min_length=4, max_length=2000)


def _task(request: HttpRequest, task_id: int) -> Task:
    task = visible_tasks(request.user).filter(pk=task_id).first()
    if task is None:
        raise forbidden() if not can_read_tasks(request.user) else not_found()
    return task


def _draw(request: HttpRequest, draw_id: int) -> Draw:
    draw = Draw.objects.select_related("task", "task__organisation").filter(pk=draw_id).first()
    if draw is None or not can_read_tasks(request.user) or not can_see_org(request.user, draw.task.organisation):
        raise forbidden() if not can_read_tasks(request.user) else not_found()
    return draw


@router.get("/tasks", response=list[TaskOut], summary="Tasks I can see")
def list_tasks(request: HttpRequest) -> list[Task]:
    if not can_read_tasks(request.user):
        raise forbidden()
    return list(visible_tasks(request.user)[:500])


@router.post("/tasks", response={201: TaskOut}, summary="Create an ad-hoc task")
def create_task(request: HttpRequest, payload: TaskIn) -> Status:
    org = Organisation.objects.filter(pk=payload.organisation_id).first()
    dept = Department.objects.filter(pk=payload.department_id).first()
    if org is None or dept is None or not can_see_org(request.user, org):
        raise not_found()
    data = payload.dict()
    data.pop("organisation_id")
    data.pop("department_id")
    if data.get("item_ids"):
        data["items"] = data.pop("item_ids")  # checked by draws/planning.py
    data.pop("item_ids", None)
    try:
        task = services.do_create_task(request.user, organisation=org, department=dept, **data)
    except services.WorkflowError as exc:
        _raise(exc)
    return Status(201, task)


@router.get("/tasks/{task_id}", response=TaskOut, summary="One task")
def get_task(request: HttpRequest, task_id: int) -> Task:
    return _task(request, task_id)


@router.get("/tasks/{task_id}/preview", response=PreviewOut, summary="How many targets the scope gives")
def preview(request: HttpRequest, task_id: int) -> PreviewOut:
    task = _task(request, task_id)
    try:
        return PreviewOut(candidates=services.preview_count(task))
    except services.WorkflowError as exc:
        _raise(exc)


@router.get("/tasks/{task_id}/draws", response=list[DrawOut], summary="Every draw of a task, voided ones included")
def task_draws(request: HttpRequest, task_id: int) -> list[Draw]:
    return list(_task(request, task_id).draws.all())


@router.post("/tasks/{task_id}/commit", response={201: DrawOut}, summary="Freeze the pool and publish the commitment")
def commit(request: HttpRequest, task_id: int) -> Status:
    task = _task(request, task_id)
    try:
        draw = services.do_commit(task, request.user)
    except services.WorkflowError as exc:
        _raise(exc)
    return Status(201, draw)


@router.get("/draws/{draw_id}", response=DrawOut, summary="One draw")
def get_draw(request: HttpRequest, draw_id: int) -> Draw:
    return _draw(request, draw_id)


@router.post("/draws/{draw_id}/run", response=DrawOut, summary="Run the witnessed draw (once)")
def run(request: HttpRequest, draw_id: int, payload: RunIn) -> Draw:
    draw = _draw(request, draw_id)
    witnesses = [services.WitnessIn(w.name, w.role, w.affiliation) for w in payload.witnesses]
    inputs = [(i.label, i.value) for i in payload.inputs]
    try:
        return services.do_draw(draw, request.user, witnesses, inputs)
    except services.WorkflowError as exc:
        _raise(exc)


@router.post("/draws/{draw_id}/void-request", response=DrawOut, summary="Ask to void a draw, with a reason")
def void_request(request: HttpRequest, draw_id: int, payload: VoidIn) -> Draw:
    draw = _draw(request, draw_id)
    try:
        return services.do_request_void(draw, request.user, payload.reason)
    except services.WorkflowError as exc:
        _raise(exc)


@router.post("/draws/{draw_id}/void-approve", response=DrawOut, summary="Approve voiding a draw (approver)")
def void_approve(request: HttpRequest, draw_id: int) -> Draw:
    draw = _draw(request, draw_id)
    try:
        with transaction.atomic():
            return services.do_approve_void(draw, request.user)
    except services.WorkflowError as exc:
        _raise(exc)


# --- tasks from plan lines and joint tasks (draws/planning.py) ---------------------------------------


class LineTaskIn(Schema):
    """What may differ from the plan line; everything else is copied from it."""

    name: str | None = Field(default=None, min_length=1, max_length=200)
    notice: str | None = Field(default=None, max_length=20000)
    ratio: str | None = Field(default=None, max_length=12)
    count: int | None = Field(default=None, ge=1)
    window_start: dt.date | None = None
    window_end: dt.date | None = None
    exclude_inspected_days: int | None = Field(default=None, ge=1, le=3650)
    is_public: bool = True
    selection_publication: SelectionPublication = SelectionPublication.WITH_NOTICE


class ParticipantOut(Schema):
    id: int
    task_id: int
    department_id: int
    department: str
    state: str
    invited_at: dt.datetime
    responded_at: dt.datetime | None


class ItemOut(Schema):
    id: int
    name: str
    sub_item: str
    number: int
    category: str
    department_id: int
    department: str


class JointTaskOut(Schema):
    id: int
    name: str
    state: str
    plan_line_id: int | None
    department_id: int
    window_start: dt.date | None
    window_end: dt.date | None
    exclude_inspected_days: int | None
    items: list[ItemOut]
    participants: list[ParticipantOut]


class InviteIn(Schema):
    department_id: int


class RespondIn(Schema):
    accept: bool


class AddItemsIn(Schema):
    item_ids: list[int] = Field(min_length=1, max_length=200)


def _joint(task: Task) -> JointTaskOut:
    items = [
        ItemOut(
            id=v.pk,
            name=v.name,
            sub_item=v.sub_item,
            number=v.number,
            category=v.category,
            department_id=v.item.department_id,
            department=v.item.department.name,
        )
        for v in task.items.select_related("item__department").order_by("pk")
    ]
    participants = list(task.participants.select_related("department"))
    return JointTaskOut(
        id=task.pk,
        name=task.name,
        state=task.state,
        plan_line_id=task.plan_line_id,
        department_id=task.department_id,
        window_start=task.window_start,
        window_end=task.window_end,
        exclude_inspected_days=planning.exclude_days(task),
        items=items,
        participants=[_participant(p) for p in participants],
    )


def _participant(p: TaskParticipant) -> ParticipantOut:
    return ParticipantOut(
        id=p.pk,
        task_id=p.task_id,
        department_id=p.department_id,
        department=p.department.name,
        state=p.state,
        invited_at=p.invited_at,
        responded_at=p.responded_at,
    )


@router.post("/plan-lines/{line_id}/tasks", response={201: JointTaskOut}, summary="Create a task from a plan line")
def create_from_line(request: HttpRequest, line_id: int, payload: LineTaskIn) -> Status:
    if not any(has_perm(request.user, p) for p in ("tasks.manage", "draws.organise")):
        raise forbidden()
    line = planning.visible_lines(request.user).filter(pk=line_id).first()
    if line is None:
        raise not_found()
    overrides = {k: v for k, v in payload.dict().items() if v is not None}
    try:
        task = planning.do_create_task_from_line(request.user, line, **overrides)
    except services.WorkflowError as exc:
        _raise(exc)
    return Status(201, _joint(task))


@router.get("/tasks/{task_id}/joint", response=JointTaskOut, summary="Items by department and participants")
def joint(request: HttpRequest, task_id: int) -> JointTaskOut:
    return _joint(_task(request, task_id))


@router.post("/tasks/{task_id}/participants", response={201: ParticipantOut}, summary="Invite a department")
def invite(request: HttpRequest, task_id: int, payload: InviteIn) -> Status:
    task = _task(request, task_id)
    dept = Department.objects.filter(pk=payload.department_id).first()
    if dept is None or not can_see_org(request.user, dept.organisation):
        raise not_found()
    try:
        participant = planning.do_invite(request.user, task, dept)
    except services.WorkflowError as exc:
        _raise(exc)
    return Status(201, _participant(participant))


@router.post("/participants/{participant_id}/respond", response=ParticipantOut, summary="Accept or decline")
def respond(request: HttpRequest, participant_id: int, payload: RespondIn) -> ParticipantOut:
    participant = TaskParticipant.objects.select_related("task__organisation", "department").filter(pk=participant_id)
    found = participant.first()
    if found is None or not visible_tasks(request.user).filter(pk=found.task_id).exists():
        readable = can_read_tasks(request.user) or planning.is_joint_reader(request.user)
        raise not_found() if readable else forbidden()
    try:
        return _participant(planning.do_respond(request.user, found, payload.accept))
    except services.WorkflowError as exc:
        _raise(exc)


@router.post("/tasks/{task_id}/items", response=JointTaskOut, summary="Add your department's items")
def add_items(request: HttpRequest, task_id: int, payload: AddItemsIn) -> JointTaskOut:
    task = _task(request, task_id)
    try:
        task = planning.do_add_items(request.user, task, payload.item_ids)
    except services.WorkflowError as exc:
        _raise(exc)
    return _joint(task)


# --- public: no sign-in --------------------------------------------------------------------------


def _public_draw(draw_id: int) -> Draw:
    return get_object_or_404(public_draws(), pk=draw_id)


@router.get("/public/draws/{draw_id}/announcement.json", auth=None, summary="What was fixed before the ceremony")
def public_announcement(request: HttpRequest, draw_id: int) -> HttpResponse:
    draw = _public_draw(draw_id)
    return HttpResponse(draw.announcement.encode("utf-8"), content_type="application/json")


@router.get("/public/draws/{draw_id}/manifest.json", auth=None, summary="The manifest of a finished draw")
def public_manifest(request: HttpRequest, draw_id: int) -> HttpResponse:
    draw = _public_draw(draw_id)
    if not public_result_visible(draw):
        raise not_found()
    response = HttpResponse(draw.manifest.encode("utf-8"), content_type="application/json")
    response["Content-Disposition"] = f'attachment; filename="draw-{draw.pk}-manifest.json"'
    return response


@router.get("/public/draws/{draw_id}/candidates.csv", auth=None, summary="The frozen candidate list")
def public_candidates(request: HttpRequest, draw_id: int) -> HttpResponse:
    from django.core.files.storage import default_storage
    from django.http import FileResponse

    draw = _public_draw(draw_id)
    return FileResponse(
        default_storage.open(draw.candidates_file, "rb"),
        as_attachment=True,
        filename=f"draw-{draw.pk}-candidates.csv",
        content_type="text/csv; charset=utf-8",
    )
